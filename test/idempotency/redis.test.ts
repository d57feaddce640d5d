/**
 * What only the Redis store has, against the real Redis (see ./services.ts): its options, the stored values
 * and their expiry (PX), a client of the caller's left open, and an unreachable server failing fast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisStore } from '../../src/idempotency/index.ts';
import { REDIS_URL, deleteKeys, requireRedis, runId } from './services.ts';

describe('redisStore: options', () => {
  const invalid: Array<[string, Parameters<typeof redisStore>[0], RegExp]> = [
    ['neither url nor client', {}, /pass url \(redis:\/\/…\) or client/],
    ['both', { url: REDIS_URL, client: {} as Redis }, /either url or client, not both/],
    ['an empty url', { url: '' }, /pass url/],
    ['a non-string prefix', { url: REDIS_URL, prefix: 5 as unknown as string }, /prefix must be a string/],
  ];
  for (const [name, options, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => redisStore(options), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});

describe('redisStore against Redis', () => {
  const prefix = `forager:test:${runId()}:`;
  let client: Redis | undefined;
  let setUpError: unknown;

  before(async () => {
    try {
      await requireRedis();
      client = new Redis(REDIS_URL);
    } catch (error) {
      setUpError = error;
    }
  });
  after(async () => {
    if (client) {
      await deleteKeys(prefix);
      await client.quit();
    }
  });

  function redis(): Redis {
    if (setUpError !== undefined) throw setUpError;
    assert.ok(client);
    return client;
  }

  it('stores running:<token> with the lease, then done:<JSON> with the retention', async () => {
    const r = redis();
    const store = redisStore({ client: r, prefix });
    const claim = await store.claim('k', 60_000);
    assert.ok(claim.state === 'claimed');
    assert.equal(await r.get(`${prefix}k`), `running:${claim.token}`);
    const leaseTtl = await r.pttl(`${prefix}k`);
    assert.ok(leaseTtl > 55_000 && leaseTtl <= 60_000, `lease ttl ${leaseTtl}`);
    await store.complete('k', { receipt: 'R' }, 3_600_000);
    assert.equal(await r.get(`${prefix}k`), 'done:{"receipt":"R"}');
    const retentionTtl = await r.pttl(`${prefix}k`);
    assert.ok(retentionTtl > 3_590_000 && retentionTtl <= 3_600_000, `retention ttl ${retentionTtl}`);
  });

  it('stores undefined as done: and tells it from an empty string', async () => {
    const r = redis();
    const store = redisStore({ client: r, prefix });
    await store.complete('undef', undefined, 60_000);
    await store.complete('empty', '', 60_000);
    assert.equal(await r.get(`${prefix}undef`), 'done:');
    assert.equal(await r.get(`${prefix}empty`), 'done:""');
    assert.deepEqual(await store.claim('undef', 1_000), { state: 'done', result: undefined });
    assert.deepEqual(await store.claim('empty', 1_000), { state: 'done', result: '' });
  });

  it('rounds a fractional lease up to whole ms', async () => {
    const r = redis();
    const store = redisStore({ client: r, prefix });
    assert.equal((await store.claim('fraction', 5_000.2)).state, 'claimed'); // PX takes whole ms only
    const ttl = await r.pttl(`${prefix}fraction`);
    assert.ok(ttl > 1_000 && ttl <= 5_001, `ttl ${ttl}`);
  });

  it('uses the default prefix forager:idem:', async () => {
    const r = redis();
    const store = redisStore({ client: r });
    const key = `test-${runId()}`;
    try {
      await store.complete(key, 1, 60_000);
      assert.equal(await r.get(`forager:idem:${key}`), 'done:1');
    } finally {
      await r.del(`forager:idem:${key}`);
    }
  });

  it('close() leaves a client it was given open', async () => {
    const r = redis();
    const store = redisStore({ client: r, prefix });
    await store.claim('given', 1_000);
    await store.close();
    await store.close();
    assert.equal(await r.ping(), 'PONG');
    await assert.rejects(store.claim('given-2', 1_000), /the store is closed/);
  });

  it('close() quits a client it opened', async () => {
    redis();
    const store = redisStore({ url: REDIS_URL, prefix });
    await store.claim('owned', 1_000);
    const closed = store.close();
    assert.equal(store.close(), closed);
    await closed;
    await assert.rejects(store.claim('owned', 1_000), /the store is closed/);
  });

  it('close() before first use opens nothing, and the closed store refuses work', async () => {
    const name = `forager-unused-${prefix.replace(/\W/g, '-')}`;
    const store = redisStore({ url: REDIS_URL, prefix, clientOptions: { connectionName: name } });
    const connections = async () => String(await redis().call('CLIENT', 'LIST')).split('\n').filter((line) => line.includes(` name=${name} `)).length;
    assert.equal(await connections(), 0, 'no connection before first use');
    await store.close();
    await assert.rejects(store.claim('k', 1_000), /the store is closed/);
    assert.equal(await connections(), 0, 'no connection after a claim on the closed store');
  });

  it('an unreachable server fails a claim within seconds, not never', async () => {
    redis();
    const store = redisStore({ url: 'redis://127.0.0.1:1', prefix });
    const started = Date.now();
    await assert.rejects(store.claim('k', 1_000));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    await store.close();
  });
});
