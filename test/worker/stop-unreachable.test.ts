/**
 * `stop(grace)` ends while the broker is gone: completions that cannot be delivered are retried only until
 * the job's deadline or the stop deadline, whichever comes first; each such job is lost once (`job:lost`),
 * and the broker hands it out again later. Two ways for a broker to be gone: its gateway closed (calls are
 * refused at once) and its process stopped with SIGSTOP (calls hang: only their deadline ends them).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.ts';
import { defineWorker, runWorkers, type RunningWorkers } from '../../src/index.ts';
import { startEngine } from '../../src/testing/index.ts';
import { createJobClient, type JobClient } from '../../src/transport/index.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';
import { spawnEngine } from '../helpers/engine-process.ts';

const JOBS = 10;
const GRACE_MS = 2_000;
/** stop() may take its grace, the handlers' second to react (1 s) and the last commands' second (1 s). */
const STOP_BOUND_MS = GRACE_MS + 2_000 + 5_000;

interface Scenario {
  workers: RunningWorkers;
  /** Resolves once every job is running in a handler. */
  allRunning: Promise<void>;
  /** Lets every handler return. */
  release(): void;
  lost: string[];
  completed: string[];
}

/** Workers of a fresh job type whose handlers hold their jobs until released; JOBS instances started. */
async function scenario(address: string, client: JobClient, type: string): Promise<Scenario> {
  await client.deploy([{ name: `${type}.bpmn`, content: Buffer.from(oneTaskProcess(`p_${type}`, type)) }]);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  let allStarted!: () => void;
  const allRunning = new Promise<void>((resolve) => (allStarted = resolve));
  const workers = runWorkers(
    [
      defineWorker({
        type,
        maxJobsActive: JOBS,
        timeout: '5m',
        handler: async () => {
          if (++started === JOBS) allStarted();
          await released;
          return { done: true };
        },
      }),
    ],
    { config: resolveConfig({}, { address: `grpc://${address}` }), logger: pino({ level: 'silent' }) },
  );
  const lost: string[] = [];
  const completed: string[] = [];
  workers.on('job:lost', (e) => lost.push(e.key));
  workers.on('job:completed', (e) => completed.push(e.key));
  for (let i = 0; i < JOBS; i++) await client.createInstance(`p_${type}`, { i });
  return { workers, allRunning, release, lost, completed };
}

async function stopWithin(s: Scenario): Promise<number> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    s.workers.stop(GRACE_MS),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`stop(${GRACE_MS}) still pending after ${STOP_BOUND_MS} ms`)), STOP_BOUND_MS))),
  ]).finally(() => clearTimeout(timer));
  return Date.now() - t0;
}

function assertEachLostOnce(s: Scenario): void {
  assert.deepEqual(s.completed, [], 'no completion reached the broker');
  assert.equal(new Set(s.lost).size, s.lost.length, `a job was lost more than once: ${s.lost.join(', ')}`);
  assert.equal(s.lost.length, JOBS, 'every job whose completion could not be delivered is lost, once');
}

test('the gateway goes away with jobs in flight: stop(grace) returns, each undelivered job lost once', { timeout: 60_000 }, async () => {
  const engine = await startEngine();
  const client = createJobClient(resolveConfig({}, { address: `grpc://${engine.address}` }));
  let s: Scenario | undefined;
  try {
    s = await scenario(engine.address, client, 'stop-refused');
    await s.allRunning;
    await engine.stopGateway();
    s.release();
    await stopWithin(s);
    assertEachLostOnce(s);
  } finally {
    s?.release();
    await s?.workers.stop(0);
    client.close();
    await engine.stop();
  }
});

test('the broker hangs (SIGSTOP) with jobs in flight: stop(grace) returns, each undelivered job lost once', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'forager-stop-hang-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const engine = await spawnEngine(t, dir);
  const client = createJobClient(resolveConfig({}, { address: `grpc://${engine.address}` }));
  let s: Scenario | undefined;
  try {
    s = await scenario(engine.address, client, 'stop-hang');
    await s.allRunning;
    engine.process.kill('SIGSTOP');
    s.release();
    await stopWithin(s);
    assertEachLostOnce(s);
  } finally {
    engine.process.kill('SIGCONT');
    s?.release();
    await s?.workers.stop(0);
    client.close();
  }
});
