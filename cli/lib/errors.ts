/**
 * How the CLI ends: a `CliError` carries the message for stderr and the exit code (see cli/README.md).
 * `toCliError` maps the errors of config and transport to a message and code, in one place.
 */
import { LintTargetError } from '../../src/bpmn/index.ts';
import { ConfigError } from '../../src/config/index.ts';
import { BrokerError, BrokerRejectionError, BrokerTimeoutError, BrokerUnreachableError, NoBrokerAddressError } from '../../src/transport/index.ts';

export const EXIT = Object.freeze({ OK: 0, RUNTIME: 1, BAD_INPUT: 2, NOT_RUNNING: 3 });

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    /** More for `--json` (for example the problems found in a deployment). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * Broker statuses that mean "what you sent is malformed" (exit 2). NOT_FOUND is the broker refusing an
 * operation on something that does not exist (exit 1), said as a sentence by the command (`notFound`).
 */
const BAD_INPUT_STATUSES = new Set(['INVALID_ARGUMENT']);

/**
 * Runs a broker call and turns the broker's NOT_FOUND into `sentence` (exit 1), keeping the broker's words.
 *
 * @example
 *   await notFound(() => transport.cancelInstance(key), `no process instance with key ${key}`);
 */
export async function notFound<T>(call: () => Promise<T>, sentence: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof BrokerRejectionError && error.status === 'NOT_FOUND') {
      throw new CliError(`${sentence} (the broker answered NOT_FOUND: ${error.details})`, EXIT.RUNTIME, { status: 'NOT_FOUND', details: error.details });
    }
    throw error;
  }
}

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
