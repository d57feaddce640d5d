/**
 * The one table from engine rejections to gRPC status codes, and the gateway's request-checking errors.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import type { Rejection, RejectionType } from '../state/records.ts';

const CODES: Record<RejectionType, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  INVALID_STATE: status.FAILED_PRECONDITION,
  PROCESSING_ERROR: status.INTERNAL,
};

/** An error a gRPC handler answers with. */
export class GatewayError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export function rejectionError(intent: string, rejection: Rejection): GatewayError {
  return new GatewayError(
    CODES[rejection.type],
    `Command '${intent}' rejected with code '${rejection.type}': ${rejection.reason}`,
  );
}

export function invalidArgument(message: string): GatewayError {
  return new GatewayError(status.INVALID_ARGUMENT, message);
}

/**
 * Backpressure: what a Zeebe broker answers when its command limiter refuses a request (the broker's own
 * text, which the gateway passes on as 8 RESOURCE_EXHAUSTED).
 */
export const OVERLOADED_MESSAGE = 'Reached maximum capacity of requests handled';

export function overloaded(message = OVERLOADED_MESSAGE): GatewayError {
  return new GatewayError(status.RESOURCE_EXHAUSTED, message);
}

/** ActivateJobs refused by the limiter with no job to hand out (Zeebe's long-polling handler's text). */
export function activationOverloaded(type: string): GatewayError {
  return overloaded(
    `Expected to activate jobs of type '${type}', but no jobs available and at least one broker returned 'RESOURCE_EXHAUSTED'. Please try again later.`,
  );
}

/** A call that arrives or is still open while the gateway closes. */
export function unavailable(message = "forager's engine gateway is shutting down"): GatewayError {
  return new GatewayError(status.UNAVAILABLE, message);
}

/**
 * The most a status message may take once percent-encoded into the `grpc-message` trailer. Clients accept
 * 8 KB of trailers by default (grpc-js, grpc-java); past that a client drops the answer or the whole HTTP/2
 * connection stalls. A deploy with hundreds of validation errors or a 100,000-character process id stays
 * well below it.
 */
export const MAX_STATUS_MESSAGE_BYTES = 4_096;

// grpc-js writes the trailer with encodeURI.
const encodedBytes = (text: string): number => encodeURI(text).length;

/**
 * `message` as it fits the status trailer: whole lines while they fit (then how many more there were), a long
 * line cut (then how much more there was).
 *
 * @example
 * capStatusMessage('x'.repeat(100_000)); // 'xxx… (95,940 more characters)'
 */
export function capStatusMessage(message: string, limit = MAX_STATUS_MESSAGE_BYTES): string {
  if (encodedBytes(message) <= limit) return message;
  const lines = message.split('\n');
  const budget = limit - 64; // room for what follows the cut
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const size = encodedBytes(line) + 3; // and its line break
    if (used + size > budget) break;
    kept.push(line);
    used += size;
  }
  if (kept.length > 0 && kept.length < lines.length) {
    const more = lines.length - kept.length;
    return `${kept.join('\n')}\n… and ${more.toLocaleString('en-US')} more line${more === 1 ? '' : 's'}`;
  }
  // One line too long: cut it where its encoded size reaches the budget.
  const chars = Array.from(message);
  let cut = 0;
  for (let size = 0; cut < chars.length; cut++) {
    size += encodedBytes(chars[cut]!);
    if (size > budget) break;
  }
  return `${chars.slice(0, cut).join('')}… (${(chars.length - cut).toLocaleString('en-US')} more characters)`;
}

export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof GatewayError) {
    const details = capStatusMessage(error.message);
    return { code: error.code, details, message: details };
  }
  const message = capStatusMessage(`Unexpected error in forager's engine: ${(error as Error)?.message ?? String(error)}`);
  return { code: status.INTERNAL, details: message, message };
}
