/**
 * Unit tests of src/policy/durations.ts, forager's one duration grammar: `readDuration` (the table of what is
 * accepted and refused, and why) and `toMs` (the same rules for options, thrown as a DurationError).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationError, MAX_DURATION_MS, durationMessage, readDuration, toMs, type Duration } from '../../src/policy/durations.ts';

const label = (input: unknown): string => (typeof input === 'bigint' ? `${input}n` : (JSON.stringify(input) ?? String(input)));

describe('durations: accepted values', () => {
  const cases: Array<[Duration, number]> = [
    // numbers (options): whole milliseconds
    [0, 0],
    [-0, 0],
    [250, 250],
    [86_400_000, 86_400_000],
    [MAX_DURATION_MS, MAX_DURATION_MS],
    // a bare number in a string is milliseconds (the host's FORAGER_* variables and the CLI's flags took it so)
    ['0', 0],
    ['10', 10],
    ['30000', 30_000],
    ['  250  ', 250],
    ['007', 7],
    ['1.0', 1],
    ['1.000', 1],
    // units
    ['0ms', 0],
    ['0s', 0],
    ['250ms', 250],
    ['1s', 1_000],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['0.001s', 1],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0.1h', 360_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    ['0.5d', 43_200_000],
    ['36500d', MAX_DURATION_MS],
    ['007s', 7_000],
    ['  30s  ', 30_000],
    ['30 s', 30_000], // the host accepted a space before the unit
    ['500 ms', 500],
    // combined, largest first
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['2m500ms', 120_500],
    ['1h0m0s1ms', 3_600_001],
    ['1d12h', 129_600_000],
    ['1h 30m', 5_400_000],
    ['1d 2h 3m 4s 5ms', 93_784_005],
    // ISO 8601 days, hours, minutes, seconds
    ['PT30S', 30_000],
    ['PT0S', 0],
    ['P1D', 86_400_000],
    ['PT1H', 3_600_000],
    ['PT1H30M', 5_400_000],
    ['PT10M', 600_000],
    ['P1DT12H', 129_600_000],
    ['P1DT1H1M1S', 90_061_000],
    ['PT0.5S', 500],
    ['PT1.5H', 5_400_000],
    ['PT0.001S', 1],
    ['pt2s', 2_000],
    ['  PT30S ', 30_000],
  ];
  for (const [input, expected] of cases) {
    it(`${label(input)} → ${expected} ms`, () => {
      assert.deepEqual(readDuration(input), { ok: true, ms: expected });
      assert.equal(toMs(input, 'timeoutMs'), expected);
    });
  }
});

describe('durations: refused values', () => {
  const cases: Array<[unknown, RegExp]> = [
    // empty
    ['', /\(empty\)$|^empty$/],
    ['   ', /\(empty\)$|^empty$/],
    // negative
    [-1, /cannot be negative/],
    [-0.5, /cannot be negative/],
    ['-5s', /cannot be negative/],
    ['-10', /cannot be negative/],
    ['-PT5S', /cannot be negative/],
    ['PT-5S', /cannot be negative/],
    // NaN and non-finite
    [Number.NaN, /not a finite number/],
    [Number.POSITIVE_INFINITY, /not a finite number/],
    [Number.NEGATIVE_INFINITY, /not a finite number/],
    ['NaN', /not a duration/],
    ['Infinity', /not a duration/],
    ['Infinitys', /not a duration/],
    // a fraction of a millisecond
    [1.5, /not a whole number of milliseconds/],
    [0.1, /not a whole number of milliseconds/],
    ['1.5', /not a whole number of milliseconds/],
    ['0.5ms', /not a whole number of milliseconds/],
    ['0.4ms', /not a whole number of milliseconds/],
    ['1.0005s', /not a whole number of milliseconds/],
    ['PT0.0005S', /not a whole number of milliseconds/],
    ['1s0.5ms', /not a whole number of milliseconds/],
    // absurdly large
    [MAX_DURATION_MS + 1, /more than 100 years/],
    [Number.MAX_VALUE, /more than 100 years/],
    ['36501d', /more than 100 years/],
    ['99999999999999999999', /more than 100 years/],
    ['99999999999999999999d', /more than 100 years/],
    ['P99999999D', /more than 100 years/],
    // units: unknown, upper case, run on, missing, out of order
    ['10x', /unknown unit "x"/],
    ['5sec', /unknown unit "sec"/],
    ['10 minutes', /unknown unit "minutes"/],
    ['5S', /unknown unit "S" .*lower case/],
    ['1H', /unknown unit "H"/],
    ['1h30', /"30" needs a unit/],
    ['1h30m 10', /"10" needs a unit/],
    ['s', /not a duration/],
    ['soon', /not a duration/],
    ['1e3ms', /not a duration/],
    ['1e3', /not a duration/],
    ['.5s', /not a duration/],
    ['5.s', /not a duration/],
    ['1,5s', /not a duration/],
    ['0x10', /not a duration/],
    ['1h-30m', /cannot read "-30m"/],
    ['30m1h', /largest to smallest/],
    ['1s1s', /largest to smallest/],
    ['1ms1s', /largest to smallest/],
    ['1m1ms1s', /largest to smallest/],
    // ISO 8601: only days, hours, minutes, seconds, in order
    ['P', /not an ISO 8601 duration/],
    ['PT', /not an ISO 8601 duration/],
    ['P1DT', /not an ISO 8601 duration/],
    ['PT30', /not an ISO 8601 duration/],
    ['PT1M1H', /not an ISO 8601 duration/],
    ['P1H', /not an ISO 8601 duration/],
    ['PT 30S', /not an ISO 8601 duration/],
    ['P1Y', /years, months and weeks/],
    ['P1M', /years, months and weeks/],
    ['P2W', /years, months and weeks/],
    ['P1Y2M3DT4H', /years, months and weeks/],
    ['PT0,5S', /not an ISO 8601 duration/],
    // not a number or a string
    [null, /not a number or a string/],
    [undefined, /not a number or a string/],
    [{}, /not a number or a string/],
    [[], /not a number or a string/],
    [true, /not a number or a string/],
    [10n, /not a number or a string/],
  ];
  for (const [input, pattern] of cases) {
    it(`refuses ${label(input)}`, () => {
      const reading = readDuration(input);
      assert.equal(reading.ok, false);
      assert.match((reading as { reason: string }).reason, pattern);
      assert.throws(
        () => toMs(input as Duration, 'leaseMs'),
        (error: unknown) => {
          assert.ok(error instanceof DurationError, 'a DurationError');
          assert.ok(error instanceof TypeError, 'still a TypeError, as a bad option always was');
          assert.equal(error.code, 'DURATION_INVALID');
          assert.equal(error.option, 'leaseMs');
          assert.match(error.message, /^leaseMs: expected a duration such as '30s', '5m', '1h30m', '7d', 'PT30S' or 250 \(milliseconds\), got /, 'names the option and what is expected');
          assert.match(error.message, pattern);
          return true;
        },
      );
    });
  }

  it('shows the value it got', () => {
    assert.throws(() => toMs('5 minutes', 'pollInterval'), /got "5 minutes" \(unknown unit "minutes"/);
    assert.throws(() => toMs(-3, 'pollInterval'), /got -3 \(a duration cannot be negative\)$/);
    assert.throws(() => toMs({} as Duration, 'pollInterval'), /got an object \(/);
  });

  it('one message for every caller: name, what is expected, what was given, why', () => {
    assert.equal(
      durationMessage('--retention', '10x', 'unknown unit "x"'),
      `--retention: expected a duration such as '30s', '5m', '1h30m', '7d', 'PT30S' or 250 (milliseconds), got "10x" (unknown unit "x")`,
    );
  });
});

describe('durations: every value the three former parsers accepted still means the same', () => {
  // src/config/host.ts took /\d+(\.\d+)?\s*(ms|s|m|h)?/ (bare = ms, rounded); cli/lib/args.ts took /\d+(ms|s|m|h|d)?/
  // and ISO P…D T…H…M…S; toMs took combined units. Whole-millisecond results are unchanged.
  const same: Array<[string, number]> = [
    ['25000', 25_000], ['25s', 25_000], ['2500ms', 2_500], ['5m', 300_000], ['1h', 3_600_000], ['2d', 172_800_000],
    ['1.5m', 90_000], [' 30 s ', 30_000], ['PT30S', 30_000], ['P1DT2H3M4.5S', 93_784_500], ['1h30m', 5_400_000],
  ];
  for (const [input, expected] of same) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(toMs(input, 'x'), expected));
  }
});
