/**
 * Every handler outcome, over gRPC against forager's engine, through the test kit users get.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { BpmnError, defineWorker, fixed, NonRetryableError, type WorkerDefinition } from '../../src/index.ts';
import { createTestKit, type TestKit } from '../../src/testing/index.ts';
import { bpmnXml, chain, endEvent, error, errorBoundaryEvent, flow, oneTaskProcess, serviceTask, startEvent } from '../helpers/bpmn.ts';

const TIMEOUT = { timeout: 20_000 };

async function withKit(bpmn: { name: string; xml: string }[], workers: WorkerDefinition[], fn: (kit: TestKit) => Promise<void>) {
  const kit = await createTestKit({ bpmn, workers });
  try {
    await fn(kit);
  } finally {
    await kit.stop();
  }
  assert.deepEqual(kit.engine.checkIntegrity(), []);
}

const oneTask = (id: string, type: string, retries = 3) => [{ name: `${id}.bpmn`, xml: oneTaskProcess(id, type, { retries }) }];

test('a returned object completes the job with those variables', TIMEOUT, async () => {
  const worker = defineWorker({ type: 'out-complete', handler: () => ({ total: 42, nested: { ok: true } }) });
  await withKit(oneTask('p_complete', 'out-complete'), [worker], async (kit) => {
    const vars = await (await kit.start('p_complete', { input: 1 })).completed();
    assert.deepEqual(vars, { input: 1, total: 42, nested: { ok: true } });
  });
});

test('a BpmnError is caught by the boundary event with its code, and its variables reach the boundary', TIMEOUT, async () => {
  const xml = bpmnXml('p_bpmn_error', [
    startEvent(),
    serviceTask('charge', 'out-bpmn-error'),
    errorBoundaryEvent('declined', 'charge', 'err_declined'),
    serviceTask('notify', 'out-notify'),
    endEvent('done'),
    endEvent('declined_end'),
    ...chain('start', 'charge', 'done'),
    flow('f_declined', 'declined', 'notify'),
    flow('f_notify', 'notify', 'declined_end'),
  ], { roots: [error('err_declined', 'CARD_DECLINED')] });
  const charge = defineWorker({
    type: 'out-bpmn-error',
    handler: () => {
      throw new BpmnError('CARD_DECLINED', 'the card was declined', { reason: 'insufficient funds' });
    },
  });
  const notified: unknown[] = [];
  const notify = defineWorker({
    type: 'out-notify',
    handler: (vars) => {
      notified.push(vars);
      return { notified: true };
    },
  });
  await withKit([{ name: 'bpmn-error.bpmn', xml }], [charge, notify], async (kit) => {
    const vars = await (await kit.start('p_bpmn_error', {})).completed();
    assert.equal(vars.notified, true);
    assert.equal(notified.length, 1);
  });
});

test('a failure decrements retries and waits out the backoff between attempts; then the job completes', TIMEOUT, async () => {
  const attempts: { at: number; retries: number }[] = [];
  const worker = defineWorker({
    type: 'out-retry',
    retryBackoff: fixed('300ms', { jitter: 0 }),
    handler: (_vars, ctx) => {
      attempts.push({ at: Date.now(), retries: ctx.job.retries });
      if (attempts.length < 3) throw new Error('the mail server is down');
      return { sent: true };
    },
  });
  await withKit(oneTask('p_retry', 'out-retry', 5), [worker], async (kit) => {
    const vars = await (await kit.start('p_retry')).completed();
    assert.equal(vars.sent, true);
  });
  assert.deepEqual(attempts.map((a) => a.retries), [5, 4, 3]);
  for (let i = 1; i < attempts.length; i++) {
    const gap = attempts[i]!.at - attempts[i - 1]!.at;
    assert.ok(gap >= 290, `attempt ${i + 1} came ${gap} ms after the previous one; the backoff is 300 ms`);
  }
});

test('when retries run out the instance stops at an incident with a one-line message', TIMEOUT, async () => {
  const worker = defineWorker({
    type: 'out-exhausted',
    retryBackoff: fixed(0),
    handler: () => {
      throw new TypeError('cannot read properties of undefined (reading "email")');
    },
  });
  await withKit(oneTask('p_exhausted', 'out-exhausted', 2), [worker], async (kit) => {
    const incident = await (await kit.start('p_exhausted')).incident();
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident.elementId, 'task');
    assert.match(incident.errorMessage, /^out-exhausted: TypeError: cannot read properties of undefined \(reading "email"\)/);
    assert.doesNotMatch(incident.errorMessage, /\n|outcomes\.test\.ts|at handler/, 'no stack in the incident message');
  });
});

test('a NonRetryableError raises an incident at once', TIMEOUT, async () => {
  let calls = 0;
  const worker = defineWorker({
    type: 'out-nonretryable',
    handler: () => {
      calls++;
      throw new NonRetryableError('the student has no email address');
    },
  });
  await withKit(oneTask('p_nonretryable', 'out-nonretryable', 5), [worker], async (kit) => {
    const incident = await (await kit.start('p_nonretryable')).incident();
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.match(incident.errorMessage, /no email address/);
  });
  assert.equal(calls, 1);
});

test('variables that do not fit the schema raise an incident naming the fields, without calling the handler', TIMEOUT, async () => {
  let calls = 0;
  const worker = defineWorker({
    type: 'out-invalid',
    variables: z.object({ studentId: z.string(), email: z.string().email() }),
    handler: () => {
      calls++;
      return {};
    },
  });
  await withKit(oneTask('p_invalid', 'out-invalid'), [worker], async (kit) => {
    const incident = await (await kit.start('p_invalid', { studentId: 7, email: 'not-an-email' })).incident();
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.match(incident.errorMessage, /^out-invalid: invalid variables: /);
    assert.match(incident.errorMessage, /studentId/);
    assert.match(incident.errorMessage, /email/);
  });
  assert.equal(calls, 0);
});

test('a handler that throws a non-Error value fails the job with a readable message', TIMEOUT, async () => {
  const worker = defineWorker({
    type: 'out-throw-string',
    retryBackoff: fixed(0),
    handler: () => {
      throw 'boom';
    },
  });
  await withKit(oneTask('p_throw_string', 'out-throw-string', 1), [worker], async (kit) => {
    const incident = await (await kit.start('p_throw_string')).incident();
    assert.match(incident.errorMessage, /^out-throw-string: .*boom/);
  });
});

test('a handler that returns a non-JSON value or a non-object raises an incident', TIMEOUT, async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const bigint = defineWorker({ type: 'out-bigint', handler: () => ({ amount: 10n }) as unknown as Record<string, unknown> });
  const cycle = defineWorker({ type: 'out-circular', handler: () => circular });
  const text = defineWorker({ type: 'out-text', handler: () => 'done' as unknown as Record<string, unknown> });
  const bpmn = [...oneTask('p_bigint', 'out-bigint'), ...oneTask('p_circular', 'out-circular'), ...oneTask('p_text', 'out-text')];
  await withKit(bpmn, [bigint, cycle, text], async (kit) => {
    assert.match((await (await kit.start('p_bigint')).incident()).errorMessage, /^out-bigint: the handler's output is not JSON/);
    assert.match((await (await kit.start('p_circular')).incident()).errorMessage, /^out-circular: the handler's output is not JSON/);
    assert.match((await (await kit.start('p_text')).incident()).errorMessage, /^out-text: the handler returned a string/);
  });
});

test('middleware runs around handlers, global outside per-worker, and can change the output', TIMEOUT, async () => {
  const order: string[] = [];
  const worker = defineWorker({
    type: 'out-middleware',
    middleware: [
      async (ctx, next) => {
        order.push(`worker:before:${ctx.job.type}`);
        const out = await next();
        order.push('worker:after');
        return { ...out, wrapped: true };
      },
    ],
    handler: () => {
      order.push('handler');
      return { n: 1 };
    },
  });
  const kit = await createTestKit({
    bpmn: oneTask('p_middleware', 'out-middleware'),
    workers: [worker],
    middleware: [
      async (_ctx, next) => {
        order.push('global:before');
        const out = await next();
        order.push('global:after');
        return out;
      },
    ],
  });
  try {
    const vars = await (await kit.start('p_middleware')).completed();
    assert.deepEqual(vars, { n: 1, wrapped: true });
    assert.deepEqual(order, ['global:before', 'worker:before:out-middleware', 'handler', 'worker:after', 'global:after']);
  } finally {
    await kit.stop();
  }
});

test('the test kit says where an instance waits when it does not complete', TIMEOUT, async () => {
  const kit = await createTestKit({ bpmn: oneTask('p_waits', 'nobody-works-here'), waitMs: 300 });
  try {
    const instance = await kit.start('p_waits');
    await instance.waitsAt('task');
    await assert.rejects(instance.completed(), /did not complete within 300 ms; it waits at 'task'/);
  } finally {
    await kit.stop();
  }
});
