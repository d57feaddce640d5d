/**
 * Durations in options: milliseconds as a number, or a string with units (`'250ms'`, `'30s'`, `'1h30m'`).
 * Options are resolved once with {@link toMs}; everything after that works in whole or fractional ms.
 * Pure: no clock, no I/O.
 */

/** A duration as a user writes it: milliseconds (a number ≥ 0) or a string such as `'30s'` or `'1h30m'`. */
export type Duration = number | string;

/** Milliseconds per unit, largest first: a string's parts must follow this order, each unit at most once. */
const UNITS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function invalid(value: unknown, name: string, why: string): TypeError {
  return new TypeError(
    `${name}: ${why}; expected milliseconds (a number ≥ 0) or a string such as '250ms', '30s', '5m', '1h30m', '1.5s' or '7d', got ${describe(value)}`,
  );
}

/**
 * Converts a {@link Duration} to milliseconds, or throws a `TypeError` naming the option and the value.
 *
 * Strings are one or more `<number><unit>` parts with units `d`, `h`, `m`, `s`, `ms`, largest first and each
 * at most once (`'1h30m'`, not `'30m1h'`); decimals are allowed (`'1.5s'`). A string's result is rounded to
 * a whole millisecond; a number is taken as it is. Negative, infinite and unit-less values are rejected.
 *
 * @example
 * ```ts
 * toMs('1h30m', 'retentionMs'); // 5_400_000
 * toMs(250, 'pollIntervalMs');  // 250
 * toMs('10', 'timeoutMs');      // TypeError: timeoutMs: a string needs a unit (…), got "10"
 * ```
 */
export function toMs(value: Duration, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(value, name, 'not a finite number');
    if (value < 0) throw invalid(value, name, 'a duration cannot be negative');
    return value;
  }
  if (typeof value !== 'string') throw invalid(value, name, 'not a number or a string');
  const text = value.trim();
  if (text === '') throw invalid(value, name, 'empty');
  if (/^\d+(?:\.\d+)?$/.test(text)) throw invalid(value, name, 'a string needs a unit');
  if (text.startsWith('-')) throw invalid(value, name, 'a duration cannot be negative');

  let total = 0;
  let lastUnitIndex = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) throw invalid(value, name, `cannot read ${JSON.stringify(text.slice(start))}`);
    const [, amount, unit] = match as unknown as [string, string, string];
    const unitIndex = UNITS.findIndex(([u]) => u === unit);
    if (unitIndex <= lastUnitIndex) throw invalid(value, name, 'units must go from largest to smallest, each at most once');
    lastUnitIndex = unitIndex;
    total += Number(amount) * (UNITS[unitIndex] as readonly [string, number])[1];
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw invalid(value, name, 'too large');
  return ms;
}
