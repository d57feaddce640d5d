/**
 * Job workers: `defineWorker` describes one job type and its handler; `runWorkers` runs a set of them against
 * the configured broker (Camunda 8 or forager's engine), one loop per job type on one shared connection.
 */
import { pino, type Logger } from 'pino';
import type { ForagerConfig } from '../config/index.ts';
import { createOnce, memoryStore, type IdempotencyStore } from '../idempotency/index.ts';
import { createJobClient, type JobClient } from '../transport/index.ts';
import { isWorkerDefinition, type Middleware, type WorkerDefinition } from './define.ts';
import { WorkerEventBus, type Listener, type WorkerEventName } from './events.ts';
import { JobWorker, type ActivationMode } from './job-worker.ts';

export { defineWorker, isWorkerDefinition, DEFAULT_RETRY_BACKOFF } from './define.ts';
export type { Job, JobContext, JobOutput, Middleware, MiddlewareContext, WorkerDefinition, WorkerOptions } from './define.ts';
export type { WorkerEvents, WorkerEventName } from './events.ts';
export { outcomeOf } from './outcome.ts';
export type { JobOutcome, HandlerResult } from './outcome.ts';
export type { ActivationMode } from './job-worker.ts';

export interface RunWorkersOptions {
  /** The broker to work for (`resolveConfig(process.env)`). */
  readonly config: ForagerConfig;
  /** 'stream' (default): jobs pushed as they appear, with long polling alongside; 'poll': long polling only. */
  readonly mode?: ActivationMode;
  /** Middleware for every worker, outermost first. */
  readonly middleware?: readonly Middleware[];
  /** Where `ctx.once` records side effects; default an in-process store (per process, not durable). */
  readonly idempotency?: IdempotencyStore;
  readonly logger?: Logger;
  /** The worker name the broker shows; default `forager-<hostname>-<pid>`. */
  readonly workerName?: string;
  /** How long a long poll waits for jobs. Default 20 s. */
  readonly pollRequestTimeoutMs?: number;
  /** The random source for jitter (tests pin it). */
  readonly random?: () => number;
}

/** Running workers, as one component. */
export interface RunningWorkers {
  readonly types: readonly string[];
  /** Jobs being handled right now, over all types. */
  readonly active: number;
  /** Jobs of `type` being handled right now (0 for a type not run here). */
  activeOf(type: string): number;
  on<E extends WorkerEventName>(event: E, listener: Listener<E>): () => void;
  /**
   * Stops taking jobs, hands back queued ones, lets running handlers finish within `graceMs` (default 10 s),
   * aborts the rest and hands their jobs back, delivers every completion, then closes the connection.
   * Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs workers until `stop()`.
 *
 * @example
 * const workers = runWorkers([greet, sendEmail], { config: resolveConfig(process.env) });
 * workers.on('job:failed', ({ type, errorMessage }) => metrics.failed(type, errorMessage));
 * process.once('SIGTERM', () => workers.stop(30_000));
 */
export function runWorkers(definitions: readonly WorkerDefinition[], options: RunWorkersOptions): RunningWorkers {
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (!isWorkerDefinition(definition)) throw new TypeError('runWorkers: not a worker definition (use defineWorker)');
    if (seen.has(definition.type)) throw new TypeError(`runWorkers: two workers for job type "${definition.type}"`);
    seen.add(definition.type);
  }
  const log = options.logger ?? pino({ level: options.config.logLevel ?? 'info' }, pino.destination(2));
  const events = new WorkerEventBus(log);
  const client: JobClient = createJobClient(options.config);
  const store = options.idempotency ?? memoryStore();
  const once = createOnce(store);
  const workerName = options.workerName ?? `forager-${process.pid}`;
  const workers = definitions.map(
    (definition) =>
      new JobWorker({
        client,
        definition,
        events,
        log,
        mode: options.mode ?? 'stream',
        workerName,
        middleware: options.middleware ?? [],
        once,
        pollRequestTimeoutMs: options.pollRequestTimeoutMs ?? 20_000,
        random: options.random ?? Math.random,
      }),
  );
  for (const worker of workers) worker.start();
  let stopping: Promise<void> | undefined;
  return {
    types: [...seen],
    get active() {
      return workers.reduce((sum, w) => sum + w.active, 0);
    },
    activeOf: (type) => workers.find((w) => w.type === type)?.active ?? 0,
    on: (event, listener) => events.on(event, listener),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        await Promise.allSettled(workers.map((w) => w.stop(graceMs)));
        client.close();
        if (!options.idempotency) await store.close();
      })();
      return stopping;
    },
  };
}
