/**
 * Contract-test harness: forager's engine plus the clients no one here wrote, the official `@camunda8/sdk`
 * gRPC client (and, on demand, a bare grpc-js client built from the SDK's own proto).
 *
 * `engineTest` starts a fresh engine and client per test, gives every test a timeout (the SDK retries some
 * status codes forever, so a wrong code shows up as a hang, which the timeout turns into a failure), and
 * closes the client and stops the engine after the test, whether it passed, failed or timed out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { Camunda8 } from '@camunda8/sdk';
import { startEngine } from '../../src/testing/index.ts';
import { RawGateway, type GrpcStatusError } from './raw-gateway.ts';

export type Engine = Awaited<ReturnType<typeof startEngine>>;
export type EngineRecord = ReturnType<Engine['records']>[number];
export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;
/** A variables document as the SDK takes it. */
export type Variables = Parameters<ZeebeClient['createProcessInstance']>[0]['variables'];

export interface Harness {
  engine: Engine;
  zb: ZeebeClient;
  /** A bare grpc-js client on the same engine, created on first use. */
  raw(): RawGateway;
  /** A short unique suffix for process ids, job types, message names of this test. */
  id: string;
}

export const TEST_TIMEOUT_MS = 20_000;

/** The SDK's configuration for an engine: plaintext gRPC, no auth, quiet. */
export function sdkConfig(address: string) {
  return {
    ZEEBE_GRPC_ADDRESS: `grpc://${address}`,
    CAMUNDA_AUTH_STRATEGY: 'NONE' as const,
    CAMUNDA_LOG_LEVEL: 'none' as const,
    zeebeGrpcSettings: {
      ZEEBE_CLIENT_LOG_LEVEL: 'NONE' as const,
      // Only a debounce of the SDK's connection-state events; its 3 s default timer keeps a finished test
      // process alive.
      ZEEBE_GRPC_CLIENT_CONNECTION_TOLERANCE_MS: 10,
    },
  };
}

/**
 * Starts an engine and an SDK client on it. The client is connected (a first `topology()` call) by
 * `connect()`, so that the caller can register `close()` before anything that could hang.
 */
export async function startHarness(): Promise<Harness & { connect(): Promise<void>; close(): Promise<void> }> {
  const engine = await startEngine();
  const c8 = new Camunda8(sdkConfig(engine.address));
  const zb = c8.getZeebeGrpcApiClient();
  let raw: RawGateway | undefined;
  let closed = false;
  return {
    engine,
    zb,
    raw: () => (raw ??= new RawGateway(engine.address)),
    id: randomUUID().slice(0, 8),
    async connect() {
      // An SDK client closed before its channel was ever ready leaves a 10 s waitForReady timer behind,
      // which keeps the test process alive: connect first.
      await zb.topology();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Client first (so that it stops retrying), then the engine.
      raw?.close();
      await zb.close(2000).catch(() => undefined);
      await engine.stop();
    },
  };
}

export interface EngineTestOptions {
  timeout?: number;
}

/** A node:test test with its own engine and SDK client, cleaned up whatever happens. */
export function engineTest(name: string, fn: (h: Harness, t: TestContext) => Promise<void>, options: EngineTestOptions = {}): void {
  test(name, { timeout: options.timeout ?? TEST_TIMEOUT_MS }, async (t) => {
    const h = await startHarness();
    t.after(() => h.close());
    await h.connect();
    await fn(h, t);
    assert.deepEqual(h.engine.checkIntegrity(), [], 'the engine state is consistent and rebuilt exactly by replaying its log');
  });
}

/* ---------- assertions on gRPC status codes ---------- */

const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};

/**
 * Awaits a call that must fail with gRPC status `code`; checks the `<code> <NAME>: ` message prefix that the
 * SDK's own tests rely on, and optionally the message text. Returns the error.
 */
export async function rejectsWithCode(promise: Promise<unknown>, code: number, message?: RegExp): Promise<GrpcStatusError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    const e = error as GrpcStatusError;
    assert.equal(e.code, code, `expected gRPC status ${code} ${STATUS_NAMES[code]}, got ${e.code}: ${e.message}`);
    assert.ok(
      e.message.startsWith(`${code} ${STATUS_NAMES[code]}: `),
      `expected the message to start with '${code} ${STATUS_NAMES[code]}: ', got '${e.message}'`,
    );
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected gRPC status ${code} ${STATUS_NAMES[code]}, but the call succeeded with ${JSON.stringify(result)}`);
}

/**
 * An engine in this process with an official SDK client on it (connected), both closed after the test or by
 * `close()` — for tests that stop and start engines themselves (data directories, restarts).
 */
export async function openEngine(
  t: TestContext,
  options: Parameters<typeof startEngine>[0] = {},
): Promise<{ engine: Engine; zb: ZeebeClient; close(): Promise<void> }> {
  const engine = await startEngine(options);
  const zb = new Camunda8(sdkConfig(engine.address)).getZeebeGrpcApiClient();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await zb.close(2000).catch(() => undefined);
    await engine.stop();
  };
  t.after(close);
  await zb.topology();
  return { engine, zb, close };
}

/** Makes temporary directories named `prefix…`, all removed when the test file ends (call at its top level). */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/* ---------- jobs ---------- */

export interface ActivateOptions {
  max?: number;
  timeout?: number;
  requestTimeout?: number;
  worker?: string;
  fetchVariable?: string[];
}

/** ActivateJobs through the SDK; by default answers at once (requestTimeout -1). */
export function activate(zb: ZeebeClient, type: string, options: ActivateOptions = {}) {
  const request: Parameters<ZeebeClient['activateJobs']>[0] = {
    type,
    worker: options.worker ?? 'contract-test',
    maxJobsToActivate: options.max ?? 32,
    timeout: options.timeout ?? 60_000,
    requestTimeout: options.requestTimeout ?? -1,
  };
  if (options.fetchVariable) request.fetchVariable = options.fetchVariable;
  return zb.activateJobs<Record<string, unknown>, Record<string, string>>(request);
}

/** Activates exactly one job of `type` (waiting up to `requestTimeout`, 5 s by default) and returns it. */
export async function activateOne(zb: ZeebeClient, type: string, options: ActivateOptions = {}) {
  const jobs = await activate(zb, type, { max: 1, requestTimeout: 5000, ...options });
  assert.equal(jobs.length, 1, `expected one job of type '${type}', got ${jobs.length}`);
  return jobs[0]!;
}

/** CompleteJob's variables, as the SDK types them. */
export type CompleteVariables = Parameters<ZeebeClient['completeJob']>[0]['variables'];

/** Activates one job of `type` (see activateOne), completes it with `variables` and returns it. */
export async function completeOne(h: Harness, type: string, variables: CompleteVariables = {}) {
  const job = await activateOne(h.zb, type);
  await h.zb.completeJob({ jobKey: job.key, variables });
  return job;
}

/* ---------- processes ---------- */

/** Deploys BPMN XML under `name` through the SDK and returns the first process's metadata. */
export async function deploy(zb: ZeebeClient, xml: string, name = 'process.bpmn') {
  const response = await zb.deployResource({ name, process: Buffer.from(xml) });
  const process = response.deployments[0]?.process;
  assert.ok(process, `the deployment of ${name} should contain a process: ${JSON.stringify(response)}`);
  return process;
}

/** Creates an instance of the latest version of `bpmnProcessId` and returns its key. */
export async function startInstance(h: Harness, bpmnProcessId: string, variables: Variables = {}) {
  return (await h.zb.createProcessInstance({ bpmnProcessId, variables })).processInstanceKey;
}

/* ---------- records ---------- */

export function eventsOf(engine: Engine, valueType: string, intent?: string): EngineRecord[] {
  return engine
    .records()
    .filter((r) => r.recordType === 'EVENT' && r.valueType === valueType && (intent === undefined || r.intent === intent));
}

/** INCIDENT CREATED events (optionally of one process instance). */
export function incidentsCreated(engine: Engine, processInstanceKey?: string): EngineRecord[] {
  return eventsOf(engine, 'INCIDENT', 'CREATED').filter(
    (r) => processInstanceKey === undefined || String(r.value.processInstanceKey) === processInstanceKey,
  );
}

/** True once the process instance's root element completed. */
export function instanceCompleted(engine: Engine, processInstanceKey: string): boolean {
  return eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED').some(
    (r) => r.key === processInstanceKey && r.value.flowScopeKey === undefined,
  );
}

/* ---------- time ---------- */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` until it holds or `timeoutMs` of wall time passed. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** PROCESS_INSTANCE events of `intent` for the element `elementId`, oldest first. */
export function elementEvents(h: Harness, intent: string, elementId: string) {
  return eventsOf(h.engine, 'PROCESS_INSTANCE', intent).filter((r) => r.value.elementId === elementId);
}

/** Root ELEMENT_ACTIVATING events of `bpmnProcessId`: one per process instance created. */
export function instancesOf(h: Harness, bpmnProcessId: string) {
  return eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING').filter((r) => r.value.flowScopeKey === undefined && r.value.bpmnProcessId === bpmnProcessId);
}
