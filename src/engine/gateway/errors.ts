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

export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof GatewayError) return { code: error.code, details: error.message, message: error.message };
  const message = `Unexpected error in forager's engine: ${(error as Error)?.message ?? String(error)}`;
  return { code: status.INTERNAL, details: message, message };
}
