/**
 * One table of cases, run against every idempotency store: memory, PostgreSQL and Redis (the real services
 * on this machine, see ./services.ts; an unreachable one fails the suite with a clear message). Each run
 * uses its own table / key prefix and removes it afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IdempotencyConflictError, NonRetryableError, isIdempotencyConflictError } from '../../src/errors.ts';
import { createOnce, memoryStore, postgresStore, redisStore, type IdempotencyStore } from '../../src/idempotency/index.ts';
import { POSTGRES_URL, REDIS_URL, deferred, deleteKeys, dropTable, requirePostgres, requireRedis, runId, sleep } from './services.ts';

/** What a case gets: a store, a second store on the same data (another process, for the shared stores), unique keys. */
interface Harness {
  readonly store: IdempotencyStore;
  readonly second: IdempotencyStore;
  key(): string;
}

interface Target {
  readonly name: string;
  setUp(): Promise<Harness>;
  tearDown(): Promise<void>;
}

/** Short enough to wait for, long enough that a busy machine still sees it running right after the claim. */
const SHORT_LEASE_MS = 300;
const WAIT_PAST_LEASE_MS = 600;

let keyCounter = 0;
function keys(scope: string): () => string {
  return () => `${scope}/${++keyCounter}/${Math.random().toString(36).slice(2, 8)}`;
}

interface Case {
  readonly name: string;
  run(h: Harness): Promise<void>;
}

const CASES: Case[] = [
  {
    name: 'the first once runs fn once and returns its result',
    async run({ store, key }) {
      const once = createOnce(store);
      let runs = 0;
      const result = await once(key(), () => {
        runs++;
        return { receipt: 'R-1', amount: 12.5 };
      });
      assert.deepEqual(result, { receipt: 'R-1', amount: 12.5 });
      assert.equal(runs, 1);
    },
  },
  {
    name: 'a second once with the same key returns the stored result and does not run fn',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      let runs = 0;
      await once(k, async () => {
        runs++;
        return { receipt: 'R-2' };
      });
      const again = await once(k, async () => {
        runs++;
        return { receipt: 'OTHER' };
      });
      assert.deepEqual(again, { receipt: 'R-2' });
      assert.equal(runs, 1);
    },
  },
  {
    name: 'a redelivery through another store instance (another process) gets the stored result',
    async run({ store, second, key }) {
      const k = key();
      await createOnce(store)(k, () => 'first');
      let ran = false;
      const again = await createOnce(second)(k, () => {
        ran = true;
        return 'second';
      });
      assert.equal(again, 'first');
      assert.equal(ran, false);
    },
  },
  {
    name: 'results survive as JSON gives them back (the same on the first run and a redelivery)',
    async run({ store, key }) {
      const once = createOnce(store);
      const values: Array<[unknown, unknown]> = [
        [{ a: 1, nested: { list: [1, 'two', null, true] } }, { a: 1, nested: { list: [1, 'two', null, true] } }],
        ['text with "quotes", \\ and ünïcödé 😀', 'text with "quotes", \\ and ünïcödé 😀'],
        ['', ''],
        [0, 0],
        [-1.25, -1.25],
        [false, false],
        [null, null],
        [undefined, undefined],
        [[], []],
        [{}, {}],
        [new Date(0), '1970-01-01T00:00:00.000Z'],
        [{ dropped: undefined, kept: 1 }, { kept: 1 }],
      ];
      for (const [value, expected] of values) {
        const k = key();
        assert.deepEqual(await once(k, () => value), expected, `first run of ${String(value)}`);
        assert.deepEqual(await once(k, () => 'not run'), expected, `redelivery of ${String(value)}`);
      }
    },
  },
  {
    name: 'two concurrent once calls run fn exactly once',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      let runs = 0;
      const fn = async () => {
        runs++;
        await sleep(50);
        return 'charged';
      };
      const outcomes = await Promise.allSettled([once(k, fn), once(k, fn)]);
      assert.equal(runs, 1);
      const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
      assert.ok(fulfilled.length >= 1);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') assert.equal(outcome.value, 'charged');
        else assert.ok(outcome.reason instanceof IdempotencyConflictError, `unexpected ${String(outcome.reason)}`);
      }
      assert.equal(await once(k, fn), 'charged');
      assert.equal(runs, 1);
    },
  },
  {
    name: 'ten concurrent once calls through two store instances run fn exactly once',
    async run({ store, second, key }) {
      const onces = [createOnce(store), createOnce(second)];
      const k = key();
      let runs = 0;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (onces[i % 2] as ReturnType<typeof createOnce>)(k, async () => {
            runs++;
            await sleep(30);
            return i;
          }),
        ),
      );
      assert.equal(runs, 1);
      const values = new Set(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value));
      assert.ok(values.size <= 1, `all callers that got a result got the same one: ${[...values].join(', ')}`);
      for (const outcome of outcomes) if (outcome.status === 'rejected') assert.ok(isIdempotencyConflictError(outcome.reason));
    },
  },
  {
    name: 'while fn runs, another delivery gets IdempotencyConflictError; afterwards the result',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      const started = deferred();
      const gate = deferred();
      const first = once(k, async () => {
        started.resolve(); // the claim has landed
        await gate.promise;
        return 'done';
      });
      await started.promise;
      await assert.rejects(once(k, () => 'second'), (error: unknown) => {
        assert.ok(error instanceof IdempotencyConflictError);
        assert.equal(error.key, k);
        assert.equal(error.retryable, true);
        return true;
      });
      gate.resolve();
      assert.equal(await first, 'done');
      assert.equal(await once(k, () => 'third'), 'done');
    },
  },
  {
    name: 'a failing fn releases the key, its error is rethrown, and a retry runs fn again',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      const failure = new Error('payment gateway timeout');
      let runs = 0;
      await assert.rejects(
        once(k, async () => {
          runs++;
          throw failure;
        }),
        (error: unknown) => error === failure,
      );
      const result = await once(k, async () => {
        runs++;
        return 'ok on retry';
      });
      assert.equal(result, 'ok on retry');
      assert.equal(runs, 2);
      assert.equal(await once(k, () => 'not run'), 'ok on retry');
    },
  },
  {
    name: 'a synchronous throw releases the key too',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      await assert.rejects(
        once(k, () => {
          throw new TypeError('bad input');
        }),
        TypeError,
      );
      assert.equal(await once(k, () => 'second try'), 'second try');
    },
  },
  {
    name: 'an expired lease can be claimed again (the holder crashed)',
    async run({ store, second, key }) {
      const k = key();
      const crashed = await store.claim(k, SHORT_LEASE_MS);
      assert.equal(crashed.state, 'claimed');
      assert.equal((await second.claim(k, 60_000)).state, 'busy');
      await sleep(WAIT_PAST_LEASE_MS);
      let runs = 0;
      const result = await createOnce(second)(k, () => {
        runs++;
        return 'recovered';
      });
      assert.equal(result, 'recovered');
      assert.equal(runs, 1);
    },
  },
  {
    name: 'a holder whose lease ended cannot release the next holder’s claim',
    async run({ store, second, key }) {
      const k = key();
      const old = await store.claim(k, SHORT_LEASE_MS);
      assert.equal(old.state, 'claimed');
      await sleep(WAIT_PAST_LEASE_MS);
      const current = await second.claim(k, 60_000);
      assert.equal(current.state, 'claimed');
      assert.ok(old.state === 'claimed' && current.state === 'claimed' && old.token !== current.token);
      await store.release(k, old.token);
      assert.equal((await store.claim(k, 60_000)).state, 'busy', 'still held by the current holder');
      await second.release(k, current.token);
      assert.equal((await store.claim(k, 60_000)).state, 'claimed');
    },
  },
  {
    name: 'release without a token frees a running claim but never a done key',
    async run({ store, key }) {
      const running = key();
      assert.equal((await store.claim(running, 60_000)).state, 'claimed');
      await store.release(running);
      assert.equal((await store.claim(running, 60_000)).state, 'claimed');

      const done = key();
      assert.equal((await store.claim(done, 60_000)).state, 'claimed');
      await store.complete(done, { ok: true }, 60_000);
      await store.release(done);
      await store.release(done, 'some-token');
      assert.deepEqual(await store.claim(done, 60_000), { state: 'done', result: { ok: true } });

      await store.release(key()); // an absent key: nothing to do
    },
  },
  {
    name: 'a result is forgotten after its retention',
    async run({ store, key }) {
      const k = key();
      assert.equal((await store.claim(k, 60_000)).state, 'claimed');
      await store.complete(k, 'old', SHORT_LEASE_MS);
      assert.deepEqual(await store.claim(k, 60_000), { state: 'done', result: 'old' });
      await sleep(WAIT_PAST_LEASE_MS);
      assert.equal((await store.claim(k, 60_000)).state, 'claimed');
    },
  },
  {
    name: 'complete records the result even after the lease ended',
    async run({ store, key }) {
      const k = key();
      assert.equal((await store.claim(k, SHORT_LEASE_MS)).state, 'claimed');
      await sleep(WAIT_PAST_LEASE_MS);
      await store.complete(k, 42, 60_000);
      assert.deepEqual(await store.claim(k, 60_000), { state: 'done', result: 42 });
    },
  },
  {
    name: 'a result JSON cannot hold fails with NonRetryableError and the effect is not run again',
    async run({ store, key }) {
      const once = createOnce(store);
      const k = key();
      let runs = 0;
      await assert.rejects(
        once(k, () => {
          runs++;
          return { amount: 10n };
        }),
        (error: unknown) => error instanceof NonRetryableError && /side effect ran, but its result cannot be stored/.test(error.message),
      );
      assert.equal(await once(k, () => (runs++, 'again')), undefined);
      assert.equal(runs, 1);
    },
  },
  {
    name: 'keys are independent, whatever characters they hold',
    async run({ store, key }) {
      const once = createOnce(store);
      const base = key();
      const odd = [`${base}/a`, `${base}/b`, `${base}/ünïcödé 😀`, `${base}/'; DROP TABLE x; --`, `${base}/with space`, `${base}/*?[]`];
      for (const [i, k] of odd.entries()) assert.equal(await once(k, () => i), i);
      for (const [i, k] of odd.entries()) assert.equal(await once(k, () => -1), i);
    },
  },
  {
    name: 'claim, complete and release reject bad arguments',
    async run({ store, key }) {
      await assert.rejects(store.claim('', 1_000), /key must be a non-empty string/);
      await assert.rejects(store.claim(key(), 0), /leaseMs must be a finite number of ms > 0/);
      await assert.rejects(store.claim(key(), Number.NaN), /leaseMs/);
      await assert.rejects(store.complete(key(), 1, -1), /retentionMs must be a finite number of ms > 0/);
      await assert.rejects(store.complete(key(), Symbol('x'), 1_000), /not JSON-serialisable/);
      await assert.rejects(store.release(''), /key must be a non-empty string/);
      const once = createOnce(store);
      await assert.rejects(once('', () => 1), /key must be a non-empty string/);
      await assert.rejects(once(key(), 'not a function' as unknown as () => number), /fn must be a function/);
    },
  },
];

const TARGETS: Target[] = [
  (() => {
    let store: IdempotencyStore | undefined;
    return {
      name: 'memoryStore',
      async setUp() {
        store = memoryStore();
        // One process: the "second instance" is the same store.
        return { store, second: store, key: keys('memory') };
      },
      async tearDown() {
        await store?.close();
      },
    };
  })(),
  (() => {
    const table = `forager_idem_test_${runId()}`;
    const stores: IdempotencyStore[] = [];
    return {
      name: `postgresStore (${POSTGRES_URL}, table ${table})`,
      async setUp() {
        await requirePostgres();
        stores.push(postgresStore({ connectionString: POSTGRES_URL, table }), postgresStore({ connectionString: POSTGRES_URL, table }));
        return { store: stores[0] as IdempotencyStore, second: stores[1] as IdempotencyStore, key: keys('pg') };
      },
      async tearDown() {
        await Promise.all(stores.map((s) => s.close()));
        await dropTable(table);
      },
    };
  })(),
  (() => {
    const prefix = `forager:test:${runId()}:`;
    const stores: IdempotencyStore[] = [];
    return {
      name: `redisStore (${REDIS_URL}, prefix ${prefix})`,
      async setUp() {
        await requireRedis();
        stores.push(redisStore({ url: REDIS_URL, prefix }), redisStore({ url: REDIS_URL, prefix }));
        return { store: stores[0] as IdempotencyStore, second: stores[1] as IdempotencyStore, key: keys('redis') };
      },
      async tearDown() {
        await Promise.all(stores.map((s) => s.close()));
        await deleteKeys(prefix);
      },
    };
  })(),
];

for (const target of TARGETS) {
  describe(target.name, () => {
    let harness: Harness | undefined;
    let setUpError: unknown;
    // A service that is not reachable fails every case with the set-up's message (never a skip, and not
    // just "cancelled"): these tests exist to prove the stores against the real services.
    before(async () => {
      try {
        harness = await target.setUp();
      } catch (error) {
        setUpError = error;
      }
    });
    after(async () => {
      if (harness) await target.tearDown();
    });
    for (const testCase of CASES) {
      it(testCase.name, async () => {
        if (setUpError !== undefined) throw setUpError;
        assert.ok(harness);
        await testCase.run(harness);
      });
    }
  });
}
