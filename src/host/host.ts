/**
 * The worker host: composes the components of a long-running worker process and owns their order.
 *   start: metrics → HTTP server (liveness answers from here on) → workers → broker watch (readiness)
 *   stop:  readiness false → workers drain within the grace period → broker watch → HTTP server
 * It logs one line per job outcome, counts everything in Prometheus metrics, and keeps errors that escape a
 * handler (thrown from a timer, an unhandled rejection) from ending the process: they are logged and counted.
 * Ready means: the broker answers, no job type's activation is refused by it (UNAUTHENTICATED,
 * PERMISSION_DENIED, …, until a poll succeeds or a job arrives), and the host is not draining.
 */
import type { Logger } from 'pino';
import type { ForagerConfig } from '../config/index.ts';
import type { HostConfig } from '../config/host.ts';
import { BrokerError, BrokerRejectionError, BrokerTimeoutError } from '../transport/index.ts';
import { runWorkers, type RunningWorkers, type WorkerDefinition } from '../worker/index.ts';
import { watchBroker, type BrokerWatch } from './broker-watch.ts';
import { createHttpServer, type HostHttpServer } from './http.ts';
import { createMetrics, type HostMetrics } from './metrics.ts';

/** A poll error that says nothing about this job type: not the broker's, cancelled, no answer in time, backpressure, unavailable. */
function isRefusal(error: Error): boolean {
  if (!(error instanceof BrokerError) || error.unprocessed || error instanceof BrokerTimeoutError) return false;
  return !(error instanceof BrokerRejectionError && error.cancelled);
}

export interface HostOptions {
  readonly config: ForagerConfig;
  readonly host: HostConfig;
  /** The workers to run (after `selectWorkers`). */
  readonly workers: readonly WorkerDefinition[];
  readonly logger: Logger;
}

export interface RunningHost {
  /** Where the HTTP server listens (undefined when it is disabled). */
  readonly url: string | undefined;
  readonly types: readonly string[];
  readonly ready: boolean;
  readonly metrics: HostMetrics;
  /**
   * Drains and stops: readiness goes false, workers stop taking jobs and finish those in flight within the
   * grace period (the rest are handed back), then the broker watch and the HTTP server close. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts the host. Throws `HttpListenError` when the HTTP port cannot be bound (nothing else is left running).
 *
 * @example
 * const host = await startHost({ config, host: hostConfig, workers, logger });
 * process.once('SIGTERM', () => void host.stop().then(() => process.exit(0)));
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { config, host, logger: log } = options;
  const address = config.address;
  if (!address) throw new TypeError('startHost: the configuration has no broker address');
  const metrics = createMetrics();

  let draining = false;
  // Filled in as the components start; readiness reads them.
  const parts: { workers?: RunningWorkers; watch?: BrokerWatch } = {};
  /** Job types whose last activation request failed (a broker that answers may still refuse them), and why. */
  const failing = new Map<string, string>();
  let lastReady = false;
  const readiness = () => {
    const { workers, watch } = parts;
    const ready = !draining && workers !== undefined && watch?.connected === true && failing.size === 0;
    return {
      ready,
      detail: {
        broker: watch?.connected ? 'connected' : (watch?.problem ?? 'not checked yet'),
        ...(failing.size > 0 ? { activationFailing: Object.fromEntries(failing) } : {}),
        draining,
        jobTypes: options.workers.map((w) => w.type),
      },
    };
  };
  const updateReady = () => {
    const { ready, detail } = readiness();
    metrics.setReady(ready);
    if (ready !== lastReady) {
      lastReady = ready;
      if (ready) log.info({ jobTypes: detail.jobTypes }, 'ready: connected to the broker and activating jobs');
      else log.warn({ broker: detail.broker, activationFailing: detail.activationFailing, draining }, 'not ready');
    }
  };

  let http: HostHttpServer | undefined;
  let url: string | undefined;
  if (host.http.enabled) {
    http = createHttpServer({
      host: host.http.host,
      port: host.http.port,
      readiness,
      metrics: () => metrics.scrape(),
      onError: (error) => log.error({ err: error }, 'the HTTP server failed to answer a request'),
    });
    url = await http.start();
    log.info({ url, endpoints: ['/healthz', '/readyz', '/metrics'] }, `HTTP server listening on ${url}`);
  }

  const onUncaught = (kind: 'exception' | 'rejection') => (error: unknown) => {
    metrics.uncaughtError(kind);
    log.error({ err: error, kind }, `an error escaped a handler (uncaught ${kind}); the host goes on`);
  };
  const onException = onUncaught('exception');
  const onRejection = onUncaught('rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);

  const running = runWorkers(options.workers, {
    config,
    logger: log,
    mode: host.mode,
    workerName: host.workerName,
    pollRequestTimeoutMs: host.pollRequestTimeoutMs,
  });
  parts.workers = running;
  metrics.watch(running, options.workers);
  const activating = (type: string) => {
    if (failing.delete(type)) updateReady();
  };
  running.on('poll:error', (e) => {
    // A broker that does not answer is the broker watch's to report; a refusal is this type's own.
    if (!isRefusal(e.error)) return;
    failing.set(e.type, e.error.message);
    updateReady();
  });
  running.on('poll:recovered', (e) => activating(e.type));
  running.on('job:activated', (e) => activating(e.type));
  running.on('job:completed', (e) =>
    log.info({ jobType: e.type, jobKey: e.key, processInstanceKey: e.processInstanceKey, durationMs: e.durationMs, outcome: 'completed' }, 'job completed'),
  );
  running.on('job:failed', (e) =>
    log.info(
      { jobType: e.type, jobKey: e.key, processInstanceKey: e.processInstanceKey, durationMs: e.durationMs, outcome: 'failed', retries: e.retries, errorMessage: e.errorMessage },
      e.retries === 0 ? 'job failed: no retries left, an incident is raised' : 'job failed: it will be retried',
    ),
  );
  running.on('job:error-thrown', (e) =>
    log.info(
      { jobType: e.type, jobKey: e.key, processInstanceKey: e.processInstanceKey, durationMs: e.durationMs, outcome: 'errored', errorCode: e.errorCode },
      'job threw a BPMN error',
    ),
  );
  running.on('job:lost', (e) => log.info({ jobType: e.type, jobKey: e.key, processInstanceKey: e.processInstanceKey, outcome: 'lost', reason: e.reason }, 'job lost'));

  const watch = watchBroker({
    address,
    tls: config.tls,
    intervalMs: host.brokerCheckIntervalMs,
    onChange: (connected, problem) => {
      metrics.setBrokerConnected(connected);
      if (connected) log.info({ address: `${address.host}:${address.port}` }, 'the broker answers');
      else log.warn({ address: `${address.host}:${address.port}`, problem }, 'the broker does not answer; not ready until it does');
      updateReady();
    },
  });
  parts.watch = watch;
  watch.start();
  log.info({ jobTypes: running.types, mode: host.mode, worker: host.workerName }, 'workers running');

  let stopping: Promise<void> | undefined;
  return {
    url,
    types: running.types,
    get ready() {
      return readiness().ready;
    },
    metrics,
    stop() {
      stopping ??= (async () => {
        draining = true;
        updateReady();
        log.info({ inFlight: running.active, graceMs: host.shutdownGraceMs }, 'draining: no new jobs; jobs in flight may finish');
        await running.stop(host.shutdownGraceMs);
        await watch.stop();
        await http?.stop();
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
