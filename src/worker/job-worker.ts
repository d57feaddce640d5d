/**
 * One job type's loop: jobs come in by stream (pushed as they become activatable) and by long polling, which
 * runs alongside the stream as the Java client's does: the broker pushes to streams first, so the polls get
 * what the stream could not take (jobs created before it opened, while it was down or while it was full).
 * A slot per job, never more jobs asked for than free slots; the stream pauses when full.
 * Every broker error backs off with jitter and the loop goes on. Each job's outcome becomes exactly one
 * command, retried on transient errors; NOT_FOUND means the job was lost to this worker.
 *
 * `stop(graceMs)`: stop taking jobs, hand back those not started, let running handlers finish within the
 * grace period, then abort them and hand their jobs back unchanged; every completion is delivered before
 * `stop` resolves.
 */
import type { Logger } from 'pino';
import { defaultKey } from '../idempotency/index.ts';
import { BROKER_ERROR_BACKOFF } from '../policy/backoff.ts';
import { jobsToRequest, shouldPoll } from '../policy/capacity.ts';
import { toMs, type Duration } from '../policy/durations.ts';
import { BrokerError, JobNotActiveError, JobNotFoundError, type ActivatedJob, type CommandDeadline, type JobClient, type JobStream } from '../transport/index.ts';
import type { Job, JobOutput, Middleware, MiddlewareContext, WorkerDefinition } from './define.ts';
import { heartbeat } from './heartbeat.ts';
import type { WorkerEventBus } from './events.ts';
import { outcomeOf, type HandlerResult, type JobOutcome } from './outcome.ts';

export type ActivationMode = 'stream' | 'poll';

export interface JobWorkerOptions {
  readonly client: JobClient;
  readonly definition: WorkerDefinition;
  readonly events: WorkerEventBus;
  readonly log: Logger;
  readonly mode: ActivationMode;
  readonly workerName: string;
  /** Middleware for every worker, outermost first; the definition's own run inside it. */
  readonly middleware: readonly Middleware[];
  readonly once: <T>(key: string, effect: () => Promise<T> | T) => Promise<T>;
  /** How long a long poll waits for jobs. */
  readonly pollRequestTimeoutMs: number;
  readonly random: () => number;
}

interface RunningJob {
  readonly job: ActivatedJob;
  readonly controller: AbortController;
  /** Set when the worker is shutting down past its grace: hand the job back instead of failing it. */
  returnOnAbort: boolean;
  lost: boolean;
  /** Handed back at shutdown while its handler still ran: what the handler returns later is dropped. */
  handedBack?: boolean;
  /**
   * When the broker may give the job to another worker, on this process's clock (the broker's deadline,
   * never later than the timeout asked for; moved by `extendTimeout`). Commands are not retried past it.
   */
  deadlineAt: number;
}

/** How long handlers get to react to their abort signal at shutdown before their jobs are handed back. */
const ABORT_SETTLE_MS = 1_000;
/** After that, how long the last commands (give-backs included) may take before `stop()` gives up on them. */
const DELIVERY_SETTLE_MS = 1_000;

/** Bounded memory of how often each job failed here, to grow its retry backoff. */
const MAX_REMEMBERED_ATTEMPTS = 10_000;

export class JobWorker {
  readonly type: string;
  readonly #o: JobWorkerOptions;
  /** Jobs being handled, by run id (a job the broker gives us twice while we still run it runs twice). */
  readonly #running = new Map<number, RunningJob>();
  #runs = 0;
  readonly #queue: ActivatedJob[] = [];
  readonly #deliveries = new Set<Promise<void>>();
  readonly #attempts = new Map<string, number>();
  readonly #pollAbort = new AbortController();
  #requested = 0;
  #stopping = false;
  #stream: JobStream | undefined;
  #streamPaused = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  /** When `stop()` gives up on commands still being retried (epoch ms); Infinity until stop. */
  #deliveryDeadline = Infinity;
  /** Aborted at the delivery deadline: wakes retries waiting out a backoff. */
  readonly #deliveryAbort = new AbortController();

  constructor(options: JobWorkerOptions) {
    this.#o = options;
    this.type = options.definition.type;
  }

  get active(): number {
    return this.#running.size;
  }

  start(): void {
    if (this.#loop) return;
    if (this.#o.mode === 'stream') this.#openStream();
    this.#loop = this.#pollLoop();
  }

  /* ---------- taking jobs ---------- */

  #counters() {
    return { maxJobsActive: this.#o.definition.maxJobsActive, active: this.#running.size + this.#queue.length, requested: this.#requested };
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves on the next slot freed, stream resumed or stop, or after `ms`. */
  #waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#wake = done;
    });
  }

  async #pollLoop(): Promise<void> {
    const { definition } = this.#o;
    let failures = 0;
    while (!this.#stopping) {
      const counters = this.#counters();
      // Polls wait for a batch of free slots, not one request per freed slot.
      if (!shouldPoll(counters)) {
        await this.#waitForChange(60_000);
        continue;
      }
      const free = jobsToRequest(counters);
      this.#requested = free;
      try {
        const jobs = await this.#o.client.activate(
          {
            type: definition.type,
            worker: this.#o.workerName,
            timeoutMs: definition.timeoutMs,
            maxJobs: free,
            fetchVariables: definition.fetchVariables,
            requestTimeoutMs: this.#o.pollRequestTimeoutMs,
          },
          this.#pollAbort.signal,
        );
        this.#requested = 0;
        if (failures > 0) {
          this.#o.log.info({ jobType: this.type }, 'polling works again');
          this.#o.events.emit('poll:recovered', { type: this.type });
        }
        failures = 0;
        for (const job of jobs) this.#accept(job, 'poll');
      } catch (error) {
        this.#requested = 0;
        if (this.#stopping) break;
        failures += 1;
        const backoffMs = BROKER_ERROR_BACKOFF.delayMs(failures, this.#o.random);
        this.#o.events.emit('poll:error', { type: this.type, error: error as Error, backoffMs });
        if (failures === 1 || failures % 20 === 0) {
          this.#o.log.warn({ jobType: this.type, err: error, failures, backoffMs }, 'polling for jobs failed; backing off');
        }
        await this.#waitForChange(backoffMs);
      }
    }
  }

  /** Opens the job stream, and opens it again (after a backoff) whenever it ends until the worker stops. */
  #openStream(): void {
    const { definition } = this.#o;
    let failures = 0;
    const open = () => {
      if (this.#stopping) return;
      let gotJob = false;
      this.#stream = this.#o.client.stream(
        { type: definition.type, worker: this.#o.workerName, timeoutMs: definition.timeoutMs, fetchVariables: definition.fetchVariables },
        {
          onJob: (job) => {
            gotJob = true;
            failures = 0;
            this.#accept(job, 'stream');
          },
          onEnd: (error) => {
            this.#stream = undefined;
            this.#streamPaused = false;
            if (this.#stopping) return;
            failures = gotJob ? 1 : failures + 1;
            const reopenInMs = BROKER_ERROR_BACKOFF.delayMs(failures, this.#o.random);
            this.#o.events.emit('stream:closed', { type: this.type, error, reopenInMs });
            if (failures === 1 || failures % 20 === 0) {
              this.#o.log.warn({ jobType: this.type, err: error, reopenInMs }, 'the job stream closed; reopening');
            }
            setTimeout(open, reopenInMs);
          },
        },
      );
      this.#o.events.emit('stream:opened', { type: this.type });
      this.#notify();
    };
    open();
  }

  #accept(job: ActivatedJob, via: 'stream' | 'poll'): void {
    this.#o.events.emit('job:activated', { type: this.type, key: job.key, via, processInstanceKey: job.processInstanceKey });
    if (this.#stopping) {
      this.#track(this.#giveBack(this.#runningJob(job)));
      return;
    }
    if (this.#running.size < this.#o.definition.maxJobsActive) {
      this.#run(job);
      return;
    }
    // Over capacity (a push raced a poll): keep it, and stop reading the stream until slots free.
    this.#queue.push(job);
    if (this.#stream && !this.#streamPaused) {
      this.#streamPaused = true;
      this.#stream.pause();
    }
  }

  #slotFreed(): void {
    const next = this.#stopping ? undefined : this.#queue.shift();
    if (next) {
      this.#run(next);
      return;
    }
    if (this.#streamPaused && this.#stream) {
      this.#streamPaused = false;
      this.#stream.resume();
    }
    this.#notify();
  }

  /* ---------- running one job ---------- */

  #runningJob(job: ActivatedJob): RunningJob {
    // The broker's deadline in our clock, but never later than the timeout we asked for (clocks can disagree).
    const deadlineAt = Date.now() + Math.min(job.deadline - Date.now(), this.#o.definition.timeoutMs);
    return { job, controller: new AbortController(), returnOnAbort: false, lost: false, deadlineAt };
  }

  #run(job: ActivatedJob): void {
    const running = this.#runningJob(job);
    const id = ++this.#runs;
    this.#running.set(id, running);
    this.#runJob(running)
      .catch((error: unknown) => this.#o.log.error({ jobType: this.type, jobKey: job.key, err: error }, 'unexpected error running a job'))
      .finally(() => {
        this.#running.delete(id);
        this.#slotFreed();
      });
  }

  async #runJob(running: RunningJob): Promise<void> {
    const { job, controller } = running;
    const { definition } = this.#o;
    const started = Date.now();
    let deadlineTimer: NodeJS.Timeout | undefined;
    const armDeadline = (ms: number) => {
      clearTimeout(deadlineTimer);
      running.deadlineAt = Date.now() + ms;
      deadlineTimer = setTimeout(
        () => controller.abort(new Error(`job ${job.key} passed its deadline; the broker may give it to another worker`)),
        Math.max(0, ms),
      );
    };
    armDeadline(running.deadlineAt - Date.now());
    const extend = async (timeout: Duration) => {
      const ms = toMs(timeout, 'extendTimeout');
      try {
        await this.#o.client.updateTimeout(job.key, ms);
      } catch (error) {
        if (error instanceof JobNotFoundError || error instanceof JobNotActiveError) this.#lost(running, `extending its timeout was refused (${error.message})`);
        throw error;
      }
      armDeadline(ms);
    };

    let variables: unknown = job.variables;
    let invalidVariables: string | undefined;
    if (definition.variables) {
      const parsed = definition.variables.safeParse(job.variables);
      if (parsed.success) variables = parsed.data;
      else invalidVariables = describeIssues(parsed.error);
    }
    const baseLog = this.#o.log;
    let log: Logger | undefined;
    const ctx: MiddlewareContext = {
      job: toJob(job),
      signal: controller.signal,
      extendTimeout: extend,
      get log() {
        return (log ??= baseLog.child({ jobType: job.type, jobKey: job.key, processInstanceKey: job.processInstanceKey }));
      },
      once: (purpose, effect) => this.#o.once(defaultKey(job, purpose), effect),
      variables,
    };

    let result: HandlerResult;
    if (invalidVariables !== undefined) {
      result = { ok: false, invalidVariables };
    } else {
      try {
        const middleware = [...(definition.autoExtendTimeout ? [heartbeat(definition.timeoutMs)] : []), ...this.#o.middleware, ...definition.middleware];
        const output = await compose(middleware, ctx, () =>
          Promise.resolve(definition.handler(variables, ctx)),
        );
        result = { ok: true, output };
      } catch (error) {
        result = { ok: false, error };
      }
    }
    clearTimeout(deadlineTimer);

    if (running.lost || running.handedBack) return;
    if (running.returnOnAbort && controller.signal.aborted) {
      await this.#giveBack(running);
      return;
    }
    const attempt = (this.#attempts.get(job.key) ?? 0) + 1;
    const outcome = outcomeOf({ type: job.type, retries: job.retries, attempt, backoff: definition.retryBackoff, random: this.#o.random }, result);
    if (outcome.kind === 'fail' && outcome.retries > 0) this.#rememberAttempt(job.key, attempt);
    else this.#attempts.delete(job.key);
    await this.#deliver(running, outcome, Date.now() - started);
  }

  #rememberAttempt(key: string, attempt: number): void {
    this.#attempts.set(key, attempt);
    if (this.#attempts.size > MAX_REMEMBERED_ATTEMPTS) {
      const oldest = this.#attempts.keys().next().value;
      if (oldest !== undefined) this.#attempts.delete(oldest);
    }
  }

  #lost(running: RunningJob, reason: string): void {
    if (running.lost) return;
    running.lost = true;
    running.controller.abort(new Error(`job ${running.job.key} was lost: ${reason}`));
    this.#o.events.emit('job:lost', { type: this.type, key: running.job.key, processInstanceKey: running.job.processInstanceKey, reason });
    this.#o.log.info({ jobType: this.type, jobKey: running.job.key, reason }, 'job lost');
  }

  /** Sends the outcome's command; retries it on transient broker errors until it is delivered or refused. */
  async #deliver(running: RunningJob, outcome: JobOutcome, durationMs: number): Promise<void> {
    const { job } = running;
    const client = this.#o.client;
    const send = (deadline: CommandDeadline): Promise<void> => {
      switch (outcome.kind) {
        case 'complete':
          return client.complete(job.key, outcome.variables, deadline);
        case 'fail':
          return client.fail(job.key, { retries: outcome.retries, errorMessage: outcome.errorMessage, retryBackOffMs: outcome.retryBackOffMs }, deadline);
        case 'throwError':
          return client.throwError(job.key, outcome.errorCode, outcome.errorMessage, outcome.variables, deadline);
      }
    };
    const delivered = await this.#withRetries(running, outcome.kind, send);
    if (!delivered) return;
    switch (outcome.kind) {
      case 'complete':
        this.#o.events.emit('job:completed', { type: this.type, key: job.key, processInstanceKey: job.processInstanceKey, durationMs });
        break;
      case 'fail':
        this.#o.events.emit('job:failed', {
          type: this.type,
          key: job.key,
          processInstanceKey: job.processInstanceKey,
          retries: outcome.retries,
          retryBackOffMs: outcome.retryBackOffMs,
          errorMessage: outcome.errorMessage,
          durationMs,
        });
        this.#o.log.warn({ jobType: this.type, jobKey: job.key, retries: outcome.retries, backoffMs: outcome.retryBackOffMs }, outcome.errorMessage);
        break;
      case 'throwError':
        this.#o.events.emit('job:error-thrown', { type: this.type, key: job.key, processInstanceKey: job.processInstanceKey, errorCode: outcome.errorCode, durationMs });
        break;
    }
  }

  /**
   * Runs a job command until it succeeds (true), or gives up (false): the job is gone (NOT_FOUND), the broker
   * refused it for good, or neither the job's deadline (the broker hands the job out again after it) nor the
   * stop deadline has room for another try. The first try is made whatever the job's deadline (the broker
   * says whether the job is still ours); none outlives the stop deadline. Giving up marks the job lost, once.
   */
  async #withRetries(running: RunningJob, command: string, send: (deadline: CommandDeadline) => Promise<void>): Promise<boolean> {
    let failures = 0;
    const stopped = this.#deliveryAbort.signal;
    for (;;) {
      const until = Math.min(running.deadlineAt, this.#deliveryDeadline);
      try {
        if (stopped.aborted) throw new Error('no time left');
        await send(failures === 0 ? { until: this.#deliveryDeadline, signal: stopped } : { until, signal: stopped });
        return true;
      } catch (error) {
        if (stopped.aborted) {
          this.#lost(running, `gave up delivering ${command}: the worker stopped before the broker answered (${(error as Error).message})`);
          return false;
        }
        if (error instanceof JobNotFoundError) {
          this.#lost(running, `the broker answered NOT_FOUND to ${command}: it was completed elsewhere, timed out and reassigned, or cancelled`);
          return false;
        }
        if (error instanceof BrokerError && !error.transient) {
          this.#lost(running, `the broker refused ${command}: ${error.message}`);
          return false;
        }
        failures += 1;
        const backoffMs = BROKER_ERROR_BACKOFF.delayMs(failures, this.#o.random);
        if (Date.now() + backoffMs >= until) {
          const why = until === this.#deliveryDeadline ? 'the worker stopped' : 'the job passed its deadline: the broker will hand it out again';
          this.#lost(running, `gave up delivering ${command} after ${failures} attempt${failures === 1 ? '' : 's'} (${why}): ${(error as Error).message}`);
          return false;
        }
        this.#o.events.emit('command:error', { type: this.type, key: running.job.key, command, error: error as Error, backoffMs });
        if (failures === 1) this.#o.log.warn({ jobType: this.type, jobKey: running.job.key, err: error, backoffMs }, `${command} failed; retrying`);
        await this.#pause(backoffMs);
      }
    }
  }

  /** Waits `ms`, or less when the delivery deadline comes first. */
  #pause(ms: number): Promise<void> {
    const signal = this.#deliveryAbort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Hands a job back unchanged (same retries, no backoff), so another worker can take it at once. */
  async #giveBack(running: RunningJob): Promise<void> {
    const { job } = running;
    const ok = await this.#withRetries(running, 'fail', (deadline) =>
      this.#o.client.fail(job.key, { retries: job.retries, errorMessage: `${job.type}: the worker stopped before finishing the job`, retryBackOffMs: 0 }, deadline),
    );
    if (ok) this.#o.events.emit('job:returned', { type: this.type, key: job.key });
  }

  #track(delivery: Promise<void>): void {
    this.#deliveries.add(delivery);
    delivery.finally(() => this.#deliveries.delete(delivery));
  }

  /* ---------- stopping ---------- */

  stop(graceMs: number): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#pollAbort.abort();
      this.#stream?.close();
      this.#notify();
      // Nothing is retried past this: the grace, the handlers' time to react to their signal, the last commands.
      this.#deliveryDeadline = Date.now() + graceMs + ABORT_SETTLE_MS + DELIVERY_SETTLE_MS;
      const giveUp = setTimeout(() => this.#deliveryAbort.abort(), this.#deliveryDeadline - Date.now());
      const queued = this.#queue.splice(0);
      for (const job of queued) this.#track(this.#giveBack(this.#runningJob(job)));
      const running = () => [...this.#running.values()];
      const settled = async (ms: number) => {
        const until = Date.now() + ms;
        while (this.#running.size > 0 && Date.now() < until) await this.#waitForChange(Math.min(50, until - Date.now()));
        return this.#running.size === 0;
      };
      if (!(await settled(graceMs))) {
        // Past the grace period: abort the handlers and hand their jobs back unchanged.
        for (const r of running()) {
          r.returnOnAbort = true;
          r.controller.abort(new Error('the worker is shutting down'));
        }
        if (!(await settled(ABORT_SETTLE_MS))) {
          // Handlers that ignore their signal: give their jobs back now; what they return later is dropped.
          for (const r of running()) {
            r.handedBack = true;
            this.#track(this.#giveBack(r));
          }
        }
      }
      await this.#loop;
      await Promise.allSettled([...this.#deliveries]);
      clearTimeout(giveUp);
      this.#o.events.emit('worker:stopped', { type: this.type, returned: queued.length });
    })();
    return this.#stopped;
  }
}

function compose(middleware: readonly Middleware[], ctx: MiddlewareContext, handler: () => Promise<JobOutput>): Promise<JobOutput> {
  const dispatch = (i: number): Promise<JobOutput> => {
    const m = middleware[i];
    if (!m) return handler();
    let called = false;
    return m(ctx, () => {
      if (called) return Promise.reject(new Error('middleware called next() twice'));
      called = true;
      return dispatch(i + 1);
    });
  };
  return dispatch(0);
}

function toJob(job: ActivatedJob): Job {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.customHeaders)) headers[k] = String(v);
  return {
    key: job.key,
    type: job.type,
    processInstanceKey: job.processInstanceKey,
    bpmnProcessId: job.bpmnProcessId,
    processDefinitionVersion: job.processDefinitionVersion,
    processDefinitionKey: job.processDefinitionKey,
    elementId: job.elementId,
    elementInstanceKey: job.elementInstanceKey,
    retries: job.retries,
    deadline: job.deadline,
    customHeaders: headers,
    worker: job.worker,
    tenantId: job.tenantId,
  };
}

function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(variables)'}: ${issue.message}`).join('; ');
}
