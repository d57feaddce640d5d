/**
 * A reachability probe that gives up. The official SDK retries an unreachable broker forever (logging every
 * second); forager asks the gateway for its topology over a bare `@grpc/grpc-js` channel with a deadline
 * instead, and turns silence or refusal into a `BrokerUnreachableError` within `timeoutMs`.
 *
 * Any answer at all, even UNAUTHENTICATED, proves that a Zeebe gateway is listening.
 */
import * as grpc from '@grpc/grpc-js';
import { hostPort, type BrokerAddress, type TlsFiles } from '../config/index.ts';
import { credentialsFor, loadGateway, type GatewayClient } from './channel.ts';
import { BrokerUnreachableError, describeConnectionFailure } from './errors.ts';

function topologyOnce(client: GatewayClient, deadline: number): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    client.Topology({}, { deadline }, (error: grpc.ServiceError | null) => resolve(error));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves when a Zeebe gateway answers at `address`; rejects with `BrokerUnreachableError` naming the
 * address within `timeoutMs`. Connection refused fails at once (nothing is listening); other failures
 * (no route, TLS handshake, a gateway still starting) are retried until the deadline.
 */
export async function checkReachable(address: BrokerAddress, timeoutMs: number, tls?: TlsFiles): Promise<void> {
  const target = hostPort(address);
  const deadline = Date.now() + timeoutMs;
  const Gateway = loadGateway();
  const client = new Gateway(target, credentialsFor(address, tls), {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    'grpc.enable_retries': 0,
  });
  let reason = `no answer within ${timeoutMs} ms`;
  try {
    for (;;) {
      const error = await topologyOnce(client, deadline);
      // Anything but "unavailable" or "deadline" is an answer from a gateway.
      if (error === null || (error.code !== grpc.status.UNAVAILABLE && error.code !== grpc.status.DEADLINE_EXCEEDED)) {
        if (error?.code === grpc.status.INTERNAL && /protocol error/i.test(error.details)) {
          reason = 'protocol error: is TLS expected? a grpcs:// address means TLS, grpc:// plaintext';
          break;
        }
        if (error?.code === grpc.status.UNIMPLEMENTED || (error && /Received HTTP status code/i.test(error.details))) {
          reason = `something answered, but not a Zeebe gateway: ${error.details}`;
          break;
        }
        return;
      }
      if (error.code === grpc.status.UNAVAILABLE) {
        reason = describeConnectionFailure(error.details);
        // Nothing listening, no such host, or a TLS mismatch: waiting will not change it.
        if (reason === 'connection refused' || reason === 'host name not found' || reason.startsWith('TLS handshake failed')) break;
      } else {
        reason = `no answer within ${timeoutMs} ms`;
      }
      if (Date.now() + 200 >= deadline) break;
      await sleep(200);
    }
  } finally {
    client.close();
  }
  if (address.secure && /TLS|no answer/.test(reason) && isLoopback(address.host)) {
    reason += `; TLS is on for this address (a bare ZEEBE_ADDRESS means TLS, as in the SDK): for a local plaintext broker set ZEEBE_GRPC_ADDRESS=grpc://${target}`;
  }
  throw new BrokerUnreachableError(target, reason);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
