/**
 * The job client's auth: the official SDK's providers fed by forager's resolved configuration. A real OAuth
 * token endpoint (an HTTP server started here) hands out a token; the headers every job call carries hold it.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config/index.ts';
import { channelCredentials, plainTextAuth } from '../../src/transport/channel.ts';

/** An unsigned JWT: the SDK's provider reads its expiry. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.signature`;
}

test('OAuth client credentials: the token from the endpoint goes into the authorization header', async () => {
  const token = jwt({ sub: 'forager-test', exp: Math.floor(Date.now() / 1000) + 3600 });
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const config = resolveConfig({
      ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:26500',
      ZEEBE_CLIENT_ID: 'forager-test',
      ZEEBE_CLIENT_SECRET: 'not-a-real-secret',
      CAMUNDA_OAUTH_URL: `http://127.0.0.1:${port}/oauth/token`,
      ZEEBE_TOKEN_AUDIENCE: 'zeebe.camunda.io',
      CAMUNDA_TOKEN_DISK_CACHE_DISABLE: 'true', // a token cached on disk by an earlier run must not answer
    });
    assert.equal(config.auth.strategy, 'OAUTH');
    assert.equal(config.auth.strategy === 'OAUTH' && config.auth.diskCache, false);
    const headers = plainTextAuth(config, config.address!);
    assert.ok(headers, 'a plain-text channel with auth adds the headers per call');
    const metadata = await headers();
    assert.deepEqual(metadata.get('authorization'), [`Bearer ${token}`]);
    assert.equal(requests.length, 1);
    assert.match(requests[0]!, /client_id=forager-test/);
    assert.match(requests[0]!, /grant_type=client_credentials/);
    await headers(); // cached by the SDK's provider until it expires
    assert.equal(requests.length, 1);
  } finally {
    server.close();
  }
});

test('a static bearer token, and no auth at all', async () => {
  const bearer = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:26500', CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: 'static-token' });
  const headers = plainTextAuth(bearer, bearer.address!);
  assert.deepEqual((await headers!()).get('authorization'), ['Bearer static-token']);
  const none = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:26500', CAMUNDA_AUTH_STRATEGY: 'NONE' });
  assert.equal(plainTextAuth(none, none.address!), undefined);
});

test('grpcs:// gives TLS channel credentials (with the auth headers on them)', () => {
  const config = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpcs://cluster.example:443', CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: 't' });
  assert.equal(config.address?.secure, true);
  const credentials = channelCredentials(config, config.address!);
  assert.equal(credentials._isSecure(), true);
  assert.equal(plainTextAuth(config, config.address!), undefined, 'over TLS the headers ride on the channel credentials');
  const plain = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:26500', CAMUNDA_AUTH_STRATEGY: 'NONE' });
  assert.equal(channelCredentials(plain, plain.address!)._isSecure(), false);
});
