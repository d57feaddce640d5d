/**
 * The errors a broker call can end in, in forager's terms. Each has a stable `code`; the CLI, the worker and
 * tests decide on `code` (or `instanceof`), never on message text. gRPC status numbers appear only as data.
 */

/** Base class of every error the transport raises. */
export class BrokerError extends Error {
  override readonly name: string = 'BrokerError';
  readonly code: string = 'BROKER_ERROR';
  /** A passing condition (no connection, no answer in time, backpressure, a broker-side hiccup): worth trying again later. */
  readonly transient: boolean = false;
  /** The broker certainly did not take the command (it was refused before processing): safe to send it again, even a non-idempotent one. */
  readonly unprocessed: boolean = false;
}

/** No broker address is configured at all. */
export class NoBrokerAddressError extends BrokerError {
  override readonly name = 'NoBrokerAddressError';
  override readonly code = 'NO_BROKER_ADDRESS';
  constructor() {
    super('no broker address is configured (set ZEEBE_GRPC_ADDRESS or ZEEBE_ADDRESS)');
  }
}

/** The broker could not be reached (connection refused, no answer in time, TLS mismatch, DNS, …). */
export class BrokerUnreachableError extends BrokerError {
  override readonly name = 'BrokerUnreachableError';
  override readonly code = 'BROKER_UNREACHABLE';
  override readonly transient = true;
  override readonly unprocessed = true;
  constructor(
    /** `host:port` as configured. */
    readonly address: string,
    /** A short cause, for example `connection refused` or `no answer within 10000 ms`. */
    readonly reason: string,
  ) {
    super(`cannot reach the broker at ${address} (${reason})`);
  }
}

/** The broker did not answer a request within its deadline (for example a process instance awaited too long). */
export class BrokerTimeoutError extends BrokerError {
  override readonly name = 'BrokerTimeoutError';
  override readonly code = 'BROKER_TIMEOUT';
  override readonly transient = true;
  constructor(
    readonly operation: string,
    readonly details: string,
  ) {
    super(`${operation}: the broker did not answer in time (${details})`);
  }
}

/** The broker answered with an error status: the request was rejected. */
export class BrokerRejectionError extends BrokerError {
  override readonly name: string = 'BrokerRejectionError';
  override readonly code: string = 'BROKER_REJECTED';
  override readonly transient: boolean;
  override readonly unprocessed: boolean;
  /** The call was cancelled on this side (a worker stopping, a poll given up): nobody refused anything. */
  readonly cancelled: boolean;
  constructor(
    readonly operation: string,
    /** The gRPC status name, e.g. `INVALID_ARGUMENT`, `NOT_FOUND`, `RESOURCE_EXHAUSTED`. */
    readonly status: string,
    /** The numeric gRPC status code. */
    readonly grpcCode: number,
    /** The broker's own explanation, verbatim. */
    readonly details: string,
  ) {
    super(`${operation} rejected: ${status}: ${details}`);
    this.transient = TRANSIENT_STATUSES.has(grpcCode);
    this.unprocessed = UNPROCESSED_STATUSES.has(grpcCode);
    this.cancelled = grpcCode === CANCELLED;
  }
}

/** A job command (complete, fail, throw error, update timeout) for a job the broker no longer has: completed elsewhere, cancelled, or timed out and given to another worker. */
export class JobNotFoundError extends BrokerRejectionError {
  override readonly name = 'JobNotFoundError';
  override readonly code = 'JOB_NOT_FOUND';
}

/** A job command for a job that is no longer activated for this worker (FAILED_PRECONDITION). */
export class JobNotActiveError extends BrokerRejectionError {
  override readonly name = 'JobNotActiveError';
  override readonly code = 'JOB_NOT_ACTIVE';
}

const CANCELLED = 1;
/**
 * Statuses that name a passing condition of the broker or the network: UNKNOWN (a proxy, a dropped
 * connection), RESOURCE_EXHAUSTED (backpressure), INTERNAL (often during leader changes), UNAVAILABLE (the
 * gateway or the partition is not ready); DEADLINE_EXCEEDED is a `BrokerTimeoutError`. Not CANCELLED: forager
 * cancels calls itself when a worker stops or a job is given up. Not UNAUTHENTICATED: the channel refreshes
 * its token on the next call, and a token that stays refused is a configuration problem.
 */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([2, 8, 13, 14]);
/** Statuses with which the broker refuses a command before processing it: backpressure, unavailable. */
const UNPROCESSED_STATUSES: ReadonlySet<number> = new Set([8, 14]);
/** Job commands answer NOT_FOUND and FAILED_PRECONDITION with these. */
const JOB_REJECTIONS: ReadonlyMap<number, typeof BrokerRejectionError> = new Map<number, typeof BrokerRejectionError>([
  [5, JobNotFoundError],
  [9, JobNotActiveError],
]);

/** gRPC status names by number, so that nothing outside the transport needs `@grpc/grpc-js`. */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

interface GrpcLikeError {
  code: number;
  details?: string;
  message: string;
}

function isGrpcLikeError(error: unknown): error is GrpcLikeError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** A one-line, human cause for a connection failure reported by gRPC. */
export function describeConnectionFailure(details: string): string {
  const text = details.replace(/\s+/g, ' ').trim();
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i.test(text)) return 'host name not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) return 'host unreachable';
  if (/ECONNRESET/.test(text)) return 'connection reset';
  if (/wrong version number|WRONG_VERSION_NUMBER|packet length too long/i.test(text)) return 'TLS handshake failed: the broker does not answer with TLS';
  if (/certificate|CERT_|self.signed/i.test(text)) return `TLS handshake failed: certificate not accepted (${/((?:unable to|self.signed|certificate)[^.:;]*)/i.exec(text)?.[1] ?? 'see CAMUNDA_CUSTOM_ROOT_CERT_PATH'})`;
  if (/SSL|TLS|handshake/i.test(text)) return 'TLS handshake failed';
  const lastError = /Last error: (.*)$/.exec(text);
  return lastError?.[1] ?? (text || 'unavailable');
}

/** What the caller knows about the call that failed. */
export interface FailedCall {
  /** A job command: NOT_FOUND and FAILED_PRECONDITION become `JobNotFoundError` and `JobNotActiveError`. */
  readonly job?: boolean;
  /**
   * Whether the channel was connected when the call failed. UNAVAILABLE on a connected channel comes from the
   * gateway (its partition is not ready: a transient rejection); on one that is not, from the connection
   * (`BrokerUnreachableError`).
   */
  readonly connected?: boolean;
}

/** Maps whatever a broker call threw to one of the errors above. */
export function toBrokerError(operation: string, error: unknown, address: string, call: FailedCall = {}): BrokerError {
  if (error instanceof BrokerError) return error;
  if (isGrpcLikeError(error)) {
    const details = error.details ?? error.message;
    if (error.code === 14 && call.connected !== true) return new BrokerUnreachableError(address, describeConnectionFailure(details));
    if (error.code === 4) return new BrokerTimeoutError(operation, details);
    const Rejection = (call.job && JOB_REJECTIONS.get(error.code)) || BrokerRejectionError;
    return new Rejection(operation, GRPC_STATUS_NAMES[error.code] ?? `STATUS_${error.code}`, error.code, details);
  }
  const wrapped = new BrokerError(`${operation} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  return wrapped;
}
