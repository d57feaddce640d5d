/**
 * Loud where not supported, at the wire: a request carrying a field that the engine's protocol (the proto of
 * the installed `@camunda8/sdk`) does not know is refused with 3 INVALID_ARGUMENT naming the field number,
 * instead of being decoded without it and then run as if the field had not been sent. Newer clients send such
 * fields only when their user sets them (proto3 leaves defaults off the wire): for example the Java client
 * 8.9's `terminateAfterElement` runtime instructions and `tags` on CreateProcessInstance.
 *
 * Only the top level of a request is checked; the field numbers come from the loaded descriptors.
 */
import * as grpc from '@grpc/grpc-js';

const UNKNOWN = Symbol('unknown fields');

interface Descriptor {
  name?: string;
  field?: { number?: number; name?: string }[];
}

/** Top-level field numbers in a protobuf message's bytes. Returns undefined if the bytes do not parse. */
export function topLevelFieldNumbers(bytes: Uint8Array): number[] | undefined {
  const numbers: number[] = [];
  let i = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let shift = 0;
    while (i < bytes.length) {
      const b = bytes[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) return undefined;
    }
    return undefined;
  };
  while (i < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    numbers.push(field);
    if (wire === 0) {
      if (varint() === undefined) return undefined;
    } else if (wire === 1) i += 8;
    else if (wire === 2) {
      const length = varint();
      if (length === undefined) return undefined;
      i += length;
    } else if (wire === 5) i += 4;
    else return undefined; // groups are not used by the gateway protocol
    if (i > bytes.length) return undefined;
  }
  return numbers;
}

/**
 * A copy of the service whose request deserializers note the top-level fields their message type does not
 * declare (on the decoded request, under a symbol).
 */
export function noteUnknownFields(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const type = (method as { requestType?: { type?: Descriptor } }).requestType?.type;
    const known = new Set((type?.field ?? []).map((f) => f.number));
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const request = decode(bytes) as Record<PropertyKey, unknown>;
        const unknown = (topLevelFieldNumbers(bytes) ?? []).filter((n) => !known.has(n));
        if (unknown.length > 0 && request && typeof request === 'object') {
          Object.defineProperty(request, UNKNOWN, { value: [...new Set(unknown)], enumerable: false });
        }
        return request;
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

function unknownFieldsOf(request: unknown): number[] | undefined {
  return request && typeof request === 'object' ? ((request as Record<PropertyKey, unknown>)[UNKNOWN] as number[] | undefined) : undefined;
}

function refusal(method: string, fields: number[], typeName: string | undefined) {
  return {
    code: grpc.status.INVALID_ARGUMENT,
    details: `Expected a ${typeName ?? method} request that forager's engine understands, but it carries field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}, which its protocol (Zeebe 8.8's, from @camunda8/sdk) does not have: the feature is not supported by forager's engine; leave it unset or run against a Camunda 8 cluster`,
  };
}

/** Puts the unknown-field check in front of every handler: such a request gets 3 INVALID_ARGUMENT. */
export function rejectUnknownFields(service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const definition = service[name];
    const typeName = (definition as { requestType?: { type?: Descriptor } } | undefined)?.requestType?.type?.name;
    /* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handlers are untyped here */
    const run = handler as (...args: any[]) => void;
    if (definition?.responseStream) {
      wrapped[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const unknown = unknownFieldsOf(call.request);
        if (unknown) call.emit('error', refusal(name, unknown, typeName));
        else run(call);
      };
    } else {
      wrapped[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const unknown = unknownFieldsOf(call.request);
        if (unknown) callback(refusal(name, unknown, typeName) as grpc.ServiceError);
        else run(call, callback);
      };
    }
    /* eslint-enable @typescript-eslint/no-explicit-any */
  }
  return wrapped;
}

/* ---------- fields newer than the loaded proto, on the way out ---------- */

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * `ActivatedJob.listenerEventType = UNSPECIFIED` (field 17, value 6), which a Zeebe 8.8 broker sends with
 * every BPMN job and the proto of @camunda8/sdk does not declare. Without it, clients that know the field
 * read its zero value, which is ASSIGNING (`kind`, field 16, is BPMN_ELEMENT = 0, the default, so it stays
 * off the wire as on a broker).
 */
const JOB_EXTRAS = Buffer.from([...varintBytes((17 << 3) | 0), 6]);

/** Rewrites each length-delimited `field` of a message, appending `extra` to its embedded message. */
export function appendToEmbedded(bytes: Buffer, field: number, extra: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (i < bytes.length) {
    const start = i;
    const tag = readVarint();
    const wire = tag % 8;
    if (wire === 2) {
      const length = readVarint();
      const body = bytes.subarray(i, i + length);
      i += length;
      if (Math.floor(tag / 8) === field) {
        parts.push(Buffer.from([...varintBytes(tag), ...varintBytes(length + extra.length)]), body, extra);
        continue;
      }
    } else if (wire === 0) readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    parts.push(bytes.subarray(start, i));
  }
  return Buffer.concat(parts);
}

/** A copy of the service whose job responses carry the fields a broker sends beyond the loaded proto. */
export function withBrokerJobFields(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...service };
  const stream = service.StreamActivatedJobs;
  if (stream) {
    out.StreamActivatedJobs = { ...stream, responseSerialize: (job: unknown) => Buffer.concat([stream.responseSerialize(job), JOB_EXTRAS]) };
  }
  const activate = service.ActivateJobs;
  if (activate) {
    out.ActivateJobs = { ...activate, responseSerialize: (response: unknown) => appendToEmbedded(activate.responseSerialize(response), 1, JOB_EXTRAS) };
  }
  return out as grpc.ServiceDefinition;
}
