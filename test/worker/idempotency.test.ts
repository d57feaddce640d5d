/**
 * `ctx.once` under forced redelivery (a short job timeout and a slow handler make the broker hand the same
 * job out twice), with the in-process store and the real PostgreSQL and Redis on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { defineWorker, fixed } from '../../src/index.ts';
import { memoryStore, postgresStore, redisStore, type IdempotencyStore } from '../../src/idempotency/index.ts';
import { createTestKit } from '../../src/testing/index.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const run = randomUUID().slice(0, 8);

const stores: [string, () => IdempotencyStore][] = [
  ['memory', () => memoryStore()],
  ['postgresql', () => postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', table: `forager_idem_test_${run}` })],
  ['redis', () => redisStore({ url: 'redis://127.0.0.1:6379', prefix: `forager:test:${run}:` })],
];

for (const [name, open] of stores) {
  test(`${name}: a job delivered twice sends its email once, and the second delivery gets the first result`, { timeout: 30_000 }, async () => {
    const store = open();
    let deliveries = 0;
    let emailsSent = 0;
    const worker = defineWorker({
      type: `idem-${name}`,
      timeout: '300ms',
      maxJobsActive: 4,
      handler: async (_vars, ctx) => {
        const delivery = ++deliveries;
        const sent = await ctx.once('send-email', async () => {
          emailsSent++;
          return { messageId: `msg-${emailsSent}` };
        });
        // The first delivery is slow after its side effect: the broker times it out and hands the job out again.
        if (delivery === 1) await sleep(900);
        return { ...sent, delivery };
      },
    });
    const kit = await createTestKit({
      bpmn: [{ name: 'idem.bpmn', xml: oneTaskProcess(`p_idem_${name}`, `idem-${name}`) }],
      workers: [worker],
      idempotency: store,
    });
    try {
      const vars = await (await kit.start(`p_idem_${name}`, { studentId: 's-1' })).completed();
      assert.ok(deliveries >= 2, `the job was delivered more than once (${deliveries})`);
      assert.equal(emailsSent, 1, 'the email was sent once');
      assert.equal(vars.messageId, 'msg-1', 'the second delivery got the first result');
      assert.ok(Number(vars.delivery) >= 2, 'a later delivery completed the job');
    } finally {
      await kit.stop();
      if (name === 'postgresql') {
        const pg = await import('pg');
        const client = new pg.default.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
        await client.connect();
        await client.query(`DROP TABLE IF EXISTS forager_idem_test_${run}`);
        await client.end();
      }
      if (name === 'redis') {
        const { Redis } = await import('ioredis');
        const redis = new Redis('redis://127.0.0.1:6379');
        const keys = await redis.keys(`forager:test:${run}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
      await store.close();
    }
  });
}

test('a delivery that finds the side effect still running elsewhere backs off and gets the result later', { timeout: 30_000 }, async () => {
  let deliveries = 0;
  let effects = 0;
  const worker = defineWorker({
    type: 'idem-busy',
    timeout: '300ms',
    maxJobsActive: 4,
    retryBackoff: fixed('200ms', { jitter: 0 }),
    handler: async (_vars, ctx) => {
      deliveries++;
      const result = await ctx.once('charge', async () => {
        effects++;
        await sleep(800); // still running when the job is handed out again
        return { charged: true };
      });
      return result;
    },
  });
  const kit = await createTestKit({
    bpmn: [{ name: 'busy.bpmn', xml: oneTaskProcess('p_idem_busy', 'idem-busy', { retries: 5 }) }],
    workers: [worker],
  });
  const failures: string[] = [];
  kit.workers!.on('job:failed', (e) => failures.push(e.errorMessage));
  try {
    const vars = await (await kit.start('p_idem_busy')).completed();
    assert.equal(vars.charged, true);
    assert.equal(effects, 1, 'the charge ran once');
    assert.ok(deliveries >= 2);
    assert.ok(failures.some((m) => /IdempotencyConflictError/.test(m)), `a conflicting delivery failed retryably: ${failures.join(' | ')}`);
  } finally {
    await kit.stop();
  }
});
