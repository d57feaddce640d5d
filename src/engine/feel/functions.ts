// Camunda's FEEL extensions (and the few standard built-ins) that feelin lacks or implements with a
// narrower signature than FEEL-Scala, plus Zeebe's own `cycle` function. They are handed to feelin as
// entries of the evaluation context; feelin resolves a function name against the context first and
// binds positional or named arguments to the FeelFunction's parameter names.
//
// Behaviour follows FEEL-Scala 1.19 (Zeebe 8.8): a function called with arguments it cannot handle
// evaluates to null and reports a FUNCTION_INVOCATION_FAILURE warning; `assert` reports an
// ASSERT_FAILURE, which makes the whole evaluation fail.

import { randomUUID } from 'node:crypto';
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelRange, FeelTime, parseDate, parseDateTime } from 'feelin';
import { feelEquals, formatDuration, formatValue, isPlainObject, toPlain } from './values.ts';

/** Per-evaluation state the functions read and write. Evaluation is synchronous, so one suffices. */
export const evaluationState: {
  /** The engine clock, epoch milliseconds, for now() and today(). */
  now: number;
  /** The cause of the first failed assert() of the running evaluation. */
  assertCause: string | undefined;
  /** Warnings raised when feelin's failure signal is unavailable (kept in order of occurrence). */
  sideWarnings: { type: string; message: string }[];
} = { now: 0, assertCause: undefined, sideWarnings: [] };

type FailureCtor = new (warning: string, template: string, values?: Record<string, unknown>) => object;

// feelin turns a returned InvocationFailure into a warning of the given type (at the right place in the
// warning list) and evaluates the invocation to null. The class is not exported; a parameter mismatch
// yields an instance, whose constructor we borrow.
const InvocationFailure: FailureCtor | undefined = (() => {
  try {
    const probe: unknown = new FeelFunction(() => null, []).invoke([1]);
    if (probe !== null && typeof probe === 'object' && 'warning' in probe && 'template' in probe) {
      return probe.constructor as FailureCtor;
    }
  } catch {
    // fall through: warnings go to evaluationState.sideWarnings
  }
  return undefined;
})();

/** Reports a warning from inside a function and returns the value the invocation must produce. */
function fail(type: string, message: string): unknown {
  if (InvocationFailure) return new InvocationFailure(type, message, {});
  evaluationState.sideWarnings.push({ type, message });
  return null;
}

function invocationFailure(name: string, reason: string): unknown {
  return fail('FUNCTION_INVOCATION_FAILURE', `Failed to invoke function '${name}': ${reason}`);
}

function illegalArguments(name: string, args: unknown[]): unknown {
  return invocationFailure(name, 'Illegal arguments: ' + args.map((arg) => `'${formatValue(arg)}'`).join(', '));
}

function noFunction(name: string, count: number): unknown {
  return fail('NO_FUNCTION_FOUND', `No function found with name '${name}' and ${count} parameters`);
}

/** How many arguments were given: feelin passes `undefined` for the ones a call leaves out. */
function givenCount(args: unknown[]): number {
  let count = 0;
  for (const arg of args) if (arg !== undefined) count++;
  return count;
}

const functions = new Map<string, FeelFunction>();

/**
 * Registers a function. `arities` lists the accepted argument counts (FEEL-Scala resolves overloads by
 * count); other counts report NO_FUNCTION_FOUND like FEEL-Scala does.
 */
function define(
  name: string,
  parameters: string[],
  arities: number[],
  body: (...args: unknown[]) => unknown,
): void {
  const fn = (...args: unknown[]): unknown => {
    const count = givenCount(args);
    if (!arities.includes(count)) return noFunction(name, count);
    return body(...args);
  };
  functions.set(name, new FeelFunction(fn, parameters));
}

// ── boolean ──────────────────────────────────────────────────────────────────────────────────────

// Since FEEL 1.17 (Zeebe 8.3), `is defined(null)` is false, like a missing variable.
define('is defined', ['value'], [1], (value) => value != null);

define('get or else', ['value', 'default'], [2], (value, fallback) => (value ?? fallback ?? null));

define('assert', ['value', 'condition', 'cause'], [2, 3], (value, condition, cause) => {
  if (condition === true) return value ?? null;
  const message =
    cause == null
      ? 'The condition is not fulfilled'
      : typeof cause === 'string'
        ? cause
        : `Illegal arguments: ${[value, condition, cause].map((arg) => `'${formatValue(arg)}'`).join(', ')}`;
  evaluationState.assertCause ??= message;
  return fail('ASSERT_FAILURE', message);
});

// ── lists ────────────────────────────────────────────────────────────────────────────────────────

define('duplicate values', ['list'], [1], (list) => {
  if (!Array.isArray(list)) return illegalArguments('duplicate values', [list]);
  const distinct: unknown[] = [];
  for (const item of list) if (!distinct.some((seen) => feelEquals(seen, item))) distinct.push(item);
  return distinct.filter((value) => list.filter((item) => feelEquals(item, value)).length > 1);
});

define('is empty', ['list'], [1], (list) => (Array.isArray(list) ? list.length === 0 : illegalArguments('is empty', [list])));

define('partition', ['list', 'size'], [2], (list, size) => {
  if (!Array.isArray(list) || typeof size !== 'number') return illegalArguments('partition', [list, size]);
  const chunk = Math.trunc(size);
  if (chunk <= 0) return invocationFailure('partition', `'size' should be greater than zero but was '${size}'`);
  const parts: unknown[][] = [];
  for (let i = 0; i < list.length; i += chunk) parts.push(list.slice(i, i + chunk));
  return parts;
});

// feelin's `string join` only takes (list, delimiter); Camunda adds (list, delimiter, prefix, suffix).
define('string join', ['list', 'delimiter', 'prefix', 'suffix'], [1, 2, 4], (list, delimiter, prefix, suffix) => {
  const args = [list, delimiter, prefix, suffix].slice(0, givenCount([list, delimiter, prefix, suffix]));
  const optional = (value: unknown): value is string | null | undefined => value == null || typeof value === 'string';
  if (!Array.isArray(list) || !optional(delimiter) || !optional(prefix) || !optional(suffix)) {
    return illegalArguments('string join', args);
  }
  if (args.length === 4 && (prefix == null) !== (suffix == null)) return illegalArguments('string join', args);
  if (!list.every((item) => item == null || typeof item === 'string')) {
    return invocationFailure('string join', `expected a list of strings but found '${formatValue(list)}'`);
  }
  const items = list.filter((item): item is string => typeof item === 'string');
  return (prefix ?? '') + items.join(delimiter ?? '') + (suffix ?? '');
});

// ── strings ──────────────────────────────────────────────────────────────────────────────────────

// Scala names the first parameter `input`; Camunda's docs call it `string`. Accept both.
define('extract', ['input', 'pattern', 'string'], [2], (input, pattern, string) => {
  const text = input ?? string;
  if (typeof text !== 'string' || typeof pattern !== 'string') return illegalArguments('extract', [text, pattern]);
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'gu');
  } catch {
    return invocationFailure('extract', `Invalid pattern '${pattern}'`);
  }
  return Array.from(text.matchAll(regex), (match) => match[0]);
});

// Java's String.trim(): strips code points <= U+0020 at both ends.
function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return value.slice(start, end);
}

define('trim', ['string'], [1], (string) => (typeof string === 'string' ? javaTrim(string) : illegalArguments('trim', [string])));

define('is blank', ['string'], [1], (string) =>
  typeof string === 'string' ? /^\s*$/u.test(string) : illegalArguments('is blank', [string]),
);

define('uuid', [], [0], () => randomUUID());

define('to base64', ['value'], [1], (value) =>
  typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : illegalArguments('to base64', [value]),
);

define('from base64', ['value'], [1], (value) => {
  if (typeof value !== 'string') return illegalArguments('from base64', [value]);
  // Java's basic decoder: the base64 alphabet, optional padding, no whitespace.
  const valid = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.replace(/=+$/, '').length % 4 !== 1;
  if (!valid || (value.includes('=') && value.length % 4 !== 0)) {
    return invocationFailure('from base64', `Invalid Base64 value '${value}'`);
  }
  return Buffer.from(value, 'base64').toString('utf8');
});

// ── numbers ──────────────────────────────────────────────────────────────────────────────────────

define('random number', [], [0], () => Math.random());

// ── conversion ───────────────────────────────────────────────────────────────────────────────────

define('from json', ['json', 'value'], [1], (json, value) => {
  const text = json !== undefined ? json : value;
  if (text === null) return null;
  if (typeof text !== 'string') return illegalArguments('from json', [text]);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invocationFailure('from json', `Failed to parse JSON from '${text}'`);
  }
});

define('to json', ['value'], [1], (value) => JSON.stringify(toPlain(value)));

// ── contexts ─────────────────────────────────────────────────────────────────────────────────────

function getPath(context: Record<string, unknown>, keys: unknown[]): unknown {
  if (keys.length === 0 || !keys.every((key) => typeof key === 'string')) return null;
  let current: unknown = context;
  for (const key of keys as string[]) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return null;
    current = current[key];
  }
  return current ?? null;
}

// feelin's `get value` only takes a single key; Camunda adds a list of keys (a path).
define('get value', ['context', 'key', 'keys', 'm'], [2], (context, key, keys, m) => {
  const target = context ?? m;
  const path = key !== undefined ? key : keys;
  if (!isPlainObject(target)) return illegalArguments('get value', [target, path]);
  if (typeof path === 'string') return Object.hasOwn(target, path) ? (target[path] ?? null) : null;
  if (Array.isArray(path)) return getPath(target, path);
  return illegalArguments('get value', [target, path]);
});

function put(context: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...context };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function putPath(context: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> {
  const [head, ...tail] = keys;
  if (head === undefined) return context;
  if (tail.length === 0) return put(context, head, value);
  const nested = Object.hasOwn(context, head) ? context[head] : undefined;
  return put(context, head, putPath(isPlainObject(nested) ? nested : {}, tail, value));
}

function contextPut(name: string): (...args: unknown[]) => unknown {
  return (context, key, value, keys) => {
    const path = key !== undefined ? key : keys;
    if (!isPlainObject(context)) return illegalArguments(name, [context, path, value]);
    if (typeof path === 'string') return put(context, path, value ?? null);
    if (Array.isArray(path) && path.every((item) => typeof item === 'string')) {
      return path.length === 0 ? null : putPath(context, path as string[], value ?? null);
    }
    return illegalArguments(name, [context, path, value]);
  };
}

// feelin's `context put` fails for a key path through entries that do not exist yet; `put` is the
// deprecated name of the same function.
define('context put', ['context', 'key', 'value', 'keys'], [3], contextPut('context put'));
define('put', ['context', 'key', 'value', 'keys'], [3], contextPut('put'));

// The deprecated `put all(contexts...)`: variable arguments, like `context merge`.
functions.set(
  'put all',
  new FeelFunction((...contexts: unknown[]) => {
    const list = contexts.length === 1 && Array.isArray(contexts[0]) ? (contexts[0] as unknown[]) : contexts;
    if (!list.every(isPlainObject)) return null;
    let merged: Record<string, unknown> = {};
    for (const context of list) for (const [key, value] of Object.entries(context)) merged = put(merged, key, value);
    return merged;
  }, ['...contexts']),
);

// ── temporal ─────────────────────────────────────────────────────────────────────────────────────

function isoInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

// now() and today() read the engine clock (the `now` handed to the evaluation), in UTC.
define('now', [], [0], () => parseDateTime(isoInstant(evaluationState.now)));
define('today', [], [0], () => parseDate(isoInstant(evaluationState.now).slice(0, 10)));

define('last day of month', ['date'], [1], (date) => {
  if (!(date instanceof FeelDate) && !(date instanceof FeelDateTime)) return illegalArguments('last day of month', [date]);
  const { year, month } = date;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return parseDate(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(last).padStart(2, '0')}`);
});

// Zeebe's own function for timer cycles: cycle(interval) = "R/<interval>", cycle(n, interval) = "R<n>/<interval>".
define('cycle', ['repetitions', 'interval'], [1, 2], (repetitions, interval) => {
  if (interval === undefined && repetitions instanceof FeelDuration) return `R/${formatDuration(repetitions)}`;
  if (interval instanceof FeelDuration) {
    if (repetitions === null) return `R/${formatDuration(interval)}`;
    if (typeof repetitions === 'number') return `R${Math.trunc(repetitions)}/${formatDuration(interval)}`;
  }
  const args = interval === undefined ? [repetitions] : [repetitions, interval];
  return invocationFailure(
    'cycle',
    args.length === 1
      ? `cycle function expected an interval (duration) parameter, but found '${formatValue(repetitions)}'`
      : `cycle function expected a repetitions (number) and an interval (duration) parameter, but found '${formatValue(args)}'`,
  );
});

// ── comparisons ──────────────────────────────────────────────────────────────────────────────────
//
// feelin compares values of different types silently (`"99" >= 100` is false, `null < 3` is null);
// FEEL-Scala reports NOT_COMPARABLE and yields null, which in a condition becomes an incident. The
// index rewrites `a < b` into a call of one of these functions (see index.ts).

type Kind =
  | 'null' | 'number' | 'string' | 'boolean' | 'list' | 'context' | 'date' | 'time' | 'local time'
  | 'date time' | 'local date time' | 'years and months' | 'days and time' | 'other';

function kindOf(value: unknown): Kind {
  if (value == null) return 'null';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'list';
  if (value instanceof FeelDuration) return value.yearsMonths ? 'years and months' : 'days and time';
  if (value instanceof FeelDate) return 'date';
  if (value instanceof FeelDateTime) return value.zone == null ? 'local date time' : 'date time';
  if (value instanceof FeelTime) return value.zone == null ? 'local time' : 'time';
  if (isPlainObject(value)) return 'context';
  return 'other';
}

const ORDERED: ReadonlySet<Kind> = new Set<Kind>([
  'number', 'string', 'date', 'time', 'local time', 'date time', 'local date time', 'years and months', 'days and time',
]);

function offsetSeconds(zone: string | null): number {
  const match = zone ? /^([+-])(\d{2}):(\d{2})$/.exec(zone) : null;
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60);
}

/** A value that orders like the FEEL value, for two values of the same (ordered) kind. */
function orderKey(value: unknown, kind: Kind): number | string | bigint {
  switch (kind) {
    case 'number':
    case 'string':
      return value as number | string;
    case 'date':
      return (value as FeelDate).iso;
    case 'local date time':
    case 'local time':
      return (value as FeelDateTime | FeelTime).iso;
    case 'date time': {
      const dateTime = value as FeelDateTime;
      try {
        const clock = dateTime.unwrap() as unknown as { toZonedDateTime(zone: string): { epochNanoseconds: bigint } };
        return clock.toZonedDateTime(dateTime.zone ?? 'UTC').epochNanoseconds;
      } catch {
        return dateTime.iso;
      }
    }
    case 'time': {
      const time = value as FeelTime;
      return time.hour * 3600 + time.minute * 60 + time.second - offsetSeconds(time.zone);
    }
    case 'years and months': {
      const duration = value as FeelDuration;
      return duration.years * 12 + duration.months;
    }
    case 'days and time': {
      const duration = value as FeelDuration;
      return ((duration.days * 24 + duration.hours) * 60 + duration.minutes) * 60 + duration.seconds;
    }
    default:
      return 0;
  }
}

function notComparable(left: unknown, right: unknown): unknown {
  return fail('NOT_COMPARABLE', `Can't compare '${formatValue(left)}' with '${formatValue(right)}'`);
}

function order(test: (sign: number) => boolean): (left: unknown, right: unknown) => unknown {
  return (left, right) => {
    const kind = kindOf(left);
    if (!ORDERED.has(kind) || kindOf(right) !== kind) return notComparable(left, right);
    const a = orderKey(left, kind);
    const b = orderKey(right, kind);
    return test(a < b ? -1 : a > b ? 1 : 0);
  };
}

function equality(left: unknown, right: unknown): unknown {
  if (left == null || right == null) return left == null && right == null;
  const kind = kindOf(left);
  if (kind !== kindOf(right) || kind === 'other') return notComparable(left, right);
  if (kind === 'years and months' || kind === 'days and time') return orderKey(left, kind) === orderKey(right, kind);
  return feelEquals(left, right);
}

function comparison(compare: (left: unknown, right: unknown) => unknown): FeelFunction {
  return new FeelFunction((left: unknown, right: unknown) => compare(left ?? null, right ?? null), ['left', 'right']);
}

/** FEEL-Scala's comparison operators, by operator (see index.ts for how they replace feelin's). */
export const comparisonFunctions: Readonly<Record<string, FeelFunction>> = {
  '<': comparison(order((sign) => sign < 0)),
  '<=': comparison(order((sign) => sign <= 0)),
  '>': comparison(order((sign) => sign > 0)),
  '>=': comparison(order((sign) => sign >= 0)),
  '=': comparison(equality),
  '!=': comparison((left, right) => {
    const equal = equality(left, right);
    return typeof equal === 'boolean' ? !equal : equal;
  }),
};

// ── ranges ───────────────────────────────────────────────────────────────────────────────────────
//
// The DMN 1.3 range relations feelin leaves unimplemented (overlaps before/after, finishes, finished by,
// during, starts, started by, coincides), defined as the spec defines them: on a range's bounds and their
// inclusion, or on a point. A missing bound (`< 10` is a range without start) is unbounded on that side.

interface Range {
  readonly start: unknown;
  readonly end: unknown;
  readonly 'start included': boolean;
  readonly 'end included': boolean;
}

function isRange(value: unknown): value is Range {
  return value instanceof FeelRange;
}

/** -1, 0 or 1; undefined when the two cannot be compared. `side` places a null bound at −∞ (start) or +∞ (end). */
function comparePoints(a: unknown, b: unknown, side: { a?: 'start' | 'end'; b?: 'start' | 'end' } = {}): number | undefined {
  if (a == null || b == null) {
    const unbounded = (v: unknown, s: 'start' | 'end' | undefined) => (v != null ? 0 : s === 'start' ? -1 : s === 'end' ? 1 : undefined);
    const ra = unbounded(a, side.a);
    const rb = unbounded(b, side.b);
    return ra === undefined || rb === undefined ? undefined : Math.sign(ra - rb);
  }
  const kind = kindOf(a);
  if (!ORDERED.has(kind) || kindOf(b) !== kind) return undefined;
  const x = orderKey(a, kind);
  const y = orderKey(b, kind);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Defines a range relation: `points` answers for the operand kinds given, the rest is an invocation failure. */
function rangeRelation(name: string, relation: (a: unknown, b: unknown, cmp: typeof comparePoints) => boolean | undefined, accepts: (a: unknown, b: unknown) => boolean): void {
  define(name, ['a', 'b'], [2], (a, b) => {
    if (!accepts(a, b)) return illegalArguments(name, [a, b]);
    const result = relation(a, b, comparePoints);
    return result === undefined ? illegalArguments(name, [a, b]) : result;
  });
}

const bothRanges = (a: unknown, b: unknown) => isRange(a) && isRange(b);
const pointOrRangeThenRange = (a: unknown, b: unknown) => isRange(b) && a != null;
const rangeThenPointOrRange = (a: unknown, b: unknown) => isRange(a) && b != null;

/** a and b compare as `test` says; undefined when they cannot be compared. */
function holds(sign: number | undefined, test: (sign: number) => boolean): boolean | undefined {
  return sign === undefined ? undefined : test(sign);
}

/** All of the parts hold; undefined as soon as one cannot be decided. */
function all(...parts: (() => boolean | undefined)[]): boolean | undefined {
  for (const part of parts) {
    const value = part();
    if (value !== true) return value;
  }
  return true;
}

function any(...parts: (() => boolean | undefined)[]): boolean | undefined {
  let undecided = false;
  for (const part of parts) {
    const value = part();
    if (value === true) return true;
    if (value === undefined) undecided = true;
  }
  return undecided ? undefined : false;
}

function overlapsBefore(r1: Range, r2: Range): boolean | undefined {
  return all(
    () => any(
      () => holds(comparePoints(r1.start, r2.start, { a: 'start', b: 'start' }), (c) => c < 0),
      () => all(() => holds(comparePoints(r1.start, r2.start, { a: 'start', b: 'start' }), (c) => c === 0), () => r1['start included'] && !r2['start included']),
    ),
    () => any(
      () => holds(comparePoints(r1.end, r2.start, { a: 'end', b: 'start' }), (c) => c > 0),
      () => all(() => holds(comparePoints(r1.end, r2.start, { a: 'end', b: 'start' }), (c) => c === 0), () => r1['end included'] && r2['start included']),
    ),
    () => any(
      () => holds(comparePoints(r1.end, r2.end, { a: 'end', b: 'end' }), (c) => c < 0),
      () => all(() => holds(comparePoints(r1.end, r2.end, { a: 'end', b: 'end' }), (c) => c === 0), () => !r1['end included'] || r2['end included']),
    ),
  );
}

/** Range `inner` lies within `outer` (bounds and inclusion). */
function within(inner: Range, outer: Range): boolean | undefined {
  return all(
    () => any(
      () => holds(comparePoints(outer.start, inner.start, { a: 'start', b: 'start' }), (c) => c < 0),
      () => all(() => holds(comparePoints(outer.start, inner.start, { a: 'start', b: 'start' }), (c) => c === 0), () => outer['start included'] || !inner['start included']),
    ),
    () => any(
      () => holds(comparePoints(inner.end, outer.end, { a: 'end', b: 'end' }), (c) => c < 0),
      () => all(() => holds(comparePoints(inner.end, outer.end, { a: 'end', b: 'end' }), (c) => c === 0), () => !inner['end included'] || outer['end included']),
    ),
  );
}

const sameStart = (r1: Range, r2: Range) =>
  all(() => holds(comparePoints(r1.start, r2.start, { a: 'start', b: 'start' }), (c) => c === 0), () => r1['start included'] === r2['start included']);
const sameEnd = (r1: Range, r2: Range) =>
  all(() => holds(comparePoints(r1.end, r2.end, { a: 'end', b: 'end' }), (c) => c === 0), () => r1['end included'] === r2['end included']);

/** The point lies in the range. */
function pointIn(point: unknown, range: Range): boolean | undefined {
  return all(
    () => (range.start == null ? true : holds(comparePoints(range.start, point), (c) => c < 0 || (c === 0 && range['start included']))),
    () => (range.end == null ? true : holds(comparePoints(point, range.end), (c) => c < 0 || (c === 0 && range['end included']))),
  );
}

rangeRelation('overlaps before', (a, b) => overlapsBefore(a as Range, b as Range), bothRanges);
rangeRelation('overlaps after', (a, b) => overlapsBefore(b as Range, a as Range), bothRanges);
const finishes = (a: unknown, b: unknown): boolean | undefined => {
  const range = b as Range;
  if (!isRange(a)) return all(() => range['end included'], () => holds(comparePoints(a, range.end), (c) => c === 0));
  return all(() => sameEnd(a, range), () => within(a, range));
};
rangeRelation('finishes', finishes, pointOrRangeThenRange);
rangeRelation('finished by', (a, b) => finishes(b, a), rangeThenPointOrRange);
rangeRelation('during', (a, b) => (isRange(a) ? within(a, b as Range) : pointIn(a, b as Range)), pointOrRangeThenRange);
const starts = (a: unknown, b: unknown): boolean | undefined => {
  const range = b as Range;
  if (!isRange(a)) return all(() => range['start included'], () => holds(comparePoints(a, range.start), (c) => c === 0));
  return all(() => sameStart(a, range), () => within(a, range));
};
rangeRelation('starts', starts, pointOrRangeThenRange);
rangeRelation('started by', (a, b) => starts(b, a), rangeThenPointOrRange);
rangeRelation(
  'coincides',
  (a, b) => (isRange(a) && isRange(b) ? all(() => sameStart(a, b), () => sameEnd(a, b)) : !isRange(a) && !isRange(b) ? holds(comparePoints(a, b), (c) => c === 0) : undefined),
  (a, b) => a != null && b != null,
);

/** The extension functions by FEEL name. */
export const extensionFunctions: ReadonlyMap<string, FeelFunction> = functions;
