/**
 * How the CLI ends: a `CliError` carries the message for stderr and the exit code (see cli/README.md).
 * `toCliError` maps the errors of config and transport to a message and code, in one place.
 */
import { ConfigError } from '../../src/config/index.ts';
import { BrokerError, BrokerRejectionError, BrokerTimeoutError, BrokerUnreachableError, NoBrokerAddressError } from '../../src/transport/index.ts';

export const EXIT = Object.freeze({ OK: 0, RUNTIME: 1, BAD_INPUT: 2, NOT_RUNNING: 3 });

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Broker statuses that mean "what you asked for is wrong", not "something broke". */
const BAD_INPUT_STATUSES = new Set(['INVALID_ARGUMENT', 'NOT_FOUND']);

export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ConfigError) return new CliError(error.message, EXIT.BAD_INPUT);
  if (error instanceof NoBrokerAddressError) {
    return new CliError('no broker address: run `forager engine up` and export what it prints, or set ZEEBE_GRPC_ADDRESS', EXIT.RUNTIME);
  }
  if (error instanceof BrokerUnreachableError) return new CliError(error.message, EXIT.RUNTIME);
  if (error instanceof BrokerTimeoutError) return new CliError(error.message, EXIT.RUNTIME);
  if (error instanceof BrokerRejectionError) {
    return new CliError(`${error.operation} rejected by the broker (${error.status}): ${error.details}`, BAD_INPUT_STATUSES.has(error.status) ? EXIT.BAD_INPUT : EXIT.RUNTIME);
  }
  if (error instanceof BrokerError) return new CliError(error.message, EXIT.RUNTIME);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CliError(`unexpected error: ${message}`, EXIT.RUNTIME);
}
