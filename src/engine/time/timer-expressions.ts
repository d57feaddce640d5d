/**
 * Timer definitions as BPMN writes them, turned into due dates on the engine clock (pure functions):
 * - `timeDuration`: an ISO 8601 duration or period (`PT10M`, `P1D`, `P1Y2M`, `-PT5S`);
 * - `timeDate`: an ISO 8601 date-time with an offset (`2026-01-01T10:00:00Z`, `…+01:00`, `…+01:00[Europe/Paris]`);
 * - `timeCycle`: ISO repetitions (`R5/PT10S`, `R/P1D`, `R3/2026-01-01T00:00:00Z/P1D`) or a cron as Zeebe reads
 *   it (Spring's `CronExpression`), which repeats forever: exactly 6 fields `second minute hour day-of-month
 *   month day-of-week` (`0 0 9-17 * * MON-FRI`) or a macro (`@daily`); `*`, `?`, ranges, lists, steps (`0/15`
 *   = from 0 to the maximum), names, `L`, `LW`, `nW`, `nL`, `n#k`; day-of-month AND day-of-week.
 * Calendar parts (years, months, days) are added, and crons evaluated, in UTC, as on a broker running in UTC.
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
    compileCron(trimmed);
  } catch (error) {
    return { ok: false, message: `Invalid timer cycle format '${text}': ${(error as Error).message}` };
  }
  return { ok: true, value: { kind: 'cron', expression: trimmed } };
}

/**
 * The first cron time strictly after `after` (evaluated in UTC), or undefined when there is none (or the
 * expression does not parse; `parseCycle` refuses those before a timer is created).
 */
export function nextCronTime(expression: string, after: number): number | undefined {
  let cron: Cron;
  try {
    cron = compileCron(expression);
  } catch {
    return undefined;
  }
  const next = cron.nextRun(new Date(after));
  return next ? next.getTime() : undefined;
}

/* ---------- cron (Spring's CronExpression, as Zeebe reads it) ---------- */

/**
 * Spring's macros (`CronExpression.parse`), matched case-insensitively on the whole expression.
 */
const CRON_MACROS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** Spring numbers days like java.time: MON = 1 … SUN = 7 (0 is Sunday too). */
const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

interface CronFieldSpec {
  name: string;
  /** The range `*` stands for, and that `a/b` runs up to. */
  min: number;
  max: number;
  names?: string[];
}

const CRON_FIELDS: readonly CronFieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES },
];

const CRON_OPTIONS = {
  paused: true,
  // Zeebe evaluates a cron in the broker's time zone (ZoneId.systemDefault()), which for a broker is normally
  // UTC; this engine always evaluates crons in UTC, whatever the host's zone.
  timezone: 'UTC',
  // Spring has no optional fields: exactly second minute hour day-of-month month day-of-week.
  mode: '6-part',
  // Spring matches day-of-month AND day-of-week (`0 0 0 13 * FRI` is Friday the 13th); croner's default is OR.
  domAndDow: true,
} as const;

/**
 * A Spring cron expression rewritten into a pattern croner reads the same way: macros expanded, names and
 * steps turned into lists of numbers (Spring's `a/b` runs from a to the field's maximum, which croner refuses;
 * a step over `*` in day-of-week starts at Monday = 1 in Spring, at Sunday = 0 in croner), Sunday as 0, `?`
 * (day-of-month and day-of-week only, as in Spring) as `*`.
 * Throws an Error whose message says what is wrong.
 */
function springToCroner(expression: string): string {
  const trimmed = expression.trim();
  let resolved = trimmed;
  if (trimmed.startsWith('@')) {
    const macro = CRON_MACROS[trimmed.toLowerCase()];
    if (!macro) throw new Error(`unknown cron macro '${trimmed}' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)`);
    resolved = macro;
  }
  const fields = resolved.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`a cron expression must consist of 6 fields (second minute hour day-of-month month day-of-week), found ${fields.length}`);
  }
  return fields.map((field, i) => cronField(field, CRON_FIELDS[i]!)).join(' ');
}

function cronField(raw: string, spec: CronFieldSpec): string {
  const fail = (why: string): never => {
    throw new Error(`invalid ${spec.name} field '${raw}': ${why}`);
  };
  const dayOfMonth = spec.name === 'day-of-month';
  const dayOfWeek = spec.name === 'day-of-week';
  if (raw === '*' || ((dayOfMonth || dayOfWeek) && raw === '?')) return '*';
  let text = raw;
  if (spec.names) {
    text = text.toUpperCase();
    spec.names.forEach((name, i) => {
      text = text.split(name).join(String(i + 1));
    });
  }
  const values = new Set<number>();
  const special: string[] = [];
  for (const part of text.split(',')) {
    if (part === '') fail('empty list element');
    if (dayOfMonth && /[LW]/.test(part)) {
      special.push(quartzDayOfMonth(part, fail));
      continue;
    }
    if (dayOfWeek && /[L#]/.test(part)) {
      special.push(quartzDayOfWeek(part, fail));
      continue;
    }
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) fail(`'${part}' is not a value, a range or a step`);
    const [, , from, to, step] = m!;
    let low = from === undefined ? spec.min : checkCronValue(Number(from), spec, fail);
    const high = to !== undefined ? checkCronValue(Number(to), spec, fail) : from === undefined || step !== undefined ? spec.max : low;
    if (dayOfWeek && low === 7 && to !== undefined) low = 0; // Spring: Sunday (7) as the start of a range is 0
    if (low > high) fail(`the range ${from}-${to} runs backwards`);
    const delta = step === undefined ? 1 : Number(step);
    if (delta < 1) fail('the step must be 1 or more');
    for (let v = low; v <= high; v += delta) values.add(dayOfWeek && v === 7 ? 0 : v);
  }
  return [...[...values].sort((a, b) => a - b).map(String), ...special].join(',');
}

function checkCronValue(value: number, spec: CronFieldSpec, fail: (why: string) => never): number {
  const min = spec.name === 'day-of-week' ? 0 : spec.min;
  if (!Number.isSafeInteger(value) || value < min || value > spec.max) fail(`${value} is out of range ${min}-${spec.max}`);
  return value;
}

/** `L` (last day), `LW` (last weekday), `nW` (weekday nearest to the nth). */
function quartzDayOfMonth(part: string, fail: (why: string) => never): string {
  if (part === 'L' || part === 'LW') return part;
  if (/^L-\d+$/.test(part)) fail(`'${part}' (a day counted back from the last) is not supported by this engine`);
  const m = /^(\d+)W$/.exec(part);
  if (!m) fail(`'${part}' is not L, LW or <day>W`);
  const day = Number(m![1]);
  if (day < 1 || day > 31) fail(`${day} is out of range 1-31`);
  return `${day}W`;
}

/** `nL` (the last weekday n of the month), `n#k` (the kth weekday n of the month). */
function quartzDayOfWeek(part: string, fail: (why: string) => never): string {
  const m = /^(\d+)(?:(L)|#(\d+))$/.exec(part);
  if (!m) fail(`'${part}' is not <day>L or <day>#<n>`);
  const day = Number(m![1]);
  if (day > 7) fail(`${day} is out of range 0-7`);
  const nth = m![2] ? 'L' : Number(m![3]);
  if (nth !== 'L' && (nth < 1 || nth > 5)) fail(`the occurrence ${nth} must be 1 to 5`);
  return `${day % 7}#${nth}`;
}

function compileCron(expression: string): Cron {
  return new Cron(springToCroner(expression), CRON_OPTIONS);
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
