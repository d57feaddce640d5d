/**
 * Job workers: `defineWorker` describes one job type and its handler; `runWorkers` subscribes each
 * definition through the transport and turns every handler outcome into exactly one broker command.
 *
 * This first version lets the official SDK's worker fetch jobs (through `Transport.subscribe`); forager's
 * own activation loop (streaming, capacity, backoff, drain) replaces it later without changing this API.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ActivatedJob, JobOutcome, JobSubscription, Transport } from '../transport/index.ts';

/** Output variables a handler returns; `void` completes the job without variables. */
export type JobOutput = Readonly<Record<string, unknown>> | void;

/** What a handler gets besides its variables. */
export interface JobContext {
  readonly job: Omit<ActivatedJob, 'variables'>;
  /** A logger bound to the job (type, key, process instance). */
  readonly log: Logger;
  /** Aborted when the job's deadline passes: the broker may then give the job to another worker. */
  readonly signal: AbortSignal;
}

export interface WorkerOptions<Vars, Output extends JobOutput> {
  /** The job type, as in `<zeebe:taskDefinition type="…">`. */
  readonly type: string;
  /** Validates (and types) the job's variables; a job whose variables do not fit fails without retries. */
  readonly variables?: z.ZodType<Vars>;
  readonly handler: (variables: Vars, ctx: JobContext) => Output | Promise<Output>;
  /** How long the broker gives this worker per job before handing it out again. Default 60 s. */
  readonly timeoutMs?: number;
  /** How many jobs this worker holds at once. Default 32. */
  readonly maxJobsActive?: number;
}

/** A validated worker definition, as a file in `workers/` default-exports it. */
export interface WorkerDefinition<Vars = Record<string, unknown>, Output extends JobOutput = JobOutput> {
  readonly kind: 'forager.worker';
  readonly type: string;
  readonly variables: z.ZodType<Vars> | undefined;
  readonly handler: (variables: Vars, ctx: JobContext) => Output | Promise<Output>;
  readonly timeoutMs: number;
  readonly maxJobsActive: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of definitions of different variable types
export type AnyWorkerDefinition = WorkerDefinition<any, JobOutput>;

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_JOBS_ACTIVE = 32;
const MAX_ERROR_MESSAGE_LENGTH = 500;

/** Describes a job worker. Throws `TypeError` for options that cannot work (empty type, non-positive numbers). */
export function defineWorker<Vars = Record<string, unknown>, Output extends JobOutput = JobOutput>(
  options: WorkerOptions<Vars, Output>,
): WorkerDefinition<Vars, Output> {
  const type = typeof options.type === 'string' ? options.type.trim() : '';
  if (type === '') throw new TypeError('defineWorker: `type` must be a non-empty string');
  if (typeof options.handler !== 'function') throw new TypeError(`defineWorker(${type}): \`handler\` must be a function`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxJobsActive = options.maxJobsActive ?? DEFAULT_MAX_JOBS_ACTIVE;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError(`defineWorker(${type}): \`timeoutMs\` must be a positive integer, got ${timeoutMs}`);
  if (!Number.isInteger(maxJobsActive) || maxJobsActive <= 0) {
    throw new TypeError(`defineWorker(${type}): \`maxJobsActive\` must be a positive integer, got ${maxJobsActive}`);
  }
  return Object.freeze({ kind: 'forager.worker', type, variables: options.variables, handler: options.handler, timeoutMs, maxJobsActive });
}

/** True for what `defineWorker` returns (checked by shape, so a second copy of forager still counts). */
export function isWorkerDefinition(value: unknown): value is AnyWorkerDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'forager.worker' &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { handler?: unknown }).handler === 'function'
  );
}

/** One line, no stack, bounded: what Operate shows as the incident message. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR_MESSAGE_LENGTH ? `${line.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : line;
}

function errorMessage(type: string, error: unknown): string {
  if (error instanceof Error) return oneLine(`${type}: ${error.name || error.constructor.name}: ${error.message}`);
  return oneLine(`${type}: thrown value: ${String(error)}`);
}

/**
 * The rules in one place: what a handler did → the one command for the broker.
 * - returned an object (or nothing) → complete with it;
 * - variables do not fit the schema → fail with no retries left (an incident now: retrying cannot help);
 * - returned something else → fail with no retries left (a bug in the handler);
 * - threw → fail with retries − 1.
 */
export function outcomeOf(
  type: string,
  job: Pick<ActivatedJob, 'retries'>,
  result: { ok: true; output: unknown } | { ok: false; error: unknown } | { ok: false; invalidVariables: string },
): JobOutcome {
  if (result.ok) {
    const output = result.output;
    if (output === undefined || output === null) return { kind: 'complete', variables: {} };
    if (typeof output === 'object' && !Array.isArray(output)) return { kind: 'complete', variables: output as Record<string, unknown> };
    const got = Array.isArray(output) ? 'an array' : `a ${typeof output}`;
    return { kind: 'fail', errorMessage: oneLine(`${type}: handler returned ${got}, expected an object of output variables`), retries: 0, retryBackOffMs: 0 };
  }
  if ('invalidVariables' in result) {
    return { kind: 'fail', errorMessage: oneLine(`${type}: invalid variables: ${result.invalidVariables}`), retries: 0, retryBackOffMs: 0 };
  }
  return { kind: 'fail', errorMessage: errorMessage(type, result.error), retries: Math.max(0, job.retries - 1), retryBackOffMs: 0 };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(variables)'}: ${issue.message}`).join('; ');
}

async function runJob(definition: AnyWorkerDefinition, job: ActivatedJob, log: Logger): Promise<JobOutcome> {
  const { variables: raw, ...jobInfo } = job;
  const jobLog = log.child({ jobType: job.type, jobKey: job.key, processInstanceKey: job.processInstanceKey });
  let variables: unknown = raw;
  if (definition.variables) {
    const parsed = definition.variables.safeParse(raw);
    if (!parsed.success) {
      const outcome = outcomeOf(definition.type, job, { ok: false, invalidVariables: describeIssues(parsed.error) });
      jobLog.warn({ outcome: outcome.kind }, outcome.kind === 'fail' ? outcome.errorMessage : 'invalid variables');
      return outcome;
    }
    variables = parsed.data;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`job ${job.key} passed its deadline`)), Math.max(0, job.deadline - Date.now()));
  timer.unref();
  let outcome: JobOutcome;
  try {
    const output: unknown = await definition.handler(variables, { job: jobInfo, log: jobLog, signal: controller.signal });
    outcome = outcomeOf(definition.type, job, { ok: true, output });
  } catch (error) {
    outcome = outcomeOf(definition.type, job, { ok: false, error });
  } finally {
    clearTimeout(timer);
  }
  if (outcome.kind === 'fail') jobLog.warn({ retries: outcome.retries }, outcome.errorMessage);
  else jobLog.debug({ outcome: outcome.kind }, 'job done');
  return outcome;
}

/** Running workers, as one component: `close()` stops fetching, drains jobs in flight, and is idempotent. */
export interface RunningWorkers {
  readonly types: readonly string[];
  close(drainMs?: number): Promise<void>;
}

export interface RunWorkersOptions {
  readonly log: Logger;
}

/** Subscribes every definition. Rejects duplicate job types before subscribing any. */
export function runWorkers(definitions: readonly AnyWorkerDefinition[], transport: Transport, options: RunWorkersOptions): RunningWorkers {
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (!isWorkerDefinition(definition)) throw new TypeError('runWorkers: not a worker definition (use defineWorker)');
    if (seen.has(definition.type)) throw new TypeError(`runWorkers: two workers for job type "${definition.type}"`);
    seen.add(definition.type);
  }
  const subscriptions: JobSubscription[] = definitions.map((definition) => {
    let connected: boolean | undefined;
    const onConnectionChange = (now: boolean) => {
      // Log changes only: the SDK reports the same state again on every failed poll.
      if (now === connected || (now && connected === undefined)) {
        connected = now;
        return;
      }
      connected = now;
      if (now) options.log.info({ jobType: definition.type }, 'connected to the broker again');
      else options.log.warn({ jobType: definition.type }, 'lost the connection to the broker; retrying');
    };
    return transport.subscribe(
      {
        type: definition.type,
        timeoutMs: definition.timeoutMs,
        maxJobsActive: definition.maxJobsActive,
        workerName: `forager-${definition.type}`,
        onConnectionChange,
      },
      (job) => runJob(definition, job, options.log),
    );
  });
  let closing: Promise<void> | undefined;
  return {
    types: [...seen],
    close(drainMs = 10_000) {
      closing ??= Promise.allSettled(subscriptions.map((s) => s.close(drainMs))).then(() => undefined);
      return closing;
    },
  };
}
