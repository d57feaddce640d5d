/** Unit tests of src/policy/capacity.ts: jobs to request, when to poll, when to extend a job's timeout. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeatDelayMs, jobsToRequest, pollThreshold, shouldPoll, type HeartbeatInput, type PollCounters } from '../../src/policy/capacity.ts';

describe('jobsToRequest', () => {
  const cases: Array<[number, number, number, number]> = [
    // maxJobsActive, active, requested → to request
    [32, 0, 0, 32],
    [32, 10, 0, 22],
    [32, 10, 22, 0],
    [32, 10, 5, 17],
    [32, 32, 0, 0],
    [32, 40, 0, 0], // a stream pushed more than asked: never negative
    [32, 0, 50, 0],
    [1, 0, 0, 1],
    [1, 1, 0, 0],
    [1, 0, 1, 0],
  ];
  for (const [maxJobsActive, active, requested, expected] of cases) {
    it(`max ${maxJobsActive}, active ${active}, requested ${requested} → ${expected}`, () => {
      assert.equal(jobsToRequest({ maxJobsActive, active, requested }), expected);
    });
  }

  const invalid: Array<[string, { maxJobsActive: number; active: number; requested: number }, RegExp]> = [
    ['maxJobsActive 0', { maxJobsActive: 0, active: 0, requested: 0 }, /maxJobsActive must be an integer ≥ 1, got 0/],
    ['fractional maxJobsActive', { maxJobsActive: 1.5, active: 0, requested: 0 }, /maxJobsActive/],
    ['negative active', { maxJobsActive: 1, active: -1, requested: 0 }, /active must be an integer ≥ 0, got -1/],
    ['NaN requested', { maxJobsActive: 1, active: 0, requested: Number.NaN }, /requested must be an integer ≥ 0, got NaN/],
    ['Infinity active', { maxJobsActive: 1, active: Number.POSITIVE_INFINITY, requested: 0 }, /active must be/],
  ];
  for (const [name, counters, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => jobsToRequest(counters), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});

describe('pollThreshold', () => {
  const cases: Array<[number, number | undefined, number]> = [
    [32, undefined, 10], // 30 % of 32 = 9.6 → 10
    [10, undefined, 3],
    [100, undefined, 30],
    [3, undefined, 1],
    [2, undefined, 1],
    [1, undefined, 1],
    [32, 1, 1],
    [32, 16, 16],
    [32, 32, 32],
    [32, 100, 32], // capped: an idle worker always polls
  ];
  for (const [max, threshold, expected] of cases) {
    it(`max ${max}, threshold ${String(threshold)} → ${expected}`, () => {
      assert.equal(pollThreshold(max, threshold), expected);
    });
  }

  it('rejects a threshold below 1 or fractional', () => {
    assert.throws(() => pollThreshold(32, 0), /threshold must be an integer ≥ 1, got 0/);
    assert.throws(() => pollThreshold(32, 2.5), /threshold must be an integer ≥ 1/);
    assert.throws(() => pollThreshold(0), /maxJobsActive must be an integer ≥ 1/);
  });
});

describe('shouldPoll', () => {
  const cases: Array<[PollCounters, boolean]> = [
    [{ maxJobsActive: 32, active: 0, requested: 0 }, true],
    [{ maxJobsActive: 32, active: 22, requested: 0 }, true], // 10 free = threshold
    [{ maxJobsActive: 32, active: 23, requested: 0 }, false], // 9 free
    [{ maxJobsActive: 32, active: 25, requested: 0 }, false],
    [{ maxJobsActive: 32, active: 0, requested: 32 }, false], // a request for everything is out
    [{ maxJobsActive: 32, active: 0, requested: 22 }, true], // 10 more may be asked for
    [{ maxJobsActive: 32, active: 10, requested: 13 }, false], // 9 left
    [{ maxJobsActive: 32, active: 40, requested: 0 }, false],
    [{ maxJobsActive: 1, active: 0, requested: 0 }, true],
    [{ maxJobsActive: 1, active: 1, requested: 0 }, false],
    [{ maxJobsActive: 1, active: 0, requested: 1 }, false],
    [{ maxJobsActive: 32, active: 31, requested: 0, threshold: 1 }, true],
    [{ maxJobsActive: 32, active: 32, requested: 0, threshold: 1 }, false],
    [{ maxJobsActive: 32, active: 1, requested: 0, threshold: 32 }, false],
    [{ maxJobsActive: 32, active: 0, requested: 0, threshold: 500 }, true],
  ];
  for (const [counters, expected] of cases) {
    it(`${JSON.stringify(counters)} → ${expected}`, () => {
      assert.equal(shouldPoll(counters), expected);
    });
  }

  it('polls whenever jobsToRequest reaches the threshold, for every state of a small worker', () => {
    for (let max = 1; max <= 12; max++) {
      const threshold = pollThreshold(max);
      for (let active = 0; active <= max + 1; active++) {
        for (let requested = 0; requested <= max + 1; requested++) {
          const free = jobsToRequest({ maxJobsActive: max, active, requested });
          assert.equal(shouldPoll({ maxJobsActive: max, active, requested }), free >= threshold);
          if (active === 0 && requested === 0) assert.equal(shouldPoll({ maxJobsActive: max, active, requested }), true, 'an idle worker polls');
        }
      }
    }
  });
});

describe('heartbeatDelayMs', () => {
  const cases: Array<[string, HeartbeatInput, number]> = [
    ['a fresh 60 s job: at 2/3', { deadline: 60_000, now: 0, timeoutMs: 60_000 }, 40_000],
    ['half-way through', { deadline: 30_000, now: 0, timeoutMs: 60_000 }, 20_000],
    ['epoch times', { deadline: 1_700_000_060_000, now: 1_700_000_000_000, timeoutMs: 60_000 }, 40_000],
    ['a short job: margin wins', { deadline: 1_150, now: 1_000, timeoutMs: 60_000 }, 50],
    ['2/3 and margin meet at 300 ms', { deadline: 300, now: 0, timeoutMs: 60_000 }, 200],
    ['100 ms left: now', { deadline: 100, now: 0, timeoutMs: 60_000 }, 0],
    ['less than the margin left: now', { deadline: 50, now: 0, timeoutMs: 60_000 }, 0],
    ['past the deadline: now', { deadline: 1_000, now: 2_000, timeoutMs: 60_000 }, 0],
    ['a local clock behind the broker: capped at timeoutMs', { deadline: 600_000, now: 0, timeoutMs: 60_000 }, 40_000],
    ['fractional ms round down', { deadline: 1_000, now: 0, timeoutMs: 60_000 }, 666],
    ['fraction 1/2', { deadline: 10_000, now: 0, timeoutMs: 60_000, fraction: 0.5 }, 5_000],
    ['fraction 1: margin decides', { deadline: 10_000, now: 0, timeoutMs: 60_000, fraction: 1 }, 9_900],
    ['margin 0', { deadline: 90, now: 0, timeoutMs: 60_000, marginMs: 0 }, 60],
    ['margin 5 s', { deadline: 10_000, now: 0, timeoutMs: 60_000, marginMs: 5_000 }, 5_000],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(heartbeatDelayMs(input), expected);
    });
  }

  it('is never negative and always at least the margin before the deadline (when there is room)', () => {
    for (let remaining = -1_000; remaining <= 5_000; remaining += 7) {
      const delay = heartbeatDelayMs({ deadline: 10_000 + remaining, now: 10_000, timeoutMs: 60_000 });
      assert.ok(delay >= 0);
      if (remaining > 100) assert.ok(delay <= remaining - 100, `remaining ${remaining}: ${delay}`);
      if (remaining >= 300) assert.equal(delay, Math.floor((remaining * 2 + 1e-6) / 3), `remaining ${remaining}: at 2/3`);
      if (remaining > 100 && remaining < 300) assert.equal(delay, remaining - 100, `remaining ${remaining}: the margin decides`);
    }
  });

  const invalid: Array<[string, HeartbeatInput, RegExp]> = [
    ['NaN deadline', { deadline: Number.NaN, now: 0, timeoutMs: 1 }, /deadline must be a finite number/],
    ['Infinity now', { deadline: 0, now: Number.POSITIVE_INFINITY, timeoutMs: 1 }, /now must be a finite number/],
    ['timeout 0', { deadline: 0, now: 0, timeoutMs: 0 }, /timeoutMs must be a finite number > 0/],
    ['negative timeout', { deadline: 0, now: 0, timeoutMs: -5 }, /timeoutMs/],
    ['fraction 0', { deadline: 0, now: 0, timeoutMs: 1, fraction: 0 }, /fraction must be a number in \(0, 1\]/],
    ['fraction above 1', { deadline: 0, now: 0, timeoutMs: 1, fraction: 1.5 }, /fraction/],
    ['negative margin', { deadline: 0, now: 0, timeoutMs: 1, marginMs: -1 }, /marginMs must be a finite number ≥ 0/],
  ];
  for (const [name, input, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => heartbeatDelayMs(input), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});
