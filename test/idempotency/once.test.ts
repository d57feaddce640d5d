/**
 * Unit tests of src/idempotency/once.ts and memory.ts with a fake clock and spy stores: option resolution,
 * exact lease and retention ends, what `once` does when the store itself fails, `defaultKey`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdempotencyConflictError } from '../../src/errors.ts';
import { createOnce, defaultKey, memoryStore, type Claim, type IdempotencyStore } from '../../src/idempotency/index.ts';

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

type Call = [method: string, ...args: unknown[]];

/** A memory store that records every call and can be told to fail one method. */
function spyStore(failing: Partial<Record<'claim' | 'complete' | 'release', Error>> = {}): IdempotencyStore & { calls: Call[] } {
  const inner = memoryStore();
  const calls: Call[] = [];
  return {
    calls,
    async claim(key: string, leaseMs: number): Promise<Claim> {
      calls.push(['claim', key, leaseMs]);
      if (failing.claim) throw failing.claim;
      return inner.claim(key, leaseMs);
    },
    async complete(key: string, result: unknown, retentionMs: number): Promise<void> {
      calls.push(['complete', key, result, retentionMs]);
      if (failing.complete) throw failing.complete;
      return inner.complete(key, result, retentionMs);
    },
    async release(key: string, token?: string): Promise<void> {
      calls.push(['release', key, token]);
      if (failing.release) throw failing.release;
      return inner.release(key, token);
    },
    close: () => inner.close(),
  };
}

describe('createOnce: options', () => {
  it('defaults to a 5 minute lease and 7 days of retention', async () => {
    const store = spyStore();
    await createOnce(store)('k', () => 1);
    assert.deepEqual(store.calls, [
      ['claim', 'k', 300_000],
      ['complete', 'k', 1, 604_800_000],
    ]);
  });

  it('reads durations as numbers or strings', async () => {
    const store = spyStore();
    await createOnce(store, { leaseMs: '2m', retentionMs: '3d' })('a', () => 1);
    await createOnce(store, { leaseMs: 1_500, retentionMs: 60_000 })('b', () => 1);
    await createOnce(store, { leaseMs: '1500', retentionMs: 'PT1M' })('c', () => 1); // a bare number string is ms
    assert.deepEqual(
      store.calls.map((call) => call.at(-1)),
      [120_000, 259_200_000, 1_500, 60_000, 1_500, 60_000],
    );
  });

  const invalid: Array<[string, Parameters<typeof createOnce>[1], RegExp]> = [
    ['a lease with an unknown unit', { leaseMs: '5 mins' }, /^leaseMs: expected a duration such as .*, got "5 mins" \(unknown unit "mins"/],
    ['a negative lease', { leaseMs: -1 }, /^leaseMs: expected a duration such as .*, got -1 \(a duration cannot be negative\)/],
    ['a zero lease', { leaseMs: 0 }, /leaseMs must be more than 0 ms/],
    ['a zero retention', { retentionMs: '0s' }, /retentionMs must be more than 0 ms/],
    ['an unreadable retention', { retentionMs: 'a week' }, /^retentionMs: expected a duration such as .*, got "a week" \(not a duration\)/],
  ];
  for (const [name, options, pattern] of invalid) {
    it(`rejects ${name} when made`, () => {
      assert.throws(() => createOnce(memoryStore(), options), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});

describe('createOnce: the store fails', () => {
  it('passes its claim token to release', async () => {
    const store = spyStore();
    await assert.rejects(
      createOnce(store)('k', () => {
        throw new Error('x');
      }),
    );
    const release = store.calls.find(([method]) => method === 'release');
    assert.ok(release);
    assert.equal(typeof release[2], 'string');
    assert.ok((release[2] as string).length > 0);
  });

  it("rethrows fn's error, not the release's, when release fails too", async () => {
    const store = spyStore({ release: new Error('store down') });
    const failure = new Error('effect failed');
    await assert.rejects(
      createOnce(store)('k', () => {
        throw failure;
      }),
      (error: unknown) => error === failure,
    );
  });

  it('rethrows a thrown non-Error value as it is', async () => {
    await assert.rejects(
      createOnce(memoryStore())('k', () => {
        throw 'plain string';
      }),
      (error: unknown) => error === 'plain string',
    );
  });

  it('reports a failing claim and does not run fn', async () => {
    let ran = false;
    await assert.rejects(
      createOnce(spyStore({ claim: new Error('connection refused') }))('k', () => {
        ran = true;
      }),
      /connection refused/,
    );
    assert.equal(ran, false);
  });

  it('reports a failing complete and keeps the key claimed until the lease ends', async () => {
    const clock = fakeClock();
    const inner = memoryStore({ now: clock.now });
    let failComplete = true;
    const store: IdempotencyStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      complete: async (key, result, retentionMs) => {
        if (failComplete) throw new Error('store down');
        return inner.complete(key, result, retentionMs);
      },
      release: (key, token) => inner.release(key, token),
      close: () => inner.close(),
    };
    const once = createOnce(store, { leaseMs: '1m' });
    let runs = 0;
    await assert.rejects(
      once('k', () => ++runs),
      /store down/,
    );
    failComplete = false;
    await assert.rejects(once('k', () => ++runs), IdempotencyConflictError);
    clock.advance(60_000);
    assert.equal(await once('k', () => ++runs), 2);
    assert.equal(runs, 2);
  });
});

describe('memoryStore with a fake clock', () => {
  it('ends a lease exactly leaseMs after the claim', async () => {
    const clock = fakeClock();
    const store = memoryStore({ now: clock.now });
    assert.equal((await store.claim('k', 1_000)).state, 'claimed');
    clock.advance(999);
    assert.deepEqual(await store.claim('k', 1_000), { state: 'busy' });
    clock.advance(1);
    assert.equal((await store.claim('k', 1_000)).state, 'claimed');
  });

  it('ends retention exactly retentionMs after complete', async () => {
    const clock = fakeClock();
    const store = memoryStore({ now: clock.now });
    await store.claim('k', 1_000);
    clock.advance(500);
    await store.complete('k', 'r', 10_000);
    clock.advance(9_999);
    assert.deepEqual(await store.claim('k', 1_000), { state: 'done', result: 'r' });
    clock.advance(1);
    assert.equal((await store.claim('k', 1_000)).state, 'claimed');
  });

  it('gives each reader its own copy of a result', async () => {
    const store = memoryStore();
    await store.complete('k', { list: [1] }, 10_000);
    const first = await store.claim('k', 1_000);
    assert.ok(first.state === 'done');
    (first.result as { list: number[] }).list.push(2);
    assert.deepEqual(await store.claim('k', 1_000), { state: 'done', result: { list: [1] } });
  });

  it('sweeps ended entries now and then, so it does not grow without bound', async () => {
    const clock = fakeClock();
    const store = memoryStore({ now: clock.now });
    for (let i = 0; i < 999; i++) await store.claim(`old-${i}`, 1_000);
    assert.equal(store.size, 999);
    clock.advance(1_000);
    await store.claim('new', 1_000); // the 1000th claim sweeps
    assert.equal(store.size, 1);
  });

  it('forgets everything on close', async () => {
    const store = memoryStore();
    await store.complete('k', 1, 10_000);
    await store.close();
    assert.equal((await store.claim('k', 1_000)).state, 'claimed');
  });

  it('lets two once calls through the same store run fn once (claims are synchronous)', async () => {
    const once = createOnce(memoryStore());
    let runs = 0;
    const outcomes = await Promise.allSettled([once('k', () => ++runs), once('k', () => ++runs), once('k', () => ++runs)]);
    assert.equal(runs, 1);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected'],
    );
  });
});

describe('defaultKey', () => {
  it('is processInstanceKey/elementInstanceKey/purpose', () => {
    assert.equal(defaultKey({ processInstanceKey: '2251799813685249', elementInstanceKey: '2251799813685255' }, 'charge'), '2251799813685249/2251799813685255/charge');
  });

  it('ignores the rest of the job', () => {
    const job = { key: '9', type: 'pay', processInstanceKey: '1', elementInstanceKey: '2', variables: {} };
    assert.equal(defaultKey(job, 'email'), '1/2/email');
  });

  it('separates purposes and element instances', () => {
    const job = { processInstanceKey: '1', elementInstanceKey: '2' };
    const keys = new Set([defaultKey(job, 'charge'), defaultKey(job, 'email'), defaultKey({ ...job, elementInstanceKey: '3' }, 'charge')]);
    assert.equal(keys.size, 3);
  });

  const invalid: Array<[string, { processInstanceKey: string; elementInstanceKey: string }, string, RegExp]> = [
    ['an empty purpose', { processInstanceKey: '1', elementInstanceKey: '2' }, '', /purpose must be a non-empty string/],
    ['a missing elementInstanceKey', { processInstanceKey: '1' } as { processInstanceKey: string; elementInstanceKey: string }, 'p', /job.elementInstanceKey must be a non-empty string, got undefined/],
    ['a numeric processInstanceKey', { processInstanceKey: 1 as unknown as string, elementInstanceKey: '2' }, 'p', /job.processInstanceKey must be a non-empty string/],
  ];
  for (const [name, job, purpose, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => defaultKey(job, purpose), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});
