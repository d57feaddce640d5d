/**
 * Contract tests driven by `zeebe-node` 8.3 (`ZBClient`), the older TypeScript client that many users still
 * run, with its own bundled proto and its own worker loop (long polls, no job streams). Each test starts an
 * engine and a client, drives one scenario, asserts on what the client returned and on the engine's records,
 * checks the engine's integrity, and stops both whatever happens.
 *
 * zeebe-node 8.3 has no UpdateJobTimeout, no StreamActivatedJobs and no create-by-definition-key; those are
 * covered by the Java client and the SDK tests. Its `activateJobs` resolves on the first response message
 * only, so an empty answer (a stream ended without a message, as Zeebe sends it) never resolves: these tests
 * only poll where a job is due, under a wall-time guard.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { ZBClient } from 'zeebe-node';
import { startEngine } from '../../src/testing/index.ts';
import {
  bpmnXml,
  chain,
  endEvent,
  error,
  errorBoundaryEvent,
  exclusiveGateway,
  flow,
  message,
  messageCatchEvent,
  oneTaskProcess,
  parallelGateway,
  serviceTask,
  startEvent,
  timerCatchEvent,
} from '../helpers/bpmn.ts';
import { eventsOf, incidentsCreated, instanceCompleted, rejectsWithCode, waitUntil, type Engine } from '../helpers/engine-harness.ts';

interface ZeebeNodeHarness {
  engine: Engine;
  zbc: ZBClient;
  /** A short unique suffix for ids in this test. */
  id: string;
}

/** A test with its own engine and zeebe-node client (quiet, plaintext), both stopped afterwards. */
function zeebeNodeTest(name: string, fn: (h: ZeebeNodeHarness, t: TestContext) => Promise<void>, timeout = 20_000): void {
  test(name, { timeout }, async (t) => {
    const engine = await startEngine();
    const zbc = new ZBClient(engine.address, { loglevel: 'NONE', useTLS: false, eagerConnection: false });
    t.after(async () => {
      // A turn of the event loop before each close: cancelling HTTP/2 streams in the same tick as data arrives
      // on them can trip Node's nghttp2 memory assertion (nodejs/node#38964), which aborted this file once.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await zbc.close(2000).catch(() => undefined);
      await new Promise<void>((resolve) => setImmediate(resolve));
      await engine.stop();
    });
    await fn({ engine, zbc, id: randomUUID().slice(0, 8) }, t);
    assert.deepEqual(engine.checkIntegrity(), [], 'the engine state is consistent and rebuilt exactly by replaying its log');
  });
}

async function deploy(zbc: ZBClient, xml: string, name = 'process.bpmn') {
  const response = await zbc.deployResource({ name, process: Buffer.from(xml) });
  const process = response.deployments[0]?.process;
  assert.ok(process, `the deployment of ${name} holds a process: ${JSON.stringify(response)}`);
  return process;
}

/**
 * Activates one job of `type`. zeebe-node's `activateJobs` resolves on the first response message only, and a
 * gateway answers "no jobs" by ending the stream without one (as Zeebe does), so an empty poll would never
 * resolve: a wall-time guard turns that into a failure.
 */
async function activateOne(zbc: ZBClient, type: string, requestTimeout = 5000) {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no job of type ${type} within ${requestTimeout} ms`)), Math.max(requestTimeout, 0) + 3000);
  });
  try {
    const jobs = await Promise.race([
      zbc.activateJobs({ type, worker: 'zeebe-node', maxJobsToActivate: 1, timeout: 60_000, requestTimeout }),
      guard,
    ]);
    assert.equal(jobs.length, 1, `expected one job of type ${type}, got ${jobs.length}`);
    return jobs[0]!;
  } finally {
    clearTimeout(timer);
  }
}

describe('zeebe-node 8.3 (ZBClient)', () => {
  zeebeNodeTest('topology: one broker leading partition 1, gateway version 8.8.x', async ({ engine, zbc }) => {
    const topology = await zbc.topology();
    assert.equal(topology.clusterSize, 1);
    assert.equal(topology.partitionsCount, 1);
    assert.match(topology.gatewayVersion, /^8\.8\.\d+/);
    const broker = topology.brokers[0]!;
    assert.equal(`${broker.host}:${broker.port}`, engine.address);
    assert.deepEqual(
      broker.partitions.map((p) => [p.partitionId, String(p.role), String(p.health)]),
      [[1, 'LEADER', 'HEALTHY']],
    );
  });

  zeebeNodeTest('deployResource (one buffer) and deployProcess (several files): versions and keys', async ({ engine, zbc, id }) => {
    const xml = oneTaskProcess(`zn-deploy-${id}`, `zn-work-${id}`);
    const first = await deploy(zbc, xml, 'one.bpmn');
    assert.equal(first.bpmnProcessId, `zn-deploy-${id}`);
    assert.equal(first.version, 1);
    assert.equal(first.resourceName, 'one.bpmn');
    const again = await deploy(zbc, xml, 'one.bpmn');
    assert.equal(again.version, 1);
    assert.equal(String(again.processDefinitionKey), String(first.processDefinitionKey));

    const dir = mkdtempSync(join(tmpdir(), 'forager-zn-'));
    try {
      const a = join(dir, 'a.bpmn');
      const b = join(dir, 'b.bpmn');
      writeFileSync(a, oneTaskProcess(`zn-a-${id}`, `zn-a-${id}`));
      writeFileSync(b, oneTaskProcess(`zn-deploy-${id}`, `zn-changed-${id}`));
      const many = await zbc.deployProcess([a, b]);
      assert.deepEqual(
        many.processes.map((p) => [p.bpmnProcessId, p.version, p.resourceName]),
        [
          [`zn-a-${id}`, 1, 'a.bpmn'],
          [`zn-deploy-${id}`, 2, 'b.bpmn'],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(eventsOf(engine, 'PROCESS', 'CREATED').length, 3);
  });

  zeebeNodeTest('deploy broken XML → 3 INVALID_ARGUMENT with the engine\'s message naming the file; nothing deployed', async ({ engine, zbc, id }) => {
    const broken = `<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="zn-${id}" isExecutable="true">`;
    const e = await rejectsWithCode(zbc.deployResource({ name: 'broken.bpmn', process: Buffer.from(broken) }), 3, /broken\.bpmn/);
    assert.match(e.message, /rejected with code 'INVALID_ARGUMENT'/);
    assert.equal(eventsOf(engine, 'PROCESS', 'CREATED').length, 0);
    await rejectsWithCode(zbc.createProcessInstance({ bpmnProcessId: `zn-${id}`, variables: {} }), 5);
  });

  zeebeNodeTest('create instance: latest and by version; unknown process or version → 5 NOT_FOUND', async ({ engine, zbc, id }) => {
    const pid = `zn-create-${id}`;
    const v1 = await deploy(zbc, oneTaskProcess(pid, `zn-v1-${id}`), 'v1.bpmn');
    const v2 = await deploy(zbc, oneTaskProcess(pid, `zn-v2-${id}`), 'v2.bpmn');
    const latest = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { via: 'latest' } });
    assert.equal(latest.version, 2);
    assert.equal(String(latest.processDefinitionKey), String(v2.processDefinitionKey));
    assert.equal(latest.bpmnProcessId, pid);
    const byVersion = await zbc.createProcessInstance({ bpmnProcessId: pid, version: 1, variables: { via: 'version' } });
    assert.equal(byVersion.version, 1);
    assert.equal(String(byVersion.processDefinitionKey), String(v1.processDefinitionKey));
    await rejectsWithCode(zbc.createProcessInstance({ bpmnProcessId: `zn-nope-${id}`, variables: {} }), 5);
    await rejectsWithCode(zbc.createProcessInstance({ bpmnProcessId: pid, version: 9, variables: {} }), 5);
    const v1Job = await activateOne(zbc, `zn-v1-${id}`);
    assert.equal(String(v1Job.processInstanceKey), String(byVersion.processInstanceKey));
    assert.deepEqual({ ...v1Job.variables }, { via: 'version' });
    await zbc.completeJob({ jobKey: v1Job.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(byVersion.processInstanceKey)));
  });

  zeebeNodeTest('create instance with startInstructions: starts at the given element; an unknown element → 3 INVALID_ARGUMENT', async ({ engine, zbc, id }) => {
    const pid = `zn-start-at-${id}`;
    const xml = bpmnXml(pid, [
      startEvent(),
      serviceTask('first', `zn-first-${id}`),
      serviceTask('second', `zn-second-${id}`),
      endEvent(),
      ...chain('start', 'first', 'second', 'end'),
    ]);
    await deploy(zbc, xml);
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {}, startInstructions: [{ elementId: 'second' }] });
    const job = await activateOne(zbc, `zn-second-${id}`);
    assert.equal(String(job.processInstanceKey), String(created.processInstanceKey));
    assert.ok(!eventsOf(engine, 'JOB', 'CREATED').some((r) => r.value.type === `zn-first-${id}`), 'the first task never ran');
    await zbc.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
    await rejectsWithCode(zbc.createProcessInstance({ bpmnProcessId: pid, variables: {}, startInstructions: [{ elementId: 'nope' }] }), 3);
  });

  zeebeNodeTest('create instance with result and fetchVariables: answers when the instance completes', async ({ engine, zbc, id }) => {
    const pid = `zn-result-${id}`;
    await deploy(zbc, oneTaskProcess(pid, `zn-work-${id}`));
    const pending = zbc.createProcessInstanceWithResult({
      bpmnProcessId: pid,
      variables: { a: 1, b: 'two' },
      fetchVariables: ['a', 'done', 'missing'],
      requestTimeout: 15_000,
    });
    const job = await activateOne(zbc, `zn-work-${id}`);
    await zbc.completeJob({ jobKey: job.key, variables: { done: true } });
    const result = await pending;
    assert.equal(String(result.processInstanceKey), String(job.processInstanceKey));
    assert.equal(result.bpmnProcessId, pid);
    assert.deepEqual({ ...result.variables }, { a: 1, done: true });
    assert.ok(instanceCompleted(engine, String(result.processInstanceKey)));
  });

  zeebeNodeTest('activate jobs and complete with variables: the job as zeebe-node parses it', async ({ engine, zbc, id }) => {
    const pid = `zn-activate-${id}`;
    const type = `zn-work-${id}`;
    await deploy(zbc, oneTaskProcess(pid, type, { retries: 5, headers: { currency: 'EUR' } }));
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { orderId: 'N-1', total: 3.5 } });
    const job = await activateOne(zbc, type);
    assert.equal(job.type, type);
    assert.equal(String(job.processInstanceKey), String(created.processInstanceKey));
    assert.equal(job.bpmnProcessId, pid);
    assert.equal(job.elementId, 'task');
    assert.equal(job.worker, 'zeebe-node');
    assert.equal(job.retries, 5);
    assert.deepEqual({ ...job.customHeaders }, { currency: 'EUR' });
    assert.deepEqual({ ...job.variables }, { orderId: 'N-1', total: 3.5 });
    // zeebe-node 8.3's Job type predates tenants; the field is on the wire all the same.
    assert.equal((job as unknown as { tenantId?: string }).tenantId, '<default>');
    const batch = eventsOf(engine, 'JOB_BATCH', 'ACTIVATED').find((r) => (r.value.jobKeys as string[]).includes(String(job.key)));
    assert.equal(String(job.deadline), String(batch?.value.deadline));
    await zbc.completeJob({ jobKey: job.key, variables: { charged: true } });
    const completed = eventsOf(engine, 'JOB', 'COMPLETED').find((r) => r.key === String(job.key));
    assert.deepEqual(completed?.value.variables, { charged: true });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
    await rejectsWithCode(zbc.completeJob({ jobKey: job.key, variables: {} }), 5);
  });

  zeebeNodeTest('a ZBWorker (long polling) completes 40 jobs, each once', async ({ engine, zbc, id }) => {
    const pid = `zn-worker-${id}`;
    const type = `zn-work-${id}`;
    await deploy(zbc, oneTaskProcess(pid, type));
    const seen = new Map<string, number>();
    const worker = zbc.createWorker({
      taskType: type,
      maxJobsToActivate: 8,
      loglevel: 'NONE',
      taskHandler: (job) => {
        seen.set(String(job.key), (seen.get(String(job.key)) ?? 0) + 1);
        return job.complete({ handled: true });
      },
    });
    try {
      const instances: string[] = [];
      for (let i = 0; i < 40; i++) instances.push(String((await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { i } })).processInstanceKey));
      await waitUntil(() => instances.every((k) => instanceCompleted(engine, k)), 15_000, 'all 40 instances to complete');
      assert.equal(seen.size, 40);
      assert.ok([...seen.values()].every((n) => n === 1), 'no job handled twice');
      assert.equal(eventsOf(engine, 'JOB', 'COMPLETED').filter((r) => r.value.type === type).length, 40);
    } finally {
      await worker.close(2000);
    }
  });

  zeebeNodeTest('fail job with retries and a backoff: invisible until the engine clock passes the backoff', async ({ engine, zbc, id }) => {
    const pid = `zn-backoff-${id}`;
    const type = `zn-work-${id}`;
    await deploy(zbc, oneTaskProcess(pid, type, { retries: 3 }));
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
    const job = await activateOne(zbc, type);
    await zbc.failJob({ jobKey: job.key, retries: job.retries - 1, errorMessage: 'try later', retryBackOff: 60_000 });
    const failed = eventsOf(engine, 'JOB', 'FAILED').find((r) => r.key === String(job.key));
    assert.equal(failed?.value.retries, 2);
    assert.equal(failed?.value.retryBackOff, 60_000);
    assert.equal(failed?.value.errorMessage, 'try later');
    await engine.advanceClock(59_000);
    // A long poll waits while the job sits out its backoff, and gets it once the clock passes the backoff.
    let answered = false;
    const polled = activateOne(zbc, type, 10_000).finally(() => {
      answered = true;
    });
    await engine.advanceClock(0);
    assert.equal(answered, false, 'no job during the backoff');
    assert.ok(!eventsOf(engine, 'JOB', 'RECURRED_AFTER_BACKOFF').some((r) => r.key === String(job.key)));
    await engine.advanceClock(2_000);
    const again = await polled;
    const recurred = eventsOf(engine, 'JOB', 'RECURRED_AFTER_BACKOFF').find((r) => r.key === String(job.key));
    assert.ok(recurred, 'the job recurred after its backoff');
    const activations = eventsOf(engine, 'JOB_BATCH', 'ACTIVATED').filter((r) => (r.value.jobKeys as string[]).includes(String(job.key)));
    assert.equal(activations.length, 2);
    assert.ok(activations[1]!.position > recurred.position, 'activated again only after the backoff');
    assert.equal(String(again.key), String(job.key));
    assert.equal(again.retries, 2);
    await zbc.completeJob({ jobKey: again.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
  });

  zeebeNodeTest('retries to 0 → incident; update retries + resolve incident → the job is back and the instance completes', async ({ engine, zbc, id }) => {
    const pid = `zn-incident-${id}`;
    const type = `zn-work-${id}`;
    await deploy(zbc, oneTaskProcess(pid, type));
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
    const job = await activateOne(zbc, type);
    await zbc.failJob({ jobKey: job.key, retries: 0, errorMessage: 'card declined', retryBackOff: 0 });
    const incident = incidentsCreated(engine, String(created.processInstanceKey))[0];
    assert.equal(incident?.value.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident?.value.errorMessage, 'card declined');
    await rejectsWithCode(zbc.completeJob({ jobKey: job.key, variables: {} }), 9);
    await rejectsWithCode(zbc.resolveIncident({ incidentKey: incident!.key }), 9);
    await rejectsWithCode(zbc.updateJobRetries({ jobKey: job.key, retries: 0 }), 3);
    await zbc.updateJobRetries({ jobKey: job.key, retries: 2 });
    await zbc.resolveIncident({ incidentKey: incident!.key });
    await rejectsWithCode(zbc.resolveIncident({ incidentKey: incident!.key }), 5);
    const again = await activateOne(zbc, type);
    assert.equal(String(again.key), String(job.key));
    assert.equal(again.retries, 2);
    await zbc.completeJob({ jobKey: again.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
  });

  zeebeNodeTest('throw error caught by an error boundary: the handler path runs; an uncaught code raises an incident', async ({ engine, zbc, id }) => {
    const pid = `zn-error-${id}`;
    const type = `zn-work-${id}`;
    const xml = bpmnXml(
      pid,
      [
        startEvent(),
        serviceTask('task', type),
        errorBoundaryEvent('caught', 'task', 'err'),
        serviceTask('handle', `zn-handle-${id}`),
        endEvent('handled'),
        endEvent(),
        ...chain('start', 'task', 'end'),
        ...chain('caught', 'handle', 'handled'),
      ],
      { roots: [error('err', 'PAYMENT_FAILED')] },
    );
    await deploy(zbc, xml);
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { orderId: 'E-1' } });
    const job = await activateOne(zbc, type);
    await zbc.throwError({ jobKey: job.key, errorCode: 'PAYMENT_FAILED', errorMessage: 'card declined' });
    await rejectsWithCode(zbc.completeJob({ jobKey: job.key, variables: {} }), 5);
    const handler = await activateOne(zbc, `zn-handle-${id}`);
    assert.equal(String(handler.processInstanceKey), String(created.processInstanceKey));
    await zbc.completeJob({ jobKey: handler.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));

    const lost = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
    const other = await activateOne(zbc, type);
    await zbc.throwError({ jobKey: other.key, errorCode: 'NOBODY_CATCHES', errorMessage: 'lost' });
    const incident = incidentsCreated(engine, String(lost.processInstanceKey))[0];
    assert.equal(incident?.value.errorType, 'UNHANDLED_ERROR_EVENT');
    await zbc.cancelProcessInstance(lost.processInstanceKey);
  });

  zeebeNodeTest('set variables: local stays on the task, not local goes to the root; unknown scope → 5 NOT_FOUND', async ({ engine, zbc, id }) => {
    const pid = `zn-vars-${id}`;
    const xml = bpmnXml(pid, [
      startEvent(),
      serviceTask('first', `zn-first-${id}`),
      serviceTask('second', `zn-second-${id}`),
      endEvent(),
      ...chain('start', 'first', 'second', 'end'),
    ]);
    await deploy(zbc, xml);
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { shared: 'root' } });
    const first = await activateOne(zbc, `zn-first-${id}`);
    await zbc.setVariables({ elementInstanceKey: first.elementInstanceKey, variables: { onlyHere: 1, shared: 'task' }, local: true });
    await zbc.setVariables({ elementInstanceKey: first.elementInstanceKey, variables: { everywhere: 2 }, local: false });
    await rejectsWithCode(zbc.setVariables({ elementInstanceKey: '42', variables: { a: 1 }, local: false }), 5);
    await zbc.completeJob({ jobKey: first.key, variables: {} });
    const second = await activateOne(zbc, `zn-second-${id}`);
    assert.deepEqual({ ...second.variables }, { shared: 'root', everywhere: 2 });
    const scopes = (name: string) =>
      eventsOf(engine, 'VARIABLE', 'CREATED')
        .filter((r) => r.value.name === name)
        .map((r) => String(r.value.scopeKey));
    assert.deepEqual(scopes('onlyHere'), [String(first.elementInstanceKey)]);
    assert.deepEqual(scopes('everywhere'), [String(created.processInstanceKey)]);
    await zbc.completeJob({ jobKey: second.key, variables: {} });
  });

  zeebeNodeTest('publish message with TTL correlates to a waiting instance; a duplicate messageId → 6 ALREADY_EXISTS', async ({ engine, zbc, id }) => {
    const pid = `zn-message-${id}`;
    const name = `zn-paid-${id}`;
    const xml = bpmnXml(
      pid,
      [startEvent(), messageCatchEvent('wait', 'msg'), serviceTask('ship', `zn-ship-${id}`), endEvent(), ...chain('start', 'wait', 'ship', 'end')],
      { roots: [message('msg', name, '=orderId')] },
    );
    await deploy(zbc, xml);
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { orderId: 'M-1' } });
    const published = await zbc.publishMessage({
      name,
      correlationKey: 'M-1',
      messageId: 'pay-M-1',
      timeToLive: 600_000,
      variables: { amount: 30 },
    });
    assert.match(String(published.key), /^\d+$/);
    await rejectsWithCode(zbc.publishMessage({ name, correlationKey: 'M-1', messageId: 'pay-M-1', timeToLive: 600_000, variables: {} }), 6);
    const ship = await activateOne(zbc, `zn-ship-${id}`);
    assert.equal(String(ship.processInstanceKey), String(created.processInstanceKey));
    assert.deepEqual({ ...ship.variables }, { orderId: 'M-1', amount: 30 });
    const record = eventsOf(engine, 'MESSAGE', 'PUBLISHED').find((r) => r.key === String(published.key));
    assert.equal(record?.value.timeToLive, 600_000);
    await zbc.completeJob({ jobKey: ship.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
  });

  zeebeNodeTest('broadcast signal: a key and a SIGNAL BROADCASTED record', async ({ engine, zbc, id }) => {
    const response = await zbc.broadcastSignal({ signalName: `zn-alarm-${id}`, variables: { level: 3 } });
    const record = eventsOf(engine, 'SIGNAL', 'BROADCASTED').find((r) => r.key === String(response.key));
    assert.equal(record?.value.signalName, `zn-alarm-${id}`);
    assert.deepEqual(record?.value.variables, { level: 3 });
  });

  zeebeNodeTest('cancel instance: terminated, its job gone (5 NOT_FOUND); cancelling again → 5 NOT_FOUND', async ({ engine, zbc, id }) => {
    const pid = `zn-cancel-${id}`;
    await deploy(zbc, oneTaskProcess(pid, `zn-work-${id}`));
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
    const job = await activateOne(zbc, `zn-work-${id}`);
    await zbc.cancelProcessInstance(created.processInstanceKey);
    assert.ok(eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === String(created.processInstanceKey)));
    await rejectsWithCode(zbc.cancelProcessInstance(created.processInstanceKey), 5);
    await rejectsWithCode(zbc.completeJob({ jobKey: job.key, variables: {} }), 5);
  });

  zeebeNodeTest('NOT_FOUND for unknown jobs, instances and incidents', async ({ zbc }) => {
    const unknown = String(2251799813685249n + 999_999n);
    await rejectsWithCode(zbc.completeJob({ jobKey: unknown, variables: {} }), 5, /rejected with code 'NOT_FOUND'/);
    await rejectsWithCode(zbc.failJob({ jobKey: unknown, retries: 1, errorMessage: 'x', retryBackOff: 0 }), 5);
    await rejectsWithCode(zbc.throwError({ jobKey: unknown, errorCode: 'E', errorMessage: 'x' }), 5);
    await rejectsWithCode(zbc.updateJobRetries({ jobKey: unknown, retries: 3 }), 5);
    await rejectsWithCode(zbc.cancelProcessInstance(unknown), 5);
    await rejectsWithCode(zbc.resolveIncident({ incidentKey: unknown }), 5);
  });

  zeebeNodeTest('exclusive and parallel gateways: each path as a zeebe-node worker would drive it', async ({ engine, zbc, id }) => {
    const pid = `zn-gateways-${id}`;
    const xml = bpmnXml(pid, [
      startEvent(),
      exclusiveGateway('amount', 'small'),
      serviceTask('review', `zn-review-${id}`),
      parallelGateway('fork'),
      serviceTask('left', `zn-left-${id}`),
      serviceTask('right', `zn-right-${id}`),
      parallelGateway('join'),
      endEvent('bigEnd'),
      endEvent('smallEnd'),
      flow('f0', 'start', 'amount'),
      flow('big', 'amount', 'review', '=total > 100'),
      flow('small', 'amount', 'smallEnd'),
      ...chain('review', 'fork'),
      flow('fl', 'fork', 'left'),
      flow('fr', 'fork', 'right'),
      flow('jl', 'left', 'join'),
      flow('jr', 'right', 'join'),
      ...chain('join', 'bigEnd'),
    ]);
    await deploy(zbc, xml);
    const small = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { total: 5 } });
    assert.ok(instanceCompleted(engine, String(small.processInstanceKey)));
    const big = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { total: 500 } });
    await zbc.completeJob({ jobKey: (await activateOne(zbc, `zn-review-${id}`)).key, variables: {} });
    await zbc.completeJob({ jobKey: (await activateOne(zbc, `zn-left-${id}`)).key, variables: {} });
    assert.ok(!instanceCompleted(engine, String(big.processInstanceKey)), 'the join waits for both branches');
    await zbc.completeJob({ jobKey: (await activateOne(zbc, `zn-right-${id}`)).key, variables: {} });
    assert.ok(instanceCompleted(engine, String(big.processInstanceKey)));
  });
  zeebeNodeTest('worker outcomes: a throwing handler fails with retries - 1, job.fail and job.error, as zeebe-node sends them', async ({ engine, zbc, id }) => {
    const pid = `zn-outcomes-${id}`;
    const type = `zn-work-${id}`;
    const xml = bpmnXml(
      pid,
      [
        startEvent(),
        serviceTask('task', type, { retries: 3 }),
        errorBoundaryEvent('caught', 'task', 'err'),
        endEvent('handled'),
        endEvent(),
        ...chain('start', 'task', 'end'),
        ...chain('caught', 'handled'),
      ],
      { roots: [error('err', 'OUT_OF_STOCK')] },
    );
    await deploy(zbc, xml);
    const attempts: number[] = [];
    const worker = zbc.createWorker({
      taskType: type,
      loglevel: 'NONE',
      taskHandler: (job) => {
        attempts.push(job.retries);
        if (job.retries === 3) throw new Error('first attempt fails');
        if (job.retries === 2) return job.fail('second attempt fails');
        return job.error('OUT_OF_STOCK', 'nothing left');
      },
    });
    try {
      const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
      const key = String(created.processInstanceKey);
      await waitUntil(() => instanceCompleted(engine, key), 10_000, 'the instance to end through the error boundary');
      assert.deepEqual(attempts, [3, 2, 1]);
      const failed = eventsOf(engine, 'JOB', 'FAILED').filter((r) => r.value.type === type);
      assert.deepEqual(failed.map((r) => r.value.retries), [2, 1]);
      assert.match(String(failed[0]!.value.errorMessage), /Unhandled exception in task handler Error: first attempt fails/);
      assert.equal(failed[1]!.value.errorMessage, 'second attempt fails');
      const thrown = eventsOf(engine, 'JOB', 'ERROR_THROWN').find((r) => r.value.type === type);
      assert.equal(thrown?.value.errorCode, 'OUT_OF_STOCK');
      assert.ok(
        eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED').some((r) => String(r.value.processInstanceKey) === key && r.value.elementId === 'handled'),
      );
    } finally {
      await worker.close(2000);
    }
  });

  zeebeNodeTest('a timer catch event: no job until the engine clock passes the timer', async ({ engine, zbc, id }) => {
    const pid = `zn-timer-${id}`;
    const type = `zn-after-${id}`;
    await deploy(zbc, bpmnXml(pid, [startEvent(), timerCatchEvent('wait', 'PT10M'), serviceTask('task', type), endEvent(), ...chain('start', 'wait', 'task', 'end')]));
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: {} });
    await engine.advanceClock(9 * 60_000);
    assert.ok(!eventsOf(engine, 'JOB', 'CREATED').some((r) => r.value.type === type), 'no job before the timer is due');
    await engine.advanceClock(61_000);
    const job = await activateOne(zbc, type);
    assert.equal(String(job.processInstanceKey), String(created.processInstanceKey));
    await zbc.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
  });

  zeebeNodeTest('a signal catch event released by broadcastSignal, with the signal\'s variables', async ({ engine, zbc, id }) => {
    const pid = `zn-signal-${id}`;
    const name = `zn-go-${id}`;
    const xml = bpmnXml(
      pid,
      [
        startEvent(),
        `<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition id="wait_def" signalRef="sig" /></bpmn:intermediateCatchEvent>`,
        serviceTask('task', `zn-after-${id}`),
        endEvent(),
        ...chain('start', 'wait', 'task', 'end'),
      ],
      { roots: [`<bpmn:signal id="sig" name="${name}" />`] },
    );
    await deploy(zbc, xml);
    const created = await zbc.createProcessInstance({ bpmnProcessId: pid, variables: { n: 1 } });
    await zbc.broadcastSignal({ signalName: name, variables: { go: true } });
    const job = await activateOne(zbc, `zn-after-${id}`);
    assert.equal(String(job.processInstanceKey), String(created.processInstanceKey));
    assert.deepEqual({ ...job.variables }, { n: 1, go: true });
    await zbc.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(created.processInstanceKey)));
  });

  zeebeNodeTest('embedded subprocess, call activity and parallel multi-instance, worked by a ZBWorker', async ({ engine, zbc, id }) => {
    const child = `zn-child-${id}`;
    const pid = `zn-parent-${id}`;
    const type = `zn-work-${id}`;
    await deploy(zbc, oneTaskProcess(child, `zn-child-work-${id}`), 'child.bpmn');
    const xml = bpmnXml(pid, [
      startEvent(),
      `<bpmn:subProcess id="sub"><bpmn:startEvent id="subStart" />${serviceTask('inner', type)}<bpmn:endEvent id="subEnd" />` +
        `<bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="inner" /><bpmn:sequenceFlow id="s2" sourceRef="inner" targetRef="subEnd" /></bpmn:subProcess>`,
      `<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="${child}" /></bpmn:extensionElements></bpmn:callActivity>`,
      `<bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>` +
        `<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=doubled" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`,
      endEvent(),
      ...chain('start', 'sub', 'call', 'each', 'end'),
    ]);
    await deploy(zbc, xml, 'parent.bpmn');
    const handled: string[] = [];
    const worker = zbc.createWorker({
      taskType: type,
      loglevel: 'NONE',
      taskHandler: (job) => {
        handled.push(job.elementId);
        const item = (job.variables as { item?: number }).item;
        return job.complete(item === undefined ? {} : { doubled: item * 2 });
      },
    });
    const childWorker = zbc.createWorker({
      taskType: `zn-child-work-${id}`,
      loglevel: 'NONE',
      taskHandler: (job) => job.complete({ fromChild: job.bpmnProcessId }),
    });
    try {
      const result = await zbc.createProcessInstanceWithResult({ bpmnProcessId: pid, variables: { items: [1, 2, 3] }, requestTimeout: 15_000 });
      assert.deepEqual(handled.slice().sort(), ['each', 'each', 'each', 'inner']);
      assert.deepEqual({ ...result.variables }, { items: [1, 2, 3], fromChild: child, results: [2, 4, 6] });
      assert.ok(instanceCompleted(engine, String(result.processInstanceKey)));
    } finally {
      await worker.close(2000);
      await childWorker.close(2000);
    }
  });

  zeebeNodeTest('a message start event: publishStartMessage creates an instance with the message\'s variables', async ({ engine, zbc, id }) => {
    const pid = `zn-start-${id}`;
    const name = `zn-order-placed-${id}`;
    const xml = bpmnXml(
      pid,
      [
        `<bpmn:startEvent id="start"><bpmn:messageEventDefinition id="start_def" messageRef="msg" /></bpmn:startEvent>`,
        serviceTask('task', `zn-work-${id}`),
        endEvent(),
        ...chain('start', 'task', 'end'),
      ],
      { roots: [message('msg', name)] },
    );
    await deploy(zbc, xml);
    await zbc.publishStartMessage({ name, variables: { orderId: 'S-1' }, timeToLive: 0 });
    const job = await activateOne(zbc, `zn-work-${id}`);
    assert.equal(job.bpmnProcessId, pid);
    assert.deepEqual({ ...job.variables }, { orderId: 'S-1' });
    await zbc.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(engine, String(job.processInstanceKey)));
  });

  zeebeNodeTest('evaluateDecision: a decision table deployed with deployResource answers over gRPC; unknown id → 5 NOT_FOUND', async ({ zbc, id }) => {
    const decisionId = `zn-discount-${id}`;
    const dmn = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="zn-discounts-${id}" name="Discounts" namespace="http://forager.test/zn">
  <decision id="${decisionId}" name="Discount">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in" label="Total"><inputExpression id="in-expr" typeRef="number"><text>total</text></inputExpression></input>
      <output id="out" name="discount" typeRef="number" />
      <rule id="big"><inputEntry id="big-in"><text>&gt;= 100</text></inputEntry><outputEntry id="big-out"><text>10</text></outputEntry></rule>
      <rule id="small"><inputEntry id="small-in"><text>-</text></inputEntry><outputEntry id="small-out"><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
`;
    const deployed = await zbc.deployResource({ name: 'discounts.dmn', decision: Buffer.from(dmn) });
    assert.equal(deployed.deployments.length, 2, 'decision requirements, then the decision');
    const evaluated = await zbc.evaluateDecision({ decisionId, variables: { total: 150 } });
    assert.equal(evaluated.decisionId, decisionId);
    assert.equal(evaluated.decisionOutput, '10');
    await rejectsWithCode(zbc.evaluateDecision({ decisionId: `zn-nope-${id}`, variables: {} }), 5);
  });
});
