/**
 * Authentication, off by default: an engine started with `auth` refuses gRPC calls without a valid bearer JWT
 * (16 UNAUTHENTICATED, with the reason) and REST calls (401 problem + WWW-Authenticate). Tokens come from a
 * small OIDC provider started by each test (test/helpers/token-server.ts): discovery, JWKS, client credentials.
 * The clients are the official ones: `@camunda8/sdk` with its OAuth flow, zbctl with its OAuth flags, forager's
 * own transport and workers fed by `resolveConfig` with the SDK's environment, and bare grpc-js for bad tokens.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Camunda8 } from '@camunda8/sdk';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.ts';
import { AuthConfigError, createTokenVerifier, type AuthError } from '../../src/engine/gateway/auth.ts';
import { defineWorker, runWorkers } from '../../src/index.ts';
import { startEngine } from '../../src/testing/index.ts';
import { connect } from '../../src/transport/index.ts';
import { loadGateway, type GatewayClient } from '../../src/transport/channel.ts';
import { cleanUp, forager, HELLO, killSpawned } from '../cli/helpers.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';
import { activate, instanceCompleted, waitUntil, type Engine } from '../helpers/engine-harness.ts';
import { startTokenServer, type TokenServer } from '../helpers/token-server.ts';
import { zbctl } from '../helpers/zbctl.ts';

const TIMEOUT = { timeout: 30_000 };
const silent = pino({ level: 'silent' });

/** A token server and an engine that accepts its tokens, both stopped after the test. */
async function secured(t: TestContext, audience: 'check' | 'none' = 'check'): Promise<{ idp: TokenServer; engine: Engine }> {
  const idp = await startTokenServer();
  t.after(() => idp.close());
  const engine = await startEngine({ auth: { issuer: idp.issuer, ...(audience === 'check' ? { audience: idp.audience } : {}) } });
  t.after(() => engine.stop());
  return { idp, engine };
}

/** The official SDK's settings for OAuth client credentials against `idp` (the variables it reads from the environment). */
function oauthSettings(engine: Engine, idp: TokenServer) {
  return {
    ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}`,
    ZEEBE_REST_ADDRESS: engine.restAddress,
    CAMUNDA_AUTH_STRATEGY: 'OAUTH' as const,
    ZEEBE_CLIENT_ID: idp.clientId,
    ZEEBE_CLIENT_SECRET: idp.clientSecret,
    CAMUNDA_OAUTH_URL: idp.tokenUrl,
    ZEEBE_TOKEN_AUDIENCE: idp.audience,
    CAMUNDA_TOKEN_DISK_CACHE_DISABLE: true, // a token cached on disk by an earlier run must not answer
    CAMUNDA_LOG_LEVEL: 'none' as const,
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' as const, ZEEBE_GRPC_CLIENT_CONNECTION_TOLERANCE_MS: 10 },
  };
}

type StatusError = Error & { code: number; details: string };

/** A bare grpc-js client of the engine that sends the given `authorization` value (or none). */
function rawClient(t: TestContext, engine: Engine): GatewayClient {
  const Gateway = loadGateway();
  const client = new Gateway(engine.address, grpc.credentials.createInsecure());
  t.after(() => client.close());
  return client;
}

function metadataWith(authorization: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return metadata;
}

function topology(client: GatewayClient, authorization: string | undefined): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    client.Topology({}, metadataWith(authorization), { deadline: Date.now() + 10_000 }, (error: StatusError | null, response: Record<string, unknown>) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** A server-streaming call to its end; rejects with the status error. */
function collect(client: GatewayClient, method: string, request: object, authorization: string | undefined): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const call: grpc.ClientReadableStream<unknown> = client[method](request, metadataWith(authorization), { deadline: Date.now() + 10_000 });
    const messages: unknown[] = [];
    call.on('data', (m) => messages.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

async function assertUnauthenticated(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: StatusError) => {
    assert.equal(error.code, grpc.status.UNAUTHENTICATED, `expected 16 UNAUTHENTICATED, got ${error.code}: ${error.message}`);
    assert.ok(error.message.startsWith('16 UNAUTHENTICATED: '), error.message);
    assert.match(error.details, reason);
    return true;
  });
}

test('the official SDK with OAuth client credentials: topology, deploy, create, activate and complete; REST topology too', TIMEOUT, async (t) => {
  const { idp, engine } = await secured(t);
  const c8 = new Camunda8(oauthSettings(engine, idp));
  const zb = c8.getZeebeGrpcApiClient();
  t.after(() => zb.close(2000).catch(() => undefined));

  const topo = await zb.topology();
  assert.equal(topo.brokers.length, 1);
  const deployed = await zb.deployResource({ name: 'auth.bpmn', process: Buffer.from(oneTaskProcess('auth-sdk', 'auth-sdk-task')) });
  assert.equal(deployed.deployments[0]?.process?.bpmnProcessId, 'auth-sdk');
  const instance = await zb.createProcessInstance({ bpmnProcessId: 'auth-sdk', variables: { n: 1 } });
  const jobs = await activate(zb, 'auth-sdk-task', { max: 1, requestTimeout: 5000 });
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.variables.n, 1);
  await zb.completeJob({ jobKey: jobs[0]!.key, variables: { done: true } });
  assert.ok(instanceCompleted(engine, instance.processInstanceKey), 'the instance completed');

  // The same credentials on the REST API, through the SDK's REST client.
  const rest = c8.getCamundaRestClient();
  const restTopology = await rest.getTopology();
  assert.match(restTopology.gatewayVersion, /^8\.8\./);

  // The token came from the token server through client credentials with the configured audience, and was reused.
  assert.ok(idp.counts.token >= 1 && idp.counts.token <= 2, `token requests: ${idp.counts.token}`);
  assert.equal(idp.tokenRequests[0]!.grant_type, 'client_credentials');
  assert.equal(idp.tokenRequests[0]!.client_id, idp.clientId);
  assert.equal(idp.tokenRequests[0]!.audience, idp.audience);
  assert.equal(idp.counts.discovery, 1, 'the engine discovered the keys once');
  assert.equal(idp.counts.jwks, 1);
  assert.deepEqual(engine.checkIntegrity(), []);
});

test('the official SDK without credentials gets 16 UNAUTHENTICATED (after its one retry, no hang)', TIMEOUT, async (t) => {
  const { engine } = await secured(t);
  const zb = new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}`,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_LOG_LEVEL: 'none',
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE', ZEEBE_GRPC_CLIENT_CONNECTION_TOLERANCE_MS: 10 },
  }).getZeebeGrpcApiClient();
  t.after(() => zb.close(2000).catch(() => undefined));
  const started = Date.now();
  await assertUnauthenticated(zb.topology(), /^Expected bearer token at header with key \[authorization\], but found nothing$/);
  await assertUnauthenticated(zb.createProcessInstance({ bpmnProcessId: 'anything', variables: {} }), /found nothing/);
  // The SDK retries a 16 once (for a token that expired in flight; its retryOnFailure), about a second later.
  assert.ok(Date.now() - started < 6000, `refused within the SDK's single retry, took ${Date.now() - started} ms`);
  assert.equal(engine.records().length, 0, 'nothing reached the engine');
});

test('raw gRPC: every bad token is refused with 16 and its reason, unary and streaming alike; a good one passes', TIMEOUT, async (t) => {
  const { idp, engine } = await secured(t);
  const client = rawClient(t, engine);
  const bearer = (token: string) => `Bearer ${token}`;

  await assertUnauthenticated(topology(client, undefined), /but found nothing/);
  await assertUnauthenticated(topology(client, 'Basic dXNlcjpwYXNz'), /'Bearer <token>'/);
  await assertUnauthenticated(topology(client, bearer('not-a-jwt')), /not a valid JWT/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ expiresIn: -600 }))), /The token expired at \d{4}-\d\d-\d\dT.*\(\d+ s ago\)/);
  await assertUnauthenticated(
    topology(client, bearer(await idp.mint({ issuer: 'https://elsewhere.example/realms/x' }))),
    new RegExp(`issued by 'https://elsewhere.example/realms/x', but this engine accepts tokens issued by '${idp.issuer}' only`),
  );
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ audience: 'operate-api' }))), /audience "operate-api" does not include 'zeebe-api'/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ audience: null }))), /audience null does not include 'zeebe-api'/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ foreignKey: 'sameKid' }))), /signature does not verify with the keys of issuer/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ foreignKey: 'otherKid' }))), /signed with a key that issuer '.*' does not publish/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ notBefore: 600 }))), /not valid before/);
  await assertUnauthenticated(topology(client, bearer(await idp.mint({ noExpiry: true }))), /no valid expiry/);
  // A token whose signature part was replaced (header and claims intact).
  const good = await idp.mint();
  const [h, p] = good.split('.');
  await assertUnauthenticated(topology(client, bearer(`${h}.${p}.${Buffer.from('forged').toString('base64url')}`)), /signature does not verify/);

  // Streaming calls: ActivateJobs (long poll) and StreamActivatedJobs end with 16 before reaching the engine.
  const activation = { type: 'auth-raw', worker: 'w', timeout: 1000, maxJobsToActivate: 1, requestTimeout: 5000 };
  await assertUnauthenticated(collect(client, 'ActivateJobs', activation, undefined), /found nothing/);
  await assertUnauthenticated(collect(client, 'StreamActivatedJobs', { type: 'auth-raw', worker: 'w', timeout: 1000 }, bearer(await idp.mint({ expiresIn: -120 }))), /expired/);

  // A good token, in any letter case of the scheme, passes: unary and streaming.
  const response = await topology(client, `bearer ${good}`);
  assert.equal((response as { clusterSize: number }).clusterSize, 1);
  assert.deepEqual(await collect(client, 'ActivateJobs', { ...activation, requestTimeout: -1 }, bearer(good)), [], 'no job, no error');
  // Within the 60 s skew an expired token is still accepted, as Spring Security does.
  await topology(client, bearer(await idp.mint({ expiresIn: -30 })));
  // Keys were discovered once and are cached; the foreign key ids did not make the engine fetch them again and again.
  assert.equal(idp.counts.discovery, 1);
  assert.equal(idp.counts.jwks, 1);
  assert.deepEqual(engine.checkIntegrity(), []);
});

test('token expiry follows wall time, not the engine clock: a pinned or advanced clock does not expire tokens', TIMEOUT, async (t) => {
  const { idp, engine } = await secured(t);
  const client = rawClient(t, engine);
  const token = await idp.mint({ expiresIn: 60 });
  await engine.advanceClock(24 * 3600_000); // engine time a day ahead
  await topology(client, `Bearer ${token}`);
  const instance = new Camunda8(oauthSettings(engine, idp)).getZeebeGrpcApiClient();
  t.after(() => instance.close(2000).catch(() => undefined));
  await instance.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess('auth-clock', 'auth-clock-task')) });
  await instance.createProcessInstance({ bpmnProcessId: 'auth-clock', variables: {} });
  assert.equal((await activate(instance, 'auth-clock-task', { max: 1, requestTimeout: 5000 })).length, 1);
});

test('REST: 401 problem with WWW-Authenticate without a valid token; 200 with a token from the token server', TIMEOUT, async (t) => {
  const { idp, engine } = await secured(t);
  const url = `${engine.restAddress}/v2/topology`;

  const none = await fetch(url);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.match(none.headers.get('content-type') ?? '', /application\/problem\+json/);
  const problem = (await none.json()) as Record<string, unknown>;
  assert.equal(problem.status, 401);
  assert.equal(problem.title, 'Unauthorized');
  assert.equal(problem.instance, '/v2/topology');
  assert.match(String(problem.detail), /found nothing/);

  const expired = await fetch(url, { headers: { authorization: `Bearer ${await idp.mint({ expiresIn: -600 })}` } });
  assert.equal(expired.status, 401);
  assert.match(expired.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", error_description="The token expired at/);
  assert.match(String(((await expired.json()) as { detail: string }).detail), /expired/);

  // Client credentials by hand, as any HTTP client would do it.
  const issued = await fetch(idp.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: idp.clientId, client_secret: idp.clientSecret, audience: idp.audience }),
  });
  assert.equal(issued.status, 200);
  const { access_token } = (await issued.json()) as { access_token: string };
  const ok = await fetch(url, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(ok.status, 200);
  assert.match(((await ok.json()) as { gatewayVersion: string }).gatewayVersion, /^8\.8\./);

  // The clock endpoint is behind the same check.
  const clock = await fetch(`${engine.restAddress}/v2/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"timestamp":0}' });
  assert.equal(clock.status, 401);

  // Wrong client secret: the token server refuses, no token to present.
  const refused = await fetch(idp.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: idp.clientId, client_secret: 'wrong' }),
  });
  assert.equal(refused.status, 401);
});

test("forager's own path: resolveConfig with the SDK's OAuth environment, connect() and runWorkers complete a job", TIMEOUT, async (t) => {
  const { idp, engine } = await secured(t);
  const env = {
    ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}`,
    CAMUNDA_AUTH_STRATEGY: 'OAUTH',
    ZEEBE_CLIENT_ID: idp.clientId,
    ZEEBE_CLIENT_SECRET: idp.clientSecret,
    CAMUNDA_OAUTH_URL: idp.tokenUrl,
    ZEEBE_TOKEN_AUDIENCE: idp.audience,
    CAMUNDA_TOKEN_DISK_CACHE_DISABLE: 'true',
  };
  const config = resolveConfig(env);
  const transport = await connect(config, { callTimeoutMs: 10_000 });
  t.after(() => transport.close());
  await transport.deploy([{ name: 'forager-auth.bpmn', content: Buffer.from(oneTaskProcess('auth-forager', 'auth-forager-task')) }]);
  const created = await Promise.all([1, 2, 3].map((n) => transport.createInstance('auth-forager', { n })));

  const worker = defineWorker({ type: 'auth-forager-task', handler: async (variables) => ({ doubled: Number(variables.n) * 2 }) });
  for (const mode of ['stream', 'poll'] as const) {
    const workers = runWorkers([worker], { config, logger: silent, mode, pollRequestTimeoutMs: 2000 });
    const refused: string[] = [];
    workers.on('job:lost', ({ reason }) => refused.push(reason));
    t.after(() => workers.stop(1000));
    if (mode === 'stream') {
      await waitUntil(() => created.every((i) => instanceCompleted(engine, i.processInstanceKey)), 10_000, 'the instances to complete');
    } else {
      const more = await transport.createInstance('auth-forager', { n: 4 });
      await waitUntil(() => instanceCompleted(engine, more.processInstanceKey), 10_000, 'the polled instance to complete');
    }
    await workers.stop(1000);
    assert.deepEqual(refused, []);
  }
  assert.ok(idp.tokenRequests.every((r) => r.client_id === idp.clientId && r.audience === idp.audience));

  // The same environment without credentials: forager reports the refusal, naming the status and the reason.
  const anonymous = await connect(resolveConfig({ ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}`, CAMUNDA_AUTH_STRATEGY: 'NONE' }), { callTimeoutMs: 10_000 });
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.topology(), /UNAUTHENTICATED: Expected bearer token at header/);
  assert.deepEqual(engine.checkIntegrity(), []);
});

test('keys: a rotated key is fetched on its first unknown key id, at most once per cooldown', TIMEOUT, async (t) => {
  const idp = await startTokenServer();
  t.after(() => idp.close());
  let now = Date.now();
  const verifier = createTokenVerifier({ issuer: idp.issuer, audience: idp.audience, now: () => now, keysCooldownMs: 30_000 });
  const old = await idp.mint();
  await verifier.verify(`Bearer ${old}`);
  assert.deepEqual(idp.counts, { discovery: 1, jwks: 1, token: 0 });

  await idp.rotateKey();
  const rotated = await idp.mint();
  // Within the cooldown the new key id is not looked up again.
  await assert.rejects(verifier.verify(`Bearer ${rotated}`), (e: AuthError) => e.code === 'UNKNOWN_KEY');
  assert.equal(idp.counts.jwks, 1);
  now += 31_000;
  assert.equal((await verifier.verify(`Bearer ${rotated}`)).sub, idp.clientId);
  assert.equal(idp.counts.jwks, 2, 'fetched again once');
  assert.equal(idp.counts.discovery, 1, 'discovery is not repeated');
  // The old token was checked before the rotation and is still within its lifetime (cached).
  await verifier.verify(`Bearer ${old}`);
  // Keys older than keysMaxAgeMs (10 minutes by default) are fetched again before the next check.
  now += 11 * 60_000;
  await verifier.verify(`Bearer ${await idp.mint()}`);
  assert.equal(idp.counts.jwks, 3, 'refreshed after its maximum age');
  // Expiry follows the injected wall time.
  now += 2 * 3600_000;
  await assert.rejects(verifier.verify(`Bearer ${rotated}`), (e: AuthError) => e.code === 'EXPIRED');
});

test('keys: ES256 tokens from a JWKS given directly (no discovery); HS256 and unsigned tokens are refused', TIMEOUT, async (t) => {
  const idp = await startTokenServer({ algorithm: 'ES256' });
  t.after(() => idp.close());
  const verifier = createTokenVerifier({ issuer: idp.issuer, audience: [idp.audience, 'tasklist-api'], jwksUri: idp.jwksUri });
  assert.equal((await verifier.verify(`Bearer ${await idp.mint()}`)).iss, idp.issuer);
  assert.equal((await verifier.verify(`Bearer ${await idp.mint({ audience: ['tasklist-api'] })}`)).iss, idp.issuer, 'any configured audience');
  assert.equal(idp.counts.discovery, 0, 'the configured jwksUri skips discovery');

  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = part({ iss: idp.issuer, aud: idp.audience, exp: Math.floor(Date.now() / 1000) + 600 });
  const hs256 = await new SignJWT({ aud: idp.audience })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(idp.issuer)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode('a-shared-secret-that-nobody-configured'));
  for (const token of [hs256, `${part({ alg: 'none', typ: 'JWT' })}.${claims}.`]) {
    await assert.rejects(verifier.verify(`Bearer ${token}`), (e: AuthError) => {
      assert.equal(e.code, 'ALGORITHM_NOT_ALLOWED', e.message);
      assert.match(e.message, /algorithm this engine does not accept/);
      return true;
    });
  }
});

test('keys: an unreachable issuer is a clear UNAUTHENTICATED, and bad settings fail at start', TIMEOUT, async (t) => {
  const idp = await startTokenServer();
  const issuer = idp.issuer;
  const token = await idp.mint();
  await idp.close();
  const engine = await startEngine({ auth: { issuer } });
  t.after(() => engine.stop());
  await assertUnauthenticated(topology(rawClient(t, engine), `Bearer ${token}`), /discovery document at .*openid-configuration could not be fetched/);

  assert.throws(() => createTokenVerifier({ issuer: 'not a url' }), AuthConfigError);
  await assert.rejects(startEngine({ auth: { issuer: 'ftp://idp.example' } }), /auth.issuer must be an http\(s\) URL/);
  await assert.rejects(startEngine({ auth: { issuer: 'https://idp.example', audience: '' } }), AuthConfigError);
});

test('standalone engine with --auth-issuer: zbctl without credentials is refused, zbctl with OAuth flags works', TIMEOUT, async (t) => {
  const idp = await startTokenServer();
  t.after(() => idp.close());
  const main = fileURLToPath(new URL('../../src/engine/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--auth-issuer', idp.issuer, '--auth-audience', idp.audience], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const auth = /authentication on: bearer tokens of issuer (\S+), audience 'zeebe-api'/.exec(output);
      const address = /listening on (\S+:\d+)/.exec(output);
      if (auth && address) resolve(address[1]!);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`the engine exited with ${code}: ${output}`)));
  });
  const address = await ready;
  assert.match(output, new RegExp(`issuer ${idp.issuer}`));

  const anonymous = await zbctl(address, ['status']);
  assert.notEqual(anonymous.code, 0, 'zbctl without credentials fails');
  assert.match(anonymous.stderr, /code = Unauthenticated desc = Expected bearer token at header/);

  const oauth = await zbctl(address, [
    '--clientId',
    idp.clientId,
    '--clientSecret',
    idp.clientSecret,
    '--authzUrl',
    idp.tokenUrl,
    '--audience',
    idp.audience,
    'status',
  ]);
  assert.equal(oauth.code, 0, oauth.stderr);
  assert.match(oauth.stdout, /Gateway version: 8\.8\./);
  assert.equal(idp.tokenRequests.at(-1)?.audience, idp.audience);

  const stopped = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await stopped, 0);
});

test('standalone engine: --auth-audience without an issuer, or an issuer that is no URL, is a usage error (exit 2)', TIMEOUT, async () => {
  const main = fileURLToPath(new URL('../../src/engine/main.ts', import.meta.url));
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr };
  };
  const [noIssuer, badIssuer] = await Promise.all([run(['--auth-audience', 'zeebe-api']), run(['--auth-issuer', 'idp.example/realms/x'])]);
  assert.equal(noIssuer.code, 2);
  assert.match(noIssuer.stderr, /need --auth-issuer/);
  assert.equal(badIssuer.code, 2);
  assert.match(badIssuer.stderr, /auth\.issuer must be an http\(s\) URL, not 'idp\.example\/realms\/x' \[AUTH_CONFIG_INVALID\]/);
});

test('forager engine up --auth-issuer: prints what a client needs; forager deploy works with the credentials and is refused without', { timeout: 60_000 }, async (t) => {
  const idp = await startTokenServer();
  t.after(() => idp.close());
  const home = await mkdtemp(join(tmpdir(), 'forager-auth-'));
  t.after(async () => {
    killSpawned();
    await cleanUp(home);
  });
  const up = await forager(['engine', 'up', '--auth-issuer', idp.issuer, '--auth-audience', idp.audience], { FORAGER_HOME: home });
  assert.equal(up.code, 0, up.stderr);
  const printed = Object.fromEntries(up.stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
  assert.equal(printed.CAMUNDA_AUTH_STRATEGY, 'OAUTH');
  assert.equal(printed.CAMUNDA_OAUTH_URL, idp.tokenUrl, 'the token endpoint, from the discovery document');
  assert.equal(printed.ZEEBE_TOKEN_AUDIENCE, idp.audience);
  assert.match(up.stderr, /requires bearer tokens of .* set ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET too/);

  const env = { FORAGER_HOME: home, ...printed, ZEEBE_CLIENT_ID: idp.clientId, ZEEBE_CLIENT_SECRET: idp.clientSecret, CAMUNDA_TOKEN_DISK_CACHE_DISABLE: 'true' };
  const deployed = await forager(['deploy', HELLO], env);
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.match(deployed.stdout, /^deployed hello version 1/);

  const { ZEEBE_GRPC_ADDRESS, ZEEBE_ADDRESS } = printed;
  const refused = await forager(['deploy', HELLO], { FORAGER_HOME: home, ZEEBE_GRPC_ADDRESS: ZEEBE_GRPC_ADDRESS!, ZEEBE_ADDRESS: ZEEBE_ADDRESS! });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /deploy rejected by the broker \(UNAUTHENTICATED\): Expected bearer token at header/);
});
