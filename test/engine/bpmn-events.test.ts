/**
 * Contract tests of events through the official `@camunda8/sdk` gRPC client: timers on the engine clock
 * (intermediate, boundary, start events with cycles), signals (start, catch, boundary, throw, end), message
 * boundary events, event-based gateways, and job-based message throw events (zeebe-semantics.md E7, E11,
 * E13–E16, G1).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  boundary,
  bpmnXml,
  chain,
  endEvent,
  flow,
  message,
  messageDef,
  serviceTask,
  signal,
  signalDef,
  startEvent,
  timerCatchEvent,
  timerDef,
} from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  completeOne,
  deploy,
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  instancesOf,
  rejectsWithCode,
  startInstance,
  waitUntil,
} from '../helpers/engine-harness.ts';

const MINUTE = 60_000;



describe('Timers', () => {
  engineTest('an intermediate timer waits for its duration on the engine clock, never less', async (h) => {
    const after = `after-${h.id}`;
    await deploy(h.zb, bpmnXml(`t-${h.id}`, [startEvent(), timerCatchEvent('wait', 'PT10M'), serviceTask('after', after), endEvent(), ...chain('start', 'wait', 'after', 'end')]));
    const pik = await startInstance(h, `t-${h.id}`);
    await h.engine.advanceClock(10 * MINUTE - 1000);
    assert.deepEqual(await activate(h.zb, after), [], 'not before ten minutes');
    await h.engine.advanceClock(2000);
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const created = eventsOf(h.engine, 'TIMER', 'CREATED')[0]!;
    assert.equal(created.value.catchElementId, 'wait');
    assert.equal(eventsOf(h.engine, 'TIMER', 'TRIGGERED').length, 1);
  });

  engineTest('a timer from a FEEL duration and a timeDate in the past fire; a bad value is an incident', async (h) => {
    await deploy(
      h.zb,
      bpmnXml(`tf-${h.id}`, [
        startEvent(),
        `<bpmn:intermediateCatchEvent id="wait">${timerDef('timeDuration', '=delay')}</bpmn:intermediateCatchEvent>`,
        `<bpmn:intermediateCatchEvent id="date">${timerDef('timeDate', '2020-01-01T00:00:00Z')}</bpmn:intermediateCatchEvent>`,
        endEvent(),
        ...chain('start', 'wait', 'date', 'end'),
      ]),
    );
    const ok = await startInstance(h, `tf-${h.id}`, { delay: 'PT1S' });
    await h.engine.advanceClock(1500);
    await waitUntil(() => instanceCompleted(h.engine, ok));
    const bad = await startInstance(h, `tf-${h.id}`, { delay: 'soon' });
    await waitUntil(() => incidentsCreated(h.engine, bad).length === 1);
    const incident = incidentsCreated(h.engine, bad)[0]!;
    assert.equal(incident.value.errorType, 'EXTRACT_VALUE_ERROR');
    assert.match(String(incident.value.errorMessage), /Invalid duration format 'soon'/);
  });

  engineTest('an interrupting timer boundary cancels the task and takes its own path', async (h) => {
    const slow = `slow-${h.id}`;
    const escalate = `escalate-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`tb-${h.id}`, [
        startEvent(),
        serviceTask('slow', slow),
        boundary('late', 'slow', timerDef('timeDuration', 'PT1H')),
        serviceTask('escalate', escalate),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'slow', 'end'),
        ...chain('late', 'escalate', 'end2'),
      ]),
    );
    const pik = await startInstance(h, `tb-${h.id}`);
    const job = await activateOne(h.zb, slow);
    await h.engine.advanceClock(61 * MINUTE);
    await completeOne(h, escalate);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
  });

  engineTest('a non-interrupting cycle boundary fires each period while the task runs, and stops with it', async (h) => {
    const slow = `slow-${h.id}`;
    const remind = `remind-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`tc-${h.id}`, [
        startEvent(),
        serviceTask('slow', slow),
        boundary('tick', 'slow', timerDef('timeCycle', 'R3/PT10M'), false),
        serviceTask('remind', remind),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'slow', 'end'),
        ...chain('tick', 'remind', 'end2'),
      ]),
    );
    const pik = await startInstance(h, `tc-${h.id}`);
    for (let i = 0; i < 2; i++) {
      await h.engine.advanceClock(10 * MINUTE + 10);
      await completeOne(h, remind);
    }
    await completeOne(h, slow);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(eventsOf(h.engine, 'TIMER', 'TRIGGERED').length, 2);
    assert.equal(eventsOf(h.engine, 'TIMER', 'CANCELED').length, 1, 'the third firing was cancelled with the task');
  });

  engineTest('a timer start event creates an instance per firing; a new version replaces its timers', async (h) => {
    const id = `ts-${h.id}`;
    const startTimer = (cycle: string) => `<bpmn:startEvent id="start">${timerDef('timeCycle', cycle)}</bpmn:startEvent>`;
    await deploy(h.zb, bpmnXml(id, [startTimer('R/PT1H'), endEvent(), ...chain('start', 'end')]), 'v1.bpmn');
    await h.engine.advanceClock(60 * MINUTE + 10);
    await h.engine.advanceClock(60 * MINUTE + 10);
    await waitUntil(() => instancesOf(h, id).length === 2, 5000, 'two instances from two firings');
    assert.deepEqual(instancesOf(h, id).map((r) => r.value.version), [1, 1]);
    await deploy(h.zb, bpmnXml(id, [startTimer('R1/PT5M'), '<bpmn:endEvent id="end2" />', flow('f', 'start', 'end2')]), 'v2.bpmn');
    await h.engine.advanceClock(60 * MINUTE + 10);
    await waitUntil(() => instancesOf(h, id).length === 3);
    assert.equal(instancesOf(h, id)[2]!.value.version, 2, 'only the new version fires');
    await h.engine.advanceClock(60 * MINUTE + 10);
    assert.equal(instancesOf(h, id).length, 3, 'R1 fired once');
    assert.equal(h.engine.records().filter((r) => r.valueType === 'TIMER' && r.intent === 'CANCELED').length, 1);
  });
});

describe('Signals', () => {
  engineTest('BroadcastSignal triggers catch events, boundaries and start events that exist at that moment', async (h) => {
    const name = `go-${h.id}`;
    const stopped = `stopped-${h.id}`;
    const slow = `slow-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `sigcatch-${h.id}`,
        [startEvent(), `<bpmn:intermediateCatchEvent id="wait">${signalDef('s')}</bpmn:intermediateCatchEvent>`, endEvent(), ...chain('start', 'wait', 'end')],
        { roots: [signal('s', name)] },
      ),
      'catch.bpmn',
    );
    await deploy(
      h.zb,
      bpmnXml(
        `sigboundary-${h.id}`,
        [startEvent(), serviceTask('slow', slow), boundary('stop', 'slow', signalDef('s')), serviceTask('stopped', stopped), endEvent(), endEvent('end2'), ...chain('start', 'slow', 'end'), ...chain('stop', 'stopped', 'end2')],
        { roots: [signal('s', name)] },
      ),
      'boundary.bpmn',
    );
    await deploy(h.zb, bpmnXml(`sigstart-${h.id}`, [`<bpmn:startEvent id="start">${signalDef('s')}</bpmn:startEvent>`, endEvent(), ...chain('start', 'end')], { roots: [signal('s', name)] }), 'start.bpmn');
    const waiting = await startInstance(h, `sigcatch-${h.id}`);
    const working = await startInstance(h, `sigboundary-${h.id}`);
    const job = await activateOne(h.zb, slow);
    const response = await h.zb.broadcastSignal({ signalName: name, variables: { why: 'test' } });
    assert.match(String(response.key), /^\d+$/);
    await waitUntil(() => instanceCompleted(h.engine, waiting));
    const stoppedJob = await activateOne(h.zb, stopped);
    assert.equal(stoppedJob.processInstanceKey, working);
    assert.equal(stoppedJob.variables.why, 'test');
    await h.zb.completeJob({ jobKey: stoppedJob.key, variables: {} });
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    await waitUntil(() => instancesOf(h, `sigstart-${h.id}`).length === 1);
    await h.zb.broadcastSignal({ signalName: name });
    await waitUntil(() => instancesOf(h, `sigstart-${h.id}`).length === 2, 5000, 'one more instance per broadcast');
  });

  engineTest('a signal throw event broadcasts its local variables; a signal end event too', async (h) => {
    const name = `relay-${h.id}`;
    const got = `got-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`receiver-${h.id}`, [`<bpmn:startEvent id="start">${signalDef('s')}</bpmn:startEvent>`, serviceTask('got', got), endEvent(), ...chain('start', 'got', 'end')], { roots: [signal('s', name)] }),
      'receiver.bpmn',
    );
    await deploy(
      h.zb,
      bpmnXml(
        `sender-${h.id}`,
        [
          startEvent(),
          `<bpmn:intermediateThrowEvent id="throw"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=order" target="sent" /></zeebe:ioMapping></bpmn:extensionElements>${signalDef('s')}</bpmn:intermediateThrowEvent>`,
          `<bpmn:endEvent id="end">${signalDef('s')}</bpmn:endEvent>`,
          ...chain('start', 'throw', 'end'),
        ],
        { roots: [signal('s', name)] },
      ),
      'sender.bpmn',
    );
    const pik = await startInstance(h, `sender-${h.id}`, { order: 42 });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const jobs = await activate(h.zb, got, { requestTimeout: 2000, max: 5 });
    await waitUntil(() => instancesOf(h, `receiver-${h.id}`).length === 2, 5000, 'two receiver instances');
    const all = jobs.length === 2 ? jobs : [...jobs, ...(await activate(h.zb, got, { requestTimeout: 2000, max: 5 }))];
    assert.deepEqual(all.map((j) => j.variables.sent ?? null).sort(), [42, null], 'the throw event carried its local; the end event had none');
    for (const job of all) await h.zb.completeJob({ jobKey: job.key, variables: {} });
  });
});

describe('Messages on boundaries and gateways', () => {
  engineTest('an interrupting message boundary cancels the task; a non-interrupting one can fire many times', async (h) => {
    const work = `work-${h.id}`;
    const note = `note-${h.id}`;
    const cancelled = `cancelled-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `mb-${h.id}`,
        [
          startEvent(),
          serviceTask('work', work),
          boundary('noteIt', 'work', messageDef('mn'), false),
          boundary('cancelIt', 'work', messageDef('mc')),
          serviceTask('note', note),
          serviceTask('cancelled', cancelled),
          endEvent(),
          endEvent('e2'),
          endEvent('e3'),
          ...chain('start', 'work', 'end'),
          ...chain('noteIt', 'note', 'e2'),
          ...chain('cancelIt', 'cancelled', 'e3'),
        ],
        { roots: [message('mn', `note-${h.id}`, '=id'), message('mc', `cancel-${h.id}`, '=id')] },
      ),
    );
    const pik = await startInstance(h, `mb-${h.id}`, { id: 'k' });
    const job = await activateOne(h.zb, work);
    await h.zb.publishMessage({ name: `note-${h.id}`, correlationKey: 'k', variables: { n: 1 }, timeToLive: 0 });
    await completeOne(h, note);
    await h.zb.publishMessage({ name: `note-${h.id}`, correlationKey: 'k', variables: { n: 2 }, timeToLive: 0 });
    const second = await completeOne(h, note);
    assert.equal(second.variables.n, 2);
    await h.zb.publishMessage({ name: `cancel-${h.id}`, correlationKey: 'k', timeToLive: 0 });
    await completeOne(h, cancelled);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
  });

  engineTest('a buffered message triggers a boundary as soon as the task is entered', async (h) => {
    const work = `work-${h.id}`;
    const cancelled = `cancelled-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `mbb-${h.id}`,
        [startEvent(), serviceTask('work', work), boundary('cancelIt', 'work', messageDef('mc')), serviceTask('cancelled', cancelled), endEvent(), endEvent('e2'), ...chain('start', 'work', 'end'), ...chain('cancelIt', 'cancelled', 'e2')],
        { roots: [message('mc', `cancel-${h.id}`, '=id')] },
      ),
    );
    await h.zb.publishMessage({ name: `cancel-${h.id}`, correlationKey: 'early', timeToLive: 60_000 });
    const pik = await startInstance(h, `mbb-${h.id}`, { id: 'early' });
    await completeOne(h, cancelled);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.deepEqual(await activate(h.zb, work), [], 'the task was left at once');
  });

  engineTest('an event-based gateway takes the first event: a message before its timer, or the timer', async (h) => {
    const paid = `paid-${h.id}`;
    const expired = `expired-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `ebg-${h.id}`,
        [
          startEvent(),
          '<bpmn:eventBasedGateway id="gw" />',
          `<bpmn:intermediateCatchEvent id="onPay">${messageDef('m')}</bpmn:intermediateCatchEvent>`,
          `<bpmn:intermediateCatchEvent id="onTimeout">${timerDef('timeDuration', 'PT15M')}</bpmn:intermediateCatchEvent>`,
          serviceTask('paid', paid),
          serviceTask('expired', expired),
          endEvent(),
          endEvent('end2'),
          ...chain('start', 'gw'),
          flow('g1', 'gw', 'onPay'),
          flow('g2', 'gw', 'onTimeout'),
          ...chain('onPay', 'paid', 'end'),
          ...chain('onTimeout', 'expired', 'end2'),
        ],
        { roots: [message('m', `pay-${h.id}`, '=orderId')] },
      ),
    );
    const byMessage = await startInstance(h, `ebg-${h.id}`, { orderId: 'o1' });
    const byTimer = await startInstance(h, `ebg-${h.id}`, { orderId: 'o2' });
    await h.zb.publishMessage({ name: `pay-${h.id}`, correlationKey: 'o1', variables: { amount: 5 }, timeToLive: 0 });
    const job = await completeOne(h, paid);
    assert.equal(job.processInstanceKey, byMessage);
    assert.equal(job.variables.amount, 5);
    await waitUntil(() => instanceCompleted(h.engine, byMessage));
    await h.engine.advanceClock(16 * MINUTE);
    const late = await completeOne(h, expired);
    assert.equal(late.processInstanceKey, byTimer);
    await waitUntil(() => instanceCompleted(h.engine, byTimer));
    assert.deepEqual(await activate(h.zb, paid), []);
    assert.equal(eventsOf(h.engine, 'TIMER', 'CANCELED').length, 1, "the first instance's timer was cancelled");
  });

  engineTest('a message throw event and a message end event are job-based', async (h) => {
    const send = `send-${h.id}`;
    const sendEnd = `send-end-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `mt-${h.id}`,
        [
          startEvent(),
          `<bpmn:intermediateThrowEvent id="notify"><bpmn:extensionElements><zeebe:taskDefinition type="${send}" /></bpmn:extensionElements>${messageDef('m')}</bpmn:intermediateThrowEvent>`,
          `<bpmn:endEvent id="end"><bpmn:extensionElements><zeebe:taskDefinition type="${sendEnd}" /></bpmn:extensionElements>${messageDef('m')}</bpmn:endEvent>`,
          ...chain('start', 'notify', 'end'),
        ],
        { roots: [message('m', `out-${h.id}`)] },
      ),
    );
    const pik = await startInstance(h, `mt-${h.id}`);
    await completeOne(h, send);
    await completeOne(h, sendEnd);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const types = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED').filter((r) => r.value.processInstanceKey === pik).map((r) => r.value.bpmnElementType);
    assert.ok(types.includes('INTERMEDIATE_THROW_EVENT') && types.includes('END_EVENT'));
  });
});
