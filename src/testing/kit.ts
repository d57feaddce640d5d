/**
 * The test kit: test your own workers and processes in a few lines, in-process, with no Docker and no
 * cluster — forager's engine, your BPMN, your workers, a clock you control, and assertions on what happened.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pino, type Logger } from 'pino';
import { resolveConfig } from '../config/index.ts';
import { startEngine, type RunningEngine } from './engine.ts';
import type { IdempotencyStore } from '../idempotency/index.ts';
import { toMs, type Duration } from '../policy/durations.ts';
import { createJobClient, type JobClient } from '../transport/index.ts';
import { runWorkers, type Middleware, type RunningWorkers, type WorkerDefinition } from '../worker/index.ts';

export interface TestKitOptions {
  /** BPMN files (paths) or `{ name, xml }` to deploy before the test. */
  readonly bpmn?: readonly (string | { name: string; xml: string })[];
  /** Workers to run against the engine. */
  readonly workers?: readonly WorkerDefinition[];
  readonly mode?: 'stream' | 'poll';
  readonly middleware?: readonly Middleware[];
  readonly idempotency?: IdempotencyStore;
  /** Worker logs; silent by default. */
  readonly logger?: Logger;
  /** How long `completed()`, `waitsAt()` and `incident()` wait. Default 5 s. */
  readonly waitMs?: number;
}

export interface Incident {
  readonly key: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly elementId: string;
  readonly jobKey: string | undefined;
}

export interface TestInstance {
  readonly key: string;
  /**
   * Resolves with the instance's variables once it completed; fails naming where it waits after `waitMs`,
   * or at once when it has an incident (naming it).
   */
  completed(): Promise<Record<string, unknown>>;
  /** Resolves once the instance waits at `elementId` (a task with its job, a message catch, …). */
  waitsAt(elementId: string): Promise<void>;
  /** Resolves with the instance's open incident. */
  incident(): Promise<Incident>;
  /** The instance's root variables now. */
  variables(): Record<string, unknown>;
}

export interface TestKit {
  readonly engine: RunningEngine;
  readonly workers: RunningWorkers | undefined;
  /** Starts an instance of the latest version of `bpmnProcessId`. */
  start(bpmnProcessId: string, variables?: Record<string, unknown>): Promise<TestInstance>;
  publish(name: string, correlationKey: string, variables?: Record<string, unknown>, timeToLive?: Duration): Promise<void>;
  /** Moves the engine's clock (job deadlines, retry backoffs, message TTLs) and lets due work run. */
  advanceClock(by: Duration): Promise<void>;
  stop(): Promise<void>;
}

type EngineRecord = ReturnType<RunningEngine['records']>[number];

/**
 * @example
 * import { createTestKit } from 'forager/testing';
 * import greet from '../workers/greet.ts';
 *
 * const kit = await createTestKit({ bpmn: ['bpmn/hello.bpmn'], workers: [greet] });
 * try {
 *   const instance = await kit.start('hello', { name: 'Ada' });
 *   assert.equal((await instance.completed()).greeting, 'Hello, Ada');
 * } finally {
 *   await kit.stop();
 * }
 */
export async function createTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const engine = await startEngine();
  const config = resolveConfig({}, { address: `grpc://${engine.address}` });
  const client: JobClient = createJobClient(config);
  const waitMs = options.waitMs ?? 5_000;
  let workers: RunningWorkers | undefined;
  try {
    if (options.bpmn && options.bpmn.length > 0) {
      const resources = await Promise.all(
        options.bpmn.map(async (entry) =>
          typeof entry === 'string'
            ? { name: basename(entry), content: await readFile(entry) }
            : { name: entry.name, content: Buffer.from(entry.xml) },
        ),
      );
      await client.deploy(resources);
    }
    if (options.workers && options.workers.length > 0) {
      workers = runWorkers(options.workers, {
        config,
        mode: options.mode ?? 'stream',
        middleware: options.middleware ?? [],
        logger: options.logger ?? pino({ level: 'silent' }),
        ...(options.idempotency ? { idempotency: options.idempotency } : {}),
      });
    }
  } catch (error) {
    client.close();
    await engine.stop();
    throw error;
  }

  const recordsOf = (key: string) => engine.records().filter((r) => r.value.processInstanceKey === key || r.key === key);

  /**
   * Resolves with `probe`'s answer as soon as a committed command makes it one (checked now and after each
   * commit: no polling); fails after `waitMs`, or at once when `failOnIncident` and the instance has an
   * incident, saying where the instance is.
   */
  const waitFor = <T>(what: string, key: string, probe: () => T | undefined, failOnIncident = false): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`process instance ${key}: ${what} within ${waitMs} ms; ${describe(recordsOf(key), key)}`));
      }, waitMs);
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          stop();
          resolve(found);
        } else if (failOnIncident && openIncidents(recordsOf(key)).length > 0) {
          stop();
          reject(new Error(`process instance ${key}: ${what}: ${describe(recordsOf(key), key)}`));
        }
      };
      const unsubscribe = engine.onCommit(check);
      stop = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      check();
    });

  const instanceOf = (key: string): TestInstance => {
    const variables = () => rootVariables(recordsOf(key), key);
    return {
      key,
      variables,
      completed: () =>
        waitFor(
          'did not complete',
          key,
          () => (recordsOf(key).some((r) => isEvent(r, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED') && r.key === key) ? variables() : undefined),
          true,
        ),
      waitsAt: (elementId) =>
        waitFor(`did not wait at '${elementId}'`, key, () => (activeElements(recordsOf(key), key).includes(elementId) ? true : undefined)).then(
          () => undefined,
        ),
      incident: () => waitFor('raised no incident', key, () => openIncidents(recordsOf(key))[0]),
    };
  };

  return {
    engine,
    workers,
    async start(bpmnProcessId, variables = {}) {
      return instanceOf(await client.createInstance(bpmnProcessId, variables));
    },
    async publish(name, correlationKey, variables = {}, timeToLive = 0) {
      await client.publishMessage({ name, correlationKey, variables, timeToLiveMs: toMs(timeToLive, 'timeToLive') });
    },
    advanceClock: (by) => engine.advanceClock(toMs(by, 'advanceClock')),
    async stop() {
      await workers?.stop(2_000);
      client.close();
      await engine.stop();
    },
  };
}

function isEvent(r: EngineRecord, valueType: string, intent: string): boolean {
  return r.recordType === 'EVENT' && r.valueType === valueType && r.intent === intent;
}

function rootVariables(records: EngineRecord[], key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of records) {
    if (r.recordType === 'EVENT' && r.valueType === 'VARIABLE' && r.value.scopeKey === key) out[String(r.value.name)] = r.value.value;
  }
  return out;
}

/** Elements of the instance `key` that are active now (the process itself left out). */
function activeElements(records: EngineRecord[], key: string): string[] {
  const active = new Map<string, string>();
  for (const r of records) {
    if (r.recordType !== 'EVENT' || r.valueType !== 'PROCESS_INSTANCE' || r.key === key) continue;
    if (r.intent === 'ELEMENT_ACTIVATED') active.set(r.key, String(r.value.elementId));
    else if (r.intent === 'ELEMENT_COMPLETED' || r.intent === 'ELEMENT_TERMINATED') active.delete(r.key);
  }
  return [...active.values()];
}

function openIncidents(records: EngineRecord[]): Incident[] {
  const open = new Map<string, Incident>();
  for (const r of records) {
    if (r.recordType !== 'EVENT' || r.valueType !== 'INCIDENT') continue;
    if (r.intent === 'CREATED') {
      open.set(r.key, {
        key: r.key,
        errorType: String(r.value.errorType),
        errorMessage: String(r.value.errorMessage),
        elementId: String(r.value.elementId),
        jobKey: r.value.jobKey === undefined ? undefined : String(r.value.jobKey),
      });
    } else if (r.intent === 'RESOLVED') open.delete(r.key);
  }
  return [...open.values()];
}

function describe(records: EngineRecord[], key: string): string {
  const incidents = openIncidents(records);
  if (incidents.length > 0) {
    return `it has an incident at '${incidents[0]!.elementId}': ${incidents[0]!.errorType}: ${incidents[0]!.errorMessage}`;
  }
  const waiting = activeElements(records, key);
  return waiting.length > 0 ? `it waits at ${waiting.map((id) => `'${id}'`).join(', ')}` : 'it was not found (started? completed?)';
}
