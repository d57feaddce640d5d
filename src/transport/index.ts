/**
 * The transport: forager's one narrow way to talk to a Zeebe broker, in domain terms. Two parts:
 * - `connect()`: the broker's commands (commands.ts: deploy, create a process instance and await its result,
 *   publish a message, broadcast a signal, cancel, set variables, update job retries, resolve an incident,
 *   topology), for the CLI, the demo and programs;
 * - `createJobClient()` (job-client.ts): the job hot path (activate, stream, complete, fail, throw error,
 *   extend timeout).
 * Both on one kind of channel (gateway.ts): bare grpc-js over the SDK's proto, with the SDK's auth providers;
 * the SDK's own client is never loaded.
 * gRPC types, status codes and retries stay behind this folder; every failure leaves it as one of the errors
 * in `errors.ts`.
 */
import type { BrokerAddress, ForagerConfig } from '../config/index.ts';
import { BROKER_ERROR_BACKOFF } from '../policy/backoff.ts';
import { brokerCommands, DEFAULT_TENANT, type BrokerCommands } from './commands.ts';
import { BrokerError, NoBrokerAddressError } from './errors.ts';
import { CALL_DEADLINE_MS, openGateway } from './gateway.ts';
import { checkReachable } from './reachable.ts';

export * from './errors.ts';
export { checkReachable } from './reachable.ts';
export { createJobClient } from './job-client.ts';
export type { ActivatedJob } from './job-client.ts';
export type { ActivateRequest, CommandDeadline, FailRequest, JobClient, JobStream, StreamHandlers, StreamRequest } from './job-client.ts';
export type {
  CreateInstanceOptions,
  DeployedResource,
  Deployment,
  MessageToPublish,
  ProcessInstance,
  Resource,
  Topology,
  TopologyBroker,
} from './commands.ts';

export interface Transport extends BrokerCommands {
  readonly address: BrokerAddress;
  /** Closes the channel. Idempotent. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Try a call again, with backoff, while the broker answers UNAVAILABLE or RESOURCE_EXHAUSTED (it did not
   * take the command), until the call's deadline. Off for one-shot commands, which should fail with a
   * message; on for programs that start before their broker is up (the demo).
   */
  readonly retry?: boolean;
  /** How long the reachability probe may take before `BrokerUnreachableError`. Default 10 s. */
  readonly reachableTimeoutMs?: number;
  /**
   * The deadline of one call (deploy, create, topology), after which it fails with `BrokerTimeoutError`.
   * Default 30 s; an awaited process instance gets its own `requestTimeoutMs` plus this much.
   */
  readonly callTimeoutMs?: number;
}

/**
 * Checks that a broker answers at the configured address (within `reachableTimeoutMs`), then opens a
 * channel to it. Throws `NoBrokerAddressError` when no address is configured and `BrokerUnreachableError`
 * when none answers.
 *
 * @example
 * const transport = await connect(resolveConfig(process.env));
 * try {
 *   const { processInstanceKey } = await transport.createInstance('order', { orderId: 'A-17' });
 * } finally {
 *   await transport.close();
 * }
 */
export async function connect(config: ForagerConfig, options: ConnectOptions = {}): Promise<Transport> {
  const address = config.address;
  if (!address) throw new NoBrokerAddressError();
  await checkReachable(address, options.reachableTimeoutMs ?? 10_000, config.tls);
  const callTimeoutMs = options.callTimeoutMs ?? CALL_DEADLINE_MS;
  const gateway = openGateway(config);
  const commands = brokerCommands(gateway, config.tenantId ?? DEFAULT_TENANT, callTimeoutMs);
  let closed = false;

  // Every command refuses once the transport is closed and, with `retry`, is sent again while not taken.
  const guarded = {} as BrokerCommands;
  for (const [name, command] of Object.entries(commands) as [keyof BrokerCommands, (...args: unknown[]) => Promise<unknown>][]) {
    (guarded as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const deadline = Date.now() + callTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        if (closed) throw new BrokerError(`${name}: the client is closed`);
        try {
          return await command(...args);
        } catch (error) {
          // Only what the broker certainly did not take is sent again: a create or a publish must not run twice.
          const delay = BROKER_ERROR_BACKOFF.delayMs(attempt, Math.random);
          if (!options.retry || !(error instanceof BrokerError) || !error.unprocessed || Date.now() + delay > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    };
  }

  return {
    address,
    ...guarded,
    async close() {
      if (closed) return;
      closed = true;
      gateway.close();
    },
  };
}
