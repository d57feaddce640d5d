/**
 * `npm run bench`: forager's worker against the official `@camunda8/sdk` worker and `zeebe-node`, on one
 * forager engine, in one run.
 *
 * Every case runs a no-op handler over one-task process instances carrying ~10 KB of variables. The engine
 * runs in its own process; each worker runs in its own process (test/bench/worker.ts); this process deploys,
 * creates the instances (raw @grpc/grpc-js client on the SDK's proto) and measures. Per case:
 *  1. warm-up: a saturating load, not measured;
 *  2. throughput: a saturating load (the creator keeps BENCH_BACKLOG jobs waiting per case) until
 *     BENCH_JOBS jobs were handled or BENCH_SECONDS passed → jobs/s, and the worker process's CPU time per
 *     job (its own `process.cpuUsage()`), beside the engine's and the creator's CPU (/proc/<pid>/stat);
 *  3. latency: instances created at a fixed BENCH_RATE per second for BENCH_LATENCY_SECONDS → activation
 *     latency p50/p99 (instance created → handler started; both ends read the host's clock).
 * Cases (BENCH_CASES, a comma list; default all but fanout50-sdk):
 *   raw-poll, raw-stream      a minimal grpc-js worker (JSON.parse, 128 jobs, two long polls / a job stream):
 *                             the reference for what the engine can do on this host
 *   sdk, sdk-tuned            @camunda8/sdk createWorker: defaults (32 jobs, 300 ms poll); 128 jobs, 10 ms poll
 *   sdk-stream                @camunda8/sdk streamJobs (defaults)
 *   zeebe-node, zeebe-node-tuned   zeebe-node ZBClient.createWorker: defaults; 128 jobs, 10 ms poll
 *   forager-stream, forager-poll   forager's runWorkers in stream / poll mode, defaults (maxJobsActive 32)
 *   forager-stream-tuned, forager-poll-tuned   the same with maxJobsActive 128
 *   fanout1-<peer>            one process of <peer> serving BENCH_FANOUT job types
 *   fanout50-<peer>           BENCH_FANOUT processes of <peer>, one job type each
 * The engine's own figures (test/bench/engine.ts; each case on an engine process of its own, after the cases
 * above; BENCH_CASES='engine-*' runs them alone; their knobs are BENCH_ENGINE_*, listed in engine.ts):
 *   engine-one-task           one-task instances in memory, creator and completer in processes of their own:
 *                             completed instances/s, engine CPU ms/instance, creation → completion p50/p99
 *   engine-one-task-durable   the same on a data directory (--data-dir): also fsyncs/s, commands per fsync and log
 *                             bytes/instance (the log's counters, SIGUSR2)
 *   engine-ten-task           ten service tasks in a row, in memory: instances/s and jobs/s
 *   engine-waiting            BENCH_ENGINE_WAITING instances on a PT1H timer and as many on a message:
 *                             engine heap (after GC) per waiting instance, live and after a restart from a snapshot
 *   engine-replay             a log of BENCH_ENGINE_REPLAY_RECORDS+ records, kill -9, start again: records
 *                             replayed per second of start-up; and the start-up from a snapshot
 *   cli                       the built `forager` command beside zbctl, the same commands against one engine:
 *                             wall time to exit, medians (test/bench/cli.ts; BENCH_CLI_RUNS)
 * A pattern ending in '*' selects every case that begins with it.
 * Knobs (environment):
 *   BENCH_JOBS=20000          N: the throughput phase ends after N jobs …
 *   BENCH_SECONDS=8           … or after this many seconds (the issue's full-length run: BENCH_SECONDS=30)
 *   BENCH_WARMUP_SECONDS=2    unmeasured saturating load before the throughput phase
 *   BENCH_RATE=50             instances/s in the latency phase (open loop)
 *   BENCH_LATENCY_SECONDS=6   length of the latency phase (a job not handled 5 s after it counts as "> 5 s")
 *   BENCH_BACKLOG=256         jobs kept waiting during the throughput phase (per case; per type ≥ 16)
 *   BENCH_CONCURRENCY=32      CreateProcessInstance calls the creator keeps in flight
 *   BENCH_FANOUT=50           job types (and processes) in the fan-out cases
 *   BENCH_FANOUT_PEER         peer of the default fan-out cases (forager-stream when forager is available, else sdk)
 *   BENCH_ENGINE_PROFILE=1    start the engine with --cpu-prof (profile in test/bench/results/)
 *   BENCH_OUT=test/bench/results/latest.json
 * Output: a table on stdout and the JSON file (test/bench/results/ is for generated output, not for git).
 * Every process started here is stopped when a case ends, on failure, and on SIGINT/SIGTERM.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  ForkedChannel,
  PAYLOAD_BYTES,
  ROOT,
  epochMs,
  hostCpu,
  instanceVariables,
  isPeer,
  PEERS,
  procCpuMs,
  procRssMb,
  processXml,
  rawClient,
  sleep,
  summarize,
  unary,
  type FromWorker,
  type LatencySummary,
  type Peer,
  type RawClient,
  type ToWorker,
  type WorkerReport,
  type WorkerSpec,
} from './lib.ts';
import { CLI_CASES, isCliCase, printCliTable, runCliBench, type CliFigure } from './cli.ts';
import { ENGINE_CASES, isEngineCase, killEngineBench, printEngineTable, runEngineBench } from './engine.ts';

/* ---------- knobs ---------- */

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not '${raw}'`);
  return value;
}

const JOBS = Math.round(knob('BENCH_JOBS', 20_000));
const SECONDS = knob('BENCH_SECONDS', 8);
const WARMUP_SECONDS = knob('BENCH_WARMUP_SECONDS', 2);
const RATE = knob('BENCH_RATE', 50);
const LATENCY_SECONDS = knob('BENCH_LATENCY_SECONDS', 6);
/** After the throughput phase: how long the worker gets to work off the backlog before the latency phase. */
const THROUGHPUT_DRAIN_MS = 5_000;
/** Fan-out cases: how long the idle worker processes are watched before any load (their CPU doing nothing). */
const IDLE_SECONDS = 2;
/** After the latency phase: a job not handled by then counts as slower than every measured one. */
const LATENCY_DRAIN_MS = 5_000;
const BACKLOG = Math.round(knob('BENCH_BACKLOG', 256));
const CONCURRENCY = Math.round(knob('BENCH_CONCURRENCY', 32));
const FANOUT = Math.round(knob('BENCH_FANOUT', 50));
const OUT = resolve(ROOT, process.env.BENCH_OUT ?? 'test/bench/results/latest.json');
const ENGINE_PROFILE = process.env.BENCH_ENGINE_PROFILE === '1';
const CORES = cpus().length;
/** The bar from the issue, against the official SDK at its defaults. */
const BAR = { throughput: 1.5, cpu: 0.5 };

/* ---------- cases ---------- */

interface CaseDef {
  readonly name: string;
  readonly peer: Peer;
  /** Worker processes. */
  readonly processes: number;
  /** Job types per worker process. */
  readonly typesPerProcess: number;
}

const SINGLE: readonly Peer[] = PEERS;

function caseDef(name: string): CaseDef {
  const fan = /^fanout(1|50)-(.+)$/.exec(name);
  if (fan) {
    const peer = fan[2]!;
    if (!isPeer(peer)) throw new Error(`BENCH_CASES: unknown peer '${peer}' in '${name}'`);
    return fan[1] === '1'
      ? { name, peer, processes: 1, typesPerProcess: FANOUT }
      : { name, peer, processes: FANOUT, typesPerProcess: 1 };
  }
  if (!isPeer(name)) throw new Error(`BENCH_CASES: unknown case '${name}' (peers: ${SINGLE.join(', ')}; or fanout1-<peer>, fanout50-<peer>)`);
  return { name, peer: name, processes: 1, typesPerProcess: 1 };
}

function describe(def: CaseDef): string {
  const what: Record<Peer, string> = {
    'raw-poll': 'raw grpc-js, long polls (reference)',
    'raw-stream': 'raw grpc-js, job stream (reference)',
    sdk: '@camunda8/sdk worker, defaults',
    'sdk-tuned': '@camunda8/sdk worker, 128 jobs, 10 ms poll',
    'sdk-stream': '@camunda8/sdk streamJobs',
    'zeebe-node': 'zeebe-node worker, defaults',
    'zeebe-node-tuned': 'zeebe-node worker, 128 jobs, 10 ms poll',
    'forager-stream': 'forager, stream (32 jobs)',
    'forager-poll': 'forager, poll (32 jobs)',
    'forager-stream-tuned': 'forager, stream, 128 jobs',
    'forager-poll-tuned': 'forager, poll, 128 jobs',
  };
  if (def.processes > 1) return `${what[def.peer]}: ${def.processes} procs × 1 type`;
  if (def.typesPerProcess > 1) return `${what[def.peer]}: 1 proc × ${def.typesPerProcess} types`;
  return what[def.peer];
}

/* ---------- processes (all tracked, all stopped) ---------- */

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll(): void {
  killEngineBench();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface Engine {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly address: string;
}

async function startEngine(resultsDir: string): Promise<Engine> {
  const flags = ENGINE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] : [];
  const child = track(
    spawn(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'src/engine/main.ts'), '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const address = await new Promise<string>((resolveAddress, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the engine did not start listening within 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveAddress(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the engine exited with ${code} before listening`)));
  });
  child.stdout!.resume();
  return { child, pid: child.pid!, address };
}

/** One worker process and what it last said. */
class WorkerProcess {
  readonly child: ChildProcess;
  counts: number[];
  /** Jobs handled since the last mark that were created after it. */
  fresh = 0;
  private readonly channel: ForkedChannel<FromWorker, ToWorker>;
  private onCount: () => void;

  constructor(spec: WorkerSpec, onCount: () => void) {
    this.counts = spec.types.map(() => 0);
    this.onCount = onCount;
    this.child = track(
      fork(join(ROOT, 'test/bench/worker.ts'), [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: {
          ...process.env,
          BENCH_WORKER_SPEC: JSON.stringify(spec),
          ZEEBE_GRPC_ADDRESS: `grpc://${spec.address}`,
          ZEEBE_ADDRESS: spec.address,
          ZEEBE_SECURE_CONNECTION: 'false',
          CAMUNDA_SECURE_CONNECTION: 'false',
          CAMUNDA_AUTH_STRATEGY: 'NONE',
          CAMUNDA_LOG_LEVEL: 'none',
          ZEEBE_CLIENT_LOG_LEVEL: 'NONE',
          FORAGER_LOG_LEVEL: 'silent',
          LOG_LEVEL: 'silent',
        },
      }),
    );
    this.channel = new ForkedChannel<FromWorker, ToWorker>(
      this.child,
      'worker process',
      (message) => {
        if (message.ev === 'count') {
          this.counts = message.counts;
          this.fresh = message.fresh;
          this.onCount();
          return true;
        }
        // Counts sent before the mark were about the previous window (IPC keeps the order).
        if (message.ev === 'marked') this.fresh = 0;
        return false;
      },
      ['unavailable'],
    );
  }

  /** Waits for the next message of this kind (or 'unavailable'); rejects when the process exits first. */
  next<E extends FromWorker['ev']>(ev: E, timeoutMs: number): Promise<Extract<FromWorker, { ev: E | 'unavailable' }>> {
    return this.channel.next(ev, timeoutMs) as Promise<Extract<FromWorker, { ev: E | 'unavailable' }>>;
  }

  send(message: ToWorker): void {
    this.channel.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const stopped = this.next('stopped', 5000).catch(() => undefined);
    this.send({ cmd: 'stop' });
    await stopped;
    await stopChild(this.child, 'SIGKILL', 0);
  }
}

/* ---------- load ---------- */

interface TypeLane {
  readonly type: string;
  readonly processId: string;
  created: number;
  /** Jobs the worker handled, from the worker's counts. */
  handled: () => number;
}

class Creator {
  private readonly client: RawClient;
  private wake: (() => void)[] = [];
  errors = 0;
  errorSamples: string[] = [];

  constructor(address: string) {
    this.client = rawClient(address);
  }

  close(): void {
    this.client.close();
  }

  /** Called on every count report: lanes waiting for room go on. */
  notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const w of waiting) w();
  }

  async deploy(lanes: readonly TypeLane[]): Promise<void> {
    for (let i = 0; i < lanes.length; i += 25) {
      const resources = lanes.slice(i, i + 25).map((l) => ({ name: `${l.processId}.bpmn`, content: Buffer.from(processXml(l.processId, l.type)) }));
      await unary(this.client, 'DeployResource', { resources });
    }
  }

  private create(lane: TypeLane): Promise<void> {
    lane.created++;
    return unary(this.client, 'CreateProcessInstance', { bpmnProcessId: lane.processId, version: -1, variables: instanceVariables() }).then(
      () => undefined,
      (error: Error) => {
        lane.created--;
        this.errors++;
        if (this.errorSamples.length < 5) this.errorSamples.push(error.message);
        return sleep(10);
      },
    );
  }

  /** Keeps up to `perType` jobs of each type waiting (created, not yet handled) until `done()`. */
  async saturate(lanes: readonly TypeLane[], perType: number, done: () => boolean): Promise<void> {
    let next = 0;
    const pick = (): TypeLane | undefined => {
      for (let k = 0; k < lanes.length; k++) {
        const lane = lanes[(next + k) % lanes.length]!;
        if (lane.created - lane.handled() < perType) {
          next = (next + k + 1) % lanes.length;
          return lane;
        }
      }
      return undefined;
    };
    const worker = async () => {
      while (!done()) {
        const lane = pick();
        if (lane) await this.create(lane);
        else await new Promise<void>((r) => this.wake.push(r));
      }
    };
    // Counts arrive every 50 ms while jobs are handled; this ticker also wakes lanes when none are.
    const ticker = setInterval(() => this.notify(), 25);
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      clearInterval(ticker);
    }
  }

  /** Creates `rate` instances per second for `seconds` (open loop), spread over the types in turn. */
  async fixedRate(lanes: readonly TypeLane[], rate: number, seconds: number): Promise<void> {
    const total = Math.max(1, Math.round(rate * seconds));
    const interval = 1000 / rate;
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(this.create(lanes[i % lanes.length]!));
    }
    await Promise.all(pending);
  }

  /** Resolves when every created job was handled, or after `timeoutMs`; returns how many were not. */
  async drain(lanes: readonly TypeLane[], timeoutMs: number): Promise<number> {
    const until = performance.now() + timeoutMs;
    const missing = () => lanes.reduce((n, l) => n + Math.max(0, l.created - l.handled()), 0);
    while (missing() > 0 && performance.now() < until) await sleep(20);
    return missing();
  }
}

/* ---------- one case ---------- */

interface CpuFigures {
  /** CPU ms per handled job. */
  readonly msPerJob: number;
  /** Share of one core over the window (1 = one core busy). */
  readonly cores: number;
}

interface CaseResult {
  readonly name: string;
  readonly description: string;
  readonly peer: Peer;
  readonly processes: number;
  readonly typesPerProcess: number;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly startupSeconds?: number;
  /** CPU time all worker processes of the case spent starting (import, connect), and their memory when ready. */
  readonly startupCpuMs?: number;
  readonly idleRssMb?: number;
  /** Fan-out cases: CPU (share of one core) all the worker processes use before any job arrives. */
  readonly idleCores?: number;
  /** How long the backlog took to work off after each phase; jobs still waiting when the next phase began. */
  readonly drain?: { readonly afterThroughputSeconds: number; readonly leftAfterThroughput: number; readonly afterLatencySeconds: number };
  readonly throughput?: {
    readonly jobs: number;
    readonly seconds: number;
    readonly jobsPerSecond: number;
    readonly stoppedBy: 'jobs' | 'time';
    readonly worker: CpuFigures & { readonly userMsPerJob: number; readonly systemMsPerJob: number };
    readonly engine: CpuFigures | undefined;
    readonly creator: CpuFigures;
    /** Share of all cores busy on the host, and the part of it no process of this bench used. */
    readonly host: { readonly busy: number; readonly others: number } | undefined;
    readonly boundBy: string;
    /** Jobs waiting (created, not yet handled) during the window: what the creator aimed for and what it kept on average. */
    readonly backlog: { readonly target: number; readonly average: number };
    readonly latencyUnderLoad: LatencySummary;
    readonly workerRssMb: number;
    readonly engineRssMb: number | undefined;
  };
  /** `unhandled`: created in the phase but not handled LATENCY_DRAIN_MS after it; `staleJobsHandled`: older jobs handled in it. */
  readonly latency?: LatencySummary & { readonly rate: number; readonly seconds: number; readonly staleJobsHandled: number };
  readonly workerErrors?: { readonly count: number; readonly samples: string[] };
  readonly creatorErrors?: { readonly count: number; readonly samples: string[] };
}

function combine(reports: readonly WorkerReport[]): WorkerReport {
  return {
    jobs: reports.reduce((n, r) => n + r.jobs, 0),
    seconds: Math.max(...reports.map((r) => r.seconds)),
    cpuUserMs: reports.reduce((n, r) => n + r.cpuUserMs, 0),
    cpuSystemMs: reports.reduce((n, r) => n + r.cpuSystemMs, 0),
    rssMb: reports.reduce((n, r) => n + r.rssMb, 0),
    latencies: reports.flatMap((r) => r.latencies),
    stale: reports.reduce((n, r) => n + r.stale, 0),
    errors: reports.reduce((n, r) => n + r.errors, 0),
    errorSamples: reports.flatMap((r) => r.errorSamples).slice(0, 5),
  };
}

async function markAll(workers: readonly WorkerProcess[]): Promise<void> {
  const marked = workers.map((w) => w.next('marked', 10_000));
  const sinceEpochMs = epochMs();
  for (const w of workers) w.send({ cmd: 'mark', sinceEpochMs });
  await Promise.all(marked);
}

async function reportAll(workers: readonly WorkerProcess[]): Promise<WorkerReport> {
  const reports = workers.map((w) => w.next('report', 20_000));
  for (const w of workers) w.send({ cmd: 'report' });
  return combine((await Promise.all(reports)) as WorkerReport[]);
}

async function runCase(def: CaseDef, engine: Engine, creator: Creator, seq: number): Promise<CaseResult> {
  const base = { name: def.name, description: describe(def), peer: def.peer, processes: def.processes, typesPerProcess: def.typesPerProcess };
  const workers: WorkerProcess[] = [];
  try {
    const lanesByProcess: TypeLane[][] = [];
    for (let p = 0; p < def.processes; p++) {
      const lanes: TypeLane[] = [];
      for (let t = 0; t < def.typesPerProcess; t++) {
        const suffix = `${seq}_${p * def.typesPerProcess + t}`;
        lanes.push({ type: `bench-${def.name}-${suffix}`, processId: `bench_${def.name.replace(/[^A-Za-z0-9]/g, '_')}_${suffix}`, created: 0, handled: () => 0 });
      }
      lanesByProcess.push(lanes);
    }
    const lanes = lanesByProcess.flat();
    await creator.deploy(lanes);

    // Start the worker processes, a few at a time (50 cold starts at once would starve a 2-core host).
    const started = performance.now();
    const startup = { cpuMs: 0, rssMb: 0 };
    const startOne = async (p: number) => {
      const own = lanesByProcess[p]!;
      const worker = new WorkerProcess({ peer: def.peer, address: engine.address, types: own.map((l) => l.type) }, () => creator.notify());
      workers.push(worker);
      own.forEach((lane, t) => (lane.handled = () => worker.counts[t] ?? 0));
      const ready = await worker.next('ready', 60_000);
      if (ready.ev === 'unavailable') throw Object.assign(new Error(ready.reason), { skip: true });
      startup.cpuMs += ready.startupCpuMs;
      startup.rssMb += ready.rssMb;
    };
    let nextProcess = 0;
    await Promise.all(
      Array.from({ length: Math.min(4, def.processes) }, async () => {
        while (nextProcess < def.processes) await startOne(nextProcess++);
      }),
    );
    const startupSeconds = (performance.now() - started) / 1000;
    const perType = Math.max(16, Math.ceil(BACKLOG / lanes.length));

    // 0. fan-out cases: what the worker processes cost doing nothing
    let idle: { cores: number; seconds: number } | undefined;
    if (lanes.length > 1) {
      await markAll(workers);
      await sleep(IDLE_SECONDS * 1000);
      const r = await reportAll(workers);
      idle = { cores: (r.cpuUserMs + r.cpuSystemMs) / (r.seconds * 1000), seconds: r.seconds };
    }

    // 1. warm-up
    const warmupEnd = performance.now() + WARMUP_SECONDS * 1000;
    await creator.saturate(lanes, perType, () => performance.now() >= warmupEnd);

    // 2. throughput
    await markAll(workers);
    const handledAtMark = lanes.reduce((n, l) => n + l.handled(), 0);
    const engineCpu0 = procCpuMs(engine.pid);
    const creatorCpu0 = process.cpuUsage();
    const host0 = hostCpu();
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    let stoppedBy: 'jobs' | 'time' = 'time';
    const backlog = { sum: 0, n: 0 };
    const sampler = setInterval(() => {
      backlog.sum += lanes.reduce((n, l) => n + Math.max(0, l.created - l.handled()), 0);
      backlog.n++;
    }, 100);
    await creator.saturate(lanes, perType, () => {
      if (lanes.reduce((n, l) => n + l.handled(), 0) - handledAtMark >= JOBS) stoppedBy = 'jobs';
      return stoppedBy === 'jobs' || performance.now() >= deadline;
    });
    const report = await reportAll(workers);
    clearInterval(sampler);
    const windowMs = performance.now() - t0;
    const backlogTarget = perType * lanes.length;
    const backlogAverage = backlog.n > 0 ? backlog.sum / backlog.n : 0;
    const engineCpu1 = procCpuMs(engine.pid);
    const creatorCpu = process.cpuUsage(creatorCpu0);
    const host1 = hostCpu();
    const engineRssMb = procRssMb(engine.pid);
    const drainStart = performance.now();
    const leftAfterThroughput = await creator.drain(lanes, THROUGHPUT_DRAIN_MS);
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const jobs = report.jobs;
    const workerCpuMs = report.cpuUserMs + report.cpuSystemMs;
    const engineMs = engineCpu0 !== undefined && engineCpu1 !== undefined ? engineCpu1 - engineCpu0 : undefined;
    const creatorMs = (creatorCpu.user + creatorCpu.system) / 1000;
    const per = (ms: number) => (jobs > 0 ? ms / jobs : Number.NaN);
    const worker = {
      msPerJob: per(workerCpuMs),
      userMsPerJob: per(report.cpuUserMs),
      systemMsPerJob: per(report.cpuSystemMs),
      cores: workerCpuMs / (report.seconds * 1000),
    };
    const engineFigures = engineMs === undefined ? undefined : { msPerJob: per(engineMs), cores: engineMs / windowMs };
    const creatorFigures = { msPerJob: per(creatorMs), cores: creatorMs / windowMs };
    let host: { busy: number; others: number } | undefined;
    if (host0 && host1 && host1.total > host0.total) {
      const busy = (host1.busy - host0.busy) / (host1.total - host0.total);
      const ours = (workerCpuMs + (engineMs ?? 0) + creatorMs) / windowMs / CORES;
      host = { busy, others: Math.max(0, busy - ours) };
    }
    const maxWorkerCores = def.processes === 1 ? worker.cores : 0;
    let boundBy = 'worker pace';
    if (engineFigures && engineFigures.cores >= 0.85) boundBy = 'engine (1 core)';
    else if (maxWorkerCores >= 0.85) boundBy = 'worker CPU (1 core)';
    else if (creatorFigures.cores >= 0.85) boundBy = 'creator';
    else if (host && host.busy >= 0.8) boundBy = `host CPU (${CORES} cores)`;
    else if (backlogAverage < backlogTarget / 4) boundBy = 'load (backlog ran dry)';

    // 3. latency at a fixed rate; jobs not handled within LATENCY_DRAIN_MS after the last create count as slower than all
    await markAll(workers);
    const createdBefore = lanes.reduce((n, l) => n + l.created, 0);
    await creator.fixedRate(lanes, RATE, LATENCY_SECONDS);
    const createdInPhase = lanes.reduce((n, l) => n + l.created, 0) - createdBefore;
    const latencyDrainStart = performance.now();
    const until = latencyDrainStart + LATENCY_DRAIN_MS;
    while (workers.reduce((n, w) => n + w.fresh, 0) < createdInPhase && performance.now() < until) await sleep(20);
    const latencyDrainSeconds = (performance.now() - latencyDrainStart) / 1000;
    const latencyReport = await reportAll(workers);
    const unhandled = Math.max(0, createdInPhase - latencyReport.latencies.length);

    return {
      ...base,
      status: 'ok',
      startupSeconds,
      startupCpuMs: startup.cpuMs,
      idleRssMb: startup.rssMb,
      idleCores: idle?.cores,
      drain: { afterThroughputSeconds: drainSeconds, leftAfterThroughput, afterLatencySeconds: latencyDrainSeconds },
      throughput: {
        jobs,
        seconds: report.seconds,
        jobsPerSecond: jobs / report.seconds,
        stoppedBy,
        worker,
        engine: engineFigures,
        creator: creatorFigures,
        host,
        boundBy,
        backlog: { target: backlogTarget, average: Math.round(backlogAverage) },
        latencyUnderLoad: summarize(report.latencies),
        workerRssMb: report.rssMb,
        engineRssMb,
      },
      latency: { ...summarize(latencyReport.latencies, unhandled), rate: RATE, seconds: LATENCY_SECONDS, staleJobsHandled: latencyReport.stale },
      workerErrors: { count: report.errors + latencyReport.errors, samples: [...report.errorSamples, ...latencyReport.errorSamples].slice(0, 5) },
      creatorErrors: { count: creator.errors, samples: creator.errorSamples.slice(0, 5) },
    };
  } catch (error) {
    const skip = (error as { skip?: boolean }).skip === true;
    return { ...base, status: skip ? 'skipped' : 'failed', reason: (error as Error).message };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    creator.errors = 0;
    creator.errorSamples = [];
  }
}

/* ---------- report ---------- */

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toFixed(digits);
}

/** A latency in ms; null means "not handled within LATENCY_DRAIN_MS after the phase". */
function fmtLatency(n: number | null | undefined): string {
  if (n === null) return `>${LATENCY_DRAIN_MS / 1000}s`;
  return fmt(n, 1);
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === undefined || b === undefined || a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/** What a case is compared with: the SDK worker at its defaults serving as many job types from one process. */
function baselineOf(r: CaseResult, results: readonly CaseResult[]): CaseResult | undefined {
  const types = r.processes * r.typesPerProcess;
  const name = types === 1 ? 'sdk' : `fanout1-sdk`;
  const base = results.find((b) => b.name === name && b.status === 'ok');
  return base && base.processes * base.typesPerProcess === types ? base : undefined;
}

function printTable(results: readonly CaseResult[]): void {
  const headers = ['case', 'jobs/s', '×sdk', 'CPU ms/job', '×sdk', `p50 ms`, `p99 ms`, '×sdk p99', 'engine CPU', 'host busy', 'bound by'];
  const rows: string[][] = [];
  for (const r of results) {
    if (r.status !== 'ok' || !r.throughput || !r.latency) {
      rows.push([r.description, r.status, '', '', '', '', '', '', '', '', (r.reason ?? '').slice(0, 90)]);
      continue;
    }
    const t = r.throughput;
    const sdk = baselineOf(r, results);
    rows.push([
      r.description,
      fmt(t.jobsPerSecond),
      ratio(t.jobsPerSecond, sdk?.throughput?.jobsPerSecond),
      fmt(t.worker.msPerJob, 3),
      ratio(t.worker.msPerJob, sdk?.throughput?.worker.msPerJob),
      fmtLatency(r.latency.p50),
      fmtLatency(r.latency.p99),
      ratio(r.latency.p99, sdk?.latency?.p99),
      t.engine ? `${fmt(t.engine.cores * 100)}% ${fmt(t.engine.msPerJob, 2)}ms/j` : '–',
      t.host ? `${fmt(t.host.busy * 100)}% (${fmt(t.host.others * 100)}% other)` : '–',
      t.boundBy,
    ]);
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('');
  console.log(
    `×sdk: against the @camunda8/sdk worker at its defaults serving as many job types from one process. ` +
      `jobs/s and CPU from the throughput phase (saturating load); p50/p99: instance created → handler started at ${RATE} instances/s. ` +
      `CPU ms/job: the worker process(es) only (process.cpuUsage). engine CPU: share of one core and ms per job (/proc). ` +
      `host busy: all ${CORES} cores, "other" = processes outside this bench.`,
  );
}

interface Verdict {
  readonly case: string;
  readonly throughputRatio: number;
  readonly cpuRatio: number;
  readonly p99Ratio: number;
  readonly meetsThroughput: boolean;
  readonly meetsCpu: boolean;
  readonly meetsLatency: boolean;
}

function verdicts(results: readonly CaseResult[]): Verdict[] {
  const sdk = results.find((r) => r.name === 'sdk' && r.status === 'ok');
  if (!sdk?.throughput || !sdk.latency) return [];
  const out: Verdict[] = [];
  for (const r of results) {
    if (!r.peer.startsWith('forager') || r.status !== 'ok' || !r.throughput || !r.latency || r.processes > 1 || r.typesPerProcess > 1) continue;
    const throughputRatio = r.throughput.jobsPerSecond / sdk.throughput.jobsPerSecond;
    const cpuRatio = r.throughput.worker.msPerJob / sdk.throughput.worker.msPerJob;
    // A p99 past the drain timeout is slower than any measured one.
    const p99Ratio = r.latency.p99 === null ? Number.POSITIVE_INFINITY : sdk.latency.p99 === null ? 0 : r.latency.p99 / sdk.latency.p99;
    out.push({
      case: r.name,
      throughputRatio,
      cpuRatio,
      p99Ratio,
      meetsThroughput: throughputRatio >= BAR.throughput,
      meetsCpu: cpuRatio <= BAR.cpu,
      meetsLatency: p99Ratio < 1,
    });
  }
  return out;
}

function engineCeiling(results: readonly CaseResult[]): Record<string, unknown> | undefined {
  // The engine's CPU per instance depends on the client (batched activations vs one push per job, parked
  // polls); its ceiling is what it needs under the cheapest pattern measured, with one core to itself.
  const measured = results.filter((r) => r.status === 'ok' && r.throughput?.engine && r.throughput.jobs >= 500);
  if (measured.length === 0) return undefined;
  const cheapest = measured.reduce((a, b) => (b.throughput!.engine!.msPerJob < a.throughput!.engine!.msPerJob ? b : a));
  const fastest = measured.reduce((a, b) => (b.throughput!.jobsPerSecond > a.throughput!.jobsPerSecond ? b : a));
  const c = cheapest.throughput!;
  const engineMs = c.engine!.msPerJob;
  return {
    cheapestCase: cheapest.name,
    engineMsPerJob: engineMs,
    /** What the engine could do with one whole core to itself, at that CPU per instance. */
    engineOneCoreJobsPerSecond: 1000 / engineMs,
    /** What the host could do if the engine, the creator and that worker shared all cores perfectly. */
    hostJobsPerSecond: (CORES * 1000) / (engineMs + c.worker.msPerJob + c.creator.msPerJob),
    creatorMsPerJob: c.creator.msPerJob,
    fastestCase: fastest.name,
    fastestJobsPerSecond: fastest.throughput!.jobsPerSecond,
    fastestEngineCores: fastest.throughput!.engine!.cores,
    fastestHostBusy: fastest.throughput!.host?.busy,
    fastestHostOthers: fastest.throughput!.host?.others,
  };
}

/* ---------- main ---------- */

function defaultCases(foragerAvailable: boolean): string[] {
  const fanPeer = process.env.BENCH_FANOUT_PEER ?? (foragerAvailable ? 'forager-stream' : 'sdk');
  const fan = [`fanout1-sdk`, `fanout1-${fanPeer}`, `fanout50-${fanPeer}`];
  return [...SINGLE, ...new Set(fan), ...ENGINE_CASES, ...CLI_CASES];
}

/** BENCH_CASES entries; one ending in '*' stands for every peer, fan-out default or engine case that begins with it. */
function expandCases(list: readonly string[], foragerAvailable: boolean): string[] {
  const known = [...new Set([...defaultCases(foragerAvailable), ...SINGLE])];
  return list.flatMap((name) => {
    if (!name.endsWith('*')) return [name];
    const matches = known.filter((k) => k.startsWith(name.slice(0, -1)));
    if (matches.length === 0) throw new Error(`BENCH_CASES: '${name}' matches no case`);
    return matches;
  });
}

async function foragerAvailable(): Promise<boolean> {
  const api = (await import('../../src/index.ts')) as unknown as Record<string, unknown>;
  return typeof api.runWorkers === 'function';
}

function versionOf(name: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const resultsDir = dirname(OUT);
  mkdirSync(resultsDir, { recursive: true });
  const available = await foragerAvailable().catch(() => false);
  if (!available) console.log('forager runtime not available yet: its cases are skipped (src/index.ts exports no runWorkers)');
  const names = (process.env.BENCH_CASES ? expandCases(process.env.BENCH_CASES.split(',').map((s) => s.trim()).filter(Boolean), available) : defaultCases(available));
  const defs = names.filter((n) => !isEngineCase(n) && !isCliCase(n)).map(caseDef);
  const engineCases = names.filter(isEngineCase);
  const cliCase = names.some(isCliCase);

  const engine = defs.length > 0 ? await startEngine(resultsDir) : undefined;
  const creator = engine ? new Creator(engine.address) : undefined;
  const results: CaseResult[] = [];
  try {
    if (engine) console.log(
      `forager bench: engine ${engine.address} (pid ${engine.pid}), node ${process.version}, ${CORES} cores, load ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}; ` +
        `${PAYLOAD_BYTES} B of variables; per case ${WARMUP_SECONDS} s warm-up, throughput until ${JOBS} jobs or ${SECONDS} s ` +
        `(backlog ${BACKLOG}), latency at ${RATE}/s for ${LATENCY_SECONDS} s`,
    );
    for (const [i, def] of defs.entries()) {
      const caseStart = performance.now();
      const result = await runCase(def, engine!, creator!, i);
      results.push(result);
      const secs = ((performance.now() - caseStart) / 1000).toFixed(0);
      if (result.status === 'ok') {
        const t = result.throughput!;
        console.log(
          `  ${def.name.padEnd(22)} ${fmt(t.jobsPerSecond).padStart(6)} jobs/s  ${fmt(t.worker.msPerJob, 3)} ms CPU/job  ` +
            `p50 ${fmtLatency(result.latency!.p50)} ms  p99 ${fmtLatency(result.latency!.p99)} ms  (${secs} s, start-up ${fmt(result.startupSeconds, 1)} s` +
            `${result.workerErrors!.count ? `, ${result.workerErrors!.count} worker errors` : ''}` +
            `${result.latency!.unhandled ? `, ${result.latency!.unhandled} jobs of the latency phase not handled within ${LATENCY_DRAIN_MS / 1000} s` : ''}` +
            `${result.latency!.staleJobsHandled ? `, ${result.latency!.staleJobsHandled} older jobs handled late in it` : ''})`,
        );
      } else {
        console.log(`  ${def.name.padEnd(22)} ${result.status}: ${result.reason}`);
      }
    }
  } finally {
    creator?.close();
    if (engine) await stopChild(engine.child, 'SIGTERM', 5000);
    killAll();
  }

  if (results.length > 0) printTable(results);
  const ceiling = engineCeiling(results);
  if (ceiling) {
    const c = ceiling as {
      cheapestCase: string;
      engineMsPerJob: number;
      engineOneCoreJobsPerSecond: number;
      hostJobsPerSecond: number;
      creatorMsPerJob: number;
      fastestCase: string;
      fastestJobsPerSecond: number;
      fastestEngineCores: number;
      fastestHostBusy: number | undefined;
      fastestHostOthers: number | undefined;
    };
    console.log(
      `Engine ceiling: the engine needed ${fmt(c.engineMsPerJob, 2)} ms of CPU per instance at best (${c.cheapestCase}: create + activate + ` +
        `complete of a one-task instance with ~10 KB of variables) → at most ~${fmt(c.engineOneCoreJobsPerSecond)} jobs/s on one core of its own ` +
        `(it is one Node process: gRPC decoding and encoding, JSON of the variables and every state change share one thread). ` +
        `With the creator (${fmt(c.creatorMsPerJob, 2)} ms/instance) and that worker on the same ${CORES} cores: ~${fmt(c.hostJobsPerSecond)} jobs/s. ` +
        `Fastest case here: ${c.fastestCase}, ${fmt(c.fastestJobsPerSecond)} jobs/s with the engine at ${fmt(c.fastestEngineCores * 100)}% of a core` +
        `${c.fastestHostBusy !== undefined ? ` and the host ${fmt(c.fastestHostBusy * 100)}% busy (${fmt((c.fastestHostOthers ?? 0) * 100)}% by other processes)` : ''}.`,
    );
  }
  const fanouts = results.filter((r) => r.status === 'ok' && (r.processes > 1 || r.typesPerProcess > 1));
  for (const r of fanouts) {
    console.log(
      `${r.description}: ${fmt(r.throughput!.jobsPerSecond)} jobs/s, ${fmt(r.throughput!.worker.msPerJob, 3)} ms CPU/job over all its processes, ` +
        `${fmt(r.idleRssMb)} MB resident when ready, ${fmt((r.startupCpuMs ?? 0) / 1000, 1)} s CPU to start, ` +
        `${r.idleCores === undefined ? '–' : fmt(r.idleCores * 100, 1)}% of a core while idle.`,
    );
  }
  const bar = verdicts(results);
  for (const v of bar) {
    console.log(
      `Bar for ${v.case} vs @camunda8/sdk defaults: throughput ${v.throughputRatio.toFixed(2)}× (≥ ${BAR.throughput}× ${v.meetsThroughput ? 'met' : 'NOT met'}), ` +
        `CPU/job ${v.cpuRatio.toFixed(2)}× (≤ ${BAR.cpu}× ${v.meetsCpu ? 'met' : 'NOT met'}), p99 ${Number.isFinite(v.p99Ratio) ? `${v.p99Ratio.toFixed(2)}×` : 'past the timeout'} (< 1× ${v.meetsLatency ? 'met' : 'NOT met'})`,
    );
  }
  if (results.length > 0 && engineCases.length > 0) console.log('');
  const engineFigures = engineCases.length > 0 ? await runEngineBench(engineCases, { resultsDir, profile: ENGINE_PROFILE }) : undefined;
  if (engineFigures) printEngineTable(engineFigures);
  const cliFigures: CliFigure[] | undefined = cliCase ? await runCliBench() : undefined;
  if (cliFigures) printCliTable(cliFigures);
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const output = {
    generatedAt: new Date().toISOString(),
    wallSeconds,
    environment: {
      node: process.version,
      cores: CORES,
      cpuModel: cpus()[0]?.model,
      loadAverageAtStart: loadavg(),
      versions: { '@camunda8/sdk': versionOf('@camunda8/sdk'), 'zeebe-node': versionOf('zeebe-node'), '@grpc/grpc-js': versionOf('@grpc/grpc-js') },
      payloadBytes: PAYLOAD_BYTES,
    },
    settings: { jobs: JOBS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, rate: RATE, latencySeconds: LATENCY_SECONDS, backlog: BACKLOG, concurrency: CONCURRENCY, fanout: FANOUT },
    bar: { against: 'sdk', throughputAtLeast: BAR.throughput, cpuPerJobAtMost: BAR.cpu, p99Lower: true, verdicts: bar },
    engineCeiling: ceiling,
    cases: results,
    engineFigures,
    cliFigures,
  };
  writeFileSync(OUT, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`\nwrote ${OUT} (${wallSeconds.toFixed(0)} s)`);
}

const abort = (signal: NodeJS.Signals) => {
  console.error(`\nbench: ${signal}, stopping every process it started`);
  killAll();
  process.exit(130);
};
process.once('SIGINT', abort);
process.once('SIGTERM', abort);
process.once('exit', killAll);

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  killAll();
  process.exitCode = 1;
}
