/**
 * The gRPC channel to a Zeebe gateway: the service definition loaded once from the proto that ships in
 * `@camunda8/sdk`, channel credentials (plain text for grpc://, TLS for grpcs://, with custom certificates),
 * and call credentials that put the official SDK's auth headers (OAuth, bearer, basic, cookie) on every call.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { BrokerAddress, ForagerConfig, TlsFiles } from '../config/index.ts';

const require = createRequire(import.meta.url);

/** The gateway's protocol as the official SDK ships it (Apache-2.0). */
export const ZEEBE_PROTO_PATH = join(dirname(require.resolve('@camunda8/sdk')), 'proto', 'zeebe.proto');

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader clients are untyped */
export type GatewayClient = grpc.Client & Record<string, any>;
type GatewayConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => GatewayClient;

let gatewayConstructor: GatewayConstructor | undefined;

export function loadGateway(): GatewayConstructor {
  if (!gatewayConstructor) {
    const definition = protoLoader.loadSync(ZEEBE_PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition).gateway_protocol as unknown as { Gateway: GatewayConstructor };
    gatewayConstructor = pkg.Gateway;
  }
  return gatewayConstructor;
}

export function credentialsFor(address: BrokerAddress, tls: TlsFiles | undefined): grpc.ChannelCredentials {
  if (!address.secure) return grpc.credentials.createInsecure();
  const rootCert = tls?.rootCert ?? (tls?.rootCertPath ? readFileSync(tls.rootCertPath, 'utf8') : undefined);
  return grpc.credentials.createSsl(
    rootCert ? Buffer.from(rootCert) : null,
    tls?.privateKeyPath ? readFileSync(tls.privateKeyPath) : null,
    tls?.certChainPath ? readFileSync(tls.certChainPath) : null,
  );
}

interface HeadersProvider {
  getHeaders(audience: 'ZEEBE'): Promise<Record<string, string>>;
}

/**
 * The official SDK's own auth provider for this configuration (the same environment conventions: OAuth
 * client credentials with token caching and refresh, a static bearer token, basic, cookie, or none).
 */
function sdkAuthProvider(config: ForagerConfig): HeadersProvider | undefined {
  if (config.auth.strategy === 'NONE') return undefined;
  const lib = require('@camunda8/sdk/dist/lib/index.js') as {
    CamundaEnvironmentConfigurator: { mergeConfigWithEnvironment(config: unknown): unknown };
    constructOAuthProvider(config: unknown, options?: { explicitFromConstructor?: boolean }): HeadersProvider;
  };
  const merged = lib.CamundaEnvironmentConfigurator.mergeConfigWithEnvironment(config.sdkConfig);
  return lib.constructOAuthProvider(merged, { explicitFromConstructor: true });
}

/** Channel credentials with the SDK's auth headers added to every call (TLS is required for them). */
export function channelCredentials(config: ForagerConfig, address: BrokerAddress): grpc.ChannelCredentials {
  const channel = credentialsFor(address, config.tls);
  const auth = sdkAuthProvider(config);
  if (!auth) return channel;
  const callCredentials = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    auth.getHeaders('ZEEBE').then(
      (headers) => {
        const metadata = new grpc.Metadata();
        for (const [name, value] of Object.entries(headers)) metadata.set(name.toLowerCase(), value);
        callback(null, metadata);
      },
      (error: Error) => callback(error),
    );
  });
  if (!address.secure) {
    // grpc-js attaches call credentials only over TLS; plain text with auth is for local gateways behind a
    // proxy. The headers are then added per call instead (see JobClient).
    return channel;
  }
  return grpc.credentials.combineChannelCredentials(channel, callCredentials);
}

/** Headers for a plain-text channel with auth (grpc-js refuses call credentials without TLS). */
export function plainTextAuth(config: ForagerConfig, address: BrokerAddress): (() => Promise<grpc.Metadata>) | undefined {
  if (address.secure) return undefined;
  const auth = sdkAuthProvider(config);
  if (!auth) return undefined;
  return async () => {
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(await auth.getHeaders('ZEEBE'))) metadata.set(name.toLowerCase(), value);
    return metadata;
  };
}
