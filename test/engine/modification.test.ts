/**
 * Contract tests of ModifyProcessInstance through the official `@camunda8/sdk` gRPC client: moving a token
 * past a stuck step, activating with variables, terminating the last element, and the rejections.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { bpmnXml, chain, endEvent, message, messageCatchEvent, parallelGateway, serviceTask, startEvent, subProcess } from '../helpers/bpmn.ts';
import { activate, activateOne, deploy, elementEvents, engineTest, eventsOf, instanceCompleted, rejectsWithCode, waitUntil, type Harness } from '../helpers/engine-harness.ts';

async function deployStuck(h: Harness) {
  const after = `after-${h.id}`;
  await deploy(
    h.zb,
    bpmnXml(`stuck-${h.id}`, [startEvent(), messageCatchEvent('wait', 'm'), serviceTask('after', after), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
      roots: [message('m', `never-${h.id}`, '=id')],
    }),
  );
  const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `stuck-${h.id}`, variables: { id: 'x' } });
  const waiting = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATED').find((r) => r.value.elementId === 'wait' && r.value.processInstanceKey === processInstanceKey)!;
  return { after, processInstanceKey, waitingKey: waiting.key };
}

/** start → wait (a message that never comes) → `inner` … → end: the process waits before the scopes `inner` holds. */
async function deployWaitingBefore(h: Harness, processId: string, inner: string[], next: string) {
  await deploy(
    h.zb,
    bpmnXml(processId, [startEvent(), messageCatchEvent('wait', 'm'), ...inner, endEvent(), ...chain('start', 'wait', next, 'end')], {
      roots: [message('m', `never-${h.id}`, '=id')],
    }),
  );
  const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { id: 'x' } });
  await waitUntil(() => elementEvents(h, 'ELEMENT_ACTIVATED', 'wait').some((r) => r.value.processInstanceKey === processInstanceKey));
  const waitingKey = elementEvents(h, 'ELEMENT_ACTIVATED', 'wait').find((r) => r.value.processInstanceKey === processInstanceKey)!.key;
  return { processInstanceKey, waitingKey };
}

const ofInstance = (h: Harness, intent: string, elementId: string, processInstanceKey: string) =>
  elementEvents(h, intent, elementId).filter((r) => r.value.processInstanceKey === processInstanceKey);

describe('ModifyProcessInstance: flow scopes that are not active are created', () => {
  engineTest('an element in a subprocess that is not active: the subprocess is created and entered at the element, variables on each', async (h) => {
    const type = `inner-${h.id}`;
    const { processInstanceKey, waitingKey } = await deployWaitingBefore(
      h,
      `create-scope-${h.id}`,
      [subProcess('sub', [startEvent('s0'), serviceTask('task', type), endEvent('e0'), ...chain('s0', 'task', 'e0')])],
      'sub',
    );
    await h.zb.modifyProcessInstance({
      processInstanceKey,
      activateInstructions: [
        {
          elementId: 'task',
          ancestorElementInstanceKey: '-1',
          variableInstructions: [
            { variables: { atTask: 1 }, scopeId: 'task' },
            { variables: { atSub: 2 }, scopeId: 'sub' },
          ],
        },
      ],
      terminateInstructions: [{ elementInstanceKey: waitingKey }],
    });
    const job = await activateOne(h.zb, type);
    assert.equal(job.processInstanceKey, processInstanceKey);
    assert.deepEqual({ ...job.variables }, { id: 'x', atSub: 2, atTask: 1 });
    const [sub] = ofInstance(h, 'ELEMENT_ACTIVATED', 'sub', processInstanceKey);
    assert.ok(sub, 'a subprocess instance was created');
    assert.deepEqual(ofInstance(h, 'ELEMENT_ACTIVATING', 's0', processInstanceKey), [], "the new subprocess was not entered at its start event");
    const variables = eventsOf(h.engine, 'VARIABLE', 'CREATED').filter((r) => r.value.processInstanceKey === processInstanceKey);
    assert.equal(variables.find((r) => r.value.name === 'atSub')?.value.scopeKey, sub.key, 'atSub is a local of the new subprocess');
    assert.equal(variables.find((r) => r.value.name === 'atTask')?.value.scopeKey, String(job.elementInstanceKey), 'atTask is a local of the task');
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, processInstanceKey));
  });

  engineTest('two levels missing are both created; two instructions into one missing scope share one new instance of it', async (h) => {
    const deep = `deep-${h.id}`;
    const side = `side-${h.id}`;
    const { processInstanceKey, waitingKey } = await deployWaitingBefore(
      h,
      `nested-${h.id}`,
      [
        subProcess('outer', [
          startEvent('s1'),
          parallelGateway('fork'),
          subProcess('inner', [startEvent('s2'), serviceTask('deep', deep), endEvent('e2'), ...chain('s2', 'deep', 'e2')]),
          serviceTask('side', side),
          parallelGateway('join'),
          endEvent('e1'),
          ...chain('s1', 'fork', 'inner', 'join', 'e1'),
          ...chain('fork', 'side', 'join'),
        ]),
      ],
      'outer',
    );
    await h.zb.modifyProcessInstance({
      processInstanceKey,
      activateInstructions: [
        { elementId: 'deep', ancestorElementInstanceKey: '-1', variableInstructions: [] },
        { elementId: 'side', ancestorElementInstanceKey: '-1', variableInstructions: [] },
      ],
      terminateInstructions: [{ elementInstanceKey: waitingKey }],
    });
    const deepJob = await activateOne(h.zb, deep);
    const sideJob = await activateOne(h.zb, side);
    assert.equal(ofInstance(h, 'ELEMENT_ACTIVATED', 'outer', processInstanceKey).length, 1, 'one outer subprocess for both instructions');
    assert.equal(ofInstance(h, 'ELEMENT_ACTIVATED', 'inner', processInstanceKey).length, 1, 'the inner subprocess was created too');
    assert.deepEqual(ofInstance(h, 'ELEMENT_ACTIVATING', 's1', processInstanceKey), []);
    assert.deepEqual(ofInstance(h, 'ELEMENT_ACTIVATING', 's2', processInstanceKey), []);
    await h.zb.completeJob({ jobKey: deepJob.key, variables: {} });
    await h.zb.completeJob({ jobKey: sideJob.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, processInstanceKey));
  });

  engineTest('an ancestor key that is not a flow scope of the element is refused, and nothing is created', async (h) => {
    const type = `anc-${h.id}`;
    const { processInstanceKey, waitingKey } = await deployWaitingBefore(
      h,
      `ancestor-${h.id}`,
      [subProcess('sub', [startEvent('s0'), serviceTask('task', type), endEvent('e0'), ...chain('s0', 'task', 'e0')])],
      'sub',
    );
    await rejectsWithCode(
      h.zb.modifyProcessInstance({
        processInstanceKey,
        activateInstructions: [{ elementId: 'task', ancestorElementInstanceKey: waitingKey, variableInstructions: [] }],
      }),
      3,
      /ancestor element instance that could not be found or is not a flow scope of 'task'/,
    );
    assert.deepEqual(ofInstance(h, 'ELEMENT_ACTIVATING', 'sub', processInstanceKey), [], 'no subprocess was created');
  });

  engineTest('an element inside a multi-instance is refused with 9 FAILED_PRECONDITION, and nothing of the modification happens', async (h) => {
    const type = `mi-${h.id}`;
    const loop =
      '<bpmn:multiInstanceLoopCharacteristics isSequential="false"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[1,2]" inputElement="item" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>';
    const { processInstanceKey, waitingKey } = await deployWaitingBefore(
      h,
      `mi-${h.id}`,
      [subProcess('each', [loop, startEvent('s0'), serviceTask('task', type), endEvent('e0'), ...chain('s0', 'task', 'e0')])],
      'each',
    );
    await rejectsWithCode(
      h.zb.modifyProcessInstance({
        processInstanceKey,
        activateInstructions: [{ elementId: 'task', ancestorElementInstanceKey: '-1', variableInstructions: [] }],
        terminateInstructions: [{ elementInstanceKey: waitingKey }],
      }),
      9,
      /inside a multi-instance: 'task'/,
    );
    assert.deepEqual(await activate(h.zb, type), [], 'no job: the element was not activated');
    assert.deepEqual(ofInstance(h, 'ELEMENT_TERMINATED', 'wait', processInstanceKey), [], 'the waiting element was not terminated');
  });
});

describe('ModifyProcessInstance', () => {
  engineTest('moves the token from a stuck catch event to the next task, with variables', async (h) => {
    const { after, processInstanceKey, waitingKey } = await deployStuck(h);
    await h.zb.modifyProcessInstance({
      processInstanceKey,
      activateInstructions: [{ elementId: 'after', ancestorElementInstanceKey: '-1', variableInstructions: [{ variables: { fixed: true }, scopeId: '' }] }],
      terminateInstructions: [{ elementInstanceKey: waitingKey }],
    });
    const job = await activateOne(h.zb, after);
    assert.equal(job.processInstanceKey, processInstanceKey);
    assert.deepEqual({ ...job.variables }, { id: 'x', fixed: true });
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, processInstanceKey));
    assert.equal(eventsOf(h.engine, 'MESSAGE_SUBSCRIPTION', 'DELETED').length, 1, 'the terminated catch event closed its subscription');
  });

  engineTest('terminating the last active element terminates the process instance', async (h) => {
    const { processInstanceKey, waitingKey } = await deployStuck(h);
    await h.zb.modifyProcessInstance({ processInstanceKey, terminateInstructions: [{ elementInstanceKey: waitingKey }] });
    await waitUntil(() => eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === processInstanceKey));
  });

  engineTest('bad instructions are refused as a whole: unknown instance 5, unknown element or instance 3', async (h) => {
    const { after, processInstanceKey, waitingKey } = await deployStuck(h);
    await rejectsWithCode(h.zb.modifyProcessInstance({ processInstanceKey: '2251799813999999', terminateInstructions: [{ elementInstanceKey: waitingKey }] }), 5);
    await rejectsWithCode(
      h.zb.modifyProcessInstance({
        processInstanceKey,
        activateInstructions: [{ elementId: 'after', ancestorElementInstanceKey: '-1', variableInstructions: [] }, { elementId: 'nope', ancestorElementInstanceKey: '-1', variableInstructions: [] }],
      }),
      3,
      /could not be found: 'nope'/,
    );
    await rejectsWithCode(h.zb.modifyProcessInstance({ processInstanceKey, terminateInstructions: [{ elementInstanceKey: '2251799813999998' }] }), 3, /terminate instructions/);
    assert.deepEqual(await activate(h.zb, after), [], 'nothing of the refused modification happened');
  });
});
