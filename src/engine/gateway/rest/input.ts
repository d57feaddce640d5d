/**
 * Reading and checking REST request bodies the way Camunda 8.8's gateway (Spring + Jackson) does: a missing
 * body, malformed JSON, a property the request does not have, a property of the wrong type, a body over the
 * size limit each get a 400 problem naming what is wrong. Pure helpers over parsed JSON, plus the body reader.
 *
 * Since 8.8.0 (camunda/camunda#37895, backported to stable/8.8 as #37929) the gateway's mapper fails on
 * unknown properties; Jackson reports one as a `MismatchedInputException`, which the gateway answers with
 * "Request property [<path>] cannot be parsed". Scalars still coerce: the official REST client
 * (`@camunda8/orchestration-cluster-api`) sends every int64 as a decimal string (`{"timestamp":"1893456000000"}`).
 */
import type { IncomingMessage } from 'node:http';
import { RestProblem, bodyMissing, unparsable } from './problem.ts';
import { MAX_VARIABLE_NESTING_DEPTH, nestingDepth, tooDeep } from '../nesting.ts';

/** Request bodies above this are refused (Zeebe's default maximum message size, 4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Reads and parses a JSON body. `undefined` when the body is empty. Malformed JSON is Spring's
 * "Failed to read request"; a body over {@link MAX_BODY_BYTES} is refused before it is read to the end.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Json | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw new RestProblem(400, 'Bad Request', 'Failed to read request');
  }
  // The variables of a request sit one level below its body.
  if (nestingDepth(body, MAX_VARIABLE_NESTING_DEPTH + 1) > MAX_VARIABLE_NESTING_DEPTH + 1) throw new RestProblem(400, 'INVALID_ARGUMENT', tooDeep('variables'));
  return body;
}

function tooLarge(maxBytes: number): RestProblem {
  return new RestProblem(
    413,
    'Payload Too Large',
    `Expected the request body to be at most ${maxBytes} bytes (the maximum message size), but it was larger`,
  );
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body as an object; a missing body is "Required request body is missing" unless `optional`. */
export function objectBody(body: Json | undefined, optional = false): JsonObject {
  if (body === undefined || body === null) {
    if (optional) return {};
    throw bodyMissing();
  }
  if (!isObject(body)) throw unparsable('');
  return body;
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

/**
 * Refuses a property of `obj` that is not one of `known`, as Camunda's gateway does: the first unknown one is
 * "Request property [<path>] cannot be parsed".
 *
 * @example
 * onlyKnown({ name: 'paid', colour: 'red' }, ['name', 'correlationKey']); // throws: Request property [colour] cannot be parsed
 */
export function onlyKnown(obj: JsonObject, known: readonly string[], path = ''): JsonObject {
  for (const name of Object.keys(obj)) {
    if (!known.includes(name)) throw unparsable(join(path, name));
  }
  return obj;
}

/* Typed property readers: `undefined` when absent or null (Jackson leaves the field unset), else the value, or a
 * "cannot be parsed" problem naming the property's path. Scalars coerce as Jackson does by default: a number
 * or boolean is accepted where a string is expected, and a numeric string where a number is. */

export function optString(obj: JsonObject, name: string, path = ''): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw unparsable(join(path, name));
}

export function optInteger(obj: JsonObject, name: string, path = ''): number | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw unparsable(join(path, name));
}

export function optBoolean(obj: JsonObject, name: string, path = ''): boolean | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw unparsable(join(path, name));
}

export function optObject(obj: JsonObject, name: string, path = ''): JsonObject | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  throw unparsable(join(path, name));
}

export function optArray(obj: JsonObject, name: string, path = ''): Json[] | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  throw unparsable(join(path, name));
}

export function optStringArray(obj: JsonObject, name: string, path = ''): string[] | undefined {
  const list = optArray(obj, name, path);
  if (!list) return undefined;
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw unparsable(join(path, name));
  });
}

/**
 * A key (a Java long in Camunda, a decimal string or a number on the wire). Not numeric: Camunda's
 * "The provided <name> '<value>' is not a valid key" problem.
 */
export function optKey(obj: JsonObject, name: string, path = ''): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string') return checkKey(value, join(path, name));
  throw unparsable(join(path, name));
}

export function checkKey(value: string, name: string): string {
  if (!/^-?\d{1,19}$/.test(value)) {
    throw new RestProblem(
      400,
      'INVALID_ARGUMENT',
      `The provided ${name} '${value}' is not a valid key. Expected a numeric value. Did you pass an entity id instead of an entity key?`,
    );
  }
  return value.replace(/^(-?)0+(?=\d)/, '$1');
}

/** A key in the path (`/v2/process-instances/{processInstanceKey}`): Spring's conversion failure when not a long. */
export function pathKey(value: string, name: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new RestProblem(400, 'Bad Request', `Failed to convert '${name}' with value: '${value}' (not a valid percent-encoded path segment)`);
  }
  if (!/^-?\d{1,19}$/.test(decoded) || BigInt(decoded) > 9223372036854775807n || BigInt(decoded) < -9223372036854775808n) {
    throw new RestProblem(400, 'Bad Request', `Failed to convert '${name}' with value: '${decoded}'`);
  }
  return BigInt(decoded).toString();
}

/** The tenant of a request: only `<default>` exists (multi-tenancy is disabled). */
export function checkTenant(tenantId: string | undefined, request: string): void {
  if (tenantId !== undefined && tenantId !== '<default>') {
    throw new RestProblem(
      400,
      'INVALID_ARGUMENT',
      `Expected to handle request ${request} with tenant identifier '${tenantId}', but multi-tenancy is disabled`,
    );
  }
}
