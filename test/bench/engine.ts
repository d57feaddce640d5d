/**
 * The engine's own figures, part of `npm run bench` (run.ts calls `runEngineBench`; select them alone with
 * BENCH_CASES='engine-*'). Every case starts its own engine process (`node --import tsx src/engine/main.ts`);
 * its clients are processes of their own (engine-client.ts: a creator and a completer, raw grpc-js on the
 * SDK's proto), so the engine's CPU (/proc/<pid>/stat) is the engine's alone.
 *
 *   engine-one-task          one-task instances in memory: a saturating phase (the creator keeps
 *                            BENCH_ENGINE_BACKLOG instances created and not completed) → completed instances/s
 *                            and engine CPU ms per instance; then an open-loop phase at a fixed rate (half of
 *                            that, or BENCH_ENGINE_RATE) → creation → completion p50/p99 (the CompleteJob answer
 *                            of the instance's task, which the engine gives once the instance has completed)
 *   engine-one-task-durable  the same with --data-dir (a temporary directory, removed after): also fsyncs/s,
 *                            commands per group commit, records and log bytes per instance (the log's counters,
 *                            which main.ts prints on SIGUSR2) and disk writes per instance (/proc/<pid>/io)
 *   engine-ten-task          ten service tasks in a row, in memory → instances/s and jobs/s
 *   engine-waiting           BENCH_ENGINE_WAITING instances waiting on a PT1H timer, as many on a message
 *                            (an engine with a data directory per kind) → engine heap (after a full GC,
 *                            engine-probe.ts) per waiting instance: live (state + history read model + log
 *                            ring) and after a clean stop and a start from the snapshot (no log ring)
 *   engine-replay            a durable log of BENCH_ENGINE_REPLAY_RECORDS+ records (2,000 timer instances
 *                            waiting, 1,000 one-task instances run to their end, then instances fanning out to
 *                            100 waiting jobs each), the engine killed (-9; no snapshot: --snapshot-every 10⁹)
 *                            and started again → records replayed per second of start-up ("started in N ms");
 *                            then stopped cleanly (which takes a snapshot) and started again
 * Knobs: BENCH_ENGINE_SECONDS=8, BENCH_ENGINE_WARMUP_SECONDS=2, BENCH_ENGINE_LATENCY_SECONDS=5,
 * BENCH_ENGINE_RATE (instances/s of the latency phase), BENCH_ENGINE_BACKLOG=512, BENCH_ENGINE_CONCURRENCY=64,
 * BENCH_ENGINE_COMPLETER=poll|stream, BENCH_ENGINE_PAYLOAD=small|10k (small: only `createdAt`),
 * BENCH_ENGINE_WAITING=10000, BENCH_ENGINE_REPLAY_RECORDS=200000, BENCH_ENGINE_STRACE=1 (count fsyncs with strace too),
 * BENCH_ENGINE_SNAPSHOT_EVERY (--snapshot-every of engine-one-task-durable; the engine's default when unset),
 * BENCH_ENGINE_NODE_FLAGS (extra node flags for the engine process, space-separated, e.g. --max-semi-space-size=32),
 * BENCH_ENGINE_PROFILE=1 (a CPU profile of engine-one-task's engine, its top self-time functions printed).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompleterReport, EngineClientSpec, FromEngineClient, ToEngineClient } from './engine-client.ts';
import { hotFunctions, type HotFunction } from './engine-profile.ts';
import { ForkedChannel, PAYLOAD_BYTES, ROOT, epochMs, hostCpu, procCpuMs, procRssMb, rawClient, sleep, summarize, unary, type LatencySummary, type RawClient } from './lib.ts';

/* ---------- cases, knobs, goals ---------- */

export const ENGINE_CASES = ['engine-one-task', 'engine-one-task-durable', 'engine-ten-task', 'engine-waiting', 'engine-replay'] as const;
export type EngineCase = (typeof ENGINE_CASES)[number];

export function isEngineCase(name: string): name is EngineCase {
  return (ENGINE_CASES as readonly string[]).includes(name);
}

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not '${raw}'`);
  return value;
}

function choice<T extends string>(name: string, options: readonly T[]): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return options[0]!;
  if (!(options as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${options.join(', ')}, not '${raw}'`);
  return raw as T;
}

const SECONDS = knob('BENCH_ENGINE_SECONDS', 8);
const WARMUP_SECONDS = knob('BENCH_ENGINE_WARMUP_SECONDS', 2);
const LATENCY_SECONDS = knob('BENCH_ENGINE_LATENCY_SECONDS', 5);
const RATE = process.env.BENCH_ENGINE_RATE ? knob('BENCH_ENGINE_RATE', 1) : undefined;
const BACKLOG = Math.round(knob('BENCH_ENGINE_BACKLOG', 512));
const CONCURRENCY = Math.round(knob('BENCH_ENGINE_CONCURRENCY', 64));
const COMPLETER = choice('BENCH_ENGINE_COMPLETER', ['poll', 'stream'] as const);
const PAYLOAD = choice('BENCH_ENGINE_PAYLOAD', ['small', '10k'] as const);
const WAITING = Math.round(knob('BENCH_ENGINE_WAITING', 10_000));
const REPLAY_RECORDS = Math.round(knob('BENCH_ENGINE_REPLAY_RECORDS', 200_000));
/** --snapshot-every of the durable load case (the engine's default, 100 000 records, when unset). */
const SNAPSHOT_EVERY = process.env.BENCH_ENGINE_SNAPSHOT_EVERY ? Math.round(knob('BENCH_ENGINE_SNAPSHOT_EVERY', 1)) : undefined;
/** Opt-in cross-check of the engine's own fsync counter: count the fsync/fdatasync calls with strace. */
/** Extra node flags for the engine process (BENCH_ENGINE_NODE_FLAGS, space-separated), e.g. `--max-semi-space-size=32`. */
const ENGINE_NODE_FLAGS = (process.env.BENCH_ENGINE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const STRACE = process.env.BENCH_ENGINE_STRACE === '1' && spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
/** After a phase: how long the completer gets to finish what was created; after the latency phase, an instance not completed by then counts as slower than all. */
const DRAIN_MS = 5_000;

/** The issue's goals for this 2-core host. */
export const ENGINE_GOALS = {
  oneTaskMemoryInstancesPerSecond: 2_000,
  oneTaskDurableInstancesPerSecond: 1_000,
  bytesPerWaitingInstance: 2_048,
  replayRecordsPerSecond: 50_000,
} as const;

/* ---------- processes (all tracked, all stopped) ---------- */

const children = new Set<ChildProcess>();
/** Engine processes started under strace: their pids, which killing strace would not stop. */
const tracedPids = new Set<number>();

function track<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Temporary directories (data directories, strace output) not removed yet. */
const scratchDirs = new Set<string>();

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forager-engine-bench-'));
  scratchDirs.add(dir);
  return dir;
}

function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}

/**
 * Kills (SIGKILL) every process the engine figures started and did not stop yet and removes their temporary
 * directories; synchronous, for exit and signal handlers.
 */
export function killEngineBench(): void {
  for (const pid of tracedPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  tracedPids.clear();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of scratchDirs) {
    try {
      removeScratch(dir);
    } catch {
      // left for the host's tmp cleaner
    }
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/* ---------- the engine process ---------- */

interface RecoveryLine {
  readonly snapshotPosition: number;
  readonly eventsReplayed: number;
  readonly recordsRead: number;
  readonly lastPosition: number;
  readonly segments: number;
  readonly logBytes: number;
}

/** The log's counters, as main.ts prints them on SIGUSR2 (`forager engine storage {…}`). */
interface StorageStats {
  readonly fsyncs: number;
  readonly groupCommits: number;
  readonly batches: number;
  readonly records: number;
  readonly bytes: number;
  readonly appendedPosition: number;
  readonly snapshots?: number;
}

interface MemoryUsage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly gc: boolean;
}

interface LaunchOptions {
  readonly dataDir?: string;
  readonly snapshotEvery?: number;
  /** Run under strace, counting fsync/fdatasync calls into this file. */
  readonly straceFile?: string;
  /** Preload engine-probe.ts (with --expose-gc) for `memory()`. */
  readonly probe?: boolean;
  readonly cpuProfDir?: string;
}

class EngineProcess {
  readonly child: ChildProcess;
  /** The node process of the engine (under strace, strace's child). */
  pid = 0;
  address = '';
  rest = '';
  /** What the engine says its start took ("started in N ms"): recovery included. */
  startedMs = 0;
  /** spawn → listening line, Node's and tsx's own start included. */
  spawnToReadyMs = 0;
  recovery: RecoveryLine | undefined;
  private out = '';
  private line = '';
  private storageWaiters: ((stats: StorageStats) => void)[] = [];

  constructor(readonly options: LaunchOptions) {
    const nodeArgs = [
      ...ENGINE_NODE_FLAGS,
      ...(options.probe ? ['--expose-gc'] : []),
      ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
      '--import',
      'tsx',
      ...(options.probe ? ['--import', join(ROOT, 'test/bench/engine-probe.ts')] : []),
      join(ROOT, 'src/engine/main.ts'),
      '--port',
      '0',
      '--rest-port',
      '0',
      ...(options.dataDir ? ['--data-dir', options.dataDir] : []),
      ...(options.snapshotEvery ? ['--snapshot-every', String(options.snapshotEvery)] : []),
    ];
    const stdio: ('ignore' | 'pipe' | 'inherit' | 'ipc')[] = ['ignore', 'pipe', 'inherit', ...(options.probe ? (['ipc'] as const) : [])];
    this.child = track(
      options.straceFile
        ? spawn('strace', ['-f', '--seccomp-bpf', '-qq', '-e', 'trace=fsync,fdatasync', '-e', 'signal=none', '-ttt', '-o', options.straceFile, process.execPath, ...nodeArgs], { cwd: ROOT, stdio })
        : spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio }),
    );
  }

  async ready(): Promise<this> {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the engine did not start listening within 120 s: ${this.out.slice(-500)}`)), 120_000);
      this.child.stdout!.on('data', (chunk: Buffer) => {
        this.onLines(chunk.toString());
        this.out = (this.out + chunk.toString()).slice(-4000);
        const listening = /listening on (\S+) \(REST (\S+), started in (\d+) ms\)/.exec(this.out);
        if (listening && !this.address) {
          clearTimeout(timer);
          this.address = listening[1]!;
          this.rest = listening[2]!;
          this.startedMs = Number(listening[3]);
          const r = /recovered (?:snapshot at position (\d+) \+ )?(\d+) events replayed \((\d+) records, last position (\d+), (\d+) log segments, (\d+) bytes\)/.exec(this.out);
          if (r) {
            this.recovery = {
              snapshotPosition: Number(r[1] ?? 0),
              eventsReplayed: Number(r[2]),
              recordsRead: Number(r[3]),
              lastPosition: Number(r[4]),
              segments: Number(r[5]),
              logBytes: Number(r[6]),
            };
          }
          resolve();
        }
      });
      this.child.once('exit', (code, signal) => reject(new Error(`the engine exited (${code ?? signal}) before listening: ${this.out.slice(-500)}`)));
    });
    this.spawnToReadyMs = performance.now() - t0;
    this.pid = this.child.pid!;
    if (this.options.straceFile) {
      const kids = readFileSync(`/proc/${this.child.pid}/task/${this.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      if (!kids[0]) throw new Error('strace started no engine process');
      this.pid = kids[0];
      tracedPids.add(this.pid);
    }
    return this;
  }

  private onLines(text: string): void {
    const lines = (this.line + text).split('\n');
    this.line = lines.pop()!;
    for (const l of lines) {
      if (!l.startsWith('forager engine storage ')) continue;
      const stats = JSON.parse(l.slice('forager engine storage '.length)) as StorageStats;
      for (const w of this.storageWaiters.splice(0)) w(stats);
    }
  }

  /** The log's counters now (SIGUSR2; needs a data directory). */
  storage(): Promise<StorageStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the engine printed no storage counters within 10 s of SIGUSR2')), 10_000);
      this.storageWaiters.push((stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      process.kill(this.pid, 'SIGUSR2');
    });
  }

  /** The engine's memory after a full GC (needs `probe`). */
  memory(): Promise<MemoryUsage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the engine probe did not answer within 30 s')), 30_000);
      const onMessage = (m: { ev?: string } & MemoryUsage) => {
        if (m.ev !== 'memory') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send('memory');
    });
  }

  /** SIGTERM: a clean stop (with a data directory: flush, snapshot, unlock); SIGKILL: a crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', graceMs = 30_000): Promise<void> {
    if (exited(this.child)) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      process.kill(this.pid || this.child.pid!, signal);
    } catch {
      // gone already
    }
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      this.child.kill('SIGKILL');
    }, graceMs);
    await done;
    clearTimeout(timer);
    tracedPids.delete(this.pid);
  }
}

async function launchEngine(options: LaunchOptions): Promise<EngineProcess> {
  const engine = new EngineProcess(options);
  try {
    return await engine.ready();
  } catch (error) {
    await engine.stop('SIGKILL', 0);
    throw error;
  }
}

/* ---------- client processes ---------- */

class ClientProcess {
  readonly child: ChildProcess;
  jobs = 0;
  instances = 0;
  fresh = 0;
  onCount: () => void = () => {};
  private readonly channel: ForkedChannel<FromEngineClient, ToEngineClient>;

  constructor(spec: EngineClientSpec) {
    this.child = track(
      fork(join(ROOT, 'test/bench/engine-client.ts'), [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, BENCH_ENGINE_CLIENT: JSON.stringify(spec) },
      }),
    );
    this.channel = new ForkedChannel<FromEngineClient, ToEngineClient>(this.child, 'client process', (m) => {
      if (m.ev === 'count') {
        this.jobs = m.jobs;
        this.instances = m.instances;
        this.fresh = m.fresh;
        this.onCount();
        return true;
      }
      if (m.ev === 'marked') this.fresh = 0;
      return false;
    });
  }

  next<E extends FromEngineClient['ev']>(ev: E, timeoutMs: number): Promise<Extract<FromEngineClient, { ev: E }>> {
    return this.channel.next(ev, timeoutMs) as Promise<Extract<FromEngineClient, { ev: E }>>;
  }

  send(message: ToEngineClient): void {
    this.channel.send(message);
  }

  async stop(): Promise<void> {
    if (exited(this.child)) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.send({ cmd: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await done;
    clearTimeout(timer);
  }
}

/** A creator and a completer on one process of `tasks` service tasks. */
class Load {
  readonly creator: ClientProcess;
  readonly completer: ClientProcess;
  /** Instances the creator got a key for, over all phases. */
  created = 0;

  constructor(address: string, processId: string, type: string, tasks: number) {
    this.completer = new ClientProcess({ role: 'completer', address, type, lastElementId: `task${tasks}`, mode: COMPLETER });
    this.creator = new ClientProcess({ role: 'creator', address, processId, concurrency: CONCURRENCY, extraVariables: extraVariables() });
    this.completer.onCount = () => this.creator.send({ cmd: 'completed', completed: this.completer.instances });
  }

  async ready(): Promise<void> {
    await Promise.all([this.completer.next('ready', 60_000), this.creator.next('ready', 60_000)]);
  }

  startSaturating(): void {
    this.creator.send({ cmd: 'saturate', backlog: BACKLOG, completed: this.completer.instances });
  }

  async halt(): Promise<{ errors: number; errorSamples: string[] }> {
    const halted = this.creator.next('halted', 60_000);
    this.creator.send({ cmd: 'halt' });
    const h = await halted;
    this.created = h.created;
    return h;
  }

  /** Waits until every created instance completed, or `timeoutMs`; returns how many did not. */
  async drain(timeoutMs: number): Promise<number> {
    const until = performance.now() + timeoutMs;
    while (this.completer.instances < this.created && performance.now() < until) await sleep(20);
    return Math.max(0, this.created - this.completer.instances);
  }

  async stop(): Promise<void> {
    await Promise.all([this.creator.stop(), this.completer.stop()]);
  }
}

function extraVariables(): string {
  if (PAYLOAD === 'small') return '';
  const items = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'], text: 'x'.repeat(40) })));
  return `"items":${items}`;
}

/* ---------- BPMN ---------- */

const DEFS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" targetNamespace="http://forager/bench"`;

/** start → task1 → … → task<n> (service tasks of one job type) → end. */
export function tasksXml(id: string, type: string, n: number): string {
  const tasks = Array.from(
    { length: n },
    (_, i) => `<bpmn:serviceTask id="task${i + 1}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements></bpmn:serviceTask>`,
  );
  const ids = ['start', ...tasks.map((_, i) => `task${i + 1}`), 'end'];
  const flows = ids.slice(1).map((to, i) => `<bpmn:sequenceFlow id="f${i}" sourceRef="${ids[i]}" targetRef="${to}"/>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${DEFS} id="${id}_defs"><bpmn:process id="${id}" isExecutable="true"><bpmn:startEvent id="start"/>${tasks.join('')}<bpmn:endEvent id="end"/>${flows.join('')}</bpmn:process></bpmn:definitions>`;
}

/** start → a catch event (a PT1H timer, or a message correlated by `orderId`) → end. */
export function waitingXml(id: string, on: 'timer' | 'message'): string {
  const definition =
    on === 'timer'
      ? '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
      : '<bpmn:messageEventDefinition messageRef="msg"/>';
  const message = on === 'message' ? '<bpmn:message id="msg" name="bench-message"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>' : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${DEFS} id="${id}_defs"><bpmn:process id="${id}" isExecutable="true"><bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">${definition}</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/></bpmn:process>${message}</bpmn:definitions>`;
}

async function deploy(client: RawClient, id: string, xml: string): Promise<void> {
  await unary(client, 'DeployResource', { resources: [{ name: `${id}.bpmn`, content: Buffer.from(xml) }] });
}

/** Creates `n` instances, `concurrency` calls in flight, from this process (for cases that measure no rate). */
async function createMany(client: RawClient, processId: string, n: number, variables: (i: number) => string): Promise<void> {
  let next = 0;
  const one = async () => {
    while (next < n) {
      const i = next++;
      await unary(client, 'CreateProcessInstance', { bpmnProcessId: processId, version: -1, variables: variables(i) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, one));
}

/** Instances the engine's REST API reports active (its history read model); undefined if it cannot say. */
async function activeInstances(rest: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${rest}/v2/process-instances/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { state: 'ACTIVE' }, page: { limit: 1 } }),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { page?: { totalItems?: number } };
    return body.page?.totalItems;
  } catch {
    return undefined;
  }
}

/* ---------- measuring helpers ---------- */

/** Bytes the process caused to be written to storage (/proc/<pid>/io write_bytes); undefined if unreadable. */
function procWriteBytes(pid: number): number | undefined {
  try {
    const match = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size;
  }
  return total;
}

/** fsync/fdatasync calls strace saw between two epoch-ms instants. */
function fsyncsBetween(straceFile: string, fromMs: number, toMs: number): number {
  let n = 0;
  for (const line of readFileSync(straceFile, 'utf8').split('\n')) {
    const m = /^\d+\s+(\d+\.\d+) (?:fsync|fdatasync)\(/.exec(line);
    if (!m) continue;
    const at = Number(m[1]) * 1000;
    if (at >= fromMs && at <= toMs) n++;
  }
  return n;
}

function load(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

/* ---------- results ---------- */

interface CaseBase {
  readonly name: EngineCase;
  readonly description: string;
  readonly status: 'ok' | 'failed';
  readonly reason?: string;
  readonly seconds?: number;
  /** Load average (1, 5, 15 min) when the case began and ended: the host is shared. */
  readonly loadAverage?: { readonly start: number[]; readonly end: number[] };
}

export interface LoadCaseResult extends CaseBase {
  readonly tasks: number;
  readonly durable: boolean;
  readonly throughput?: {
    readonly seconds: number;
    readonly instances: number;
    readonly jobs: number;
    readonly instancesPerSecond: number;
    readonly jobsPerSecond: number;
    readonly engineCpuMsPerInstance: number | undefined;
    /** Share of one core the engine used. */
    readonly engineCores: number | undefined;
    readonly engineRssMb: number | undefined;
    readonly creatorCpuMsPerInstance: number | undefined;
    readonly completerCpuMsPerInstance: number | undefined;
    /** Share of all cores busy on the host during the window, and the part of it no process of this case used. */
    readonly host: { readonly busy: number; readonly others: number } | undefined;
    /** A guess at what limited the rate: the engine's core, the host's cores, fsync, or the clients/round trips. */
    readonly boundBy: string;
    /** CPU-bound estimates: the engine alone on one core at the CPU it used per instance; with its clients on all cores of an idle host. */
    readonly engineOneCoreInstancesPerSecond: number | undefined;
    readonly hostAloneInstancesPerSecond: number | undefined;
    readonly leftAfterDrain: number;
  };
  readonly latency?: LatencySummary & { readonly rate: number; readonly seconds: number; readonly created: number };
  /** From the engine's log counters (SIGUSR2) over the window; `straceFsyncs` when BENCH_ENGINE_STRACE=1. */
  readonly durability?: {
    readonly fsyncs: number;
    readonly fsyncsPerSecond: number;
    readonly instancesPerFsync: number | undefined;
    readonly batchesPerGroupCommit: number | undefined;
    readonly recordsPerInstance: number | undefined;
    readonly logBytesPerInstance: number | undefined;
    readonly snapshots: number;
    readonly straceFsyncs?: number;
    /** /proc/<pid>/io write_bytes: what reached the block layer (log, snapshots, page rewrites). */
    readonly bytesWritten: number | undefined;
    readonly bytesWrittenPerInstance: number | undefined;
    readonly dataDirBytesAtEnd: number;
  };
  /** Instances the REST API still reported active at the end (created in a phase and never completed). */
  readonly activeAtEnd?: number;
  readonly errors?: { readonly creator: number; readonly completer: number; readonly samples: string[] };
  readonly profile?: {
    readonly file: string;
    readonly totalMs: number;
    readonly idleMs: number;
    readonly top: HotFunction[];
    readonly files: { readonly file: string; readonly selfMs: number; readonly share: number }[];
  };
}

export interface WaitingFigures {
  /** On the running engine: state, history read model and log ring together. */
  readonly live: { readonly heapBytesPerInstance: number; readonly rssBytesPerInstance: number };
  /**
   * After a clean stop and a start from the snapshot: the state and the history read model (both in the
   * snapshot), without the log ring (it holds only records written after the snapshot).
   */
  readonly restarted: { readonly heapBytesPerInstance: number };
  /** Heap MB after GC: live before → after; after a restart, warm-up only → with the instances. */
  readonly heapMb: { readonly live: number[]; readonly restarted: number[] };
  readonly gc: boolean;
  /** Active instances the REST API reported while running, and after the restart. */
  readonly activeLive?: number;
  readonly activeAfterRestart?: number;
}

export interface WaitingCaseResult extends CaseBase {
  readonly instances?: number;
  readonly timer?: WaitingFigures;
  readonly message?: WaitingFigures;
}

interface StartFigures {
  readonly startedMs: number;
  readonly spawnToReadyMs: number;
  readonly recovery: RecoveryLine | undefined;
}

export interface ReplayCaseResult extends CaseBase {
  readonly emptyStart?: StartFigures;
  readonly buildSeconds?: number;
  /** What the log holds: timer instances waiting, one-task instances run to their end, fan-out instances (their jobs waiting). */
  readonly log?: { readonly timerInstancesWaiting: number; readonly oneTaskInstancesRun: number; readonly fanOutInstances: number; readonly jobsPerFanOut: number };
  /** kill -9, no snapshot: the whole log replayed. */
  readonly noSnapshot?: StartFigures & { readonly recordsPerSecond: number; readonly recordsPerSecondNet: number };
  /** After a clean stop: the snapshot loaded, nothing (or little) replayed. */
  readonly withSnapshot?: StartFigures;
}

export type EngineCaseResult = LoadCaseResult | WaitingCaseResult | ReplayCaseResult;

export interface EngineBenchResult {
  readonly settings: Record<string, unknown>;
  readonly goals: typeof ENGINE_GOALS;
  readonly cases: EngineCaseResult[];
}

/* ---------- cases ---------- */

const DESCRIPTIONS: Record<EngineCase, string> = {
  'engine-one-task': 'one-task instances, in memory',
  'engine-one-task-durable': 'one-task instances, durable (--data-dir)',
  'engine-ten-task': 'ten-task instances (10 service tasks in a row), in memory',
  'engine-waiting': `${WAITING} instances waiting on a timer, ${WAITING} on a message`,
  'engine-replay': `replay of a durable log of ${REPLAY_RECORDS}+ records`,
};

interface Context {
  readonly resultsDir: string;
  readonly profile: boolean;
}

async function loadCase(name: EngineCase, tasks: number, durable: boolean, ctx: Context): Promise<LoadCaseResult> {
  const start = load();
  const started = performance.now();
  const base = { name, description: DESCRIPTIONS[name], tasks, durable };
  const scratch = durable ? scratchDir() : undefined;
  const dataDir = scratch ? join(scratch, 'data') : undefined;
  const straceFile = scratch && STRACE ? join(scratch, 'strace.txt') : undefined;
  const profileDir = ctx.profile && name === 'engine-one-task' ? mkdtempSync(join(ctx.resultsDir, 'engine-profile-')) : undefined;
  let engine: EngineProcess | undefined;
  let work: Load | undefined;
  let api: RawClient | undefined;
  try {
    engine = await launchEngine({ ...(dataDir ? { dataDir } : {}), ...(dataDir && SNAPSHOT_EVERY ? { snapshotEvery: SNAPSHOT_EVERY } : {}), ...(straceFile ? { straceFile } : {}), ...(profileDir ? { cpuProfDir: profileDir } : {}) });
    api = rawClient(engine.address);
    const processId = `engine_bench_${tasks}`;
    const type = `engine-bench-${tasks}`;
    await deploy(api, processId, tasksXml(processId, type, tasks));
    work = new Load(engine.address, processId, type, tasks);
    await work.ready();

    // 1. warm-up
    work.startSaturating();
    await sleep(WARMUP_SECONDS * 1000);
    await work.halt();
    await work.drain(DRAIN_MS);

    // 2. throughput: completions counted over a fixed window of a saturating load
    const { completer } = work;
    const c0 = { instances: completer.instances, jobs: completer.jobs };
    const cpu0 = procCpuMs(engine.pid);
    const clients0 = [procCpuMs(work.creator.child.pid!), procCpuMs(completer.child.pid!)];
    const host0 = hostCpu();
    const io0 = procWriteBytes(engine.pid);
    const storage0 = durable ? await engine.storage() : undefined;
    const mark = completer.next('marked', 10_000);
    completer.send({ cmd: 'mark', sinceEpochMs: Number.POSITIVE_INFINITY });
    await mark;
    const t0 = epochMs();
    work.startSaturating();
    await sleep(SECONDS * 1000);
    const t1 = epochMs();
    const c1 = { instances: completer.instances, jobs: completer.jobs };
    const cpu1 = procCpuMs(engine.pid);
    const clients1 = [procCpuMs(work.creator.child.pid!), procCpuMs(completer.child.pid!)];
    const host1 = hostCpu();
    const io1 = procWriteBytes(engine.pid);
    const storage1 = durable ? await engine.storage() : undefined;
    const engineRssMb = procRssMb(engine.pid);
    const saturateErrors = await work.halt();
    const leftAfterDrain = await work.drain(DRAIN_MS);
    const windowS = (t1 - t0) / 1000;
    const instances = c1.instances - c0.instances;
    const jobs = c1.jobs - c0.jobs;
    const per = (x: number | undefined) => (x === undefined || instances === 0 ? undefined : x / instances);
    const engineMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
    const instancesPerSecond = instances / windowS;
    const delta = (i: number) => (clients0[i] !== undefined && clients1[i] !== undefined ? clients1[i]! - clients0[i]! : undefined);
    const creatorMs = delta(0);
    const completerMs = delta(1);
    let host: { busy: number; others: number } | undefined;
    if (host0 && host1 && host1.total > host0.total) {
      const busy = (host1.busy - host0.busy) / (host1.total - host0.total);
      const ours = ((engineMs ?? 0) + (creatorMs ?? 0) + (completerMs ?? 0)) / (t1 - t0) / cpus().length;
      host = { busy, others: Math.max(0, busy - ours) };
    }
    const engineCores = engineMs === undefined ? undefined : engineMs / (t1 - t0);
    let boundBy = 'the clients or the round trips';
    if (engineCores !== undefined && engineCores >= 0.85) boundBy = 'engine CPU (one core)';
    else if (host && host.busy >= 0.9) boundBy = `host CPU (${fmt(host.others * 100)}% of it other processes)`;
    else if (durable) boundBy = 'fsync';

    // 3. latency: a fixed rate, open loop
    const rate = RATE ?? Math.max(10, Math.round((instancesPerSecond * 0.5) / 10) * 10);
    const marked = completer.next('marked', 10_000);
    completer.send({ cmd: 'mark', sinceEpochMs: epochMs() });
    await marked;
    const rated = work.creator.next('rated', (LATENCY_SECONDS + 60) * 1000);
    work.creator.send({ cmd: 'rate', rate, seconds: LATENCY_SECONDS });
    const r = await rated;
    const until = performance.now() + DRAIN_MS;
    while (completer.fresh < r.created && performance.now() < until) await sleep(20);
    const reported = completer.next('report', 20_000);
    completer.send({ cmd: 'report' });
    const report: CompleterReport = await reported;
    const activeAtEnd = await activeInstances(engine.rest);
    await work.stop();
    api.close();
    api = undefined;
    await engine.stop('SIGTERM');

    let durability: LoadCaseResult['durability'];
    if (dataDir && storage0 && storage1) {
      const d = (k: keyof StorageStats) => (storage1[k] ?? 0) - (storage0[k] ?? 0);
      const straceFsyncs = straceFile ? fsyncsBetween(straceFile, t0, t1) : undefined;
      const bytesWritten = io0 !== undefined && io1 !== undefined ? io1 - io0 : undefined;
      durability = {
        fsyncs: d('fsyncs'),
        fsyncsPerSecond: d('fsyncs') / windowS,
        instancesPerFsync: d('fsyncs') > 0 ? instances / d('fsyncs') : undefined,
        batchesPerGroupCommit: d('groupCommits') > 0 ? d('batches') / d('groupCommits') : undefined,
        recordsPerInstance: per(d('records')),
        logBytesPerInstance: per(d('bytes')),
        snapshots: d('snapshots'),
        ...(straceFsyncs !== undefined ? { straceFsyncs } : {}),
        bytesWritten,
        bytesWrittenPerInstance: per(bytesWritten),
        dataDirBytesAtEnd: dirBytes(dataDir),
      };
    }
    let profile: LoadCaseResult['profile'];
    if (profileDir) {
      // One profile per thread (tsx's module hooks run on a thread of their own): the main thread's is the largest.
      const file = readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort((x, y) => statSync(join(profileDir, y)).size - statSync(join(profileDir, x)).size)[0];
      if (file) {
        const { totalMs, idleMs, functions, files } = await hotFunctions(join(profileDir, file), 15);
        profile = { file: join(profileDir, file), totalMs, idleMs, top: functions, files };
      }
    }
    return {
      ...base,
      status: 'ok',
      seconds: (performance.now() - started) / 1000,
      loadAverage: { start, end: load() },
      throughput: {
        seconds: windowS,
        instances,
        jobs,
        instancesPerSecond,
        jobsPerSecond: jobs / windowS,
        engineCpuMsPerInstance: per(engineMs),
        engineCores,
        engineRssMb,
        creatorCpuMsPerInstance: per(creatorMs),
        completerCpuMsPerInstance: per(completerMs),
        host,
        boundBy,
        engineOneCoreInstancesPerSecond: engineMs ? (1000 * instances) / engineMs : undefined,
        hostAloneInstancesPerSecond:
          engineMs && creatorMs !== undefined && completerMs !== undefined ? (cpus().length * 1000 * instances) / (engineMs + creatorMs + completerMs) : undefined,
        leftAfterDrain,
      },
      latency: { ...summarize(report.latencies, Math.max(0, r.created - report.latencies.length)), rate, seconds: LATENCY_SECONDS, created: r.created },
      ...(durability ? { durability } : {}),
      ...(activeAtEnd !== undefined ? { activeAtEnd } : {}),
      errors: {
        creator: saturateErrors.errors + r.errors,
        completer: report.errors,
        samples: [...saturateErrors.errorSamples, ...r.errorSamples, ...report.errorSamples].slice(0, 5),
      },
      ...(profile ? { profile } : {}),
    };
  } catch (error) {
    return { ...base, status: 'failed', reason: (error as Error).message, loadAverage: { start, end: load() } };
  } finally {
    api?.close();
    await work?.stop();
    await engine?.stop('SIGKILL', 0);
    if (scratch) removeScratch(scratch);
  }
}

/**
 * Memory per waiting instance, for one kind of wait, on an engine with a data directory (and the probe):
 *  - live: heap (after a full GC) before and after creating WAITING instances, on the running engine. This
 *    counts everything the engine keeps for them: state, the REST API's history read model and the records
 *    in the log's in-memory ring (the last 100k–200k records, bounded).
 *  - restarted: the engine stopped cleanly (a snapshot) and started again holds the state and the history
 *    (both in the snapshot) but no log ring (it holds only records written after the snapshot): heap after
 *    that start, against the same after the warm-up only. live − restarted is what the ring costs.
 */
async function waitingKind(kind: 'timer' | 'message', dir: string): Promise<WaitingFigures> {
  const processId = `engine_bench_${kind}`;
  const vars = (prefix: string) => (i: number) => `{"orderId":"${prefix}-${i}","createdAt":${epochMs()}}`;
  const warm = Math.min(500, WAITING);
  let engine: EngineProcess | undefined;
  let api: RawClient | undefined;
  const start = async () => {
    api?.close();
    await engine?.stop('SIGTERM');
    engine = await launchEngine({ dataDir: dir, probe: true });
    api = rawClient(engine.address);
    return { engine, api };
  };
  try {
    let e = await start();
    await deploy(e.api, processId, waitingXml(processId, kind));
    await createMany(e.api, processId, warm, vars('warm-1'));
    e = await start();
    const restarted0 = await e.engine.memory();
    // Warm the creation path of this process again before the live baseline.
    await createMany(e.api, processId, warm, vars('warm-2'));
    const live0 = await e.engine.memory();
    await createMany(e.api, processId, WAITING, vars('n'));
    const live1 = await e.engine.memory();
    const activeLive = await activeInstances(e.engine.rest);
    e = await start();
    const restarted1 = await e.engine.memory();
    const activeAfterRestart = await activeInstances(e.engine.rest);
    await e.engine.stop('SIGTERM');
    const mb = (b: number) => Math.round((b / 1e6) * 10) / 10;
    return {
      live: { heapBytesPerInstance: (live1.heapUsed - live0.heapUsed) / WAITING, rssBytesPerInstance: (live1.rss - live0.rss) / WAITING },
      restarted: { heapBytesPerInstance: (restarted1.heapUsed - restarted0.heapUsed) / (WAITING + warm) },
      heapMb: { live: [mb(live0.heapUsed), mb(live1.heapUsed)], restarted: [mb(restarted0.heapUsed), mb(restarted1.heapUsed)] },
      gc: live0.gc,
      ...(activeLive !== undefined ? { activeLive } : {}),
      ...(activeAfterRestart !== undefined ? { activeAfterRestart } : {}),
    };
  } finally {
    (api as RawClient | undefined)?.close();
    await (engine as EngineProcess | undefined)?.stop('SIGKILL', 0);
  }
}

async function waitingCase(): Promise<WaitingCaseResult> {
  const name = 'engine-waiting' as const;
  const start = load();
  const started = performance.now();
  const base = { name, description: DESCRIPTIONS[name] };
  const scratch = scratchDir();
  try {
    const timer = await waitingKind('timer', join(scratch, 'timer'));
    const message = await waitingKind('message', join(scratch, 'message'));
    return { ...base, status: 'ok', seconds: (performance.now() - started) / 1000, loadAverage: { start, end: load() }, instances: WAITING, timer, message };
  } catch (error) {
    return { ...base, status: 'failed', reason: (error as Error).message, loadAverage: { start, end: load() } };
  } finally {
    removeScratch(scratch);
  }
}

/** start → a parallel multi-instance service task over `items` (its jobs are left waiting) → end. */
export function fanOutXml(id: string, type: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${DEFS} id="${id}_defs"><bpmn:process id="${id}" isExecutable="true"><bpmn:startEvent id="start"/><bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics isSequential="false"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask><bpmn:endEvent id="end"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="each"/><bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="end"/></bpmn:process></bpmn:definitions>`;
}

/**
 * The log replayed: timer instances left waiting, one-task instances run to their end (creator and completer
 * processes), then instances fanning out to FAN_OUT waiting jobs each (many records per command, so that a
 * log of 200k+ records is written in seconds) until the log holds REPLAY_RECORDS records (the log's
 * counters, SIGUSR2).
 */
async function replayCase(): Promise<ReplayCaseResult> {
  const name = 'engine-replay' as const;
  const start = load();
  const started = performance.now();
  const base = { name, description: DESCRIPTIONS[name] };
  const scratch = scratchDir();
  const dataDir = join(scratch, 'data');
  const NO_SNAPSHOTS = 1_000_000_000;
  const TIMERS = Math.min(WAITING, 2_000);
  const ONE_TASK = 1_000;
  const FAN_OUT = 100;
  const fanOutItems = `{"items":[${Array.from({ length: FAN_OUT }, (_, i) => i).join(',')}]}`;
  let engine: EngineProcess | undefined;
  let api: RawClient | undefined;
  const figures = (e: EngineProcess): StartFigures => ({ startedMs: e.startedMs, spawnToReadyMs: Math.round(e.spawnToReadyMs), recovery: e.recovery });
  const restart = async (signal: 'SIGKILL' | 'SIGTERM') => {
    api?.close();
    await engine!.stop(signal, signal === 'SIGKILL' ? 0 : 30_000);
    engine = await launchEngine({ dataDir, snapshotEvery: NO_SNAPSHOTS });
    api = rawClient(engine.address);
    await unary(api, 'Topology', {});
    return engine;
  };
  try {
    const buildStart = performance.now();
    engine = await launchEngine({ dataDir, snapshotEvery: NO_SNAPSHOTS });
    const emptyStart = figures(engine);
    api = rawClient(engine.address);
    await deploy(api, 'engine_bench_1', tasksXml('engine_bench_1', 'engine-bench-1', 1));
    await deploy(api, 'engine_bench_timer', waitingXml('engine_bench_timer', 'timer'));
    await deploy(api, 'engine_bench_fan_out', fanOutXml('engine_bench_fan_out', 'engine-bench-fan-out'));
    await createMany(api, 'engine_bench_timer', TIMERS, (i) => `{"orderId":"t-${i}"}`);
    const work = new Load(engine.address, 'engine_bench_1', 'engine-bench-1', 1);
    let instancesRun = 0;
    try {
      await work.ready();
      work.startSaturating();
      while (work.completer.instances < ONE_TASK) await sleep(20);
      await work.halt();
      await work.drain(DRAIN_MS);
      instancesRun = work.completer.instances;
    } finally {
      await work.stop();
    }
    let fanOuts = 0;
    while ((await engine.storage()).appendedPosition < REPLAY_RECORDS) {
      await createMany(api, 'engine_bench_fan_out', 10, () => fanOutItems);
      fanOuts += 10;
    }
    const buildSeconds = (performance.now() - buildStart) / 1000;
    // kill -9 and start again: no snapshot was ever taken, the whole log is replayed.
    const e = await restart('SIGKILL');
    const cold = figures(e);
    const records = cold.recovery?.recordsRead ?? 0;
    // A clean stop takes a snapshot; the next start loads it.
    const warm = figures(await restart('SIGTERM'));
    api?.close();
    api = undefined;
    await engine.stop('SIGTERM');
    return {
      ...base,
      status: 'ok',
      seconds: (performance.now() - started) / 1000,
      loadAverage: { start, end: load() },
      emptyStart,
      buildSeconds,
      log: { timerInstancesWaiting: TIMERS, oneTaskInstancesRun: instancesRun, fanOutInstances: fanOuts, jobsPerFanOut: FAN_OUT },
      noSnapshot: {
        ...cold,
        recordsPerSecond: records / (cold.startedMs / 1000),
        recordsPerSecondNet: records / (Math.max(1, cold.startedMs - emptyStart.startedMs) / 1000),
      },
      withSnapshot: warm,
    };
  } catch (error) {
    return { ...base, status: 'failed', reason: (error as Error).message, loadAverage: { start, end: load() } };
  } finally {
    api?.close();
    await engine?.stop('SIGKILL', 0);
    removeScratch(scratch);
  }
}

/** Runs the named engine cases one after another, each on an engine of its own, and prints a line per case. */
export async function runEngineBench(names: readonly EngineCase[], ctx: Context): Promise<EngineBenchResult> {
  const cases: EngineCaseResult[] = [];
  console.log(
    `engine figures: ${names.join(', ')}; per load case ${WARMUP_SECONDS} s warm-up, ${SECONDS} s saturating (backlog ${BACKLOG}, ` +
      `${CONCURRENCY} creates in flight, ${COMPLETER} completer), ${LATENCY_SECONDS} s at a fixed rate; payload ${PAYLOAD === 'small' ? 'createdAt only' : `${PAYLOAD_BYTES} B`}; ` +
      `fsyncs from the engine's log counters${STRACE ? ' and strace' : ''}; load ${load().join(' ')}`,
  );
  for (const name of names) {
    let result: EngineCaseResult;
    if (name === 'engine-one-task') result = await loadCase(name, 1, false, ctx);
    else if (name === 'engine-one-task-durable') result = await loadCase(name, 1, true, ctx);
    else if (name === 'engine-ten-task') result = await loadCase(name, 10, false, ctx);
    else if (name === 'engine-waiting') result = await waitingCase();
    else result = await replayCase();
    cases.push(result);
    console.log(`  ${name.padEnd(24)} ${result.status === 'ok' ? summaryLine(result) : `failed: ${result.reason}`}`);
  }
  return {
    settings: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      latencySeconds: LATENCY_SECONDS,
      rate: RATE ?? 'half of the measured throughput',
      backlog: BACKLOG,
      concurrency: CONCURRENCY,
      completer: COMPLETER,
      payload: PAYLOAD,
      waiting: WAITING,
      replayRecords: REPLAY_RECORDS,
      snapshotEvery: SNAPSHOT_EVERY ?? "the engine's default",
      fsyncsCountedBy: STRACE ? "the engine's log counters (SIGUSR2) and strace" : "the engine's log counters (SIGUSR2)",
    },
    goals: ENGINE_GOALS,
    cases,
  };
}

/* ---------- report ---------- */

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtLatency(n: number | null | undefined): string {
  return n === null ? `>${DRAIN_MS / 1000}s` : fmt(n, 1);
}

function summaryLine(r: EngineCaseResult): string {
  const secs = `(${fmt(r.seconds)} s, load ${r.loadAverage?.end[0]})`;
  if ('throughput' in r && r.throughput) {
    const t = r.throughput;
    const l = r.latency!;
    const d = r.durability;
    return (
      `${fmt(t.instancesPerSecond)} instances/s${r.tasks > 1 ? ` (${fmt(t.jobsPerSecond)} jobs/s)` : ''}, engine ${fmt(t.engineCpuMsPerInstance, 3)} ms CPU/instance, ` +
      `p50 ${fmtLatency(l.p50)} ms p99 ${fmtLatency(l.p99)} ms at ${l.rate}/s` +
      `${d ? `, ${fmt(d.fsyncsPerSecond)} fsyncs/s, ${fmt(d.logBytesPerInstance)} log bytes/instance` : ''} ${secs}`
    );
  }
  if ('timer' in r && r.timer) {
    const w = (f: WaitingFigures) => `${fmt(f.live.heapBytesPerInstance)} B heap/instance live, ${fmt(f.restarted.heapBytesPerInstance)} B after a restart`;
    return `timer ${w(r.timer)}; message ${w(r.message!)} ${secs}`;
  }
  if ('noSnapshot' in r && r.noSnapshot) {
    return `${fmt(r.noSnapshot.recovery?.recordsRead)} records replayed in ${fmt(r.noSnapshot.startedMs)} ms (${fmt(r.noSnapshot.recordsPerSecond)} records/s); with a snapshot ${fmt(r.withSnapshot?.startedMs)} ms ${secs}`;
  }
  return '';
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'met' : 'NOT met');

/** The engine figures as a table, the issue's goals beside them. */
export function printEngineTable(result: EngineBenchResult): void {
  const rows: string[][] = [];
  const G = ENGINE_GOALS;
  for (const r of result.cases) {
    const where = `load ${r.loadAverage?.start[0] ?? '–'}→${r.loadAverage?.end[0] ?? '–'}`;
    if (r.status !== 'ok') {
      rows.push([r.description, 'failed', '', (r.reason ?? '').slice(0, 100), where]);
      continue;
    }
    if ('throughput' in r && r.throughput) {
      const t = r.throughput;
      const l = r.latency!;
      const goal = r.name === 'engine-one-task' ? G.oneTaskMemoryInstancesPerSecond : r.name === 'engine-one-task-durable' ? G.oneTaskDurableInstancesPerSecond : undefined;
      rows.push([r.description, '', '', '', where]);
      rows.push(['  completed instances/s', fmt(t.instancesPerSecond), goal ? `≥ ${fmt(goal)}` : '', verdict(goal ? t.instancesPerSecond >= goal : undefined), `${fmt(t.instances)} in ${fmt(t.seconds, 1)} s`]);
      if (r.tasks > 1) rows.push(['  jobs/s', fmt(t.jobsPerSecond), '', '', '']);
      rows.push([
        '  engine CPU ms/instance',
        fmt(t.engineCpuMsPerInstance, 3),
        '',
        '',
        `engine ${fmt((t.engineCores ?? Number.NaN) * 100)}% of a core, ${fmt(t.engineRssMb)} MB RSS; clients ${fmt(t.creatorCpuMsPerInstance, 3)} + ${fmt(t.completerCpuMsPerInstance, 3)} ms/instance`,
      ]);
      if (t.engineCpuMsPerInstance) {
        const all = t.engineCpuMsPerInstance + (t.creatorCpuMsPerInstance ?? 0) + (t.completerCpuMsPerInstance ?? 0);
        rows.push([
          '  CPU-bound estimate, instances/s',
          fmt(1000 / t.engineCpuMsPerInstance),
          goal ? `≥ ${fmt(goal)}` : '',
          verdict(goal ? 1000 / t.engineCpuMsPerInstance >= goal : undefined),
          `the engine on one core of its own at this CPU/instance; ~${fmt((cpus().length * 1000) / all)}/s with its clients on all ${cpus().length} cores, nothing else running`,
        ]);
      }
      rows.push([
        '  bound by',
        '',
        '',
        '',
        `${t.boundBy}${t.host ? `; host ${fmt(t.host.busy * 100)}% busy, ${fmt(t.host.others * 100)}% by other processes` : ''}`,
      ]);
      rows.push([`  creation → completion p50 / p99 ms`, `${fmtLatency(l.p50)} / ${fmtLatency(l.p99)}`, '', '', `at ${fmt(l.rate)}/s for ${l.seconds} s${l.unhandled ? `, ${l.unhandled} not completed` : ''}`]);
      const d = r.durability;
      if (d) {
        rows.push([
          '  fsyncs/s',
          fmt(d.fsyncsPerSecond),
          '',
          '',
          `engine's counter; ${fmt(d.instancesPerFsync, 1)} instances and ${fmt(d.batchesPerGroupCommit, 1)} commands per fsync` +
            `${d.straceFsyncs !== undefined ? `; strace counted ${fmt(d.straceFsyncs / (t.seconds || 1))}/s` : ''}`,
        ]);
        rows.push([
          '  log bytes/instance',
          fmt(d.logBytesPerInstance),
          '',
          '',
          `${fmt(d.recordsPerInstance, 1)} records/instance; ${d.snapshots} snapshot(s) in the window; disk writes ${fmt(d.bytesWrittenPerInstance)} B/instance (/proc/<pid>/io), data dir ${fmt(d.dataDirBytesAtEnd / 1e6, 1)} MB at the end`,
        ]);
      }
      continue;
    }
    if ('timer' in r && r.timer) {
      const goal = G.bytesPerWaitingInstance;
      rows.push([r.description, '', '', '', where]);
      for (const [kind, f] of [['timer', r.timer], ['message', r.message!]] as const) {
        rows.push([
          `  heap B per instance waiting on a ${kind}, live`,
          fmt(f.live.heapBytesPerInstance),
          `≤ ${fmt(goal)}`,
          verdict(f.live.heapBytesPerInstance <= goal),
          `state, history read model and log ring; heap ${f.heapMb.live.join(' → ')} MB; RSS ${fmt(f.live.rssBytesPerInstance)} B/instance`,
        ]);
        rows.push([
          `  heap B per instance waiting on a ${kind}, restarted`,
          fmt(f.restarted.heapBytesPerInstance),
          `≤ ${fmt(goal)}`,
          verdict(f.restarted.heapBytesPerInstance <= goal),
          `state and history after a restart from a snapshot (no log ring); heap ${f.heapMb.restarted.join(' → ')} MB; REST active ${f.activeLive ?? '–'} live, ${f.activeAfterRestart ?? '–'} after`,
        ]);
      }
      continue;
    }
    if ('noSnapshot' in r && r.noSnapshot) {
      const c = r.noSnapshot;
      const goal = G.replayRecordsPerSecond;
      rows.push([r.description, '', '', '', where]);
      rows.push([
        '  replay records/s, no snapshot (kill -9)',
        fmt(c.recordsPerSecond),
        `≥ ${fmt(goal)}`,
        verdict(c.recordsPerSecond >= goal),
        `${fmt(c.recovery?.recordsRead)} records (${fmt(c.recovery?.eventsReplayed)} events, ${fmt((c.recovery?.logBytes ?? 0) / 1e6, 1)} MB) in ${fmt(c.startedMs)} ms; ${fmt(c.recordsPerSecondNet)}/s net of an empty start (${fmt(r.emptyStart?.startedMs)} ms)`,
      ]);
      const s = r.withSnapshot!;
      rows.push([
        '  start-up ms with a snapshot (clean stop)',
        fmt(s.startedMs),
        '',
        '',
        `snapshot at ${fmt(s.recovery?.snapshotPosition)}, ${fmt(s.recovery?.eventsReplayed)} events replayed after it`,
      ]);
    }
  }
  const headers = ['engine figure', 'measured', 'goal', '', 'note'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log('');
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  for (const r of result.cases) {
    if (!('profile' in r) || !r.profile) continue;
    console.log(
      `\nCPU profile of the engine during ${r.name} (${r.profile.file}): ${fmt(r.profile.totalMs / 1000, 1)} s, ${fmt(r.profile.idleMs / 1000, 1)} s of it idle; ` +
        `top self time, share of the busy time`,
    );
    for (const f of r.profile.top) console.log(`  ${fmt(f.selfMs).padStart(7)} ms ${fmt(f.share * 100, 1).padStart(5)}%  ${f.name}  ${f.where}`);
    console.log('  by file:');
    for (const f of r.profile.files) console.log(`  ${fmt(f.selfMs).padStart(7)} ms ${fmt(f.share * 100, 1).padStart(5)}%  ${f.file}`);
  }
}
