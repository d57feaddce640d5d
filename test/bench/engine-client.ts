/**
 * One client process of the engine figures (started by engine.ts over an IPC channel; not meant to be run by
 * hand). BENCH_ENGINE_CLIENT (JSON, an EngineClientSpec) says its role; both use a raw @grpc/grpc-js client on
 * the SDK's proto (lib.ts `rawClient`), so that what is measured is the engine, not a client library.
 *
 *  - creator: CreateProcessInstance calls, `concurrency` in flight. Told to saturate, it keeps at most
 *    `backlog` instances created and not yet completed (the orchestrator forwards the completer's counts);
 *    told a rate, it creates that many instances per second, open loop, whatever the answers take.
 *  - completer: activates the jobs of one type (two long polls of up to 128 jobs, or a job stream with a
 *    backfill poll) and completes each at once. It counts completed jobs and completed instances (jobs of the
 *    process's last task) and, for instances created after a mark, the time from creation (`createdAt`, set
 *    by the creator just before its call) to the CompleteJob answer: the engine answers once the completion
 *    and everything it leads to (the instance completing) is processed, and on disk when it is durable.
 */
import { epochMs, rawClient, sleep, type RawClient } from './lib.ts';

export interface CreatorSpec {
  readonly role: 'creator';
  readonly address: string;
  readonly processId: string;
  readonly concurrency: number;
  /** The variables besides `createdAt`, as JSON text of an object's members (`"a":1,"b":2`), or ''. */
  readonly extraVariables: string;
}

export interface CompleterSpec {
  readonly role: 'completer';
  readonly address: string;
  readonly type: string;
  /** The element id of the process's last task: completing its job completes the instance. */
  readonly lastElementId: string;
  readonly mode: 'poll' | 'stream';
}

export type EngineClientSpec = CreatorSpec | CompleterSpec;

export type ToEngineClient =
  | { readonly cmd: 'saturate'; readonly backlog: number; readonly completed: number }
  | { readonly cmd: 'completed'; readonly completed: number }
  | { readonly cmd: 'halt' }
  | { readonly cmd: 'rate'; readonly rate: number; readonly seconds: number }
  | { readonly cmd: 'mark'; readonly sinceEpochMs: number }
  | { readonly cmd: 'report' }
  | { readonly cmd: 'stop' };

export interface CompleterReport {
  readonly jobs: number;
  readonly instances: number;
  /** creation → CompleteJob answer of the last task, ms, for instances created since the mark. */
  readonly latencies: number[];
  readonly cpuMs: number;
  readonly errors: number;
  readonly errorSamples: string[];
}

export type FromEngineClient =
  | { readonly ev: 'ready' }
  /** Completer: totals so far; `fresh`: instances completed that were created since the last mark. */
  | { readonly ev: 'count'; readonly jobs: number; readonly instances: number; readonly fresh: number }
  | { readonly ev: 'halted'; readonly created: number; readonly errors: number; readonly errorSamples: string[] }
  | { readonly ev: 'rated'; readonly created: number; readonly errors: number; readonly errorSamples: string[] }
  | { readonly ev: 'marked' }
  | ({ readonly ev: 'report' } & CompleterReport)
  | { readonly ev: 'stopped' };

const send = (message: FromEngineClient) => {
  if (process.connected) process.send!(message);
};

let errors = 0;
const errorSamples: string[] = [];
function onError(error: unknown): void {
  errors++;
  if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
}
function takeErrors(): { errors: number; errorSamples: string[] } {
  const out = { errors, errorSamples: [...errorSamples] };
  errors = 0;
  errorSamples.length = 0;
  return out;
}

/* ---------- creator ---------- */

function creator(spec: CreatorSpec, client: RawClient): (message: ToEngineClient) => void {
  let created = 0; // answered with a key
  let issued = 0; // calls sent and not failed: created + in flight
  let completed = 0; // instances completed, from the completer (forwarded by the orchestrator)
  let backlog = 0;
  let running = false;
  let wake: (() => void)[] = [];
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const variables = () => `{"createdAt":${epochMs()}${spec.extraVariables ? `,${spec.extraVariables}` : ''}}`;
  const create = (): Promise<void> =>
    new Promise((resolve) => {
      issued++;
      client.CreateProcessInstance!({ bpmnProcessId: spec.processId, version: -1, variables: variables() }, (error: Error | null) => {
        if (error) {
          issued--;
          onError(error);
          setTimeout(resolve, 10);
        } else {
          created++;
          resolve();
        }
      });
    });

  const saturate = async () => {
    const loop = async () => {
      while (running) {
        if (issued - completed < backlog) await create();
        else await new Promise<void>((r) => wake.push(r));
      }
    };
    await Promise.all(Array.from({ length: spec.concurrency }, loop));
    send({ ev: 'halted', created, ...takeErrors() });
  };

  const fixedRate = async (rate: number, seconds: number) => {
    const total = Math.max(1, Math.round(rate * seconds));
    const interval = 1000 / rate;
    const start = performance.now();
    const before = created;
    const pending: Promise<void>[] = [];
    let i = 0;
    while (i < total) {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        pending.push(create());
        i++;
      }
      if (i < total) await sleep(Math.max(1, start + i * interval - performance.now()));
    }
    await Promise.all(pending);
    send({ ev: 'rated', created: created - before, ...takeErrors() });
  };

  return (message) => {
    if (message.cmd === 'saturate') {
      backlog = message.backlog;
      completed = message.completed;
      running = true;
      void saturate();
    } else if (message.cmd === 'completed') {
      completed = message.completed;
      notify();
    } else if (message.cmd === 'halt') {
      running = false;
      notify();
    } else if (message.cmd === 'rate') {
      void fixedRate(message.rate, message.seconds);
    }
  };
}

/* ---------- completer ---------- */

interface Job {
  key: string;
  elementId: string;
  variables: string;
}

function completer(spec: CompleterSpec, client: RawClient): { onMessage: (message: ToEngineClient) => void; stop: () => void } {
  const CAPACITY = 256;
  const TIMEOUT_MS = 60_000;
  let stopped = false;
  let jobs = 0;
  let instances = 0;
  let since = Number.POSITIVE_INFINITY;
  let latencies: number[] = [];
  let markCpu = process.cpuUsage();
  let markJobs = 0;
  let markInstances = 0;
  let active = 0;
  let asked = 0;
  let polls = 0;
  const calls = new Set<{ cancel(): void }>();
  const timers: NodeJS.Timeout[] = [];

  let countTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    countTimer = undefined;
    send({ ev: 'count', jobs, instances, fresh: latencies.length });
  };

  const handle = (job: Job) => {
    active++;
    const last = job.elementId === spec.lastElementId;
    // The creator's `createdAt` leads the variables' JSON; parse only when the latency is wanted.
    const createdAt = last ? Number((JSON.parse(job.variables) as { createdAt?: unknown }).createdAt) : Number.NaN;
    client.CompleteJob!({ jobKey: job.key, variables: '{}' }, (error: Error | null) => {
      active--;
      if (error) {
        if (!stopped) onError(error);
      } else {
        jobs++;
        if (last) {
          instances++;
          if (createdAt >= since) latencies.push(epochMs() - createdAt);
        }
        if (countTimer === undefined && !stopped) countTimer = setTimeout(flush, 20);
      }
      if (spec.mode === 'poll') pump();
    });
  };

  const poll = (max: number, requestTimeout: number, onEnd: () => void) => {
    const call = client.ActivateJobs!({ type: spec.type, worker: 'bench-engine', timeout: TIMEOUT_MS, maxJobsToActivate: max, requestTimeout });
    calls.add(call);
    call.on('data', (response: { jobs: Job[] }) => {
      for (const job of response.jobs) handle(job);
    });
    call.on('error', (error: { code?: number }) => {
      if (!stopped && error.code !== 1) onError(error);
    });
    call.on('status', () => {
      calls.delete(call);
      onEnd();
    });
  };

  const pump = () => {
    while (!stopped && polls < 2 && CAPACITY - active - asked >= 32) {
      const max = Math.min(128, CAPACITY - active - asked);
      asked += max;
      polls++;
      poll(max, 10_000, () => {
        asked -= max;
        polls--;
        if (!stopped) setImmediate(pump);
      });
    }
  };

  if (spec.mode === 'poll') pump();
  else {
    const stream = client.StreamActivatedJobs!({ type: spec.type, worker: 'bench-engine', timeout: TIMEOUT_MS, fetchVariable: [], tenantIds: [] });
    calls.add(stream);
    stream.on('data', (job: Job) => handle(job));
    stream.on('error', (error: { code?: number }) => {
      if (!stopped && error.code !== 1) onError(error);
    });
    const backfill = () => {
      if (stopped) return;
      poll(64, -1, () => {
        if (!stopped) timers.push(setTimeout(backfill, 250));
      });
    };
    backfill();
  }

  return {
    onMessage(message) {
      if (message.cmd === 'mark') {
        since = message.sinceEpochMs;
        latencies = [];
        markCpu = process.cpuUsage();
        markJobs = jobs;
        markInstances = instances;
        takeErrors();
        send({ ev: 'marked' });
      } else if (message.cmd === 'report') {
        const cpu = process.cpuUsage(markCpu);
        send({
          ev: 'report',
          jobs: jobs - markJobs,
          instances: instances - markInstances,
          latencies,
          cpuMs: (cpu.user + cpu.system) / 1000,
          ...takeErrors(),
        });
      }
    },
    stop() {
      stopped = true;
      clearTimeout(countTimer);
      for (const t of timers) clearTimeout(t);
      for (const call of calls) call.cancel();
    },
  };
}

/* ---------- main ---------- */

const spec = JSON.parse(process.env.BENCH_ENGINE_CLIENT ?? '{}') as EngineClientSpec;
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', onError);
const client = rawClient(spec.address);
let stopRole = () => {};
let onRole: (message: ToEngineClient) => void;
if (spec.role === 'creator') onRole = creator(spec, client);
else {
  const c = completer(spec, client);
  onRole = c.onMessage;
  stopRole = c.stop;
}
process.on('message', (message: ToEngineClient) => {
  if (message.cmd === 'stop') {
    stopRole();
    client.close();
    send({ ev: 'stopped' });
    setTimeout(() => process.exit(0), 20);
    return;
  }
  onRole(message);
});
// Give the polls (or the stream) a moment to reach the engine before the orchestrator starts creating.
setTimeout(() => send({ ev: 'ready' }), spec.role === 'completer' ? 300 : 0);
