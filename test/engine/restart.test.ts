/**
 * Stopping and starting the gRPC gateway on the same port while the engine keeps its state
 * (`engine.stopGateway()` / `engine.startGateway()`): what clients see while it is down (streams end with
 * 14 UNAVAILABLE, long polls end empty, new calls get 14 UNAVAILABLE), what survives (deployments,
 * instances, jobs), what happens to jobs pushed on a cut stream (delivered ones keep their deadline and time
 * out as usual, undelivered ones are yielded back), and that the SDK client reconnects by itself.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { oneTaskProcess } from '../helpers/bpmn.ts';
import {
  activate,
  deploy,
  engineTest,
  eventsOf,
  instanceCompleted,
  rejectsWithCode,
  sleep,
  waitUntil,
  type Harness,
} from '../helpers/engine-harness.ts';
import { RawGateway, type GrpcStatusError, type Message } from '../helpers/raw-gateway.ts';

/** Time for a freshly opened stream's request to reach the engine and be registered. */
const STREAM_SETTLE_MS = 200;

interface OpenStream {
  call: ClientReadableStream<Message>;
  jobs: Message[];
  errors: GrpcStatusError[];
  ended: Promise<void>;
}

function openStream(raw: RawGateway, request: Record<string, unknown>): OpenStream {
  const call = raw.open('StreamActivatedJobs', { worker: 'stream-worker', timeout: 60_000, ...request });
  const stream: OpenStream = { call, jobs: [], errors: [], ended: Promise.resolve() };
  stream.ended = new Promise<void>((resolve) => {
    call.on('data', (job: Message) => stream.jobs.push(job));
    call.on('error', (e: GrpcStatusError) => {
      stream.errors.push(e);
      resolve();
    });
    call.on('end', () => resolve());
  });
  return stream;
}

/**
 * Topology, waiting for the channel to connect (grpc-js shares one subchannel per address between clients,
 * so a client made after the restart can find it still backing off from a refused connection).
 */
async function topologyWhenReady(raw: RawGateway, deadlineMs = 5000): Promise<Message> {
  await new Promise<void>((resolve, reject) =>
    raw.client.waitForReady(Date.now() + deadlineMs, (error?: Error) => (error ? reject(error) : resolve())),
  );
  return raw.unary('Topology', {});
}

/** A raw client of its own, closed after the test. */
function newRaw(h: Harness, t: { after(fn: () => void): void }): RawGateway {
  const raw = new RawGateway(h.engine.address);
  t.after(() => raw.close());
  return raw;
}

/** The job's latest event: 'ACTIVATED' for an activation (a JOB_BATCH event naming it), else the JOB intent. */
function jobState(h: Harness, key: string): string | undefined {
  const last = h.engine
    .records()
    .filter(
      (r) =>
        r.recordType === 'EVENT' &&
        ((r.valueType === 'JOB' && r.key === key) || (r.valueType === 'JOB_BATCH' && (r.value.jobKeys as string[]).includes(key))),
    )
    .at(-1);
  return last && (last.valueType === 'JOB_BATCH' ? 'ACTIVATED' : last.intent);
}

/** Keys of the jobs activated by pushes to streams of worker 'stream-worker'. */
function pushedJobKeys(h: Harness): Set<string> {
  return new Set(
    eventsOf(h.engine, 'JOB_BATCH', 'ACTIVATED')
      .filter((r) => r.value.worker === 'stream-worker')
      .flatMap((r) => r.value.jobKeys as string[]),
  );
}

describe('stopGateway / startGateway', () => {
  engineTest(
    'the gateway restarts on the same port with the state kept; streams end, calls fail with 14 meanwhile, the SDK reconnects',
    async (h, t) => {
      const type = `restart-${h.id}`;
      const processId = `p-${type}`;
      await deploy(h.zb, oneTaskProcess(processId, type));
      const before: string[] = [];
      for (let i = 0; i < 3; i++) {
        before.push((await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { i } })).processInstanceKey);
      }
      const raw = newRaw(h, t);
      const stream = openStream(raw, { type, timeout: 10_000 });
      await sleep(STREAM_SETTLE_MS);
      // A job pushed to the stream before the restart: activated with the stream's 10 s timeout.
      const pushedInstance = (await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { pushed: true } }))
        .processInstanceKey;
      await waitUntil(() => stream.jobs.length === 1, 3000, 'the new job to be pushed');
      const pushed = stream.jobs[0]!;
      assert.equal(pushed.processInstanceKey, pushedInstance);
      // A long poll of another type, parked when the gateway stops.
      const poll = raw.collect('ActivateJobs', { type: `idle-${h.id}`, worker: 'w', timeout: 1000, maxJobsToActivate: 1, requestTimeout: 30_000 });
      await sleep(STREAM_SETTLE_MS);
      const port = h.engine.port;

      const stopping = Date.now();
      await h.engine.stopGateway();
      t.diagnostic(`stopGateway took ${Date.now() - stopping} ms`);
      assert.equal(h.engine.gatewayRunning, false);
      await stream.ended;
      assert.equal(stream.errors.length, 1, 'the stream ended with an error status');
      assert.equal(stream.errors[0]!.code, 14, stream.errors[0]!.message);
      assert.deepEqual(await poll, [], 'a parked long poll ends empty');
      // Refused while down: a new client (and the old one) get 14 UNAVAILABLE.
      const fresh = newRaw(h, t);
      await rejectsWithCode(fresh.unary('Topology', {}, 3000), 14);
      await rejectsWithCode(raw.unary('CreateProcessInstance', { bpmnProcessId: processId, version: -1 }, 3000), 14);
      // The job that reached the client keeps its activation.
      assert.equal(jobState(h, pushed.key), 'ACTIVATED');
      await h.engine.stopGateway(); // a second stop does nothing
      // The SDK client from before the restart, called while the gateway is down: it retries 14 by itself.
      const creationsBefore = eventsOf(h.engine, 'PROCESS_INSTANCE_CREATION', 'CREATED').length;
      const duringOutage = h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { during: true } });
      await sleep(1000);
      assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE_CREATION', 'CREATED').length, creationsBefore, 'nothing reached the engine');

      await h.engine.startGateway();
      const restarted = Date.now();
      assert.equal(h.engine.gatewayRunning, true);
      assert.equal(h.engine.port, port);
      await h.engine.startGateway(); // a second start does nothing
      let timer: NodeJS.Timeout | undefined;
      const created = await Promise.race([
        duringOutage,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the SDK client did not reconnect within 10 s')), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      t.diagnostic(`the SDK client's createProcessInstance, sent during the outage, succeeded ${Date.now() - restarted} ms after the restart`);
      const createdAfter = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { after: true } });
      assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE_CREATION', 'CREATED').length, creationsBefore + 2, 'each create made one instance');

      const after = newRaw(h, t);
      const topology = await topologyWhenReady(after);
      assert.equal(topology.brokers[0].port, port, 'the same port answers Topology');

      // The instances from before are still there: their jobs can be activated and completed.
      const jobs = await after.collect('ActivateJobs', { type, worker: 'after', timeout: 60_000, maxJobsToActivate: 10, requestTimeout: -1 });
      const activated = jobs.flatMap((m) => m.jobs as Message[]);
      assert.deepEqual(
        new Set(activated.map((j) => j.processInstanceKey)),
        new Set([...before, created.processInstanceKey, createdAfter.processInstanceKey]),
        'the jobs of the instances from before the restart (and the new ones), not the pushed job',
      );
      for (const j of activated) await after.unary('CompleteJob', { jobKey: j.key, variables: '{}' });
      for (const key of [...before, created.processInstanceKey, createdAfter.processInstanceKey]) assert.ok(instanceCompleted(h.engine, key), `instance ${key} completed`);

      // The pushed job times out at its deadline as usual, and can then be worked.
      await h.engine.advanceClock(11_000);
      await waitUntil(() => jobState(h, pushed.key) === 'TIMED_OUT', 3000, 'the pushed job to time out');
      const [again] = await activate(h.zb, type);
      assert.equal(again?.key, pushed.key);
      await h.zb.completeJob({ jobKey: again!.key, variables: {} });
      assert.ok(instanceCompleted(h.engine, pushedInstance));
    },
    { timeout: 30_000 },
  );

  engineTest('jobs pushed on a cut stream that never reached the connection are yielded back; delivered ones time out', async (h, t) => {
    const type = `restart-cut-${h.id}`;
    const processId = `p-${type}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const raw = newRaw(h, t);
    const stream = openStream(raw, { type, timeout: 10_000 });
    stream.call.pause(); // the client stops reading: its flow-control window fills up
    await sleep(STREAM_SETTLE_MS);
    // More than the client buffers (16 messages + a 64 KB window) and the server's write buffer (16) hold.
    const big = 'x'.repeat(20_000);
    const instances: string[] = [];
    for (let i = 0; i < 50; i++) {
      instances.push((await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { i, big } })).processInstanceKey);
    }
    const jobKeys = eventsOf(h.engine, 'JOB', 'CREATED').map((r) => r.key);
    assert.equal(jobKeys.length, 50);
    await waitUntil(() => pushedJobKeys(h).size > 0, 3000, 'jobs to be pushed');
    await sleep(100);
    const pushedKeys = pushedJobKeys(h);

    await h.engine.stopGateway(); // the stream cannot drain: it is cut after the grace
    const yielded = new Set(eventsOf(h.engine, 'JOB', 'YIELDED').map((r) => r.key));
    t.diagnostic(`${pushedKeys.size} jobs pushed, ${yielded.size} yielded back when the stream was cut`);
    assert.ok(yielded.size > 0, 'some pushed jobs had not reached the connection and were yielded back');
    for (const key of yielded) assert.ok(pushedKeys.has(key));
    const stillActivated = [...pushedKeys].filter((key) => !yielded.has(key));
    for (const key of stillActivated) assert.equal(jobState(h, key), 'ACTIVATED', `job ${key} keeps its activation`);

    await h.engine.startGateway();
    // The delivered jobs time out at their deadline; then every job is activatable again.
    await h.engine.advanceClock(11_000);
    await waitUntil(() => stillActivated.every((key) => jobState(h, key) === 'TIMED_OUT'), 3000, 'the delivered jobs to time out');
    const after = newRaw(h, t);
    const messages = await after.collect('ActivateJobs', { type, worker: 'after', timeout: 60_000, maxJobsToActivate: 100, requestTimeout: -1 });
    const activated = messages.flatMap((m) => m.jobs as Message[]);
    assert.deepEqual(new Set(activated.map((j) => j.key)), new Set(jobKeys));
    for (const j of activated) await after.unary('CompleteJob', { jobKey: j.key, variables: '{}' });
    for (const key of instances) assert.ok(instanceCompleted(h.engine, key));
  }, { timeout: 30_000 });

  engineTest('awaited results end with 14 UNAVAILABLE; the engine stops cleanly while the gateway is down', async (h, t) => {
    const type = `restart-await-${h.id}`;
    const processId = `p-${type}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const raw = newRaw(h, t);
    const awaiting = rejectsWithCode(raw.unary('CreateProcessInstanceWithResult', { request: { bpmnProcessId: processId, version: -1 }, requestTimeout: 20_000 }), 14);
    await waitUntil(() => eventsOf(h.engine, 'JOB', 'CREATED').length === 1, 3000, 'the instance to be created');
    await h.engine.stopGateway();
    await awaiting;
    // The instance keeps running.
    const [created] = eventsOf(h.engine, 'JOB', 'CREATED');
    assert.equal(jobState(h, created!.key), 'CREATED');
    await h.engine.startGateway();
    const [j] = await activate(h.zb, type);
    await h.zb.completeJob({ jobKey: j!.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, String(created!.value.processInstanceKey)));
    await h.engine.stopGateway();
    await h.engine.stop();
    await assert.rejects(h.engine.startGateway(), /stopped/);
  });
});
