/**
 * The host's Prometheus metrics (prom-client, a registry of its own, no globals), fed by the workers' typed
 * events rather than by wrapping handlers: jobs activated / completed / failed / errored / lost / returned
 * per job type, handler duration per type and outcome, jobs in flight against capacity, poll, stream and
 * command errors, the broker connection and readiness, uncaught errors, and Node's process metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunningWorkers, WorkerDefinition } from '../worker/index.ts';

/** Seconds; from 5 ms (a pure transformation) to 5 min (a slow external call). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface HostMetrics {
  readonly registry: Registry;
  /** Attaches the event listeners and in-flight gauges of running workers. */
  watch(workers: RunningWorkers, definitions: readonly WorkerDefinition[]): void;
  setBrokerConnected(connected: boolean): void;
  setReady(ready: boolean): void;
  uncaughtError(kind: 'exception' | 'rejection'): void;
  /** The text a scrape gets, and its content type. */
  scrape(): Promise<{ body: string; contentType: string }>;
}

export function createMetrics(): HostMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, labelNames: string[] = ['type']) => new Counter({ name, help, labelNames, registers: [registry] });

  const activated = counter('forager_jobs_activated_total', 'Jobs activated for this host, by job type and how they came (stream or poll).', ['type', 'via']);
  const completed = counter('forager_jobs_completed_total', 'Jobs completed (the handler returned and the broker accepted the completion).');
  const failed = counter('forager_jobs_failed_total', 'Jobs failed (the handler threw); `incident` is "true" when no retries were left.', ['type', 'incident']);
  const errored = counter('forager_jobs_errored_total', 'Jobs that threw a BPMN error (BpmnError), by job type and error code.', ['type', 'code']);
  const lost = counter('forager_jobs_lost_total', 'Jobs the broker no longer had for this host (timed out and reassigned, cancelled, completed elsewhere).');
  const returned = counter('forager_jobs_returned_total', 'Jobs handed back unchanged at shutdown (not started, or past the grace period).');
  const pollErrors = counter('forager_poll_errors_total', 'Failed job activation requests (long polls).');
  const streamErrors = counter('forager_stream_errors_total', 'Job streams that ended with an error (each is reopened after a backoff).');
  const commandErrors = counter('forager_command_errors_total', 'Failed job commands that were retried (complete, fail, throw error).', ['type', 'command']);
  const uncaught = counter('forager_uncaught_errors_total', 'Errors no handler caught (thrown from a timer, unhandled rejections); the host logs them and goes on.', ['kind']);
  const duration = new Histogram({
    name: 'forager_job_duration_seconds',
    help: 'Time from a job starting to its outcome, by job type and outcome (completed, failed, errored).',
    labelNames: ['type', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const brokerConnected = new Gauge({ name: 'forager_broker_connected', help: '1 while the broker answers the host, 0 otherwise.', registers: [registry] });
  const ready = new Gauge({ name: 'forager_ready', help: '1 while /readyz answers 200.', registers: [registry] });
  let running: RunningWorkers | undefined;
  let types: readonly WorkerDefinition[] = [];
  new Gauge({
    name: 'forager_jobs_in_flight',
    help: 'Jobs being handled right now, by job type.',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      for (const d of types) this.set({ type: d.type }, running?.activeOf(d.type) ?? 0);
    },
  });
  new Gauge({
    name: 'forager_job_capacity',
    help: 'Jobs this host runs at once, by job type (maxJobsActive after overrides).',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      for (const d of types) this.set({ type: d.type }, d.maxJobsActive);
    },
  });
  brokerConnected.set(0);
  ready.set(0);

  return {
    registry,
    watch(workers, definitions) {
      running = workers;
      types = definitions;
      for (const d of definitions) {
        // Every series exists from the start (0), so rates and alerts work before the first job.
        for (const via of ['stream', 'poll']) activated.inc({ type: d.type, via }, 0);
        completed.inc({ type: d.type }, 0);
        failed.inc({ type: d.type, incident: 'false' }, 0);
        lost.inc({ type: d.type }, 0);
        returned.inc({ type: d.type }, 0);
        pollErrors.inc({ type: d.type }, 0);
        streamErrors.inc({ type: d.type }, 0);
      }
      workers.on('job:activated', (e) => activated.inc({ type: e.type, via: e.via }));
      workers.on('job:completed', (e) => {
        completed.inc({ type: e.type });
        duration.observe({ type: e.type, outcome: 'completed' }, e.durationMs / 1000);
      });
      workers.on('job:failed', (e) => {
        failed.inc({ type: e.type, incident: String(e.retries === 0) });
        duration.observe({ type: e.type, outcome: 'failed' }, e.durationMs / 1000);
      });
      workers.on('job:error-thrown', (e) => {
        errored.inc({ type: e.type, code: e.errorCode });
        duration.observe({ type: e.type, outcome: 'errored' }, e.durationMs / 1000);
      });
      workers.on('job:lost', (e) => lost.inc({ type: e.type }));
      workers.on('job:returned', (e) => returned.inc({ type: e.type }));
      workers.on('poll:error', (e) => pollErrors.inc({ type: e.type }));
      workers.on('stream:closed', (e) => {
        if (e.error) streamErrors.inc({ type: e.type });
      });
      workers.on('command:error', (e) => commandErrors.inc({ type: e.type, command: e.command }));
    },
    setBrokerConnected: (connected) => brokerConnected.set(connected ? 1 : 0),
    setReady: (isReady) => ready.set(isReady ? 1 : 0),
    uncaughtError: (kind) => uncaught.inc({ kind }),
    async scrape() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
