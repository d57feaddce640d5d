/** Unit tests of src/policy/backoff.ts: exponential, fixed and none, their validation and jitter bounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BROKER_ERROR_BACKOFF, exponential, fixed, none, type BackoffPolicy, type ExponentialOptions } from '../../src/policy/backoff.ts';
import { constant, seededRandom } from './seeded-random.ts';

const MIDDLE = constant(0.5); // no jitter: 1 + j × (2 × 0.5 − 1) = 1
const LOWEST = constant(0);
const HIGHEST = constant(0.999_999_999);

describe('exponential: delays without jitter', () => {
  const cases: Array<[string, ExponentialOptions, number[]]> = [
    ['1s × 2 up to 1m', { initial: '1s', max: '1m', jitter: 0 }, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]],
    ['100 ms × 3 up to 1s', { initial: 100, max: 1_000, factor: 3, jitter: 0 }, [100, 300, 900, 1_000, 1_000]],
    ['factor 1 is constant', { initial: 500, max: 10_000, factor: 1, jitter: 0 }, [500, 500, 500, 500]],
    ['initial = max', { initial: '2s', max: '2s', jitter: 0 }, [2_000, 2_000, 2_000]],
    ['fractional growth rounds', { initial: 50, max: 5_000, factor: 1.6, jitter: 0 }, [50, 80, 128, 205, 328, 524, 839, 1_342, 2_147, 3_436, 5_000]],
  ];
  for (const [name, options, expected] of cases) {
    it(name, () => {
      const policy = exponential(options);
      assert.deepEqual(
        expected.map((_, i) => policy.delayMs(i + 1, LOWEST)),
        expected,
      );
    });
  }

  it('defaults to factor 2 and jitter 0.2', () => {
    const policy = exponential({ initial: 100, max: 10_000 });
    assert.equal(policy.kind, 'exponential');
    assert.equal(policy.factor, 2);
    assert.equal(policy.jitter, 0.2);
    assert.deepEqual([1, 2, 3, 4].map((a) => policy.delayMs(a, MIDDLE)), [100, 200, 400, 800]);
  });

  it('resolves its options to ms', () => {
    const policy = exponential({ initial: '250ms', max: '1m30s' });
    assert.equal(policy.initialMs, 250);
    assert.equal(policy.maxMs, 90_000);
    assert.ok(Object.isFrozen(policy));
  });

  it('grows monotonically until max and then stays there', () => {
    const policy = exponential({ initial: 10, max: 30_000, factor: 1.7, jitter: 0 });
    let previous = 0;
    let reachedMaxAt = 0;
    for (let attempt = 1; attempt <= 200; attempt++) {
      const delay = policy.delayMs(attempt, MIDDLE);
      assert.ok(delay >= previous, `attempt ${attempt}: ${delay} < ${previous}`);
      assert.ok(delay <= 30_000);
      if (delay === 30_000 && reachedMaxAt === 0) reachedMaxAt = attempt;
      if (reachedMaxAt === 0) assert.ok(delay > previous, `attempt ${attempt} should still grow`);
      previous = delay;
    }
    assert.equal(reachedMaxAt, 17); // attempt 16: 10 × 1.7^15 ≈ 28 624; attempt 17 would be ≈ 48 661
  });

  it('survives huge attempt numbers (no Infinity, no NaN)', () => {
    const policy = exponential({ initial: 1, max: 60_000, jitter: 0.5 });
    for (const attempt of [1_000, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      const delay = policy.delayMs(attempt, seededRandom(attempt));
      assert.ok(Number.isInteger(delay) && delay >= 30_000 && delay <= 60_000, `${attempt}: ${delay}`);
    }
  });
});

describe('exponential: jitter', () => {
  it('spreads each delay over ± jitter × delay, capped at max', () => {
    const policy = exponential({ initial: 1_000, max: 20_000, factor: 2, jitter: 0.25 });
    const random = seededRandom(42);
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(20_000, 1_000 * 2 ** (attempt - 1));
      const seen: number[] = [];
      for (let i = 0; i < 500; i++) seen.push(policy.delayMs(attempt, random));
      const low = Math.min(...seen);
      const high = Math.max(...seen);
      const lowBound = Math.floor(base * 0.75);
      const highBound = Math.min(20_000, Math.ceil(base * 1.25));
      assert.ok(low >= lowBound, `attempt ${attempt}: ${low} below ${lowBound}`);
      assert.ok(high <= highBound, `attempt ${attempt}: ${high} above ${highBound}`);
      // 500 draws really spread: most of the allowed band is used.
      assert.ok(high - low > (highBound - lowBound) * 0.9, `attempt ${attempt}: spread ${high - low} too small`);
      assert.ok(seen.every(Number.isInteger));
    }
  });

  it('reaches the band edges with the extreme random values', () => {
    const policy = exponential({ initial: 1_000, max: 60_000, jitter: 0.2 });
    assert.equal(policy.delayMs(1, LOWEST), 800);
    assert.equal(policy.delayMs(1, HIGHEST), 1_200);
    assert.equal(policy.delayMs(3, LOWEST), 3_200);
    assert.equal(policy.delayMs(3, HIGHEST), 4_800);
  });

  it('never exceeds max, even when jitter pushes up', () => {
    const policy = exponential({ initial: 1_000, max: 5_000, jitter: 1 });
    assert.equal(policy.delayMs(10, HIGHEST), 5_000);
    assert.equal(policy.delayMs(10, LOWEST), 0);
  });

  it('is deterministic for a seeded random source', () => {
    const policy = exponential({ initial: 100, max: 10_000 });
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let attempt = 1; attempt <= 10; attempt++) assert.equal(policy.delayMs(attempt, a), policy.delayMs(attempt, b));
  });

  it('clamps a random source that leaves [0, 1)', () => {
    const policy = exponential({ initial: 1_000, max: 60_000, jitter: 0.2 });
    assert.equal(policy.delayMs(1, constant(5)), 1_200);
    assert.equal(policy.delayMs(1, constant(-5)), 800);
  });
});

describe('exponential: validation', () => {
  const cases: Array<[string, ExponentialOptions, RegExp]> = [
    ['initial 0', { initial: 0, max: 100 }, /initial must be more than 0 ms/],
    ['negative initial', { initial: -1, max: 100 }, /^exponential backoff: initial: expected a duration .*, got -1 \(a duration cannot be negative\)/],
    ['bad initial string', { initial: '1 sec', max: 100 }, /^exponential backoff: initial: expected a duration .*, got "1 sec" \(unknown unit "sec"/],
    ['bad max', { initial: 10, max: 'soon' }, /^exponential backoff: max: expected a duration .*, got "soon" \(not a duration\)/],
    ['max below initial', { initial: '2s', max: '1s' }, /max \(1000 ms\) must not be less than initial \(2000 ms\)/],
    ['factor below 1', { initial: 10, max: 100, factor: 0.5 }, /factor must be a finite number ≥ 1, got 0.5/],
    ['factor NaN', { initial: 10, max: 100, factor: Number.NaN }, /factor must be/],
    ['factor Infinity', { initial: 10, max: 100, factor: Number.POSITIVE_INFINITY }, /factor must be/],
    ['jitter above 1', { initial: 10, max: 100, jitter: 1.5 }, /jitter must be a number from 0 to 1.*got 1.5/],
    ['negative jitter', { initial: 10, max: 100, jitter: -0.1 }, /jitter must be/],
    ['jitter NaN', { initial: 10, max: 100, jitter: Number.NaN }, /jitter must be/],
  ];
  for (const [name, options, pattern] of cases) {
    it(`rejects ${name} when made`, () => {
      assert.throws(() => exponential(options), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});

describe('fixed', () => {
  it('is the same delay for every attempt by default', () => {
    const policy = fixed('5s');
    assert.equal(policy.kind, 'fixed');
    assert.equal(policy.delayMsBase, 5_000);
    assert.equal(policy.jitter, 0);
    for (const attempt of [1, 2, 10, 1_000]) assert.equal(policy.delayMs(attempt, seededRandom(attempt)), 5_000);
  });

  it('spreads by ± jitter', () => {
    const policy = fixed(1_000, { jitter: 0.1 });
    const random = seededRandom(3);
    const seen = Array.from({ length: 500 }, () => policy.delayMs(1, random));
    assert.ok(Math.min(...seen) >= 900 && Math.max(...seen) <= 1_100);
    assert.ok(Math.max(...seen) - Math.min(...seen) > 100);
    assert.equal(policy.delayMs(1, LOWEST), 900);
    assert.equal(policy.delayMs(1, HIGHEST), 1_100);
  });

  it('allows 0', () => {
    assert.equal(fixed(0).delayMs(1, MIDDLE), 0);
  });

  it('validates when made', () => {
    assert.throws(() => fixed(-1), /fixed backoff: delay: expected a duration .*, got -1 \(a duration cannot be negative\)/);
    assert.throws(() => fixed('1 minute'), /fixed backoff: delay: expected a duration .*, got "1 minute" \(unknown unit "minute"/);
    assert.throws(() => fixed(10, { jitter: 2 }), /fixed backoff: jitter must be a number from 0 to 1/);
  });
});

describe('none', () => {
  it('never waits', () => {
    const policy = none();
    assert.equal(policy.kind, 'none');
    for (const attempt of [1, 2, 100]) assert.equal(policy.delayMs(attempt, HIGHEST), 0);
  });
});

describe('delayMs: attempt numbers', () => {
  const policies: Array<[string, BackoffPolicy]> = [
    ['exponential', exponential({ initial: 10, max: 100 })],
    ['fixed', fixed(10)],
    ['none', none()],
  ];
  for (const [name, policy] of policies) {
    for (const attempt of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`${name} rejects attempt ${attempt}`, () => {
        assert.throws(() => policy.delayMs(attempt, MIDDLE), /attempt must be an integer ≥ 1/);
      });
    }
  }
});

describe('BROKER_ERROR_BACKOFF', () => {
  it("has the Java client's defaults: 50 ms → 5 s × 1.6 ± 10 %", () => {
    assert.equal(BROKER_ERROR_BACKOFF.kind, 'exponential');
    assert.equal(BROKER_ERROR_BACKOFF.initialMs, 50);
    assert.equal(BROKER_ERROR_BACKOFF.maxMs, 5_000);
    assert.equal(BROKER_ERROR_BACKOFF.factor, 1.6);
    assert.equal(BROKER_ERROR_BACKOFF.jitter, 0.1);
    assert.ok(Object.isFrozen(BROKER_ERROR_BACKOFF));
  });

  it('stays within ± 10 % and at most 5 s', () => {
    const random = seededRandom(11);
    for (let attempt = 1; attempt <= 30; attempt++) {
      const base = Math.min(5_000, 50 * 1.6 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const delay = BROKER_ERROR_BACKOFF.delayMs(attempt, random);
        assert.ok(delay >= Math.floor(base * 0.9) && delay <= Math.min(5_000, Math.ceil(base * 1.1)), `attempt ${attempt}: ${delay}`);
      }
    }
  });
});
