/**
 * One gRPC channel to a Zeebe gateway, as every broker call of forager uses it: the SDK's proto, the
 * configured credentials (TLS for grpcs://, the official SDK's auth headers), keepalive and reconnect
 * settings, and `unary(operation, method, request)` with a deadline, whose failures leave as the errors of
 * `errors.ts`. The job client and the command transport are built on it; neither loads the SDK's client.
 */
import * as grpc from '@grpc/grpc-js';
import { hostPort, type BrokerAddress, type ForagerConfig } from '../config/index.ts';
import { channelCredentials, loadGateway, plainTextAuth, type GatewayClient } from './channel.ts';
import { NoBrokerAddressError, toBrokerError, type BrokerError } from './errors.ts';

/** Default deadline of one call: long enough for a loaded broker. */
export const CALL_DEADLINE_MS = 30_000;

export interface GatewayChannel {
  readonly address: BrokerAddress;
  /** `host:port`, as messages name the broker. */
  readonly target: string;
  /** The proto-loader client, for streaming calls. */
  readonly client: GatewayClient;
  /** The call metadata (auth headers on a plain-text channel; empty otherwise). */
  metadata(): Promise<grpc.Metadata>;
  /** One unary call; resolves with the raw response or rejects with a `BrokerError` naming `operation`. */
  unary(operation: string, method: string, request: object, options?: CallOptions): Promise<RawResponse>;
  /** A broker error for a failed call, classified with what the channel knows (connected or not). */
  brokerError(operation: string, error: unknown, call?: { job?: boolean }): BrokerError;
  close(): void;
}

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- proto-loader messages are untyped */
export type RawResponse = any;

export interface CallOptions {
  /** The call fails with `BrokerTimeoutError` after this long (default {@link CALL_DEADLINE_MS}) … */
  readonly deadlineMs?: number;
  /** … or at this instant (epoch ms), whichever is first. */
  readonly until?: number;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
  /** A job command: NOT_FOUND and FAILED_PRECONDITION become `JobNotFoundError` and `JobNotActiveError`. */
  readonly job?: boolean;
}

/**
 * Opens a channel to the configured broker. No call is made yet: grpc-js connects lazily and reconnects by
 * itself after a broker restart. Throws `NoBrokerAddressError` when no address is configured.
 */
export function openGateway(config: ForagerConfig): GatewayChannel {
  const address = config.address;
  if (!address) throw new NoBrokerAddressError();
  const target = hostPort(address);
  const Gateway = loadGateway();
  const client: GatewayClient = new Gateway(target, channelCredentials(config, address), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 5_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.enable_retries': 0,
  });
  const authHeaders = plainTextAuth(config, address);
  const metadata = async () => (authHeaders ? authHeaders() : new grpc.Metadata());
  const brokerError = (operation: string, error: unknown, call: { job?: boolean } = {}) =>
    toBrokerError(operation, error, target, { ...call, connected: client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY });
  return {
    address,
    target,
    client,
    metadata,
    brokerError,
    async unary(operation, method, request, options = {}) {
      const { deadlineMs = CALL_DEADLINE_MS, until = Infinity, signal, job } = options;
      const meta = await metadata();
      return new Promise((resolve, reject) => {
        const call = client[method](request, meta, { deadline: Math.min(Date.now() + deadlineMs, until) }, (error: grpc.ServiceError | null, response: unknown) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(brokerError(operation, error, { job }));
          else resolve(response);
        }) as grpc.ClientUnaryCall;
        const cancel = () => call.cancel();
        if (signal?.aborted) cancel();
        else signal?.addEventListener('abort', cancel, { once: true });
      });
    },
    close: () => client.close(),
  };
}
