/**
 * The loop under stress, over gRPC against forager's engine: lost jobs, timeout extension, streaming and
 * polling, graceful stop under load.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.ts';
import { defineWorker, runWorkers } from '../../src/index.ts';
import { createTestKit, startEngine } from '../../src/testing/index.ts';
import { createJobClient } from '../../src/transport/index.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';

const TIMEOUT = { timeout: 30_000 };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const silent = pino({ level: 'silent' });

test('a job that times out is lost to its first worker: its signal fires, the late completion is refused, nothing crashes', TIMEOUT, async () => {
  let calls = 0;
  const signals: AbortSignal[] = [];
  const worker = defineWorker({
    type: 'life-lost',
    timeout: '400ms',
    maxJobsActive: 2,
    handler: async (_vars, ctx) => {
      const call = ++calls;
      signals.push(ctx.signal);
      if (call === 1) await sleep(1_500); // ignores its signal on purpose, and finishes late
      return { call };
    },
  });
  const kit = await createTestKit({ bpmn: [{ name: 'lost.bpmn', xml: oneTaskProcess('p_lost', 'life-lost') }], workers: [worker] });
  const lost: string[] = [];
  kit.workers!.on('job:lost', ({ reason }) => lost.push(reason));
  try {
    const vars = await (await kit.start('p_lost')).completed();
    assert.equal(vars.call, 2, 'the second delivery completed the job');
    await sleep(1_500);
    assert.equal(signals[0]!.aborted, true, 'the first delivery was told it lost the job');
    assert.equal(lost.length, 1, 'the refused completion was reported once');
    assert.match(lost[0]!, /NOT_FOUND/);
  } finally {
    await kit.stop();
  }
});

test('extending the timeout keeps a slow job with its worker past its original deadline (manual and automatic)', TIMEOUT, async () => {
  let manual = 0;
  let automatic = 0;
  const slowManual = defineWorker({
    type: 'life-extend-manual',
    timeout: '500ms',
    handler: async (_vars, ctx) => {
      manual++;
      for (let i = 0; i < 4; i++) {
        await sleep(300);
        await ctx.extendTimeout('500ms');
      }
      return { manual: true };
    },
  });
  const slowAuto = defineWorker({
    type: 'life-extend-auto',
    timeout: '500ms',
    autoExtendTimeout: true,
    handler: async () => {
      automatic++;
      await sleep(1_500);
      return { automatic: true };
    },
  });
  const kit = await createTestKit({
    bpmn: [
      { name: 'manual.bpmn', xml: oneTaskProcess('p_manual', 'life-extend-manual') },
      { name: 'auto.bpmn', xml: oneTaskProcess('p_auto', 'life-extend-auto') },
    ],
    workers: [slowManual, slowAuto],
    waitMs: 5_000,
  });
  try {
    const [a, b] = await Promise.all([kit.start('p_manual'), kit.start('p_auto')]);
    assert.equal((await a.completed()).manual, true);
    assert.equal((await b.completed()).automatic, true);
    assert.equal(manual, 1, 'the job was never handed out again');
    assert.equal(automatic, 1, 'the job was never handed out again');
    const timedOut = kit.engine.records().filter((r) => r.valueType === 'JOB' && r.intent === 'TIMED_OUT');
    assert.equal(timedOut.length, 0);
  } finally {
    await kit.stop();
  }
});

test('streaming and polling both deliver, and a stream gets jobs created before it opened', TIMEOUT, async () => {
  const engine = await startEngine();
  const config = resolveConfig({}, { address: `grpc://${engine.address}` });
  const client = createJobClient(config);
  try {
    await client.deploy([{ name: 'both.bpmn', content: Buffer.from(oneTaskProcess('p_both', 'life-both')) }]);
    const before = await Promise.all(Array.from({ length: 5 }, () => client.createInstance('p_both', {})));
    for (const mode of ['stream', 'poll'] as const) {
      const via: string[] = [];
      const workers = runWorkers([defineWorker({ type: 'life-both', handler: () => ({ mode }) })], { config, mode, logger: silent });
      workers.on('job:activated', (e) => via.push(e.via));
      // Let the stream register at the broker before the new jobs appear (the stream is opened asynchronously).
      await sleep(300);
      const after = await Promise.all(Array.from({ length: 5 }, () => client.createInstance('p_both', {})));
      const keys = mode === 'stream' ? [...before, ...after] : after;
      const done = () => keys.every((k) => engine.records().some((r) => r.key === k && r.intent === 'ELEMENT_COMPLETED'));
      for (let i = 0; i < 200 && !done(); i++) await sleep(25);
      await workers.stop();
      assert.ok(done(), `${mode}: all instances completed`);
      if (mode === 'stream') {
        assert.ok(via.includes('stream'), 'the stream delivered the new jobs');
        assert.ok(via.includes('poll'), 'the long poll alongside delivered the jobs created before the stream');
      } else {
        assert.deepEqual([...new Set(via)], ['poll']);
      }
    }
  } finally {
    client.close();
    await engine.stop();
  }
});

test('graceful stop under load: running handlers finish, nothing completed is lost, the rest is handed back', TIMEOUT, async () => {
  const engine = await startEngine();
  const config = resolveConfig({}, { address: `grpc://${engine.address}` });
  const client = createJobClient(config);
  const N = 200;
  try {
    await client.deploy([{ name: 'load.bpmn', content: Buffer.from(oneTaskProcess('p_load', 'life-load')) }]);
    const keys = await Promise.all(Array.from({ length: N }, (_, i) => client.createInstance('p_load', { i })));
    const handled = new Set<number>();
    const worker = defineWorker({
      type: 'life-load',
      // A job pushed or handed out in the instant the first worker cancels its stream and poll is activated
      // but never seen; like any job of a worker that went away, it comes back at its deadline.
      timeout: '2s',
      maxJobsActive: 16,
      handler: async ({ i }) => {
        await sleep(20 + (Number(i) % 5) * 10);
        handled.add(Number(i));
        return { handled: true };
      },
    });
    const first = runWorkers([worker], { config, logger: silent });
    const completedByFirst = new Set<string>();
    first.on('job:completed', (e) => completedByFirst.add(e.key));
    while (completedByFirst.size < N / 4) await sleep(10);
    await first.stop(5_000);
    assert.equal(first.active, 0);
    // Every completion the first worker reported reached the engine.
    const completedJobs = new Set(engine.records().filter((r) => r.valueType === 'JOB' && r.intent === 'COMPLETED').map((r) => r.key));
    for (const key of completedByFirst) assert.ok(completedJobs.has(key), `completion of job ${key} was delivered`);
    assert.ok(completedByFirst.size < N, 'the stop came while work was left');
    // Nothing is stuck: whatever was not completed is activatable again, at once.
    const second = runWorkers([worker], { config, logger: silent });
    const done = () => keys.every((k) => engine.records().some((r) => r.key === k && r.intent === 'ELEMENT_COMPLETED'));
    for (let i = 0; i < 400 && !done(); i++) await sleep(25);
    await second.stop();
    assert.ok(done(), 'all instances completed after a second worker took over');
    assert.equal(handled.size, N);
    assert.deepEqual(engine.checkIntegrity(), []);
  } finally {
    client.close();
    await engine.stop();
  }
});

test('a handler that hangs past its timeout does not block the job or the shutdown', TIMEOUT, async () => {
  let calls = 0;
  const worker = defineWorker({
    type: 'life-hang',
    timeout: '300ms',
    maxJobsActive: 4,
    handler: async () => {
      if (++calls === 1) await new Promise(() => {}); // never settles, ignores its signal
      return { calls };
    },
  });
  const kit = await createTestKit({ bpmn: [{ name: 'hang.bpmn', xml: oneTaskProcess('p_hang', 'life-hang') }], workers: [worker] });
  try {
    const vars = await (await kit.start('p_hang')).completed();
    assert.equal(vars.calls, 2);
  } finally {
    const started = Date.now();
    await kit.stop();
    assert.ok(Date.now() - started < 6_000, 'stop did not wait for the hung handler forever');
  }
});
