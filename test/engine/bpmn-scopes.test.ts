/**
 * Contract tests of scopes through the official `@camunda8/sdk` gRPC client: embedded subprocesses, event
 * subprocesses, call activities, multi-instance and inclusive gateways (zeebe-semantics.md E6, E8–E10, E12,
 * E17, V9–V11). Each scenario drives real work (jobs activated and completed by the SDK) and ends with the
 * engine's integrity check (the harness).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  bpmnXml,
  callActivity,
  chain,
  endEvent,
  error,
  errorBoundaryEvent,
  eventSubProcess,
  flow,
  serviceTask,
  startEvent,
  subProcess,
  terminateEnd,
} from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  completeOne,
  deploy,
  elementEvents,
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  rejectsWithCode,
  startInstance,
  waitUntil,
  type Harness,
} from '../helpers/engine-harness.ts';

const errorEnd = (id: string, errorRef: string) => `<bpmn:endEvent id="${id}"><bpmn:errorEventDefinition errorRef="${errorRef}" /></bpmn:endEvent>`;
const errorStart = (id: string, errorRef?: string) =>
  `<bpmn:startEvent id="${id}"><bpmn:errorEventDefinition${errorRef ? ` errorRef="${errorRef}"` : ''} /></bpmn:startEvent>`;
const multiTask = (id: string, type: string, loop: string, sequential = false, completion?: string) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>` +
  `<bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}"><bpmn:extensionElements>${loop}</bpmn:extensionElements>` +
  `${completion ? `<bpmn:completionCondition>${completion.replace(/>/g, '&gt;').replace(/</g, '&lt;')}</bpmn:completionCondition>` : ''}` +
  `</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`;


describe('Embedded subprocess', () => {
  engineTest('runs its inner flow, throws its locals away, and the process carries on after it', async (h) => {
    const inner = `inner-${h.id}`;
    const outer = `outer-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`sub-${h.id}`, [
        startEvent(),
        subProcess(
          'sub',
          [startEvent('subStart'), serviceTask('a', inner), endEvent('subEnd'), ...chain('subStart', 'a', 'subEnd')],
          '',
        ).replace('<bpmn:subProcess id="sub">', '<bpmn:subProcess id="sub"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=1" target="local" /></zeebe:ioMapping></bpmn:extensionElements>'),
        serviceTask('b', outer),
        endEvent(),
        ...chain('start', 'sub', 'b', 'end'),
      ]),
    );
    const pik = await startInstance(h, `sub-${h.id}`, { x: 1 });
    const a = await activateOne(h.zb, inner);
    assert.deepEqual({ ...a.variables }, { x: 1, local: 1 }, 'the subprocess input is visible inside');
    await h.zb.completeJob({ jobKey: a.key, variables: { fromInside: 'yes' } });
    const b = await activateOne(h.zb, outer);
    assert.deepEqual({ ...b.variables }, { x: 1, fromInside: 'yes' }, 'the local is gone, the job result propagated');
    await h.zb.completeJob({ jobKey: b.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const sub = elementEvents(h, 'ELEMENT_COMPLETED', 'sub')[0]!;
    assert.equal(sub.value.bpmnElementType, 'SUB_PROCESS');
    assert.equal(elementEvents(h, 'ELEMENT_ACTIVATING', 'a')[0]!.value.flowScopeKey, sub.key, 'the task runs inside the subprocess');
  });

  engineTest('a terminate end event inside ends only the subprocess, which then completes', async (h) => {
    const slow = `slow-${h.id}`;
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`term-${h.id}`, [
        startEvent(),
        subProcess('sub', [
          startEvent('s0'),
          '<bpmn:parallelGateway id="fork" />',
          serviceTask('slow', slow),
          endEvent('e1'),
          terminateEnd('kill'),
          ...chain('s0', 'fork'),
          flow('f1', 'fork', 'slow'),
          flow('f2', 'fork', 'kill'),
          flow('f3', 'slow', 'e1'),
        ]),
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'sub', 'after', 'end'),
      ]),
    );
    const pik = await startInstance(h, `term-${h.id}`);
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.deepEqual(await activate(h.zb, slow), [], 'the slow task was terminated with its job');
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'sub').length, 1);
  });

  engineTest('an error thrown by a job inside is caught by a boundary on the subprocess', async (h) => {
    const type = `failing-${h.id}`;
    const handler = `handler-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `suberr-${h.id}`,
        [
          startEvent(),
          subProcess('sub', [startEvent('s0'), serviceTask('work', type), endEvent('e0'), ...chain('s0', 'work', 'e0')]),
          errorBoundaryEvent('caught', 'sub', 'err'),
          serviceTask('handle', handler),
          endEvent(),
          endEvent('end2'),
          ...chain('start', 'sub', 'end'),
          ...chain('caught', 'handle', 'end2'),
        ],
        { roots: [error('err', 'BROKEN')] },
      ),
    );
    const pik = await startInstance(h, `suberr-${h.id}`);
    const job = await activateOne(h.zb, type);
    await h.zb.throwError({ jobKey: job.key, errorCode: 'BROKEN', errorMessage: 'no', variables: { reason: 'x' } });
    const handle = await activateOne(h.zb, handler);
    assert.equal(handle.processInstanceKey, pik);
    await h.zb.completeJob({ jobKey: handle.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'sub').length, 1);
  });
});

describe('Event subprocess', () => {
  engineTest('an error event subprocess catches an error end event and takes over the process', async (h) => {
    const fix = `fix-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `esp-${h.id}`,
        [
          startEvent(),
          errorEnd('boom', 'err'),
          ...chain('start', 'boom'),
          eventSubProcess('onError', [errorStart('es', 'err'), serviceTask('fix', fix), endEvent('ee'), ...chain('es', 'fix', 'ee')]),
        ],
        { roots: [error('err', 'E1')] },
      ),
    );
    const pik = await startInstance(h, `esp-${h.id}`);
    await completeOne(h, fix);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const esp = elementEvents(h, 'ELEMENT_ACTIVATED', 'onError')[0]!;
    assert.equal(esp.value.bpmnElementType, 'EVENT_SUB_PROCESS');
  });

  engineTest('a non-interrupting message event subprocess runs each time alongside the waiting task', async (h) => {
    const main = `main-${h.id}`;
    const side = `side-${h.id}`;
    const name = `poke-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `espmsg-${h.id}`,
        [
          startEvent(),
          serviceTask('main', main),
          endEvent(),
          ...chain('start', 'main', 'end'),
          eventSubProcess('onPoke', [
            `<bpmn:startEvent id="ps" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent>`,
            serviceTask('side', side),
            endEvent('pe'),
            ...chain('ps', 'side', 'pe'),
          ]),
        ],
        { roots: [`<bpmn:message id="m" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="=id" /></bpmn:extensionElements></bpmn:message>`] },
      ),
    );
    const pik = await startInstance(h, `espmsg-${h.id}`, { id: 'k1' });
    await h.zb.publishMessage({ name, correlationKey: 'k1', variables: { n: 1 }, timeToLive: 0 });
    await completeOne(h, side);
    await h.zb.publishMessage({ name, correlationKey: 'k1', variables: { n: 2 }, timeToLive: 0 });
    const second = await activateOne(h.zb, side);
    assert.equal(second.variables.n, 2);
    await h.zb.completeJob({ jobKey: second.key, variables: {} });
    const job = await activateOne(h.zb, main);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'onPoke').length, 2);
  });

  engineTest('an interrupting timer event subprocess terminates the waiting task', async (h) => {
    const main = `main-${h.id}`;
    const late = `late-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`esptimer-${h.id}`, [
        startEvent(),
        serviceTask('main', main),
        endEvent(),
        ...chain('start', 'main', 'end'),
        eventSubProcess('timeout', [
          `<bpmn:startEvent id="ts"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>`,
          serviceTask('late', late),
          endEvent('te'),
          ...chain('ts', 'late', 'te'),
        ]),
      ]),
    );
    const pik = await startInstance(h, `esptimer-${h.id}`);
    const job = await activateOne(h.zb, main);
    await h.engine.advanceClock(3_600_000 + 10);
    await completeOne(h, late);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'main').length, 1);
  });
});

describe('Call activity', () => {
  async function deployChildAndParent(h: Harness, attrs = '') {
    const childType = `child-${h.id}`;
    const afterType = `after-${h.id}`;
    await deploy(h.zb, bpmnXml(`child-${h.id}`, [startEvent(), serviceTask('work', childType), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    await deploy(
      h.zb,
      bpmnXml(`parent-${h.id}`, [startEvent(), callActivity('call', `child-${h.id}`, attrs), serviceTask('after', afterType), endEvent(), ...chain('start', 'call', 'after', 'end')]),
      'parent.bpmn',
    );
    return { childType, afterType };
  }

  engineTest('runs the called process with the parent variables and hands its variables back', async (h) => {
    const { childType, afterType } = await deployChildAndParent(h);
    const pik = await startInstance(h, `parent-${h.id}`, { order: 7 });
    const work = await activateOne(h.zb, childType);
    assert.notEqual(work.processInstanceKey, pik, 'the job belongs to the called instance');
    assert.deepEqual({ ...work.variables }, { order: 7 });
    await h.zb.completeJob({ jobKey: work.key, variables: { result: 'done' } });
    const after = await activateOne(h.zb, afterType);
    assert.equal(after.processInstanceKey, pik);
    assert.deepEqual({ ...after.variables }, { order: 7, result: 'done' });
    await h.zb.completeJob({ jobKey: after.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const child = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING').find((r) => r.key === work.processInstanceKey)!;
    assert.equal(child.value.parentProcessInstanceKey, pik);
  });

  engineTest('propagateAllChildVariables=false keeps the child variables in the child', async (h) => {
    const { childType, afterType } = await deployChildAndParent(h, ' propagateAllChildVariables="false"');
    await startInstance(h, `parent-${h.id}`, { order: 1 });
    await completeOne(h, childType, { secret: 's' });
    const after = await activateOne(h.zb, afterType);
    assert.deepEqual({ ...after.variables }, { order: 1 });
  });

  engineTest('a FEEL process id; without propagation the child gets only the inputs and only the output mappings come back', async (h) => {
    const childType = `child-${h.id}`;
    const afterType = `after-${h.id}`;
    await deploy(h.zb, bpmnXml(`child-${h.id}`, [startEvent(), serviceTask('work', childType), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    const call = `<bpmn:callActivity id="call"><bpmn:extensionElements>
      <zeebe:calledElement processId="=childId" propagateAllParentVariables="false" propagateAllChildVariables="false" />
      <zeebe:ioMapping><zeebe:input source="=order" target="order" /><zeebe:output source="=secret" target="kept" /></zeebe:ioMapping>
    </bpmn:extensionElements></bpmn:callActivity>`;
    await deploy(h.zb, bpmnXml(`parent-${h.id}`, [startEvent(), call, serviceTask('after', afterType), endEvent(), ...chain('start', 'call', 'after', 'end')]), 'parent.bpmn');
    const pik = await startInstance(h, `parent-${h.id}`, { order: 1, other: 'x', childId: `child-${h.id}` });
    const work = await activateOne(h.zb, childType);
    assert.deepEqual({ ...work.variables }, { order: 1 }, 'only the inputs reach the child');
    await h.zb.completeJob({ jobKey: work.key, variables: { secret: 's', dropped: 'd' } });
    const after = await activateOne(h.zb, afterType);
    assert.equal(after.processInstanceKey, pik);
    assert.deepEqual({ ...after.variables }, { order: 1, other: 'x', childId: `child-${h.id}`, kept: 's' });
  });

  engineTest('cancelling the parent terminates the child; the child cannot be cancelled on its own', async (h) => {
    const { childType } = await deployChildAndParent(h);
    const pik = await startInstance(h, `parent-${h.id}`);
    const work = await activateOne(h.zb, childType);
    await rejectsWithCode(h.zb.cancelProcessInstance(work.processInstanceKey), 9, /Cancel the root process instance/);
    await h.zb.cancelProcessInstance(pik);
    await rejectsWithCode(h.zb.completeJob({ jobKey: work.key, variables: {} }), 5);
    const terminated = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').map((r) => r.key);
    assert.ok(terminated.includes(work.processInstanceKey) && terminated.includes(pik));
  });

  engineTest('a missing called process is a CALLED_ELEMENT_ERROR incident that deploying and resolving fixes', async (h) => {
    const afterType = `after-${h.id}`;
    await deploy(h.zb, bpmnXml(`caller-${h.id}`, [startEvent(), callActivity('call', `later-${h.id}`), serviceTask('after', afterType), endEvent(), ...chain('start', 'call', 'after', 'end')]));
    const pik = await startInstance(h, `caller-${h.id}`);
    await waitUntil(() => incidentsCreated(h.engine, pik).length === 1);
    const incident = incidentsCreated(h.engine, pik)[0]!;
    assert.equal(incident.value.errorType, 'CALLED_ELEMENT_ERROR');
    assert.match(String(incident.value.errorMessage), new RegExp(`later-${h.id}`));
    await deploy(h.zb, bpmnXml(`later-${h.id}`, [startEvent(), endEvent(), ...chain('start', 'end')]), 'later.bpmn');
    await h.zb.resolveIncident({ incidentKey: incident.key });
    await completeOne(h, afterType);
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });

  engineTest('an error the child does not catch is caught by a boundary on the call activity', async (h) => {
    const childType = `child-${h.id}`;
    const handled = `handled-${h.id}`;
    await deploy(h.zb, bpmnXml(`child-${h.id}`, [startEvent(), serviceTask('work', childType), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    await deploy(
      h.zb,
      bpmnXml(`parent-${h.id}`, [
        startEvent(),
        callActivity('call', `child-${h.id}`),
        errorBoundaryEvent('caught', 'call'),
        serviceTask('handle', handled),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'call', 'end'),
        ...chain('caught', 'handle', 'end2'),
      ]),
      'parent.bpmn',
    );
    const pik = await startInstance(h, `parent-${h.id}`);
    const work = await activateOne(h.zb, childType);
    await h.zb.throwError({ jobKey: work.key, errorCode: 'ANY' });
    await completeOne(h, handled);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.ok(eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === work.processInstanceKey));
  });
});

describe('Multi-instance', () => {
  engineTest('parallel: one job per item, each with its item and loopCounter; results collected in order', async (h) => {
    const type = `each-${h.id}`;
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`mi-${h.id}`, [
        startEvent(),
        multiTask('each', type, '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=out" />'),
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'each', 'after', 'end'),
      ]),
    );
    const pik = await startInstance(h, `mi-${h.id}`, { items: ['a', 'b', 'c'] });
    const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
    assert.equal(jobs.length, 3);
    assert.deepEqual(jobs.map((j) => [j.variables.item, j.variables.loopCounter]).sort(), [['a', 1], ['b', 2], ['c', 3]]);
    for (const job of [...jobs].reverse()) await h.zb.completeJob({ jobKey: job.key, variables: { out: `${String(job.variables.item)}!` } });
    const next = await activateOne(h.zb, after);
    assert.deepEqual(next.variables.results, ['a!', 'b!', 'c!']);
    assert.equal(next.variables.out, undefined, 'the output element stayed local to each inner instance');
    await h.zb.completeJob({ jobKey: next.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATED').filter((r) => r.value.bpmnElementType === 'MULTI_INSTANCE_BODY').length, 1);
  });

  engineTest('sequential: one inner instance at a time, in order', async (h) => {
    const type = `seq-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`seq-${h.id}`, [startEvent(), multiTask('each', type, '<zeebe:loopCharacteristics inputCollection="=[1,2,3]" inputElement="n" />', true), endEvent(), ...chain('start', 'each', 'end')]),
    );
    const pik = await startInstance(h, `seq-${h.id}`);
    for (const n of [1, 2, 3]) {
      const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
      assert.equal(jobs.length, 1, 'only one inner instance is active');
      assert.equal(jobs[0]!.variables.n, n);
      await h.zb.completeJob({ jobKey: jobs[0]!.key, variables: {} });
    }
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });

  engineTest('a completion condition ends the body early; an empty collection completes at once', async (h) => {
    const type = `cc-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`cc-${h.id}`, [
        startEvent(),
        multiTask('each', type, '<zeebe:loopCharacteristics inputCollection="=items" inputElement="n" />', false, '=numberOfCompletedInstances >= 2'),
        endEvent(),
        ...chain('start', 'each', 'end'),
      ]),
    );
    const pik = await startInstance(h, `cc-${h.id}`, { items: [1, 2, 3, 4] });
    const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
    assert.equal(jobs.length, 4);
    await h.zb.completeJob({ jobKey: jobs[0]!.key, variables: {} });
    await h.zb.completeJob({ jobKey: jobs[1]!.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    await rejectsWithCode(h.zb.completeJob({ jobKey: jobs[2]!.key, variables: {} }), 5);
    const empty = await startInstance(h, `cc-${h.id}`, { items: [] });
    await waitUntil(() => instanceCompleted(h.engine, empty));
  });

  engineTest('an input collection that is not a list is an EXTRACT_VALUE_ERROR incident', async (h) => {
    const type = `bad-${h.id}`;
    await deploy(h.zb, bpmnXml(`bad-${h.id}`, [startEvent(), multiTask('each', type, '<zeebe:loopCharacteristics inputCollection="=items" />'), endEvent(), ...chain('start', 'each', 'end')]));
    const pik = await startInstance(h, `bad-${h.id}`, { items: 'nope' });
    await waitUntil(() => incidentsCreated(h.engine, pik).length === 1);
    assert.equal(incidentsCreated(h.engine, pik)[0]!.value.errorType, 'EXTRACT_VALUE_ERROR');
    await h.zb.setVariables({ elementInstanceKey: pik, variables: { items: [1] }, local: false });
    await h.zb.resolveIncident({ incidentKey: incidentsCreated(h.engine, pik)[0]!.key });
    await completeOne(h, type);
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });
});

describe('Inclusive gateway', () => {
  async function deployInclusive(h: Harness) {
    const a = `a-${h.id}`;
    const b = `b-${h.id}`;
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`incl-${h.id}`, [
        startEvent(),
        '<bpmn:inclusiveGateway id="fork" default="fd" />',
        serviceTask('a', a),
        serviceTask('b', b),
        '<bpmn:inclusiveGateway id="join" />',
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'fork'),
        flow('fa', 'fork', 'a', '=x > 1'),
        flow('fb', 'fork', 'b', '=x > 5'),
        flow('fd', 'fork', 'b'),
        flow('ja', 'a', 'join'),
        flow('jb', 'b', 'join'),
        ...chain('join', 'after', 'end'),
      ]),
    );
    return { a, b, after };
  }

  engineTest('takes every true flow and the join waits for all of them', async (h) => {
    const { a, b, after } = await deployInclusive(h);
    const pik = await startInstance(h, `incl-${h.id}`, { x: 10 });
    await completeOne(h, a);
    assert.deepEqual(await activate(h.zb, after), [], 'the join waits for b');
    await completeOne(h, b);
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'join').length, 1, 'the join fired once');
  });

  engineTest('with one true flow the join passes after that one; with none the default flow is taken', async (h) => {
    const { a, b, after } = await deployInclusive(h);
    const one = await startInstance(h, `incl-${h.id}`, { x: 2 });
    await completeOne(h, a);
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, one));
    const none = await startInstance(h, `incl-${h.id}`, { x: 0 });
    await completeOne(h, b);
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, none));
  });
});

describe('Multi-instance scopes', () => {
  engineTest('a parallel multi-instance subprocess runs its flow per item; a timer on the body ends them all', async (h) => {
    const type = `inner-${h.id}`;
    const late = `late-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`misub-${h.id}`, [
        startEvent(),
        `<bpmn:subProcess id="sub"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>` +
          [startEvent('s0'), serviceTask('work', type), endEvent('e0'), ...chain('s0', 'work', 'e0')].join('') +
          '</bpmn:subProcess>',
        `<bpmn:boundaryEvent id="timeout" attachedToRef="sub"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>`,
        serviceTask('late', late),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'sub', 'end'),
        ...chain('timeout', 'late', 'end2'),
      ]),
    );
    const pik = await startInstance(h, `misub-${h.id}`, { items: [1, 2] });
    const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
    assert.deepEqual(jobs.map((j) => j.variables.item).sort(), [1, 2]);
    await h.zb.completeJob({ jobKey: jobs[0]!.key, variables: {} });
    await h.engine.advanceClock(3_600_010);
    await completeOne(h, late);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    await rejectsWithCode(h.zb.completeJob({ jobKey: jobs[1]!.key, variables: {} }), 5);
    assert.equal(eventsOf(h.engine, 'TIMER', 'CREATED').length, 1, 'one timer, on the body');
  });

  engineTest('a sequential multi-instance call activity calls the process once per item', async (h) => {
    const childType = `child-${h.id}`;
    await deploy(h.zb, bpmnXml(`child-${h.id}`, [startEvent(), serviceTask('work', childType), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    await deploy(
      h.zb,
      bpmnXml(`calls-${h.id}`, [
        startEvent(),
        `<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child-${h.id}" /></bpmn:extensionElements>` +
          `<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[&quot;x&quot;,&quot;y&quot;]" inputElement="letter" outputCollection="seen" outputElement="=letter" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:callActivity>`,
        endEvent(),
        ...chain('start', 'call', 'end'),
      ]),
      'calls.bpmn',
    );
    const pik = await startInstance(h, `calls-${h.id}`);
    for (const letter of ['x', 'y']) {
      const job = await activateOne(h.zb, childType);
      assert.equal(job.variables.letter, letter);
      assert.notEqual(job.processInstanceKey, pik);
      await h.zb.completeJob({ jobKey: job.key, variables: {} });
    }
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const seen = eventsOf(h.engine, 'VARIABLE', 'CREATED').find((r) => r.value.name === 'seen' && r.value.scopeKey === pik);
    assert.deepEqual(seen?.value.value, ['x', 'y']);
  });
});

describe('Multi-instance input mappings', () => {
  // The input element and loopCounter are locals of the inner instance before its input mappings run (V3, V10).
  const students = [{ name: 'Ada' }, { name: 'Grace' }];
  const loop = (sequential: boolean) =>
    `<bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}"><bpmn:extensionElements>` +
    '<zeebe:loopCharacteristics inputCollection="=students" inputElement="student" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>';
  const inputs = '<zeebe:ioMapping><zeebe:input source="=student.name" target="who" /><zeebe:input source="=loopCounter" target="n" /></zeebe:ioMapping>';
  const mapped = (variables: Record<string, unknown>) => [variables.who, variables.n, (variables.student as { name?: string } | undefined)?.name];

  engineTest('a multi-instance task maps from its input element and loopCounter, parallel and sequential', async (h) => {
    const par = `par-${h.id}`;
    const seq = `seq-${h.id}`;
    const task = (id: string, type: string, sequential: boolean) =>
      `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" />${inputs}</bpmn:extensionElements>${loop(sequential)}</bpmn:serviceTask>`;
    await deploy(h.zb, bpmnXml(`mimap-${h.id}`, [startEvent(), task('par', par, false), task('seq', seq, true), endEvent(), ...chain('start', 'par', 'seq', 'end')]));
    const pik = await startInstance(h, `mimap-${h.id}`, { students });
    const jobs = await activate(h.zb, par, { requestTimeout: 2000 });
    assert.equal(jobs.length, 2);
    assert.deepEqual(jobs.map((j) => mapped(j.variables)).sort(), [['Ada', 1, 'Ada'], ['Grace', 2, 'Grace']]);
    for (const job of jobs) await h.zb.completeJob({ jobKey: job.key, variables: {} });
    for (const [i, student] of students.entries()) {
      const job = await activateOne(h.zb, seq);
      assert.deepEqual(mapped(job.variables), [student.name, i + 1, student.name]);
      await h.zb.completeJob({ jobKey: job.key, variables: {} });
    }
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });

  engineTest('a multi-instance subprocess maps from its input element and loopCounter', async (h) => {
    const type = `work-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`mimapsub-${h.id}`, [
        startEvent(),
        `<bpmn:subProcess id="sub"><bpmn:extensionElements>${inputs}</bpmn:extensionElements>${loop(false)}` +
          [startEvent('s0'), serviceTask('work', type), endEvent('e0'), ...chain('s0', 'work', 'e0')].join('') +
          '</bpmn:subProcess>',
        endEvent(),
        ...chain('start', 'sub', 'end'),
      ]),
    );
    const pik = await startInstance(h, `mimapsub-${h.id}`, { students });
    const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
    assert.equal(jobs.length, 2);
    assert.deepEqual(jobs.map((j) => mapped(j.variables)).sort(), [['Ada', 1, 'Ada'], ['Grace', 2, 'Grace']]);
    for (const job of jobs) await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });

  engineTest('a multi-instance call activity maps from its input element and loopCounter, and the child gets the result', async (h) => {
    const type = `child-${h.id}`;
    await deploy(h.zb, bpmnXml(`mimapchild-${h.id}`, [startEvent(), serviceTask('work', type), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    await deploy(
      h.zb,
      bpmnXml(`mimapcall-${h.id}`, [
        startEvent(),
        `<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="mimapchild-${h.id}" />${inputs}</bpmn:extensionElements>${loop(true)}</bpmn:callActivity>`,
        endEvent(),
        ...chain('start', 'call', 'end'),
      ]),
      'call.bpmn',
    );
    const pik = await startInstance(h, `mimapcall-${h.id}`, { students });
    for (const [i, student] of students.entries()) {
      const job = await activateOne(h.zb, type);
      assert.notEqual(job.processInstanceKey, pik);
      assert.deepEqual(mapped(job.variables), [student.name, i + 1, student.name]);
      await h.zb.completeJob({ jobKey: job.key, variables: {} });
    }
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });
});

describe('A loop with no wait state', () => {
  engineTest('is stopped: the instance is banned with 13 instead of spinning, and the engine serves the rest', async (h) => {
    await deploy(
      h.zb,
      bpmnXml(`spin-${h.id}`, [
        startEvent(),
        '<bpmn:exclusiveGateway id="g1" />',
        '<bpmn:exclusiveGateway id="g2" default="back" />',
        endEvent(),
        ...chain('start', 'g1'),
        flow('to2', 'g1', 'g2'),
        flow('back', 'g2', 'g1'),
        flow('out', 'g2', 'end', '=false'),
      ]),
    );
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `spin-${h.id}`, variables: {} }), 13, /too many follow-up commands/);
    assert.equal(eventsOf(h.engine, 'ERROR', 'CREATED').length, 1);
    await deploy(h.zb, bpmnXml(`ok-${h.id}`, [startEvent(), endEvent(), ...chain('start', 'end')]), 'ok.bpmn');
    const pik = await startInstance(h, `ok-${h.id}`);
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });
});
