/**
 * Timer definitions as BPMN writes them, turned into due dates on the engine clock (pure functions):
 * - `timeDuration`: an ISO 8601 duration or period (`PT10M`, `P1D`, `P1Y2M`, `-PT5S`);
 * - `timeDate`: an ISO 8601 date-time with an offset (`2026-01-01T10:00:00Z`, `…+01:00`, `…+01:00[Europe/Paris]`);
 * - `timeCycle`: ISO repetitions (`R5/PT10S`, `R/P1D`, `R3/2026-01-01T00:00:00Z/P1D`) or a Spring-style cron
 *   with a seconds field (`0 0 9-17 * * MON-FRI`), which repeats forever.
 * Calendar parts (years, months, days) are added in UTC, as on a broker running in UTC.
 */
import { Cron } from 'croner';

export interface Interval {
  years: number;
  months: number;
  days: number;
  /** The time part, in milliseconds. */
  ms: number;
  negative: boolean;
}

export type TimerParse<T> = { ok: true; value: T } | { ok: false; message: string };

const DURATION = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration or period. */
export function parseInterval(text: string): TimerParse<Interval> {
  const trimmed = text.trim();
  const m = DURATION.exec(trimmed);
  if (!m || trimmed === 'P' || trimmed === '-P' || trimmed.endsWith('T')) {
    return { ok: false, message: `Invalid duration format '${text}' for expression` };
  }
  const n = (i: number) => (m[i] ? Number(m[i]!.replace(',', '.')) : 0);
  return {
    ok: true,
    value: {
      negative: m[1] === '-',
      years: n(2),
      months: n(3),
      days: n(4) * 7 + n(5),
      ms: Math.round(n(6) * 3_600_000 + n(7) * 60_000 + n(8) * 1000),
    },
  };
}

/** `from` plus an interval: calendar parts first (in UTC), then the time part. */
export function addInterval(from: number, interval: Interval): number {
  const sign = interval.negative ? -1 : 1;
  const date = new Date(from);
  if (interval.years || interval.months) {
    date.setUTCMonth(date.getUTCMonth() + sign * (interval.years * 12 + interval.months));
  }
  if (interval.days) date.setUTCDate(date.getUTCDate() + sign * interval.days);
  return date.getTime() + sign * interval.ms;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?(?:\[([^\]]+)\])?$/;

/** Parses an ISO 8601 date-time with an offset (or `Z`); a zone id alone is resolved through Intl. */
export function parseDateTime(text: string): TimerParse<number> {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return { ok: false, message: `Invalid date-time format '${text}' for expression` };
  const local = m[1]!;
  let offset = m[2];
  if (!offset && m[3]) {
    const zoned = zoneOffset(local, m[3]);
    if (zoned === undefined) return { ok: false, message: `Invalid date-time format '${text}' for expression: unknown zone '${m[3]}'` };
    offset = zoned;
  }
  if (!offset) return { ok: false, message: `Invalid date-time format '${text}' for expression: an offset or zone is required` };
  const ms = Date.parse(`${local}${offset.length === 5 ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset}`);
  return Number.isNaN(ms) ? { ok: false, message: `Invalid date-time format '${text}' for expression` } : { ok: true, value: ms };
}

/** The UTC offset (`+02:00`) a zone has at a local date-time, or undefined for an unknown zone. */
function zoneOffset(local: string, zone: string): string | undefined {
  try {
    const asUtc = Date.parse(`${local}Z`);
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(asUtc));
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
    const m = /GMT([+-]\d{2}:\d{2})?/.exec(name);
    return m ? (m[1] ?? '+00:00') : undefined;
  } catch {
    return undefined;
  }
}

export type Cycle =
  | { kind: 'repeat'; repetitions: number; start: number | undefined; interval: Interval }
  | { kind: 'cron'; expression: string };

/** Parses a `timeCycle`: ISO repeating interval or cron. `repetitions` is -1 for "forever". */
export function parseCycle(text: string): TimerParse<Cycle> {
  const trimmed = text.trim();
  if (trimmed.startsWith('R')) {
    const parts = trimmed.split('/');
    const count = parts[0]!.slice(1);
    if (count !== '' && !/^\d+$/.test(count)) return { ok: false, message: `Invalid timer cycle format '${text}'` };
    const repetitions = count === '' ? -1 : Number(count);
    let start: number | undefined;
    let intervalText: string | undefined;
    if (parts.length === 2) intervalText = parts[1];
    else if (parts.length === 3) {
      const date = parseDateTime(parts[1]!);
      if (!date.ok) return { ok: false, message: `Invalid timer cycle format '${text}': ${date.message}` };
      start = date.value;
      intervalText = parts[2];
    } else return { ok: false, message: `Invalid timer cycle format '${text}'` };
    const interval = parseInterval(intervalText ?? '');
    if (!interval.ok) return { ok: false, message: `Invalid timer cycle format '${text}': ${interval.message}` };
    return { ok: true, value: { kind: 'repeat', repetitions, start, interval: interval.value } };
  }
  try {
    new Cron(trimmed, { paused: true, timezone: 'UTC' });
  } catch (error) {
    return { ok: false, message: `Invalid timer cycle format '${text}': ${(error as Error).message}` };
  }
  return { ok: true, value: { kind: 'cron', expression: trimmed } };
}

/** The first cron time strictly after `after`, or undefined when there is none. */
export function nextCronTime(expression: string, after: number): number | undefined {
  const next = new Cron(expression, { paused: true, timezone: 'UTC' }).nextRun(new Date(after));
  return next ? next.getTime() : undefined;
}

/** A timer as the engine stores it: when it is due, and how it repeats after that. */
export interface TimerSchedule {
  dueDate: number;
  /** Firings left after this one: 0 = none, -1 = forever. */
  repetitions: number;
  /** ISO interval or cron expression for the next firings (cycles only). */
  interval?: string;
  cron?: string;
}

/** The first due date of a cycle evaluated at `now`. */
export function firstOfCycle(cycle: Cycle, now: number): TimerSchedule | undefined {
  if (cycle.kind === 'cron') {
    const due = nextCronTime(cycle.expression, now);
    return due === undefined ? undefined : { dueDate: due, repetitions: -1, cron: cycle.expression };
  }
  const interval = cycle.interval;
  const base = cycle.start ?? now;
  const dueDate = cycle.start !== undefined ? cycle.start : addInterval(base, interval);
  const repetitions = cycle.repetitions === -1 ? -1 : cycle.repetitions - 1;
  if (cycle.repetitions === 0) return undefined;
  return { dueDate, repetitions, interval: formatIntervalSpec(interval) };
}

/** The schedule after a firing at `dueDate`, or undefined when the cycle is over. */
export function nextOfCycle(schedule: TimerSchedule): TimerSchedule | undefined {
  if (schedule.repetitions === 0) return undefined;
  const repetitions = schedule.repetitions === -1 ? -1 : schedule.repetitions - 1;
  if (schedule.cron) {
    const due = nextCronTime(schedule.cron, schedule.dueDate);
    return due === undefined ? undefined : { dueDate: due, repetitions, cron: schedule.cron };
  }
  const interval = parseInterval(schedule.interval ?? '');
  if (!interval.ok) return undefined;
  return { dueDate: addInterval(schedule.dueDate, interval.value), repetitions, interval: schedule.interval! };
}

function formatIntervalSpec(i: Interval): string {
  const date = `${i.years ? `${i.years}Y` : ''}${i.months ? `${i.months}M` : ''}${i.days ? `${i.days}D` : ''}`;
  const time = i.ms ? `T${i.ms / 1000}S` : '';
  const body = date + time;
  return `${i.negative ? '-' : ''}P${body === '' ? 'T0S' : body}`;
}
