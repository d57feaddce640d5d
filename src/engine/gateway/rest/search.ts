/**
 * Search requests of the REST API v2 (`POST /v2/<entities>/search`), as Camunda 8.8 takes them:
 * `{ filter, sort: [{ field, order }], page: { from, limit } | { after, limit } | { before, limit } }`,
 * answered with `{ items, page: { totalItems, startCursor, endCursor, hasMoreTotalItems } }`.
 *
 * Filters take a plain value (equality) or, where 8.8 has them, an advanced filter object with `$eq`,
 * `$neq`, `$exists`, `$in`, `$notIn`, `$like` (`*` and `?` wildcards, `\` escapes) and for numbers and
 * dates `$gt`, `$gte`, `$lt`, `$lte`. A filter field this entity does not have is a 400; one Camunda has
 * but forager's engine does not serve is a 400 saying so (never a silently wider result).
 *
 * Cursors are opaque base64 text holding the sort values of the first / last item of a page.
 */
import { checkKey, isObject, onlyKnown, optArray, optInteger, optObject, optString, type Json, type JsonObject } from './input.ts';
import { RestProblem, invalidArgument, notSupported, unparsable } from './problem.ts';

export type FieldKind = 'key' | 'string' | 'int' | 'date' | 'enum' | 'bool';

/** Which advanced operators a field takes; `plain`: only a plain value (no advanced filter object). */
export type Operators = 'plain' | 'basic' | 'string' | 'range' | 'enum';

export interface FilterField<Row> {
  kind: FieldKind;
  ops: Operators;
  /** Allowed values of an enum field. */
  values?: readonly string[];
  /** The row's value; by default the row property of the field's name. */
  get?: (row: Row) => unknown;
}

/** A filter with its own matching (several values per row, lookups): builds the predicate from the raw value. */
export interface CustomFilter<Row> {
  custom: (value: Json, path: string) => (row: Row) => boolean;
}

/** A filter field Camunda 8.8 has that forager's engine does not serve. */
export interface UnsupportedFilter {
  unsupported: true;
}

export type FilterSpec<Row> = FilterField<Row> | CustomFilter<Row> | UnsupportedFilter;

/**
 * Filter fields that describe one related thing together (a process instance's element instance with this
 * id *and* this state): the fields present are matched as one condition.
 */
export interface FilterGroup<Row> {
  fields: readonly string[];
  predicate: (values: JsonObject, path: string) => (row: Row) => boolean;
}

export interface SearchSpec<Row> {
  /** The key property of a row: the tie-breaker of every sort. */
  key: keyof Row & string;
  filter: Record<string, FilterSpec<Row>>;
  groups?: readonly FilterGroup<Row>[];
  /** Sortable fields (row properties), in the order Camunda lists them. */
  sort: readonly string[];
}

export interface SearchResult<Row> {
  items: Row[];
  page: { totalItems: number; hasMoreTotalItems: boolean; startCursor?: string; endCursor?: string };
}

const OPERATORS: Record<Exclude<Operators, 'plain'>, readonly string[]> = {
  basic: ['$eq', '$neq', '$exists', '$in', '$notIn'],
  string: ['$eq', '$neq', '$exists', '$in', '$notIn', '$like'],
  range: ['$eq', '$neq', '$exists', '$gt', '$gte', '$lt', '$lte', '$in'],
  enum: ['$eq', '$neq', '$exists', '$in', '$like'],
};

type Predicate<Row> = (row: Row) => boolean;

export const DEFAULT_LIMIT = 100;

/** Runs a search request over rows. Throws {@link RestProblem} for a bad request. */
export function search<Row extends object>(spec: SearchSpec<Row>, body: JsonObject, rows: Iterable<Row>): SearchResult<Row> {
  onlyKnown(body, ['filter', 'sort', 'page']);
  const predicates = compileFilter(spec, body);
  const sort = compileSort(spec, body);
  const page = readPage(body);
  const matching: Row[] = [];
  for (const row of rows) if (predicates.every((p) => p(row))) matching.push(row);
  const tuple = (row: Row) => [...sort.map((s) => valueOf(row, s.field)), (row as Record<string, unknown>)[spec.key]];
  const compare = (a: unknown[], b: unknown[]) => compareTuples(a, b, sort);
  matching.sort((a, b) => compare(tuple(a), tuple(b)));

  let items: Row[];
  if (page.after !== undefined) {
    const cursor = decodeCursor(page.after, sort.length + 1);
    items = matching.filter((row) => compare(tuple(row), cursor) > 0).slice(0, page.limit);
  } else if (page.before !== undefined) {
    const cursor = decodeCursor(page.before, sort.length + 1);
    const earlier = matching.filter((row) => compare(tuple(row), cursor) < 0);
    items = earlier.slice(Math.max(0, earlier.length - page.limit));
  } else {
    items = matching.slice(page.from, page.from + page.limit);
  }
  const result: SearchResult<Row> = { items, page: { totalItems: matching.length, hasMoreTotalItems: false } };
  if (items.length > 0) {
    result.page.startCursor = encodeCursor(tuple(items[0]!));
    result.page.endCursor = encodeCursor(tuple(items[items.length - 1]!));
  }
  return result;
}

/* ---------- filter ---------- */

function compileFilter<Row>(spec: SearchSpec<Row>, body: JsonObject): Predicate<Row>[] {
  const filter = optObject(body, 'filter');
  return filter ? [filterPredicate(spec, filter, 'filter')] : [];
}

/** One predicate for a filter object of `spec` (found at `path` in the request, for error messages). */
export function filterPredicate<Row>(spec: SearchSpec<Row>, filter: JsonObject, path: string): Predicate<Row> {
  const predicates: Predicate<Row>[] = [];
  const grouped = new Set<string>();
  for (const group of spec.groups ?? []) {
    const values: JsonObject = {};
    for (const name of group.fields) {
      const value = filter[name];
      if (value !== undefined && value !== null) values[name] = value;
      grouped.add(name);
    }
    if (Object.keys(values).length > 0) predicates.push(group.predicate(values, path));
  }
  for (const [name, value] of Object.entries(filter)) {
    if (grouped.has(name)) continue;
    const at = `${path}.${name}`;
    const field = Object.hasOwn(spec.filter, name) ? spec.filter[name] : undefined;
    if (!field) {
      throw invalidArgument(
        `Unknown filter property '${name}'. Use any of the following properties: [${Object.keys(spec.filter).join(', ')}]`,
      );
    }
    // Jackson leaves the field unset, or Camunda's Java client sends an unset list as []: no condition.
    if (value === null || (Array.isArray(value) && value.length === 0)) continue;
    if ('unsupported' in field) throw notSupported(`The filter '${name}'`);
    if ('custom' in field) {
      predicates.push(field.custom(value, at));
      continue;
    }
    predicates.push(fieldPredicate(name, field, value, at));
  }
  return (row) => predicates.every((p) => p(row));
}

function fieldPredicate<Row>(name: string, field: FilterField<Row>, value: Json, path: string): Predicate<Row> {
  const get = field.get ?? ((row: Row) => (row as Record<string, unknown>)[name]);
  if (!isObject(value)) {
    const expected = parseValue(name, field, value, path);
    return (row) => equal(get(row), expected, field.kind);
  }
  if (field.ops === 'plain') throw unparsable(path);
  const allowed = OPERATORS[field.ops];
  const checks: ((actual: unknown) => boolean)[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (!allowed.includes(op)) throw unparsable(`${path}.${op}`);
    if (operand === null) continue;
    const at = `${path}.${op}`;
    switch (op) {
      case '$eq': {
        const expected = parseValue(name, field, operand, at);
        checks.push((actual) => equal(actual, expected, field.kind));
        break;
      }
      case '$neq': {
        const expected = parseValue(name, field, operand, at);
        checks.push((actual) => !equal(actual, expected, field.kind));
        break;
      }
      case '$exists': {
        if (typeof operand !== 'boolean') throw unparsable(at);
        checks.push((actual) => (actual !== undefined && actual !== null) === operand);
        break;
      }
      case '$in':
      case '$notIn': {
        if (!Array.isArray(operand)) throw unparsable(at);
        if (operand.length === 0) break; // Camunda's Java client sends [] with every $eq: no condition
        const expected = operand.map((item) => parseValue(name, field, item, at));
        const inList = (actual: unknown) => expected.some((e) => equal(actual, e, field.kind));
        checks.push(op === '$in' ? inList : (actual) => !inList(actual));
        break;
      }
      case '$like': {
        if (typeof operand !== 'string') throw unparsable(at);
        const matches = likeMatcher(operand);
        checks.push((actual) => actual !== undefined && actual !== null && matches(String(actual)));
        break;
      }
      default: {
        const bound = parseValue(name, field, operand, at);
        checks.push((actual) => {
          if (actual === undefined || actual === null) return false;
          const c = compareValues(actual, bound, field.kind);
          return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
        });
      }
    }
  }
  return (row) => {
    const actual = get(row);
    return checks.every((check) => check(actual));
  };
}

/** A plain filter value of a field's kind, checked as Camunda checks it. */
function parseValue<Row>(name: string, field: FilterField<Row>, value: Json, path: string): unknown {
  switch (field.kind) {
    case 'key':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string') return checkKey(value, name);
      throw unparsable(path);
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw unparsable(path);
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw unparsable(path);
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw unparsable(path);
    case 'date': {
      if (typeof value !== 'string') throw unparsable(path);
      if (!isRfc3339(value)) {
        throw invalidArgument(`The provided ${name} '${value}' cannot be parsed as a date according to RFC 3339, section 5.6`);
      }
      return value;
    }
    case 'enum': {
      if (typeof value !== 'string') throw unparsable(path);
      const values = field.values ?? [];
      if (!values.includes(value)) {
        throw invalidArgument(
          `Unexpected value '${value}' for enum field '${name}'. Use any of the following values: [${values.join(', ')}]`,
        );
      }
      return value;
    }
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function equal(actual: unknown, expected: unknown, kind: FieldKind): boolean {
  if (actual === undefined || actual === null) return false;
  if (kind === 'key') return String(actual) === expected;
  if (kind === 'date') return Date.parse(String(actual)) === Date.parse(String(expected));
  return actual === expected;
}

type LikeToken = { readonly kind: 'any' } | { readonly kind: 'one' } | { readonly kind: 'char'; readonly char: string };

/**
 * `$like`: `*` any run of characters, `?` one character, `\` escapes the next one. Matched without regular
 * expressions, in time bounded by the text's length times the pattern's (a greedy scan that goes back only to
 * the last `*`), so that no pattern (`*a*a*a*a*b` against a long value) can stall the engine.
 *
 * @example
 * likeMatcher('ord-*-?')('ord-2024-7'); // true
 */
export function likeMatcher(like: string): (text: string) => boolean {
  const tokens: LikeToken[] = [];
  const chars = Array.from(like);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) tokens.push({ kind: 'char', char: chars[++i]! });
    else if (c === '*') {
      if (tokens.at(-1)?.kind !== 'any') tokens.push({ kind: 'any' }); // ** is *
    } else if (c === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char: c });
  }
  return (value) => {
    const text = Array.from(value);
    let t = 0;
    let p = 0;
    let star = -1; // the last * seen, and where in the text it began to match
    let starText = 0;
    while (t < text.length) {
      const token = tokens[p];
      if (token !== undefined && (token.kind === 'one' || (token.kind === 'char' && token.char === text[t]))) {
        p++;
        t++;
      } else if (token?.kind === 'any') {
        star = p++;
        starText = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++starText;
      } else {
        return false;
      }
    }
    while (tokens[p]?.kind === 'any') p++;
    return p === tokens.length;
  };
}

/* ---------- sort ---------- */

interface SortBy {
  field: string;
  descending: boolean;
}

function compileSort<Row>(spec: SearchSpec<Row>, body: JsonObject): SortBy[] {
  const list = optArray(body, 'sort');
  if (!list) return [];
  return list.map((entry, i) => {
    if (!isObject(entry)) throw unparsable(`sort[${i}]`);
    onlyKnown(entry, ['field', 'order'], `sort[${i}]`);
    const field = optString(entry, 'field', `sort[${i}]`);
    if (field === undefined) throw invalidArgument('Sort field must not be null');
    if (!spec.sort.includes(field)) throw invalidArgument(`Unknown sortBy: ${field}`);
    const order = optString(entry, 'order', `sort[${i}]`) ?? 'ASC';
    if (!/^(asc|desc)$/i.test(order)) throw invalidArgument(`Unknown sortOrder: ${order}`);
    return { field, descending: order.toUpperCase() === 'DESC' };
  });
}

function valueOf(row: object, field: string): unknown {
  const value = (row as Record<string, unknown>)[field];
  return value === undefined ? null : value;
}

const KEY_LIKE = /^-?\d{1,19}$/;

function compareValues(a: unknown, b: unknown, kind?: FieldKind): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  if (kind === 'date') return Date.parse(x) - Date.parse(y);
  if ((kind === 'key' || kind === undefined) && KEY_LIKE.test(x) && KEY_LIKE.test(y)) {
    const d = BigInt(x) - BigInt(y);
    return d === 0n ? 0 : d > 0n ? 1 : -1;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sort values then the key; missing values sort last in either order (as Elasticsearch's default). */
function compareTuples(a: unknown[], b: unknown[], sort: SortBy[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const descending = i < sort.length && sort[i]!.descending;
    if (x === null || x === undefined || y === null || y === undefined) {
      if ((x === null || x === undefined) && (y === null || y === undefined)) continue;
      return x === null || x === undefined ? 1 : -1;
    }
    const c = compareValues(x, y);
    if (c !== 0) return descending ? -c : c;
  }
  return 0;
}

/* ---------- page ---------- */

interface Page {
  from: number;
  limit: number;
  after?: string;
  before?: string;
}

function readPage(body: JsonObject): Page {
  const page = optObject(body, 'page');
  if (!page) return { from: 0, limit: DEFAULT_LIMIT };
  onlyKnown(page, ['from', 'limit', 'after', 'before'], 'page');
  const from = optInteger(page, 'from', 'page');
  const limit = optInteger(page, 'limit', 'page');
  const after = optString(page, 'after', 'page');
  const before = optString(page, 'before', 'page');
  if (after !== undefined && before !== undefined) throw invalidArgument('Both after and before cannot be set at the same time');
  if (from !== undefined && (after !== undefined || before !== undefined)) {
    throw invalidArgument('Both after/before and from cannot be set at the same time');
  }
  if (from !== undefined && from < 0) throw invalidArgument(`The value for page.from is '${from}' but must be >= 0`);
  if (limit !== undefined && limit < 1) throw invalidArgument(`The value for page.limit is '${limit}' but must be > 0`);
  const result: Page = { from: from ?? 0, limit: limit ?? DEFAULT_LIMIT };
  if (after !== undefined) result.after = after;
  if (before !== undefined) result.before = before;
  return result;
}

function encodeCursor(tuple: unknown[]): string {
  return Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64');
}

function decodeCursor(cursor: string, length: number): unknown[] {
  try {
    const tuple = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as unknown;
    if (Array.isArray(tuple) && tuple.length === length) return tuple;
  } catch {
    // fall through
  }
  throw new RestProblem(400, 'INVALID_ARGUMENT', `Cannot decode the cursor '${cursor}': use a startCursor or endCursor of a response to the same search`);
}
