/**
 * A broker for a test or a demo: the one the official SDK's environment points at (Camunda SaaS, a
 * self-managed cluster, an engine from `forager engine up`), or, when none is set, forager's engine started
 * in this process.
 */
import { resolveConfig, type Environment, type ForagerConfig } from '../config/index.ts';
import { startEngine, type RunningEngine } from './engine.ts';
import { checkReachable } from '../transport/index.ts';

export interface TestBroker {
  /** The resolved configuration, its address set to the broker in use. */
  config: ForagerConfig;
  /** `host:port` of the broker. */
  address: string;
  /** The engine this helper started, when the environment named no broker; undefined otherwise. */
  engine: RunningEngine | undefined;
  /** Stops the engine if this helper started it; leaves an external broker alone. */
  stop(): Promise<void>;
}

/**
 * @example
 * const broker = await startBroker();              // reads ZEEBE_GRPC_ADDRESS, ZEEBE_ADDRESS, …
 * try { … connect(broker.config) … } finally { await broker.stop(); }
 *
 * An address that is set but does not answer fails within `reachableTimeoutMs` (default 8 s), naming it.
 */
export async function startBroker(env: Environment = process.env, options: { reachableTimeoutMs?: number } = {}): Promise<TestBroker> {
  const config = resolveConfig(env);
  if (config.address) {
    await checkReachable(config.address, options.reachableTimeoutMs ?? 8_000, config.tls);
    return { config, address: `${config.address.host}:${config.address.port}`, engine: undefined, stop: async () => {} };
  }
  const engine = await startEngine();
  return {
    config: resolveConfig(env, { address: `grpc://${engine.address}` }),
    address: engine.address,
    engine,
    stop: () => engine.stop(),
  };
}
