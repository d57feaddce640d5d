/** Unit tests of src/policy/durations.ts: `toMs` for numbers, unit strings and everything it must reject. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toMs, type Duration } from '../../src/policy/durations.ts';

describe('toMs: accepted values', () => {
  const cases: Array<[Duration, number]> = [
    [0, 0],
    [250, 250],
    [1.5, 1.5],
    [86_400_000, 86_400_000],
    ['0ms', 0],
    ['0s', 0],
    ['250ms', 250],
    ['1s', 1_000],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['0.5ms', 1], // strings round to whole ms
    ['0.4ms', 0],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0.1h', 360_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['2m500ms', 120_500],
    ['1h0m0s1ms', 3_600_001],
    ['7d', 604_800_000],
    ['1d12h', 129_600_000],
    ['  30s  ', 30_000],
    ['007s', 7_000],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected} ms`, () => {
      assert.equal(toMs(input, 'timeoutMs'), expected);
    });
  }
});

describe('toMs: rejected values', () => {
  const cases: Array<[unknown, RegExp]> = [
    [-1, /cannot be negative/],
    [Number.NaN, /not a finite number/],
    [Number.POSITIVE_INFINITY, /not a finite number/],
    ['', /empty/],
    ['   ', /empty/],
    ['10', /needs a unit/],
    ['1.5', /needs a unit/],
    ['-5s', /cannot be negative/],
    ['5', /needs a unit/],
    ['s', /cannot read "s"/],
    ['5x', /cannot read "5x"/],
    ['5 s', /cannot read "5 s"/],
    ['1h 30m', /cannot read " 30m"/],
    ['5sec', /cannot read "ec"/],
    ['5S', /cannot read "5S"/],
    ['1e3ms', /cannot read "1e3ms"/],
    ['.5s', /cannot read ".5s"/],
    ['5.s', /cannot read "5.s"/],
    ['30m1h', /largest to smallest/],
    ['1s1s', /largest to smallest/],
    ['1ms1s', /largest to smallest/],
    ['Infinitys', /cannot read/],
    ['99999999999999999999d', /too large/],
    [null, /not a number or a string/],
    [undefined, /not a number or a string/],
    [{}, /not a number or a string/],
    [true, /not a number or a string/],
    [10n, /not a number or a string/],
  ];
  for (const [input, pattern] of cases) {
    it(`rejects ${typeof input === 'bigint' ? '10n' : (JSON.stringify(input) ?? String(input))}`, () => {
      assert.throws(
        () => toMs(input as Duration, 'leaseMs'),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, 'a TypeError');
          assert.match(error.message, /^leaseMs: /, 'names the option');
          assert.match(error.message, pattern);
          assert.match(error.message, /'1h30m'/, 'shows what is accepted');
          return true;
        },
      );
    });
  }

  it('shows the value it got', () => {
    assert.throws(() => toMs('5 minutes', 'pollInterval'), /got "5 minutes"/);
    assert.throws(() => toMs(-3, 'pollInterval'), /got -3$/);
  });
});
