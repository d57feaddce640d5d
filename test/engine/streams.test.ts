/**
 * Contract tests of StreamActivatedJobs (zeebe-semantics.md §2, S1–S5): with a bare grpc-js client built
 * from the SDK's proto, which sees every pushed message (the SDK's `streamJobs` backfills with a poll, which
 * would hide what the stream itself did), and with the SDK's `streamJobs` as users run it.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { oneTaskProcess } from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  deploy,
  engineTest,
  instanceCompleted,
  rejectsWithCode,
  sleep,
  waitUntil,
  type Harness,
  type Variables,
} from '../helpers/engine-harness.ts';
import type { Message } from '../helpers/raw-gateway.ts';

/** Time for a freshly opened stream's request to reach the engine and be registered. */
const STREAM_SETTLE_MS = 200;

interface OpenStream {
  call: ClientReadableStream<Message>;
  jobs: Message[];
  errors: Error[];
}

function openStream(h: Harness, request: Record<string, unknown>): OpenStream {
  const call = h.raw().open('StreamActivatedJobs', { worker: 'stream-worker', timeout: 60_000, ...request });
  const stream: OpenStream = { call, jobs: [], errors: [] };
  call.on('data', (job: Message) => stream.jobs.push(job));
  call.on('error', (e: Error) => stream.errors.push(e));
  return stream;
}

async function setup(h: Harness, type: string) {
  await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
  return async (variables: Variables = {}) =>
    (await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables })).processInstanceKey;
}

describe('StreamActivatedJobs', () => {
  engineTest('a stream gets jobs created after it opened, not jobs already waiting (those go to a poll)', async (h) => {
    const type = `stream-new-${h.id}`;
    const start = await setup(h, type);
    const oldInstance = await start({ which: 'old' });
    const stream = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    const newInstance = await start({ which: 'new' });
    await waitUntil(() => stream.jobs.length >= 1, 3000, 'the new job to be pushed');
    await sleep(300);
    assert.equal(stream.jobs.length, 1, 'only the new job is pushed');
    const pushed = stream.jobs[0]!;
    assert.equal(pushed.processInstanceKey, newInstance);
    assert.equal(pushed.type, type);
    assert.equal(pushed.worker, 'stream-worker');
    assert.deepEqual(JSON.parse(pushed.variables), { which: 'new' });
    const deadline = Number(pushed.deadline);
    assert.ok(
      deadline > h.engine.clock.now() + 50_000 && deadline <= h.engine.clock.now() + 60_000,
      `a pushed job is activated with the stream's timeout: deadline ${deadline}, now ${h.engine.clock.now()}`,
    );
    // The job that was waiting before the stream opened is still there for a poll.
    const polled = await activate(h.zb, type);
    assert.equal(polled.length, 1);
    assert.equal(polled[0]!.processInstanceKey, oldInstance);
    assert.deepEqual(stream.errors, []);
    stream.call.cancel();
  });

  engineTest('two streams of one type share the work: each gets some jobs, no job is pushed twice', async (h) => {
    const type = `stream-share-${h.id}`;
    const start = await setup(h, type);
    const a = openStream(h, { type });
    const b = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    const count = 24;
    for (let i = 0; i < count; i++) await start({ i });
    await waitUntil(() => a.jobs.length + b.jobs.length >= count, 5000, `${count} pushed jobs`);
    await sleep(200);
    const keys = [...a.jobs, ...b.jobs].map((j) => String(j.key));
    assert.equal(keys.length, count, 'every job pushed exactly once');
    assert.equal(new Set(keys).size, count, 'no job pushed to both streams');
    assert.ok(a.jobs.length > 0 && b.jobs.length > 0, `both streams get work (got ${a.jobs.length} and ${b.jobs.length})`);
    assert.deepEqual(await activate(h.zb, type), [], 'nothing is left for polls');
    a.call.cancel();
    b.call.cancel();
  });

  engineTest('a job that times out is pushed to an open stream again', async (h) => {
    const type = `stream-timeout-${h.id}`;
    const start = await setup(h, type);
    await start();
    const polled = await activateOne(h.zb, type, { timeout: 1000 });
    const stream = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    await h.engine.advanceClock(2000);
    await waitUntil(() => stream.jobs.length === 1, 3000, 'the timed-out job to be pushed');
    assert.equal(String(stream.jobs[0]!.key), polled.key);
    stream.call.cancel();
  });

  engineTest('a job failed with retries left is pushed to an open stream again', async (h) => {
    const type = `stream-fail-${h.id}`;
    const start = await setup(h, type);
    const stream = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    await start();
    await waitUntil(() => stream.jobs.length === 1, 3000, 'the job to be pushed');
    const job = stream.jobs[0]!;
    await h.zb.failJob({ jobKey: String(job.key), retries: 2, errorMessage: 'again', retryBackOff: 0 });
    await waitUntil(() => stream.jobs.length === 2, 3000, 'the failed job to be pushed again');
    assert.equal(String(stream.jobs[1]!.key), String(job.key));
    assert.equal(stream.jobs[1]!.retries, 2);
    stream.call.cancel();
  });

  engineTest('a job whose incident is resolved is pushed to an open stream', async (h) => {
    const type = `stream-incident-${h.id}`;
    const start = await setup(h, type);
    await start();
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'x', retryBackOff: 0 });
    const stream = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    await h.zb.updateJobRetries({ jobKey: job.key, retries: 1 });
    const incident = h.engine.records().find((r) => r.recordType === 'EVENT' && r.valueType === 'INCIDENT' && r.intent === 'CREATED')!;
    await h.zb.resolveIncident({ incidentKey: incident.key });
    await waitUntil(() => stream.jobs.length === 1, 3000, 'the job to be pushed');
    assert.equal(String(stream.jobs[0]!.key), job.key);
    stream.call.cancel();
  });

  engineTest('fetchVariable limits the variables of pushed jobs', async (h) => {
    const type = `stream-fetch-${h.id}`;
    const start = await setup(h, type);
    const stream = openStream(h, { type, fetchVariable: ['keep'] });
    await sleep(STREAM_SETTLE_MS);
    await start({ keep: 1, drop: 2 });
    await waitUntil(() => stream.jobs.length === 1, 3000, 'the job to be pushed');
    assert.deepEqual(JSON.parse(stream.jobs[0]!.variables), { keep: 1 });
    stream.call.cancel();
  });

  engineTest('once a stream is cancelled, new jobs go to polls again', async (h) => {
    const type = `stream-gone-${h.id}`;
    const start = await setup(h, type);
    const stream = openStream(h, { type });
    await sleep(STREAM_SETTLE_MS);
    stream.call.cancel();
    await sleep(STREAM_SETTLE_MS);
    await start();
    assert.equal((await activate(h.zb, type)).length, 1);
    assert.equal(stream.jobs.length, 0);
  });

  engineTest(
    'a blank type is rejected with 3 INVALID_ARGUMENT',
    async (h) => {
      const call = h.raw().client.StreamActivatedJobs(
        { type: '', worker: 'w', timeout: 1000 },
        { deadline: Date.now() + 1000 },
      ) as ClientReadableStream<Message>;
      const status = new Promise<never>((_resolve, reject) => call.on('error', reject));
      await rejectsWithCode(status, 3);
    },
  );

  engineTest("the SDK's streamJobs completes jobs created before (backfill poll) and after it opened", async (h) => {
    const type = `sdk-stream-${h.id}`;
    const start = await setup(h, type);
    const before = await start({ n: 1 });
    const handled: string[] = [];
    const worker = await h.zb.streamJobs({
      type,
      worker: 'sdk-stream-worker',
      timeout: 30_000,
      tenantIds: [],
      pollInterval: -1,
      taskHandler: (job) => {
        handled.push(job.processInstanceKey);
        return job.complete({ handled: true });
      },
    });
    try {
      await waitUntil(() => instanceCompleted(h.engine, before), 3000, 'the backfilled job to be completed');
      const after = await start({ n: 2 });
      await waitUntil(() => instanceCompleted(h.engine, after), 3000, 'the pushed job to be completed');
      assert.deepEqual(handled.sort(), [before, after].sort());
    } finally {
      worker.close();
    }
  });

});
