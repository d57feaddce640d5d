/**
 * Contract tests, through the official `@camunda8/sdk` gRPC client, of engine paths the other BPMN suites do
 * not reach: timeDate timer start events, non-interrupting timer and signal boundaries, signal / timer /
 * message event subprocesses, signals after an event-based gateway, incidents in a called instance,
 * terminate end events in multi-instance and event subprocesses, gateway and script incidents resolved after
 * SetVariables, multi-instance output collections and loopCounter, and deploy-time rejections
 * (zeebe-semantics.md E2, E4, E6–E17, §6).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  boundary,
  bpmnXml,
  callActivity,
  chain,
  endEvent,
  eventSubProcess,
  flow,
  message,
  messageDef,
  serviceTask,
  signal,
  signalDef,
  startEvent,
  terminateEnd,
  timerDef,
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
  instancesOf,
  rejectsWithCode,
  startInstance,
  waitUntil,
  type Harness,
} from '../helpers/engine-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/* ---------- BPMN fragments this file needs beyond test/helpers/bpmn.ts ---------- */

const catchEvent = (id: string, definition: string) => `<bpmn:intermediateCatchEvent id="${id}">${definition}</bpmn:intermediateCatchEvent>`;
const eventStart = (id: string, definition: string, interrupting = true) =>
  `<bpmn:startEvent id="${id}" isInterrupting="${interrupting}">${definition}</bpmn:startEvent>`;
const loop = (attrs: string, sequential = false) =>
  `<bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}"><bpmn:extensionElements><zeebe:loopCharacteristics ${attrs} /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>`;
const multiSubProcess = (id: string, loopXml: string, body: string[]) => `<bpmn:subProcess id="${id}">${loopXml}${body.join('')}</bpmn:subProcess>`;
const scriptTask = (id: string, expression: string, resultVariable: string) =>
  `<bpmn:scriptTask id="${id}"><bpmn:extensionElements><zeebe:script expression="${expression.replace(/"/g, '&quot;')}" resultVariable="${resultVariable}" /></bpmn:extensionElements></bpmn:scriptTask>`;

/* ---------- record queries ---------- */



function subscriptions(h: Harness, valueType: 'MESSAGE_SUBSCRIPTION' | 'SIGNAL_SUBSCRIPTION' | 'TIMER', intent: string, catchElementId: string) {
  return eventsOf(h.engine, valueType, intent).filter((r) => r.value.catchElementId === catchElementId);
}

describe('Timer start event with timeDate', () => {
  engineTest('fires once when the engine clock reaches that instant, never before, creating one instance', async (h) => {
    const id = `tsd-${h.id}`;
    const work = `work-${h.id}`;
    await h.engine.advanceClock(0); // pin engine time, so that the instant below is exact
    const at = h.engine.clock.now() + 30 * MINUTE;
    await deploy(
      h.zb,
      bpmnXml(id, [`<bpmn:startEvent id="start">${timerDef('timeDate', new Date(at).toISOString())}</bpmn:startEvent>`, serviceTask('work', work), endEvent(), ...chain('start', 'work', 'end')]),
    );
    const created = subscriptions(h, 'TIMER', 'CREATED', 'start');
    assert.equal(created.length, 1, 'one timer, scheduled at deployment');
    assert.equal(created[0]!.value.dueDate, at);

    await h.engine.advanceClock(30 * MINUTE - 1);
    assert.equal(instancesOf(h, id).length, 0, 'not one millisecond early');
    assert.deepEqual(await activate(h.zb, work), []);

    // Due work fires once engine time has passed its due date (E13: never early, maybe late).
    await h.engine.advanceClock(2);
    await waitUntil(() => instancesOf(h, id).length === 1, 5000, 'the instance of the timer');
    const job = await activateOne(h.zb, work);
    assert.equal(job.bpmnProcessId, id);
    assert.equal(job.processInstanceKey, instancesOf(h, id)[0]!.key);
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'start')[0]!.value.processInstanceKey, job.processInstanceKey, 'the instance started at the timer start event');
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, job.processInstanceKey));

    await h.engine.advanceClock(48 * HOUR);
    assert.equal(instancesOf(h, id).length, 1, 'a date fires once');
    assert.equal(subscriptions(h, 'TIMER', 'TRIGGERED', 'start').length, 1);
    assert.equal(subscriptions(h, 'TIMER', 'CREATED', 'start').length, 1, 'and is not rescheduled');
  });
});

describe('Non-interrupting boundary events', () => {
  engineTest('a timer with a duration fires once; the task keeps its job and the boundary path runs beside it', async (h) => {
    const slow = `slow-${h.id}`;
    const remind = `remind-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`nitb-${h.id}`, [
        startEvent(),
        serviceTask('slow', slow),
        boundary('reminder', 'slow', timerDef('timeDuration', 'PT10M'), false),
        serviceTask('remind', remind),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'slow', 'end'),
        ...chain('reminder', 'remind', 'end2'),
      ]),
    );
    const pik = await startInstance(h, `nitb-${h.id}`, { order: 7 });
    const job = await activateOne(h.zb, slow, { timeout: 24 * HOUR });
    await h.engine.advanceClock(10 * MINUTE - 1000);
    assert.deepEqual(await activate(h.zb, remind), [], 'not before ten minutes');
    await h.engine.advanceClock(2000);
    const reminder = await activateOne(h.zb, remind);
    assert.equal(reminder.processInstanceKey, pik);
    assert.equal(reminder.variables.order, 7);
    await h.zb.completeJob({ jobKey: reminder.key, variables: {} });

    await h.engine.advanceClock(HOUR);
    assert.deepEqual(await activate(h.zb, remind), [], 'a duration fires once');
    assert.equal(subscriptions(h, 'TIMER', 'TRIGGERED', 'reminder').length, 1);
    assert.equal(instanceCompleted(h.engine, pik), false, 'the task still holds the instance');

    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'slow').length, 1, 'the task completed normally');
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'slow').length, 0);
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'end2').length, 1);
  });

  engineTest('a signal opens a parallel path on each broadcast while the task runs; its subscription closes with the task', async (h) => {
    const work = `work-${h.id}`;
    const note = `note-${h.id}`;
    const name = `poke-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `nisb-${h.id}`,
        [
          startEvent(),
          serviceTask('work', work),
          boundary('poked', 'work', signalDef('s'), false),
          serviceTask('note', note),
          endEvent(),
          endEvent('end2'),
          ...chain('start', 'work', 'end'),
          ...chain('poked', 'note', 'end2'),
        ],
        { roots: [signal('s', name)] },
      ),
    );
    const pik = await startInstance(h, `nisb-${h.id}`);
    const job = await activateOne(h.zb, work);
    for (const n of [1, 2]) {
      await h.zb.broadcastSignal({ signalName: name, variables: { n } });
      const noted = await activateOne(h.zb, note);
      assert.equal(noted.processInstanceKey, pik);
      assert.equal(noted.variables.n, n);
      await h.zb.completeJob({ jobKey: noted.key, variables: {} });
    }
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'work').length, 0, 'the task was not interrupted');
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'poked').length, 2);
    const [subscription] = subscriptions(h, 'SIGNAL_SUBSCRIPTION', 'CREATED', 'poked');
    assert.ok(subscription);
    assert.deepEqual(subscriptions(h, 'SIGNAL_SUBSCRIPTION', 'DELETED', 'poked').map((r) => r.key), [subscription.key]);
    await h.zb.broadcastSignal({ signalName: name });
    assert.deepEqual(await activate(h.zb, note, { requestTimeout: 300 }), [], 'no one listens any more');
  });
});

describe('Event subprocesses', () => {
  engineTest('an interrupting signal start terminates the waiting task and carries the signal variables', async (h) => {
    const main = `main-${h.id}`;
    const handle = `handle-${h.id}`;
    const name = `abort-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `espsig-${h.id}`,
        [
          startEvent(),
          serviceTask('main', main),
          endEvent(),
          ...chain('start', 'main', 'end'),
          eventSubProcess('onAbort', [eventStart('as', signalDef('s')), serviceTask('handle', handle), endEvent('ae'), ...chain('as', 'handle', 'ae')]),
        ],
        { roots: [signal('s', name)] },
      ),
    );
    const pik = await startInstance(h, `espsig-${h.id}`, { order: 3 });
    const job = await activateOne(h.zb, main);
    await h.zb.broadcastSignal({ signalName: name, variables: { reason: 'stop' } });
    const handler = await activateOne(h.zb, handle);
    assert.equal(handler.processInstanceKey, pik);
    assert.equal(handler.variables.reason, 'stop');
    assert.equal(handler.variables.order, 3);
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'main').length, 1);
    await h.zb.completeJob({ jobKey: handler.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'onAbort')[0]!.value.bpmnElementType, 'EVENT_SUB_PROCESS');
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'end').length, 0, 'the main flow never reached its end');
  });

  engineTest('a non-interrupting timer start runs beside the task, and the process waits for both', async (h) => {
    const main = `main-${h.id}`;
    const side = `side-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`esptni-${h.id}`, [
        startEvent(),
        serviceTask('main', main),
        endEvent(),
        ...chain('start', 'main', 'end'),
        eventSubProcess('nudge', [eventStart('ns', timerDef('timeDuration', 'PT10M'), false), serviceTask('side', side), endEvent('ne'), ...chain('ns', 'side', 'ne')]),
      ]),
    );
    const pik = await startInstance(h, `esptni-${h.id}`);
    const job = await activateOne(h.zb, main, { timeout: 24 * HOUR });
    await h.engine.advanceClock(10 * MINUTE + 10);
    const sideJob = await activateOne(h.zb, side);
    assert.equal(sideJob.processInstanceKey, pik);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => elementEvents(h, 'ELEMENT_COMPLETED', 'end').length === 1, 5000, 'the main flow to end');
    assert.equal(instanceCompleted(h.engine, pik), false, 'the process does not complete while the event subprocess runs');
    await h.zb.completeJob({ jobKey: sideJob.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'main').length, 0, 'the task was not interrupted');
    assert.equal(subscriptions(h, 'TIMER', 'TRIGGERED', 'ns').length, 1);
  });

  engineTest('an interrupting message start terminates the task and closes the other event subprocess', async (h) => {
    const main = `main-${h.id}`;
    const handle = `handle-${h.id}`;
    const name = `cancel-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `espmsgi-${h.id}`,
        [
          startEvent(),
          serviceTask('main', main),
          endEvent(),
          ...chain('start', 'main', 'end'),
          eventSubProcess('onCancel', [eventStart('cs', messageDef('m')), serviceTask('handle', handle), endEvent('ce'), ...chain('cs', 'handle', 'ce')]),
          eventSubProcess('onTimeout', [eventStart('ts', timerDef('timeDuration', 'PT1H')), endEvent('te'), ...chain('ts', 'te')]),
        ],
        { roots: [message('m', name, '=orderId')] },
      ),
    );
    const pik = await startInstance(h, `espmsgi-${h.id}`, { orderId: 'o-1' });
    const job = await activateOne(h.zb, main);
    await h.zb.publishMessage({ name, correlationKey: 'o-1', variables: { why: 'customer' }, timeToLive: 0 });
    const handler = await activateOne(h.zb, handle);
    assert.equal(handler.processInstanceKey, pik);
    assert.equal(handler.variables.why, 'customer');
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    assert.equal(subscriptions(h, 'TIMER', 'CANCELED', 'ts').length, 1, "the timer event subprocess's timer was closed");
    await h.engine.advanceClock(2 * HOUR);
    assert.equal(elementEvents(h, 'ELEMENT_ACTIVATING', 'onTimeout').length, 0);
    await h.zb.completeJob({ jobKey: handler.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'main').length, 1);
  });
});

describe('Event-based gateway with a signal', () => {
  engineTest('BroadcastSignal picks the signal path and the message subscription is closed', async (h) => {
    const bySignal = `by-signal-${h.id}`;
    const byMessage = `by-message-${h.id}`;
    const signalName = `go-${h.id}`;
    const messageName = `pay-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `ebgsig-${h.id}`,
        [
          startEvent(),
          '<bpmn:eventBasedGateway id="gw" />',
          catchEvent('onSignal', signalDef('s')),
          catchEvent('onMessage', messageDef('m')),
          serviceTask('bySignal', bySignal),
          serviceTask('byMessage', byMessage),
          endEvent(),
          endEvent('end2'),
          ...chain('start', 'gw'),
          flow('g1', 'gw', 'onSignal'),
          flow('g2', 'gw', 'onMessage'),
          ...chain('onSignal', 'bySignal', 'end'),
          ...chain('onMessage', 'byMessage', 'end2'),
        ],
        { roots: [signal('s', signalName), message('m', messageName, '=orderId')] },
      ),
    );
    const pik = await startInstance(h, `ebgsig-${h.id}`, { orderId: 'o-9' });
    await waitUntil(() => subscriptions(h, 'MESSAGE_SUBSCRIPTION', 'CREATED', 'onMessage').length === 1, 5000, 'the message subscription');
    await h.zb.broadcastSignal({ signalName, variables: { via: 'signal' } });
    const job = await activateOne(h.zb, bySignal);
    assert.equal(job.processInstanceKey, pik);
    assert.equal(job.variables.via, 'signal');
    const [created] = subscriptions(h, 'MESSAGE_SUBSCRIPTION', 'CREATED', 'onMessage');
    assert.deepEqual(subscriptions(h, 'MESSAGE_SUBSCRIPTION', 'DELETED', 'onMessage').map((r) => r.key), [created!.key], 'the other subscription was closed');
    await h.zb.publishMessage({ name: messageName, correlationKey: 'o-9', timeToLive: 0 });
    assert.deepEqual(await activate(h.zb, byMessage, { requestTimeout: 300 }), [], 'the message path is no longer open');
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_ACTIVATING', 'onMessage').length, 0);
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'onSignal').length, 1);
  });
});

describe('Incident in a called instance', () => {
  engineTest('belongs to the child instance; fixing and resolving it lets the child and then the parent complete', async (h) => {
    const childType = `child-${h.id}`;
    const afterType = `after-${h.id}`;
    const childId = `child-${h.id}`;
    await deploy(h.zb, bpmnXml(childId, [startEvent(), serviceTask('work', childType), endEvent(), ...chain('start', 'work', 'end')]), 'child.bpmn');
    await deploy(
      h.zb,
      bpmnXml(`parent-${h.id}`, [startEvent(), callActivity('call', childId), serviceTask('after', afterType), endEvent(), ...chain('start', 'call', 'after', 'end')]),
      'parent.bpmn',
    );
    const pik = await startInstance(h, `parent-${h.id}`, { order: 5 });
    const job = await activateOne(h.zb, childType);
    const child = job.processInstanceKey;
    assert.notEqual(child, pik);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'the service is down', retryBackOff: 0 });
    await waitUntil(() => incidentsCreated(h.engine, child).length === 1, 5000, 'the incident on the child');
    const incident = incidentsCreated(h.engine, child)[0]!;
    assert.equal(incident.value.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident.value.errorMessage, 'the service is down');
    assert.equal(incident.value.bpmnProcessId, childId);
    assert.equal(incident.value.elementId, 'work');
    assert.equal(incident.value.elementInstanceKey, job.elementInstanceKey);
    assert.equal(incident.value.jobKey, job.key);
    assert.deepEqual(incidentsCreated(h.engine, pik), [], 'the parent instance has no incident of its own');

    await h.zb.updateJobRetries({ jobKey: job.key, retries: 1 });
    await h.zb.resolveIncident({ incidentKey: incident.key });
    const again = await activateOne(h.zb, childType);
    assert.equal(again.key, job.key, 'the same job, activatable again');
    await h.zb.completeJob({ jobKey: again.key, variables: { done: true } });
    await waitUntil(() => instanceCompleted(h.engine, child), 5000, 'the child to complete');
    const after = await activateOne(h.zb, afterType);
    assert.equal(after.processInstanceKey, pik);
    assert.equal(after.variables.done, true);
    await h.zb.completeJob({ jobKey: after.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(eventsOf(h.engine, 'INCIDENT', 'RESOLVED').length, 1);
  });
});

describe('Terminate end events in scopes', () => {
  engineTest('in a multi-instance subprocess it ends only its own iteration, which completes', async (h) => {
    const work = `work-${h.id}`;
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`miterm-${h.id}`, [
        startEvent(),
        multiSubProcess('sub', loop('inputCollection="=items" inputElement="item"'), [
          startEvent('s0'),
          '<bpmn:parallelGateway id="fork" />',
          serviceTask('work', work),
          endEvent('e1'),
          '<bpmn:exclusiveGateway id="check" default="keep" />',
          terminateEnd('kill'),
          endEvent('e2'),
          ...chain('s0', 'fork'),
          flow('toWork', 'fork', 'work'),
          flow('toCheck', 'fork', 'check'),
          flow('workDone', 'work', 'e1'),
          flow('stop', 'check', 'kill', '=item = 2'),
          flow('keep', 'check', 'e2'),
        ]),
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'sub', 'after', 'end'),
      ]),
    );
    const pik = await startInstance(h, `miterm-${h.id}`, { items: [1, 2, 3] });
    await waitUntil(() => elementEvents(h, 'ELEMENT_COMPLETED', 'kill').length === 1, 5000, 'the terminate end event');
    assert.equal(elementEvents(h, 'ELEMENT_TERMINATED', 'work').length, 1, "only iteration 2's task was terminated");
    const iterations = elementEvents(h, 'ELEMENT_COMPLETED', 'sub');
    assert.equal(iterations.length, 1, 'the terminated iteration completed; the others still run');
    assert.equal(iterations[0]!.value.bpmnElementType, 'SUB_PROCESS');
    const jobs = await activate(h.zb, work, { requestTimeout: 2000 });
    assert.deepEqual(jobs.map((j) => j.variables.item).sort(), [1, 3]);
    assert.deepEqual(await activate(h.zb, after), [], 'the body waits for the other iterations');
    for (const job of jobs) await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await completeOne(h, after);
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'sub').length, 4, 'three iterations and the body completed');
    assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').length, 1, 'nothing else was terminated');
  });

  engineTest('in a non-interrupting event subprocess it ends only that subprocess; the main flow carries on', async (h) => {
    const main = `main-${h.id}`;
    const sideA = `side-a-${h.id}`;
    const sideB = `side-b-${h.id}`;
    const name = `poke-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        `espterm-${h.id}`,
        [
          startEvent(),
          serviceTask('main', main),
          endEvent(),
          ...chain('start', 'main', 'end'),
          eventSubProcess('onPoke', [
            eventStart('ps', messageDef('m'), false),
            '<bpmn:parallelGateway id="fork" />',
            serviceTask('sideA', sideA),
            serviceTask('sideB', sideB),
            endEvent('ae'),
            terminateEnd('kill'),
            ...chain('ps', 'fork'),
            flow('toA', 'fork', 'sideA'),
            flow('toB', 'fork', 'sideB'),
            flow('aDone', 'sideA', 'ae'),
            flow('bDone', 'sideB', 'kill'),
          ]),
        ],
        { roots: [message('m', name, '=id')] },
      ),
    );
    const pik = await startInstance(h, `espterm-${h.id}`, { id: 'k' });
    const mainJob = await activateOne(h.zb, main);
    await h.zb.publishMessage({ name, correlationKey: 'k', timeToLive: 0 });
    const a = await activateOne(h.zb, sideA);
    await completeOne(h, sideB);
    await waitUntil(() => elementEvents(h, 'ELEMENT_COMPLETED', 'onPoke').length === 1, 5000, 'the event subprocess to complete');
    await rejectsWithCode(h.zb.completeJob({ jobKey: a.key, variables: {} }), 5);
    assert.deepEqual(
      eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').map((r) => r.value.elementId),
      ['sideA'],
      'only the event subprocess content was terminated',
    );
    assert.equal(instanceCompleted(h.engine, pik), false, 'the process is still waiting at its task');
    await h.zb.completeJob({ jobKey: mainJob.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(elementEvents(h, 'ELEMENT_COMPLETED', 'end').length, 1);
  });
});

describe('Incidents resolved after SetVariables', () => {
  engineTest('inclusive gateway: a condition that cannot be evaluated, then none true without a default', async (h) => {
    const a = `a-${h.id}`;
    const b = `b-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`inclerr-${h.id}`, [
        startEvent(),
        '<bpmn:inclusiveGateway id="fork" />',
        serviceTask('a', a),
        serviceTask('b', b),
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'fork'),
        flow('fa', 'fork', 'a', '=x > 1'),
        flow('fb', 'fork', 'b', '=y'),
        ...chain('a', 'end'),
        ...chain('b', 'end2'),
      ]),
    );
    // x is missing: `x > 1` is null, not a boolean (E4: EXTRACT_VALUE_ERROR).
    const pik = await startInstance(h, `inclerr-${h.id}`, { y: false });
    await waitUntil(() => incidentsCreated(h.engine, pik).length === 1, 5000, 'the first incident');
    const first = incidentsCreated(h.engine, pik)[0]!;
    assert.equal(first.value.errorType, 'EXTRACT_VALUE_ERROR');
    assert.equal(first.value.elementId, 'fork');
    assert.match(String(first.value.errorMessage), /x > 1/);
    assert.equal(elementEvents(h, 'ELEMENT_ACTIVATED', 'fork').length, 0, 'the instance waits at the gateway');

    // x = 0 and y = false: no flow is taken and there is no default flow (E6: CONDITION_ERROR).
    await h.zb.setVariables({ elementInstanceKey: pik, variables: { x: 0 }, local: false });
    await h.zb.resolveIncident({ incidentKey: first.key });
    await waitUntil(() => incidentsCreated(h.engine, pik).length === 2, 5000, 'the second incident');
    const second = incidentsCreated(h.engine, pik)[1]!;
    assert.equal(second.value.errorType, 'CONDITION_ERROR');
    assert.equal(second.value.elementId, 'fork');
    assert.equal(second.value.elementInstanceKey, first.value.elementInstanceKey, 'the same gateway instance');

    await h.zb.setVariables({ elementInstanceKey: pik, variables: { x: 2, y: true }, local: false });
    await h.zb.resolveIncident({ incidentKey: second.key });
    const jobs = [await activateOne(h.zb, a), await activateOne(h.zb, b)];
    for (const job of jobs) await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(incidentsCreated(h.engine, pik).length, 2, 'no further incident');
    assert.equal(eventsOf(h.engine, 'INCIDENT', 'RESOLVED').length, 2);
  });

  engineTest('a FEEL script task that fails at runtime raises EXTRACT_VALUE_ERROR on the task', async (h) => {
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`script-${h.id}`, [
        startEvent(),
        scriptTask('double', '=assert(amount, amount != null, "amount is missing") * 2', 'doubled'),
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'double', 'after', 'end'),
      ]),
    );
    const pik = await startInstance(h, `script-${h.id}`);
    await waitUntil(() => incidentsCreated(h.engine, pik).length === 1, 5000, 'the incident');
    const incident = incidentsCreated(h.engine, pik)[0]!;
    assert.equal(incident.value.errorType, 'EXTRACT_VALUE_ERROR');
    assert.equal(incident.value.elementId, 'double');
    assert.match(String(incident.value.errorMessage), /amount is missing/);
    assert.deepEqual(await activate(h.zb, after), [], 'the instance waits at the script task');

    await h.zb.setVariables({ elementInstanceKey: pik, variables: { amount: 21 }, local: false });
    await h.zb.resolveIncident({ incidentKey: incident.key });
    const job = await activateOne(h.zb, after);
    assert.equal(job.variables.doubled, 42);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
    assert.equal(incidentsCreated(h.engine, pik).length, 1);
  });
});

describe('Multi-instance output and loopCounter', () => {
  engineTest('a parallel subprocess collects each iteration output in item order, whatever the completion order', async (h) => {
    const work = `work-${h.id}`;
    const after = `after-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`misubout-${h.id}`, [
        startEvent(),
        multiSubProcess('sub', loop('inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=result"'), [
          startEvent('s0'),
          serviceTask('work', work),
          endEvent('e0'),
          ...chain('s0', 'work', 'e0'),
        ]),
        serviceTask('after', after),
        endEvent(),
        ...chain('start', 'sub', 'after', 'end'),
      ]),
    );
    const pik = await startInstance(h, `misubout-${h.id}`, { items: ['a', 'b', 'c'] });
    const jobs = await activate(h.zb, work, { requestTimeout: 2000 });
    assert.equal(jobs.length, 3);
    const byItem = new Map(jobs.map((j) => [j.variables.item, j]));
    for (const item of ['c', 'a', 'b']) {
      await h.zb.completeJob({ jobKey: byItem.get(item)!.key, variables: { result: `${item}!` } });
    }
    const next = await activateOne(h.zb, after);
    assert.deepEqual(next.variables.results, ['a!', 'b!', 'c!']);
    assert.equal(next.variables.result, undefined, 'each result stayed in its iteration');
    assert.equal(next.variables.item, undefined);
    await h.zb.completeJob({ jobKey: next.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, pik));
  });

  engineTest('sequential: each iteration sees loopCounter 1, 2, 3 in turn', async (h) => {
    const type = `seq-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`seqlc-${h.id}`, [
        startEvent(),
        `<bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>${loop('inputCollection="=[&quot;x&quot;,&quot;y&quot;,&quot;z&quot;]" inputElement="letter" outputCollection="counted" outputElement="=string(loopCounter) + letter"', true)}</bpmn:serviceTask>`,
        endEvent(),
        ...chain('start', 'each', 'end'),
      ]),
    );
    const pik = await startInstance(h, `seqlc-${h.id}`);
    for (const [i, letter] of ['x', 'y', 'z'].entries()) {
      const jobs = await activate(h.zb, type, { requestTimeout: 2000 });
      assert.equal(jobs.length, 1, 'one iteration at a time');
      assert.equal(jobs[0]!.variables.loopCounter, i + 1);
      assert.equal(jobs[0]!.variables.letter, letter);
      await h.zb.completeJob({ jobKey: jobs[0]!.key, variables: {} });
    }
    await waitUntil(() => instanceCompleted(h.engine, pik));
    const counted = eventsOf(h.engine, 'VARIABLE', 'CREATED').find((r) => r.value.name === 'counted' && r.value.scopeKey === pik);
    assert.deepEqual(counted?.value.value, ['1x', '2y', '3z']);
  });
});

describe('Deploy-time rejections', () => {
  async function rejected(h: Harness, name: string, xml: string) {
    const error = await rejectsWithCode(h.zb.deployResource({ name, process: Buffer.from(xml) }), 3);
    assert.match(error.details, /Expected to deploy new resources, but encountered the following errors/);
    assert.match(error.details, new RegExp(`'${name.replace('.', '\\.')}'`), 'the message names the file');
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `bad-${h.id}`, variables: {} }), 5);
    return error.details;
  }

  engineTest('a FEEL syntax error in a condition names the sequence flow', async (h) => {
    const details = await rejected(
      h,
      'condition.bpmn',
      bpmnXml(`bad-${h.id}`, [
        startEvent(),
        '<bpmn:exclusiveGateway id="gw" default="other" />',
        endEvent(),
        endEvent('end2'),
        ...chain('start', 'gw'),
        flow('broken', 'gw', 'end', '=x >'),
        flow('other', 'gw', 'end2'),
      ]),
    );
    assert.match(details, /broken \(bpmn:SequenceFlow\)/);
    assert.match(details, /failed to parse expression 'x >'/);
  });

  engineTest('a sequence flow whose target is no element names the flow and the missing target', async (h) => {
    const details = await rejected(h, 'dangling.bpmn', bpmnXml(`bad-${h.id}`, [startEvent(), endEvent(), ...chain('start', 'end'), flow('dangling', 'start', 'nowhere')]));
    assert.match(details, /dangling \(bpmn:SequenceFlow\)\n\s+- ERROR: its targetRef 'nowhere' is not an element of this document/);
    assert.doesNotMatch(details, /needs a source and a target/, 'said once');
  });

  engineTest('two elements with the same id name that id', async (h) => {
    const details = await rejected(
      h,
      'duplicate.bpmn',
      bpmnXml(`bad-${h.id}`, [startEvent(), serviceTask('twice', `a-${h.id}`), serviceTask('twice', `b-${h.id}`), endEvent(), ...chain('start', 'twice', 'end')]),
    );
    // bpmn-moddle refuses the second element while reading the XML, with its line.
    assert.match(details, /duplicate ID <twice>/);
    assert.match(details, /<bpmn:serviceTask> detected, line: \d+/);
  });
});
