/**
 * One worker process of the bench (started by run.ts over an IPC channel; not meant to be run by hand).
 *
 * BENCH_WORKER_SPEC (JSON: peer, engine address, job types) says which client to run. Every peer gets the
 * same no-op handler: note `now − variables.createdAt` (instance created → handler started) and complete
 * the job without variables. The process counts handled jobs (reported every 50 ms, so the orchestrator can
 * keep a bounded backlog) and, between a `mark` and a `report` message, measures its own CPU time
 * (`process.cpuUsage()`) and wall time. Nothing but the peer runs here, so that CPU is the peer's.
 */
import {
  epochMs,
  rawClient,
  type FromWorker,
  type Peer,
  type RawClient,
  type ToWorker,
  type WorkerSpec,
} from './lib.ts';

type OnJob = (typeIndex: number, createdAt: unknown) => void;
type OnError = (error: unknown) => void;
interface Running {
  stop(): Promise<void>;
}

const spec = JSON.parse(process.env.BENCH_WORKER_SPEC ?? '{}') as WorkerSpec;
const send = (message: FromWorker) => {
  if (process.connected) process.send!(message);
};

const counts: number[] = spec.types.map(() => 0);
let handled = 0;
let latencies: number[] = [];
let latencySince = Number.POSITIVE_INFINITY;
let stale = 0;
let errors = 0;
const errorSamples: string[] = [];

/**
 * Counts go to the orchestrator at most every 50 ms, and only after a job was handled: an idle worker process
 * wakes up for nothing of the bench's (its idle CPU is the peer's own).
 */
let countTimer: NodeJS.Timeout | undefined;
let countsStopped = false;
function flushCounts(): void {
  countTimer = undefined;
  send({ ev: 'count', counts: [...counts], fresh: latencies.length });
}
function stopCounts(): void {
  countsStopped = true;
  clearTimeout(countTimer);
}

const onJob: OnJob = (typeIndex, createdAt) => {
  if (countTimer === undefined && !countsStopped) countTimer = setTimeout(flushCounts, 50);
  const created = Number(createdAt);
  if (created >= latencySince) latencies.push(epochMs() - created);
  else stale++;
  counts[typeIndex]!++;
  handled++;
};
const onError: OnError = (error) => {
  errors++;
  if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
};

/* ---------- the peers ---------- */

const JOB_TIMEOUT_MS = 60_000;

/**
 * The reference: a minimal client on @grpc/grpc-js and the SDK's proto, with what a fast worker needs and
 * nothing else: JSON.parse of the variables, up to `CAPACITY` jobs held, two long polls in flight (or a job
 * stream with a backfill poll every 500 ms), completions sent as soon as the handler returns.
 */
function rawWorker(mode: 'poll' | 'stream'): Running {
  const CAPACITY = 128;
  const client: RawClient = rawClient(spec.address);
  let stopped = false;
  const calls = new Set<{ cancel(): void }>();
  const timers: NodeJS.Timeout[] = [];
  const lanes = spec.types.map((type, index) => ({ type, index, active: 0, asked: 0, polls: 0 }));

  const handle = (lane: (typeof lanes)[number], job: { key: string; variables: string }) => {
    lane.active++;
    const variables = JSON.parse(job.variables) as { createdAt?: unknown };
    onJob(lane.index, variables.createdAt);
    client.CompleteJob!({ jobKey: job.key, variables: '{}' }, (error: Error | null) => {
      lane.active--;
      if (error && !stopped) onError(error);
      if (mode === 'poll') pump(lane);
    });
  };

  const poll = (lane: (typeof lanes)[number], max: number, requestTimeout: number, onEnd: () => void) => {
    const call = client.ActivateJobs!({ type: lane.type, worker: 'bench-raw', timeout: JOB_TIMEOUT_MS, maxJobsToActivate: max, requestTimeout });
    calls.add(call);
    call.on('data', (response: { jobs: { key: string; variables: string }[] }) => {
      for (const job of response.jobs) handle(lane, job);
    });
    call.on('error', (error: { code?: number }) => {
      if (!stopped && error.code !== 1) onError(error);
    });
    call.on('status', () => {
      calls.delete(call);
      onEnd();
    });
  };

  const pump = (lane: (typeof lanes)[number]) => {
    while (!stopped && lane.polls < 2 && CAPACITY - lane.active - lane.asked >= 16) {
      const max = Math.min(64, CAPACITY - lane.active - lane.asked);
      lane.asked += max;
      lane.polls++;
      poll(lane, max, 10_000, () => {
        lane.asked -= max;
        lane.polls--;
        if (!stopped) setImmediate(() => pump(lane));
      });
    }
  };

  for (const lane of lanes) {
    if (mode === 'poll') {
      pump(lane);
      continue;
    }
    const stream = client.StreamActivatedJobs!({ type: lane.type, worker: 'bench-raw', timeout: JOB_TIMEOUT_MS, fetchVariable: [], tenantIds: [] });
    calls.add(stream);
    stream.on('data', (job: { key: string; variables: string }) => handle(lane, job));
    stream.on('error', (error: { code?: number }) => {
      if (!stopped && error.code !== 1) onError(error);
    });
    // The engine pushes only jobs that become activatable while a stream is ready; a backfill poll picks up
    // the rest (as the Java client and the SDK's stream worker do).
    const backfill = () => {
      if (stopped) return;
      poll(lane, 32, -1, () => {
        if (!stopped) timers.push(setTimeout(backfill, 500));
      });
    };
    backfill();
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const call of calls) call.cancel();
      client.close();
    },
  };
}

/** The official SDK's gRPC client for the engine: plain text, no auth, quiet. */
async function sdkClient() {
  const { Camunda8 } = await import('@camunda8/sdk');
  const c8 = new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://${spec.address}`,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_LOG_LEVEL: 'none',
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
  } as never);
  return c8.getZeebeGrpcApiClient();
}

/** The official SDK's polling worker (`createWorker`), at its defaults or with the given options. */
async function sdkWorker(options: Record<string, unknown>): Promise<Running> {
  const zb = await sdkClient();
  const workers = spec.types.map((type, index) => {
    const worker = zb.createWorker({
      taskType: type,
      ...options,
      taskHandler: (job) => {
        onJob(index, job.variables.createdAt);
        return job.complete();
      },
    });
    worker.on('connectionError', () => onError(new Error('connectionError')));
    return worker;
  });
  return {
    async stop() {
      await Promise.all(workers.map((w) => w.close(2000)));
      await zb.close();
    },
  };
}

/** The official SDK's job-stream worker (`streamJobs`: StreamActivatedJobs + a backfill poll + a 30 s sidecar poll). */
async function sdkStreamWorker(): Promise<Running> {
  const zb = await sdkClient();
  const streams = await Promise.all(
    spec.types.map((type, index) =>
      zb.streamJobs({
        type,
        worker: 'bench-sdk-stream',
        tenantIds: [],
        timeout: JOB_TIMEOUT_MS,
        taskHandler: (job) => {
          onJob(index, job.variables.createdAt);
          return job.complete();
        },
      }),
    ),
  );
  return {
    async stop() {
      for (const s of streams) s.close();
      await zb.close();
    },
  };
}

/** zeebe-node's ZBClient worker, at its defaults or with the given options. */
async function zeebeNodeWorker(options: Record<string, unknown>): Promise<Running> {
  const { ZBClient } = await import('zeebe-node');
  const zbc = new ZBClient(spec.address, { loglevel: 'NONE', useTLS: false });
  for (const [index, type] of spec.types.entries()) {
    const worker = zbc.createWorker({
      taskType: type,
      ...options,
      taskHandler: (job) => {
        onJob(index, job.variables.createdAt);
        return job.complete();
      },
    });
    worker.on('connectionError', () => onError(new Error('connectionError')));
  }
  return {
    async stop() {
      await zbc.close(2000);
    },
  };
}

/** What the bench needs of forager's public API (typed here, so the bench compiles before the runtime lands). */
interface ForagerApi {
  defineWorker?: (options: {
    type: string;
    maxJobsActive?: number;
    handler: (variables: Record<string, unknown>, ctx: unknown) => Promise<Record<string, unknown>>;
  }) => unknown;
  runWorkers?: (definitions: unknown[], options: { config: unknown; mode: 'stream' | 'poll' }) => unknown;
}

class Unavailable extends Error {}

async function foragerWorker(mode: 'stream' | 'poll', maxJobsActive: number): Promise<Running> {
  const api = (await import('../../src/index.ts')) as unknown as ForagerApi;
  const configModule = (await import('../../src/config/index.ts')) as unknown as { resolveConfig?: (env: NodeJS.ProcessEnv) => unknown };
  if (typeof api.runWorkers !== 'function' || typeof api.defineWorker !== 'function' || typeof configModule.resolveConfig !== 'function') {
    throw new Unavailable('forager runtime not available yet (src/index.ts exports no runWorkers)');
  }
  const defineWorker = api.defineWorker;
  const definitions = spec.types.map((type, index) =>
    defineWorker({
      type,
      maxJobsActive,
      handler: async (variables) => {
        onJob(index, variables.createdAt);
        return {};
      },
    }),
  );
  let running: { stop?: () => Promise<void>; close?: () => Promise<void> };
  try {
    running = (await api.runWorkers(definitions, { config: configModule.resolveConfig(process.env), mode })) as typeof running;
  } catch (error) {
    throw new Unavailable(`forager runtime not available yet (runWorkers(definitions, { config, mode }) failed: ${(error as Error).message})`);
  }
  if (typeof running?.stop !== 'function' && typeof running?.close !== 'function') {
    throw new Unavailable('forager runtime not available yet (runWorkers returned nothing with stop())');
  }
  return {
    async stop() {
      await (running.stop ?? running.close)!.call(running);
    },
  };
}

async function start(peer: Peer): Promise<Running> {
  switch (peer) {
    case 'raw-poll':
      return rawWorker('poll');
    case 'raw-stream':
      return rawWorker('stream');
    case 'sdk':
      return sdkWorker({});
    case 'sdk-tuned':
      return sdkWorker({ maxJobsToActivate: 128, pollInterval: 10 });
    case 'sdk-stream':
      return sdkStreamWorker();
    case 'zeebe-node':
      return zeebeNodeWorker({});
    case 'zeebe-node-tuned':
      return zeebeNodeWorker({ maxJobsToActivate: 128, pollInterval: 10 });
    case 'forager-stream':
      return foragerWorker('stream', 32);
    case 'forager-poll':
      return foragerWorker('poll', 32);
    case 'forager-stream-tuned':
      return foragerWorker('stream', 128);
    case 'forager-poll-tuned':
      return foragerWorker('poll', 128);
  }
}

/* ---------- the measurement protocol ---------- */

async function main(): Promise<void> {
  const started = performance.now();
  // A lost parent must not leave this process behind.
  process.on('disconnect', () => process.exit(0));
  let running: Running;
  try {
    running = await start(spec.peer);
  } catch (error) {
    send({ ev: 'unavailable', reason: error instanceof Unavailable ? error.message : `could not start: ${(error as Error).stack ?? error}` });
    setTimeout(() => process.exit(0), 50);
    return;
  }
  process.on('unhandledRejection', onError);


  let markAt = 0;
  let markCpu = process.cpuUsage();
  let markHandled = 0;
  process.on('message', (message: ToWorker) => {
    if (message.cmd === 'mark') {
      markAt = performance.now();
      markCpu = process.cpuUsage();
      markHandled = handled;
      latencies = [];
      latencySince = message.sinceEpochMs;
      stale = 0;
      errors = 0;
      errorSamples.length = 0;
      send({ ev: 'marked' });
    } else if (message.cmd === 'report') {
      const cpu = process.cpuUsage(markCpu);
      const seconds = (performance.now() - markAt) / 1000;
      const jobs = handled - markHandled;
      send({
        ev: 'report',
        jobs,
        seconds,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        rssMb: Math.round(process.memoryUsage().rss / 1e6),
        latencies,
        stale,
        errors,
        errorSamples: [...errorSamples],
      });
    } else if (message.cmd === 'stop') {
      stopCounts();
      const forceExit = setTimeout(() => process.exit(0), 3000);
      running
        .stop()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(forceExit);
          send({ ev: 'stopped' });
          setTimeout(() => process.exit(0), 20);
        });
    }
  });
  // Give polls and streams a moment to reach the engine before the orchestrator starts creating.
  const cpu = process.cpuUsage();
  const startup = { startupMs: Math.round(performance.now() - started), startupCpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  setTimeout(() => send({ ev: 'ready', ...startup, rssMb: Math.round(process.memoryUsage().rss / 1e6) }), 300);
}

await main();
