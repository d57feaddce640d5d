/** Opening the broker for a command: config resolved once from the environment and flags, then `connect`. */
import { resolveConfig, type ConfigFlags, type ForagerConfig } from '../../src/config/index.ts';
import { BrokerRejectionError, connect, type Transport } from '../../src/transport/index.ts';
import { CliError, EXIT } from './exit.ts';
import type { CliIo } from './io.ts';

/** How long a command waits for an unreachable broker before giving up: with start-up, under 10 s in all. */
export const REACHABLE_TIMEOUT_MS = 8_000;

export interface BrokerSession {
  readonly config: ForagerConfig;
  readonly transport: Transport;
}

/** Resolves the configuration and connects; throws ConfigError / NoBrokerAddressError / BrokerUnreachableError. */
export async function openBroker(io: CliIo, flags: ConfigFlags, options: { retry: boolean }): Promise<BrokerSession> {
  const config = resolveConfig(io.env, flags);
  const transport = await connect(config, { retry: options.retry, reachableTimeoutMs: REACHABLE_TIMEOUT_MS });
  return { config, transport };
}

/** Runs `use` with an open transport and always closes it. */
export async function withBroker<T>(io: CliIo, flags: ConfigFlags, use: (session: BrokerSession) => Promise<T>): Promise<T> {
  const session = await openBroker(io, flags, { retry: false });
  try {
    return await use(session);
  } finally {
    await session.transport.close();
  }
}

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
