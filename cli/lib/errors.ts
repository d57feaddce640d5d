/**
 * How the CLI ends: a `CliError` carries the message for stderr and the exit code (see cli/README.md).
 * `toCliError` maps the errors of config and transport to a message and code, in one place.
 */
import { LintTargetError } from '../../src/bpmn/index.ts';
import { ConfigError } from '../../src/config/index.ts';
import { BrokerError, BrokerRejectionError, BrokerTimeoutError, BrokerUnreachableError, NoBrokerAddressError } from '../../src/transport/index.ts';
import { CliError, EXIT } from './exit.ts';

export { CliError, EXIT } from './exit.ts';

/**
 * Broker statuses that mean "what you sent is malformed" (exit 2). NOT_FOUND is the broker refusing an
 * operation on something that does not exist (exit 1), said as a sentence by the command (`notFound`).
 */
const BAD_INPUT_STATUSES = new Set(['INVALID_ARGUMENT']);

/** The CLI's error for whatever a command threw: its message and exit code. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ConfigError || error instanceof LintTargetError) return new CliError(error.message, EXIT.BAD_INPUT);
  if (error instanceof NoBrokerAddressError) {
    return new CliError('no broker address: run `forager engine up` and export what it prints, or set ZEEBE_GRPC_ADDRESS', EXIT.RUNTIME);
  }
  if (error instanceof BrokerUnreachableError) return new CliError(error.message, EXIT.RUNTIME);
  if (error instanceof BrokerTimeoutError) return new CliError(error.message, EXIT.RUNTIME);
  if (error instanceof BrokerRejectionError) {
    return new CliError(`${error.operation} rejected by the broker (${error.status}): ${error.details}`, BAD_INPUT_STATUSES.has(error.status) ? EXIT.BAD_INPUT : EXIT.RUNTIME, {
      status: error.status,
      details: error.details,
    });
  }
  if (error instanceof BrokerError) return new CliError(error.message, EXIT.RUNTIME);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CliError(`unexpected error: ${message}`, EXIT.RUNTIME);
}
