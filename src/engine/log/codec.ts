/**
 * Pure encoding helpers of the durable log and the snapshots:
 * - `crc32`: the IEEE CRC-32 (the one of zip, gzip and PNG), table-driven (node:zlib has it only from Node 22);
 * - `encodeValue` / `decodeValue`: JSON text for any value the engine keeps, Map, Set and bigint included.
 *
 * The encoding is JSON with tags: a value JSON cannot carry becomes an object whose only key is "\u0000" and
 * whose value says what it was: `{"\u0000":["map", [[k, v], …]]}`, `["set", […]]`, `["big", "123"]`,
 * `["num", "NaN" | "Infinity" | "-Infinity"]`, `["undef"]` (in arrays) and `["obj", [[k, v], …]]` (a plain
 * object that itself has a key "\u0000", so that no user data can pass for a tag). Object properties whose
 * value is `undefined` are left out, as JSON does. Anything else that is not plain data (a class instance, a
 * function, a symbol) is refused with an error naming where it was, so a snapshot never silently loses a field.
 *
 * @example
 * const text = encodeValue(new Map([['a', new Set([1n])]]));
 * decodeValue(text); // Map { 'a' => Set { 1n } }
 */

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3) of `bytes[start, end)`, continuing from `crc` when given. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const TAG = '\u0000';

/** A value that cannot be encoded, with the path where it was found. */
export class EncodeError extends Error {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`cannot encode ${what} at ${path || 'the root'}: only plain data (objects, arrays, Map, Set, bigint, primitives) can be stored`);
    this.name = 'EncodeError';
  }
}

/**
 * Encodes `value` as JSON text with tags (see the module comment). `tagged` in the result says whether any tag
 * was needed: plain JSON can be read back with `JSON.parse` alone, which is faster.
 */
export function encodeValue(value: unknown): { text: string; tagged: boolean } {
  let tagged = false;
  const text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (Number.isFinite(v)) return v;
        tagged = true;
        return { [TAG]: ['num', String(v)] };
      case 'bigint':
        tagged = true;
        return { [TAG]: ['big', v.toString()] };
      case 'undefined':
        if (Array.isArray(this)) {
          tagged = true;
          return { [TAG]: ['undef'] };
        }
        return undefined;
      case 'function':
      case 'symbol':
        throw new EncodeError(key, `a ${typeof v}`);
    }
    if (v === null || Array.isArray(v)) return v;
    if (v instanceof Map) {
      tagged = true;
      return { [TAG]: ['map', [...v]] };
    }
    if (v instanceof Set) {
      tagged = true;
      return { [TAG]: ['set', [...v]] };
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new EncodeError(key, `an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`);
    }
    // Tags this replacer returns are not passed to it again, so any object holding TAG is user data.
    if (Object.prototype.hasOwnProperty.call(v, TAG)) {
      tagged = true;
      return { [TAG]: ['obj', Object.entries(v as object)] };
    }
    return v;
  });
  if (text === undefined) throw new EncodeError('', 'undefined');
  return { text, tagged };
}

/**
 * Reads what `encodeValue` wrote. `tagged: false` (plain JSON) skips the walk that resolves tags. With `shared`,
 * equal short strings come out as one string (see `sharedStrings`).
 */
export function decodeValue(text: string, tagged = true, shared?: SharedStrings): unknown {
  const parsed = JSON.parse(text) as unknown;
  return tagged || shared ? untag(parsed, shared) : parsed;
}

/**
 * Hands out one string for equal short strings. Parsed JSON has a string per occurrence, where the live engine
 * shares one per key (an instance's key stands in a dozen rows and indexes): a snapshot read without it took a
 * third more heap than the state it was written from.
 */
export type SharedStrings = (text: string) => string;

export function sharedStrings(): SharedStrings {
  const seen = new Map<string, string>();
  return (text) => {
    if (text.length > 40) return text;
    const known = seen.get(text);
    if (known !== undefined) return known;
    seen.set(text, text);
    return text;
  };
}

function untag(v: unknown, shared?: SharedStrings): unknown {
  if (typeof v === 'string') return shared ? shared(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = untag(v[i], shared);
    return v;
  }
  const obj = v as Record<string, unknown>;
  const body = obj[TAG];
  if (body !== undefined && Array.isArray(body) && Object.keys(obj).length === 1) {
    switch (body[0]) {
      case 'map':
        return new Map((body[1] as [unknown, unknown][]).map(([k, x]) => [untag(k, shared), untag(x, shared)]));
      case 'set':
        return new Set((body[1] as unknown[]).map((x) => untag(x, shared)));
      case 'big':
        return BigInt(body[1] as string);
      case 'num':
        return Number(body[1]);
      case 'undef':
        return undefined;
      case 'obj': {
        const out: Record<string, unknown> = {};
        for (const [k, x] of body[1] as [string, unknown][]) out[k] = untag(x, shared);
        return out;
      }
    }
  }
  for (const k of Object.keys(obj)) obj[k] = untag(obj[k], shared);
  return obj;
}
