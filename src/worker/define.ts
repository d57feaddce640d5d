/**
 * `defineWorker`: what a developer writes for one job type. Options are validated and resolved once into a
 * frozen definition (durations in ms, the backoff policy, the variables to fetch).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { exponential, type BackoffPolicy } from '../policy/backoff.ts';
import { toMs, type Duration } from '../policy/durations.ts';
import type { ActivatedJob } from '../transport/index.ts';

/** Output variables a handler returns; returning nothing completes the job without variables. */
export type JobOutput = Readonly<Record<string, unknown>> | void | undefined;

/** The job a handler works on, as the broker activated it (its variables come parsed, separately). */
export type Job = Omit<ActivatedJob, 'variables' | 'customHeaders'> & {
  /** `zeebe:taskHeaders` of the task. */
  readonly customHeaders: Readonly<Record<string, string>>;
};

/** What a handler gets besides its variables. */
export interface JobContext {
  readonly job: Job;
  /**
   * Aborted when the job is lost to this worker (its deadline passed, it was cancelled, or another worker
   * completed it) or when the worker shuts down past its grace period. Pass it to fetch(), database calls, …
   */
  readonly signal: AbortSignal;
  /** Moves the job's deadline to now + `timeout` (e.g. '5m'), so a slow job is not handed to another worker. */
  extendTimeout(timeout: Duration): Promise<void>;
  /** A logger bound to the job (type, key, process instance). */
  readonly log: Logger;
  /**
   * Runs `effect` at most once for this job's element instance and `purpose`, even when the broker delivers
   * the job twice; a second delivery gets the first result back. Needs an idempotency store (`runWorkers`
   * option `idempotency`); the in-process store is used when none is given.
   */
  once<T>(purpose: string, effect: () => Promise<T> | T): Promise<T>;
}

/** What middleware sees: the context plus the (parsed) variables. */
export interface MiddlewareContext extends JobContext {
  readonly variables: unknown;
}

/** Wraps handlers: call `next()` to run the rest of the chain; return (or change) its output. */
export type Middleware = (ctx: MiddlewareContext, next: () => Promise<JobOutput>) => Promise<JobOutput>;

type Handler<V, O extends JobOutput> = (variables: V, ctx: JobContext) => O | Promise<O>;

export interface WorkerOptions<S extends z.ZodType | undefined, O extends JobOutput> {
  /** The job type, as in `<zeebe:taskDefinition type="…">`. */
  readonly type: string;
  /**
   * A zod schema for the job's variables. Only its keys are fetched (for a `z.object`), and the handler gets
   * the parsed, typed values. Variables that do not parse fail the job with no retries: an incident names
   * the fields, because retrying cannot fix them.
   */
  readonly variables?: S;
  /** Variable names to fetch when no object schema says; default: all. */
  readonly fetchVariables?: readonly string[];
  /** How long the broker gives this worker per job. Default '60s'. */
  readonly timeout?: Duration;
  /** Jobs this worker runs at once. Default 32. */
  readonly maxJobsActive?: number;
  /** Delay before a failed job is retried. Default exponential from 1 s to 5 min. */
  readonly retryBackoff?: BackoffPolicy;
  /** Extend the deadline automatically while the handler runs. Default false. */
  readonly autoExtendTimeout?: boolean;
  /** Middleware around this worker's handler, innermost last. */
  readonly middleware?: readonly Middleware[];
  readonly handler: Handler<S extends z.ZodType ? z.infer<S> : Record<string, unknown>, O>;
}

/** A validated worker definition, as a file in `workers/` default-exports it. */
export interface WorkerDefinition {
  readonly kind: 'forager.worker';
  readonly type: string;
  readonly variables: z.ZodType | undefined;
  /** Names to fetch; empty means all. */
  readonly fetchVariables: readonly string[];
  readonly timeoutMs: number;
  readonly maxJobsActive: number;
  readonly retryBackoff: BackoffPolicy;
  readonly autoExtendTimeout: boolean;
  readonly middleware: readonly Middleware[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the definition erases the variables' type
  readonly handler: Handler<any, JobOutput>;
}

export const DEFAULT_TIMEOUT: Duration = '60s';
export const DEFAULT_MAX_JOBS_ACTIVE = 32;
export const DEFAULT_RETRY_BACKOFF = exponential({ initial: '1s', max: '5m' });

/**
 * Describes the worker for one job type.
 *
 * @example
 * export default defineWorker({
 *   type: 'send-email',
 *   variables: z.object({ studentId: z.string(), email: z.string().email() }),
 *   timeout: '30s',
 *   maxJobsActive: 32,
 *   retryBackoff: exponential({ initial: '1s', max: '5m' }),
 *   async handler({ email }, ctx) {
 *     const id = await ctx.once('send', () => mailer.send(email, { signal: ctx.signal }));
 *     return { sent: true, messageId: id };
 *   },
 * });
 */
export function defineWorker<S extends z.ZodType | undefined = undefined, O extends JobOutput = JobOutput>(
  options: WorkerOptions<S, O>,
): WorkerDefinition {
  const type = typeof options.type === 'string' ? options.type.trim() : '';
  if (type === '') throw new TypeError('defineWorker: `type` must be a non-empty string');
  const where = `defineWorker(${type})`;
  if (typeof options.handler !== 'function') throw new TypeError(`${where}: \`handler\` must be a function`);
  const timeoutMs = toMs(options.timeout ?? DEFAULT_TIMEOUT, `${where}: timeout`);
  if (timeoutMs < 1) throw new TypeError(`${where}: \`timeout\` must be at least 1 ms`);
  const maxJobsActive = options.maxJobsActive ?? DEFAULT_MAX_JOBS_ACTIVE;
  if (!Number.isInteger(maxJobsActive) || maxJobsActive < 1) {
    throw new TypeError(`${where}: \`maxJobsActive\` must be a positive integer, not ${String(maxJobsActive)}`);
  }
  if (options.variables !== undefined && !(options.variables instanceof z.ZodType)) {
    throw new TypeError(`${where}: \`variables\` must be a zod schema`);
  }
  for (const m of options.middleware ?? []) {
    if (typeof m !== 'function') throw new TypeError(`${where}: every \`middleware\` entry must be a function`);
  }
  const schemaKeys = options.variables instanceof z.ZodObject ? Object.keys(options.variables.shape) : undefined;
  return Object.freeze({
    kind: 'forager.worker',
    type,
    variables: options.variables,
    fetchVariables: Object.freeze([...(schemaKeys ?? options.fetchVariables ?? [])]),
    timeoutMs,
    maxJobsActive,
    retryBackoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
    autoExtendTimeout: options.autoExtendTimeout ?? false,
    middleware: Object.freeze([...(options.middleware ?? [])]),
    handler: options.handler as WorkerDefinition['handler'],
  });
}

/** True for what `defineWorker` returns (checked by shape, so a second copy of forager still counts). */
export function isWorkerDefinition(value: unknown): value is WorkerDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'forager.worker' &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { handler?: unknown }).handler === 'function'
  );
}
