/**
 * What the bench's orchestrator (run.ts) and its worker processes (worker.ts) share: the raw gRPC client on
 * the SDK's own proto, the one-task process, the ~10 KB payload, the messages they exchange over the IPC
 * channel, and small statistics helpers.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadGateway } from '../../src/transport/channel.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The workers the bench knows. Each runs in its own process (worker.ts --peer <name>). */
export const PEERS = [
  'raw-poll',
  'raw-stream',
  'sdk',
  'sdk-tuned',
  'sdk-stream',
  'zeebe-node',
  'zeebe-node-tuned',
  'forager-stream',
  'forager-poll',
  'forager-stream-tuned',
  'forager-poll-tuned',
] as const;
export type Peer = (typeof PEERS)[number];

export function isPeer(value: string): value is Peer {
  return (PEERS as readonly string[]).includes(value);
}

/** What a worker process is told (as JSON in BENCH_WORKER_SPEC). */
export interface WorkerSpec {
  readonly peer: Peer;
  /** host:port of the engine's gRPC gateway. */
  readonly address: string;
  /** The job types this process serves (one worker per type). */
  readonly types: readonly string[];
}

/** Orchestrator → worker process. */
export type ToWorker =
  /** Start a measurement window; latencies are kept only for instances created at or after `sinceEpochMs`. */
  | { readonly cmd: 'mark'; readonly sinceEpochMs: number }
  | { readonly cmd: 'report' }
  | { readonly cmd: 'stop' };

/** What a worker process measured between `mark` and `report`, by its own clock and `process.cpuUsage()`. */
export interface WorkerReport {
  readonly jobs: number;
  readonly seconds: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly rssMb: number;
  /** created → handler started, in ms, one per job handled in the window that was created in it. */
  readonly latencies: number[];
  /** Jobs handled in the window that were created before it (a backlog left from an earlier phase). */
  readonly stale: number;
  /** Errors the peer reported (rejected completions, stream errors), counted, with the first few messages. */
  readonly errors: number;
  readonly errorSamples: string[];
}

/** Worker process → orchestrator. */
export type FromWorker =
  | { readonly ev: 'ready'; readonly startupMs: number; readonly startupCpuMs: number; readonly rssMb: number }
  | { readonly ev: 'unavailable'; readonly reason: string }
  /** Jobs handled so far, per type; `fresh`: of those since the last mark, how many were created after it. */
  | { readonly ev: 'count'; readonly counts: number[]; readonly fresh: number }
  | { readonly ev: 'marked' }
  | ({ readonly ev: 'report' } & WorkerReport)
  | { readonly ev: 'stopped' };

/** The one-task process: start → service task of `type` → end. */
export function processXml(id: string, type: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="${id}_defs" targetNamespace="http://forager/bench">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>`;
}

/** ~10 KB of variables, as in Camunda's own benchmarks (nested objects, strings and numbers). */
const PAYLOAD_JSON = JSON.stringify(
  Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'], text: 'x'.repeat(40) })),
);
export const PAYLOAD_BYTES = PAYLOAD_JSON.length;

/** High-resolution epoch milliseconds, comparable between processes on one host. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The variables of one instance: `createdAt` (epoch ms, set just before the create call) and the payload. */
export function instanceVariables(): string {
  return `{"createdAt":${epochMs()},"items":${PAYLOAD_JSON}}`;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader clients and messages are untyped */
export type RawClient = grpc.Client & Record<string, (...args: any[]) => any>;

export function rawClient(address: string): RawClient {
  const Gateway = loadGateway();
  return new Gateway(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  }) as RawClient;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function unary<T>(client: RawClient, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-th percentile (0–100) of the samples, nearest rank; NaN without samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Percentiles in ms. `unhandled` jobs (created, but not handled before the phase's drain timeout) count as
 * slower than every sample: a percentile that falls on them is null ("more than the timeout").
 */
export interface LatencySummary {
  readonly samples: number;
  readonly unhandled: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function summarize(samples: readonly number[], unhandled = 0): LatencySummary {
  const list = [...Array.from(Float64Array.from(samples).sort()), ...Array.from({ length: unhandled }, () => Number.POSITIVE_INFINITY)];
  const at = (p: number) => {
    const value = percentile(list, p);
    return Number.isFinite(value) ? Math.round(value * 10) / 10 : null;
  };
  return { samples: samples.length, unhandled, p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; undefined off Linux. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MB, from /proc/<pid>/status; undefined off Linux. */
export function procRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole host (all cores), from /proc/stat. */
export function hostCpu(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * The parent's side of a forked bench process: keeps the tail of its output for error messages, hands each
 * IPC message to `onMessage` (which returns true when it consumed it, e.g. a running count), and lets the
 * parent wait for the next message of a kind. A message whose `ev` is in `wakesAll` resolves any waiter.
 */
export class ForkedChannel<From extends { ev: string }, To> {
  #tail = '';
  readonly #waiters: { ev: string; resolve: (m: From) => void }[] = [];

  constructor(
    readonly child: ChildProcess,
    private readonly what: string,
    onMessage: (m: From) => boolean,
    wakesAll: readonly string[] = [],
  ) {
    const keep = (chunk: Buffer) => {
      this.#tail = (this.#tail + chunk.toString()).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (m: From) => {
      if (onMessage(m)) return;
      const i = this.#waiters.findIndex((w) => w.ev === m.ev || wakesAll.includes(m.ev));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
    });
  }

  /** The last output of the process, for error messages. */
  get tail(): string {
    return this.#tail.trim().slice(-600);
  }

  /** Waits for the next message of kind `ev`; rejects when the process exits first or after `timeoutMs`. */
  next(ev: From['ev'], timeoutMs: number): Promise<From> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${this.what} exited (${code}) while waiting for '${ev}': ${this.tail}`));
      const timer = setTimeout(() => {
        this.child.off('exit', onExit);
        reject(new Error(`${this.what} sent no '${ev}' within ${timeoutMs} ms: ${this.tail}`));
      }, timeoutMs);
      this.child.once('exit', onExit);
      this.#waiters.push({
        ev,
        resolve: (m) => {
          clearTimeout(timer);
          this.child.off('exit', onExit);
          resolve(m);
        },
      });
    });
  }

  send(message: To): void {
    if (this.child.connected) this.child.send(message as object);
  }
}
