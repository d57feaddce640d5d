// Conversions between feelin's runtime values and what the engine (and Zeebe) sees.
//
// feelin hands back JS primitives, arrays, plain objects, its own temporal wrappers (FeelDate,
// FeelTime, FeelDateTime, FeelDuration), functions and ranges. Zeebe writes FEEL results to
// MessagePack (FeelToMessagePackTransformer): temporals become strings in Java's ISO formats,
// functions and anything unknown become null. Warnings and messages print values the way FEEL-Scala's
// `Val.toString` does.

import { FeelDate, FeelDateTime, FeelDuration, FeelTime } from 'feelin';

/** Zeebe's `io.camunda.zeebe.el.ResultType`, as printed in incident messages. */
export type ZeebeResultType =
  | 'UNKNOWN'
  | 'NULL'
  | 'BOOLEAN'
  | 'NUMBER'
  | 'STRING'
  | 'DURATION'
  | 'PERIOD'
  | 'DATE'
  | 'DATE_TIME'
  | 'ARRAY'
  | 'OBJECT';

/** The structural view of a Temporal.PlainDateTime / PlainDate / PlainTime that we read. */
interface WallClock {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  millisecond?: number;
  microsecond?: number;
  nanosecond?: number;
  toZonedDateTime?: (timeZone: string) => { offset: string };
}

/** The structural view of a Temporal.Duration that we read. */
interface DurationFields {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  milliseconds: number;
  microseconds: number;
  nanoseconds: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The result type Zeebe reports for a FEEL value (FeelEvaluationResult.getType). */
export function resultTypeOf(value: unknown): ZeebeResultType {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return Number.isFinite(value) ? 'NUMBER' : 'NULL';
  if (typeof value === 'string') return 'STRING';
  if (Array.isArray(value)) return 'ARRAY';
  if (value instanceof FeelDuration) return value.yearsMonths ? 'PERIOD' : 'DURATION';
  if (value instanceof FeelDate) return 'DATE';
  if (value instanceof FeelDateTime) return 'DATE_TIME';
  if (isPlainObject(value)) return 'OBJECT';
  return 'UNKNOWN';
}

function pad(value: number, width: number): string {
  const sign = value < 0 ? '-' : '';
  return sign + String(Math.abs(value)).padStart(width, '0');
}

/** Java's ISO_LOCAL_TIME fraction: as many digits as needed, none when zero. */
function fraction(clock: WallClock): string {
  const nanos = (clock.millisecond ?? 0) * 1_000_000 + (clock.microsecond ?? 0) * 1_000 + (clock.nanosecond ?? 0);
  if (nanos === 0) return '';
  return '.' + String(nanos).padStart(9, '0').replace(/0+$/, '');
}

function localDateTime(clock: WallClock): string {
  return (
    `${pad(clock.year ?? 0, 4)}-${pad(clock.month ?? 1, 2)}-${pad(clock.day ?? 1, 2)}` +
    `T${pad(clock.hour ?? 0, 2)}:${pad(clock.minute ?? 0, 2)}:${pad(clock.second ?? 0, 2)}${fraction(clock)}`
  );
}

const FIXED_OFFSET = /^[+-]\d{2}:\d{2}(?::\d{2})?$/;

function offsetOf(clock: WallClock, zone: string): string {
  let offset: string;
  if (zone === 'Z' || zone === 'UTC' || zone === 'Etc/UTC') {
    offset = '+00:00';
  } else if (FIXED_OFFSET.test(zone)) {
    offset = zone;
  } else {
    try {
      offset = clock.toZonedDateTime?.(zone).offset ?? '+00:00';
    } catch {
      offset = '+00:00';
    }
  }
  return offset === '+00:00' || offset === '-00:00' ? 'Z' : offset;
}

/** A date and time as Zeebe serializes it: ISO_OFFSET_DATE_TIME when zoned, else ISO_LOCAL_DATE_TIME. */
export function formatDateTime(value: FeelDateTime): string {
  const clock = value.unwrap() as unknown as WallClock;
  const local = localDateTime(clock);
  return value.zone == null ? local : local + offsetOf(clock, value.zone);
}

/** A duration as FEEL-Scala prints it (ValDayTimeDuration / ValYearMonthDuration.format). */
export function formatDuration(value: FeelDuration): string {
  const d = value.unwrap() as unknown as DurationFields;
  if (value.yearsMonths) {
    const total = (d.years ?? 0) * 12 + (d.months ?? 0);
    const years = Math.trunc(total / 12);
    const months = total % 12;
    if (years === 0 && months === 0) return 'P0Y';
    const build = (y: number, m: number): string => 'P' + (y ? `${y}Y` : '') + (m ? `${m}M` : '');
    return years <= 0 && months <= 0 ? '-' + build(-years, -months) : build(years, months);
  }
  const exact =
    ((d.weeks ?? 0) * 7 + (d.days ?? 0)) * 86400 +
    (d.hours ?? 0) * 3600 +
    (d.minutes ?? 0) * 60 +
    (d.seconds ?? 0) +
    ((d.milliseconds ?? 0) + (d.microseconds ?? 0) / 1e3 + (d.nanoseconds ?? 0) / 1e6) / 1e3;
  const total = Math.floor(exact);
  const days = Math.trunc(total / 86400);
  const hours = Math.trunc(total / 3600) % 24;
  const minutes = Math.trunc(total / 60) % 60;
  const seconds = total % 60;
  if (days === 0 && hours === 0 && minutes === 0 && seconds === 0) return 'P0D';
  const build = (dd: number, h: number, m: number, s: number): string => {
    const time = (h ? `${h}H` : '') + (m ? `${m}M` : '') + (s ? `${s}S` : '');
    return 'P' + (dd ? `${dd}D` : '') + (time ? 'T' + time : '');
  };
  return days <= 0 && hours <= 0 && minutes <= 0 && seconds <= 0
    ? '-' + build(-days, -hours, -minutes, -seconds)
    : build(days, hours, minutes, seconds);
}

/**
 * Converts a FEEL result to a plain JSON-compatible value, as Zeebe would store it: temporals become
 * ISO strings, non-finite numbers, functions, ranges and unknown objects become null. Always builds
 * fresh arrays and objects, so callers may mutate the result.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'object':
      break;
    default:
      return null;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof FeelDateTime) return formatDateTime(value);
  if (value instanceof FeelDate) return value.iso;
  if (value instanceof FeelTime) return value.iso;
  if (value instanceof FeelDuration) return formatDuration(value);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: toPlain(entry), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return null;
}

/** A value as FEEL-Scala's `Val.toString` prints it inside warnings and failure messages. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return `"${value}"`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'function':
      return 'function';
    default:
      break;
  }
  if (Array.isArray(value)) return '[' + value.map(formatValue).join(', ') + ']';
  if (value instanceof FeelDuration) return formatDuration(value);
  if (value instanceof FeelDate || value instanceof FeelTime || value instanceof FeelDateTime) return value.iso;
  if (isPlainObject(value)) {
    return '{' + Object.entries(value).map(([key, entry]) => `${key}:${formatValue(entry)}`).join(', ') + '}';
  }
  const names = (value as { parameterNames?: unknown }).parameterNames;
  if (Array.isArray(names)) return `function(${names.join(', ')})`;
  return String(value);
}

/** FEEL equality for the list functions (duplicate values): deep, by value. */
export function feelEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => feelEquals(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && feelEquals(a[key], b[key]));
  }
  if (a.constructor !== b.constructor) return false;
  if (a instanceof FeelDuration && b instanceof FeelDuration) return formatDuration(a) === formatDuration(b);
  const isoA = (a as { iso?: unknown }).iso;
  const isoB = (b as { iso?: unknown }).iso;
  return typeof isoA === 'string' && isoA === isoB;
}
