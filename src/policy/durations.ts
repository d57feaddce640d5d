/**
 * forager's one duration grammar, used by every option, variable and flag that takes a duration: worker
 * options (`timeout`, backoffs, `extendTimeout`, …) through {@link toMs}, the host's FORAGER_* variables and
 * `--grace`, and the CLI's `--retention`, `--request-timeout`, `--ttl`. README.md ("Operating forager",
 * durations) documents it for users. Pure: no clock, no I/O, and no imports, so every layer may use it.
 *
 * The grammar, after leading and trailing spaces are dropped:
 * - a bare number is milliseconds: `250`, `30000` (as a JS number too: `250`);
 * - numbers with units `d`, `h`, `m`, `s`, `ms` (lower case), alone or combined largest first, each unit at
 *   most once, spaces allowed between them: `30s`, `1.5h`, `1h30m`, `2m 500ms`, `7d`;
 * - an ISO 8601 duration in days, hours, minutes and seconds: `PT30S`, `P1D`, `PT1H30M`, `P1DT12H`, `PT0.5S`
 *   (any case; years, months and weeks are refused: they have no fixed length here).
 *
 * Refused: empty, negative, NaN or infinite values, a result that is not a whole number of milliseconds
 * (`0.5ms`, `1.5`), and anything above {@link MAX_DURATION_MS} (100 years). Decimals are fine when the
 * result is whole (`1.5s` = 1500). The arithmetic is exact (BigInt), so `0.1h` is 360000, not 360000.00000000006.
 */

/** A duration as a user writes it: milliseconds (a whole number ≥ 0) or a string such as `'30s'`, `'1h30m'` or `'PT30S'`. */
export type Duration = number | string;

/** The longest duration accepted: 100 years of 365 days (`36500d`). Anything longer is a mistake. */
export const MAX_DURATION_MS = 36_500 * 86_400_000;

/** What every error message says is expected. */
export const DURATION_EXPECTED = "a duration such as '30s', '5m', '1h30m', '7d', 'PT30S' or 250 (milliseconds)";

/** The outcome of {@link readDuration}: milliseconds, or why the value is not a duration. */
export type DurationReading = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/** Raised by {@link toMs}; a `TypeError`, as a bad option value always was. `option` names the option. */
export class DurationError extends TypeError {
  override readonly name = 'DurationError';
  readonly code = 'DURATION_INVALID';
  constructor(
    readonly option: string,
    readonly given: unknown,
    readonly reason: string,
  ) {
    super(durationMessage(option, given, reason));
  }
}

/** Milliseconds per unit, largest first: a string's parts must follow this order, each unit at most once. */
const UNITS: ReadonlyArray<readonly [unit: string, ms: bigint]> = [
  ['d', 86_400_000n],
  ['h', 3_600_000n],
  ['m', 60_000n],
  ['s', 1_000n],
  ['ms', 1n],
];
const UNIT_MS: Readonly<Record<string, bigint>> = Object.fromEntries(UNITS);

/** One `<number><unit>` part; a unit may not run on into letters (`5sec`, `10 minutes` are not `5s`, `10m`). */
const PART = /\s*(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)(?![A-Za-z])/y;
const BARE = /^\d+(?:\.\d+)?$/;
const NUMBER = '(\\d+(?:\\.\\d+)?)';
const ISO = new RegExp(`^P(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`, 'i');

const MAX = BigInt(MAX_DURATION_MS);

const ok = (ms: number): DurationReading => ({ ok: true, ms });
const no = (reason: string): DurationReading => ({ ok: false, reason });

/** A decimal number times a whole factor, exactly: [whole part, remainder in 1/10^digits of a ms, 10^digits]. */
function scaled(amount: string, factor: bigint): readonly [bigint, bigint, bigint] {
  const [whole = '0', fraction = ''] = amount.split('.');
  const denominator = 10n ** BigInt(fraction.length);
  const total = (BigInt(whole) * denominator + BigInt(fraction || '0')) * factor;
  return [total / denominator, total % denominator, denominator];
}

/** Sums `[amount, factor]` parts exactly; refuses a fraction of a millisecond and anything too large. */
function sum(parts: ReadonlyArray<readonly [string, bigint]>): DurationReading {
  let ms = 0n;
  let fractional = false;
  for (const [amount, factor] of parts) {
    const [whole, remainder] = scaled(amount, factor);
    ms += whole;
    if (remainder !== 0n) fractional = true;
    if (ms > MAX) return no('more than 100 years (36500d)');
  }
  if (fractional) return no('not a whole number of milliseconds');
  return ok(Number(ms));
}

function readIso(text: string): DurationReading {
  const match = ISO.exec(text);
  if (match === null || text.length === 1 || /T$/i.test(text)) {
    if (/^P[^T]*[YMW]/i.test(text)) return no('ISO 8601 years, months and weeks have no fixed length; use days (P7D) or hours');
    return no('not an ISO 8601 duration of days, hours, minutes and seconds (PT30S, P1DT12H)');
  }
  const [, d, h, m, s] = match;
  const parts: Array<readonly [string, bigint]> = [];
  for (const [amount, unit] of [[d, 'd'], [h, 'h'], [m, 'm'], [s, 's']] as const) {
    if (amount !== undefined) parts.push([amount, UNIT_MS[unit] as bigint]);
  }
  return sum(parts);
}

function readUnits(text: string): DurationReading {
  const parts: Array<readonly [string, bigint]> = [];
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) {
      const rest = text.slice(start).trim();
      const unit = /^\d+(?:\.\d+)?\s*([A-Za-z]+)$/.exec(rest)?.[1];
      if (unit !== undefined) return no(`unknown unit "${unit}" (units: d, h, m, s, ms, in lower case)`);
      if (BARE.test(rest)) return no(`"${rest}" needs a unit after the parts before it`);
      return no(start === 0 ? 'not a duration' : `cannot read "${rest}"`);
    }
    const [, amount, unit] = match as unknown as [string, string, string];
    const index = UNITS.findIndex(([u]) => u === unit);
    if (index <= lastUnit) return no('units must go from largest to smallest, each at most once (1h30m, not 30m1h)');
    lastUnit = index;
    parts.push([amount, UNIT_MS[unit] as bigint]);
  }
  return sum(parts);
}

/**
 * Reads a duration by the grammar above: milliseconds, or the reason it is not one. Never throws; callers
 * turn a reason into their own error (`DurationError`, `ConfigError`, `CliError`) with {@link durationMessage}.
 *
 * @example
 * ```ts
 * readDuration('PT1H30M'); // { ok: true, ms: 5_400_000 }
 * readDuration('250');     // { ok: true, ms: 250 }
 * readDuration('0.5ms');   // { ok: false, reason: 'not a whole number of milliseconds' }
 * ```
 */
export function readDuration(value: unknown): DurationReading {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return no('not a finite number');
    if (value < 0) return no('a duration cannot be negative');
    if (!Number.isInteger(value)) return no('not a whole number of milliseconds');
    if (value > MAX_DURATION_MS) return no('more than 100 years (36500d)');
    return ok(value + 0); // -0 → 0
  }
  if (typeof value !== 'string') return no('not a number or a string');
  const text = value.trim();
  if (text === '') return no('empty');
  if (text.startsWith('-') || /^P.*-/i.test(text)) return no('a duration cannot be negative');
  if (BARE.test(text)) return sum([[text, 1n]]);
  if (/^P/i.test(text)) return readIso(text);
  return readUnits(text);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * The one error message for a duration that cannot be used: `<name>: expected <grammar>, got <value> (<reason>)`,
 * where `name` is the option, variable or flag.
 */
export function durationMessage(name: string, value: unknown, reason: string): string {
  return `${name}: expected ${DURATION_EXPECTED}, got ${describe(value)} (${reason})`;
}

/**
 * Converts a {@link Duration} to whole milliseconds, or throws a {@link DurationError} (a `TypeError`) naming
 * the option, the value and what is expected.
 *
 * @example
 * ```ts
 * toMs('1h30m', 'retentionMs'); // 5_400_000
 * toMs('PT30S', 'timeout');     // 30_000
 * toMs(250, 'pollIntervalMs');  // 250
 * toMs('10', 'timeoutMs');      // 10 (a bare number is milliseconds)
 * toMs('10x', 'timeoutMs');     // DurationError: timeoutMs: expected a duration such as …, got "10x" (unknown unit "x" …)
 * ```
 */
export function toMs(value: Duration, name: string): number {
  const reading = readDuration(value);
  if (!reading.ok) throw new DurationError(name, value, reading.reason);
  return reading.ms;
}
