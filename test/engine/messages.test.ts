/**
 * Contract tests of PublishMessage through the official `@camunda8/sdk` gRPC client: correlation to
 * intermediate catch events and receive tasks, buffering by time to live, expiry on the engine clock,
 * message ids, and message start events (zeebe-semantics.md §5, M1–M7, and E15).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  bpmnXml,
  chain,
  endEvent,
  message,
  messageCatchEvent,
  messageStartEvent,
  receiveTask,
  serviceTask,
  startEvent,
} from '../helpers/bpmn.ts';
import { activate, activateOne, deploy, engineTest, eventsOf, instanceCompleted, rejectsWithCode, type Harness } from '../helpers/engine-harness.ts';

/**
 * start → (message catch event | receive task) for message `name` with correlation key `=orderId` → a
 * service task of type `type` → end. The job of that task appearing is the proof of correlation.
 */
async function deployCatch(h: Harness, name: string, type: string, waitWith: 'event' | 'receiveTask' = 'event') {
  const processId = `p-${type}`;
  const wait = waitWith === 'event' ? messageCatchEvent('wait', 'msg') : receiveTask('wait', 'msg');
  await deploy(
    h.zb,
    bpmnXml(processId, [startEvent(), wait, serviceTask('after', type), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
      roots: [message('msg', name, '=orderId')],
    }),
  );
  return async (orderId: string | number) =>
    (await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { orderId } })).processInstanceKey;
}

describe('PublishMessage', () => {
  engineTest('correlates to a waiting intermediate catch event with the same correlation key only', async (h) => {
    const name = `paid-${h.id}`;
    const type = `after-paid-${h.id}`;
    const start = await deployCatch(h, name, type);
    const a = await start('A');
    const b = await start('B');
    assert.deepEqual(await activate(h.zb, type), [], 'nothing happens before the message');
    const response = await h.zb.publishMessage({ name, correlationKey: 'B', variables: { amount: 99 }, timeToLive: 0 });
    assert.match(String(response.key), /^\d+$/);
    assert.equal(response.tenantId, '<default>');
    const job = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, b);
    assert.deepEqual({ ...job.variables }, { orderId: 'B', amount: 99 });
    assert.deepEqual(await activate(h.zb, type), [], `instance ${a} (key A) still waits`);
  });

  engineTest('correlates to a waiting receive task', async (h) => {
    const name = `received-${h.id}`;
    const type = `after-received-${h.id}`;
    const start = await deployCatch(h, name, type, 'receiveTask');
    const pik = await start('R-1');
    await h.zb.publishMessage({ name, correlationKey: 'R-1', variables: { ok: true } });
    const job = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, pik);
    assert.equal(job.variables.ok, true);
  });

  engineTest('a numeric correlation key variable matches its string form', async (h) => {
    const name = `numeric-${h.id}`;
    const type = `after-numeric-${h.id}`;
    const start = await deployCatch(h, name, type);
    await start(42);
    await h.zb.publishMessage({ name, correlationKey: '42', variables: {} });
    assert.equal((await activate(h.zb, type)).length, 1);
  });

  engineTest('a message with a time to live is buffered and correlates to an instance that starts waiting later', async (h) => {
    const name = `buffered-${h.id}`;
    const type = `after-buffered-${h.id}`;
    const start = await deployCatch(h, name, type);
    await h.zb.publishMessage({ name, correlationKey: 'later', variables: { fromBuffer: true }, timeToLive: 60_000 });
    await h.engine.advanceClock(30_000);
    const pik = await start('later');
    const job = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, pik);
    assert.equal(job.variables.fromBuffer, true);
  });

  engineTest('a message with time to live 0 is not buffered', async (h) => {
    const name = `unbuffered-${h.id}`;
    const type = `after-unbuffered-${h.id}`;
    const start = await deployCatch(h, name, type);
    await h.zb.publishMessage({ name, correlationKey: 'K', variables: {}, timeToLive: 0 });
    await start('K');
    assert.deepEqual(await activate(h.zb, type), [], 'the earlier message is gone');
    await h.zb.publishMessage({ name, correlationKey: 'K', variables: {}, timeToLive: 0 });
    assert.equal((await activate(h.zb, type)).length, 1, 'a message published while it waits correlates');
  });

  engineTest('a buffered message expires when the clock passes its time to live', async (h) => {
    const name = `expiring-${h.id}`;
    const type = `after-expiring-${h.id}`;
    const start = await deployCatch(h, name, type);
    const expired = await h.zb.publishMessage({ name, correlationKey: 'old', variables: {}, timeToLive: 10_000 });
    await h.engine.advanceClock(11_000);
    assert.ok(
      eventsOf(h.engine, 'MESSAGE', 'EXPIRED').some((r) => r.key === String(expired.key)),
      'the message is expired once its time to live has passed',
    );
    await start('old');
    assert.deepEqual(await activate(h.zb, type), [], 'an expired message does not correlate');
  });

  engineTest('a buffered message still correlates before its time to live has passed', async (h) => {
    const name = `not-expired-${h.id}`;
    const type = `after-not-expired-${h.id}`;
    const start = await deployCatch(h, name, type);
    await h.zb.publishMessage({ name, correlationKey: 'young', variables: {}, timeToLive: 10_000 });
    await h.engine.advanceClock(9000);
    await start('young');
    assert.equal((await activate(h.zb, type)).length, 1);
  });

  engineTest('a duplicate messageId while the first is buffered gets 6 ALREADY_EXISTS; after expiry the id is free', async (h) => {
    const name = `dedup-${h.id}`;
    const request = { name, correlationKey: 'D', messageId: `id-${h.id}`, variables: {}, timeToLive: 10_000 };
    await h.zb.publishMessage(request);
    await rejectsWithCode(h.zb.publishMessage(request), 6);
    // The id is scoped to name + correlation key; without an id there is no check.
    await h.zb.publishMessage({ ...request, correlationKey: 'other' });
    await h.zb.publishMessage({ ...request, messageId: '' });
    await h.zb.publishMessage({ ...request, messageId: '' });
    await h.engine.advanceClock(11_000);
    await h.zb.publishMessage(request);
  });

  engineTest('a message correlates at most once per process: of two waiting instances only one gets it', async (h) => {
    const name = `once-${h.id}`;
    const type = `after-once-${h.id}`;
    const start = await deployCatch(h, name, type);
    await start('same');
    await start('same');
    await h.zb.publishMessage({ name, correlationKey: 'same', variables: {}, timeToLive: 60_000 });
    assert.equal((await activate(h.zb, type)).length, 1);
    // Nor does the buffered message correlate to a third instance of the same process later.
    await start('same');
    assert.deepEqual(await activate(h.zb, type), []);
  });

  engineTest('a message start event starts an instance with the message variables', async (h) => {
    const name = `start-${h.id}`;
    const type = `started-${h.id}`;
    const processId = `p-${type}`;
    await deploy(
      h.zb,
      bpmnXml(processId, [messageStartEvent('start', 'msg'), serviceTask('task', type), endEvent(), ...chain('start', 'task', 'end')], {
        roots: [message('msg', name)],
      }),
    );
    await h.zb.publishMessage({ name, correlationKey: 'c-1', variables: { customer: 'Ada', items: [1, 2] } });
    const job = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(job.bpmnProcessId, processId);
    assert.deepEqual({ ...job.variables }, { customer: 'Ada', items: [1, 2] });
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, job.processInstanceKey));
  });

  engineTest('a message published before the message start event was deployed never starts an instance', async (h) => {
    const name = `early-${h.id}`;
    const type = `early-started-${h.id}`;
    await h.zb.publishMessage({ name, correlationKey: 'x', variables: {}, timeToLive: 60_000 });
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [messageStartEvent('start', 'msg'), serviceTask('task', type), endEvent(), ...chain('start', 'task', 'end')], {
        roots: [message('msg', name)],
      }),
    );
    assert.deepEqual(await activate(h.zb, type), []);
  });

  engineTest('one active instance per correlation key: a second start message waits until the first instance ends', async (h) => {
    const name = `unique-${h.id}`;
    const type = `unique-started-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [messageStartEvent('start', 'msg'), serviceTask('task', type), endEvent(), ...chain('start', 'task', 'end')], {
        roots: [message('msg', name)],
      }),
    );
    await h.zb.publishMessage({ name, correlationKey: 'K', variables: { n: 1 }, timeToLive: 60_000 });
    await h.zb.publishMessage({ name, correlationKey: 'K', variables: { n: 2 }, timeToLive: 60_000 });
    await h.zb.publishMessage({ name, correlationKey: 'other', variables: { n: 3 }, timeToLive: 60_000 });
    const first = await activate(h.zb, type);
    assert.deepEqual(first.map((j) => j.variables.n).sort(), [1, 3], 'K starts one instance, "other" its own');
    await h.zb.completeJob({ jobKey: first.find((j) => j.variables.n === 1)!.key, variables: {} });
    const second = await activate(h.zb, type);
    assert.deepEqual(second.map((j) => j.variables.n), [2], 'the buffered message starts the next instance for K');
  });

  engineTest('a start message with an empty correlation key always starts a new instance', async (h) => {
    const name = `nokey-${h.id}`;
    const type = `nokey-started-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [messageStartEvent('start', 'msg'), serviceTask('task', type), endEvent(), ...chain('start', 'task', 'end')], {
        roots: [message('msg', name)],
      }),
    );
    await h.zb.publishMessage({ name, correlationKey: '', variables: { n: 1 } });
    await h.zb.publishMessage({ name, correlationKey: '', variables: { n: 2 } });
    assert.equal((await activate(h.zb, type)).length, 2);
  });

  engineTest('an empty name gets 3 INVALID_ARGUMENT', async (h) => {
    await rejectsWithCode(h.zb.publishMessage({ name: '', correlationKey: 'k', variables: {} }), 3);
  });

  engineTest('variables that are not a JSON object get 3 INVALID_ARGUMENT (raw call)', async (h) => {
    await rejectsWithCode(h.raw().unary('PublishMessage', { name: `m-${h.id}`, correlationKey: 'k', variables: '[1]' }), 3);
  });

  engineTest('a tenant other than <default> gets 3 INVALID_ARGUMENT (multi-tenancy is off)', async (h) => {
    await rejectsWithCode(h.zb.publishMessage({ name: `m-${h.id}`, correlationKey: 'k', variables: {}, tenantId: 'acme' }), 3);
  });
});
