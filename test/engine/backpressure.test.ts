/**
 * Contract tests of backpressure (zeebe-semantics.md §10, B1–B3; A5): with a limit on commands in flight,
 * limited commands get 8 RESOURCE_EXHAUSTED with the broker's text; CompleteJob, FailJob,
 * CancelProcessInstance and DeployResource always pass; Topology and StreamActivatedJobs are not commands;
 * ActivateJobs gets 8 only when it could not activate a job.
 *
 * Limited commands go through the bare grpc-js client: the SDK retries 8 forever (B3), so a refused call
 * through it would never settle. The commands that must pass go through the SDK, as users send them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyProcess, oneTaskProcess } from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  deploy,
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  rejectsWithCode,
  waitUntil,
  type Harness,
} from '../helpers/engine-harness.ts';
import { RawGateway, type GrpcStatusError } from '../helpers/raw-gateway.ts';
import { startEngine } from '../../src/testing/index.ts';

const OVERLOADED = /^8 RESOURCE_EXHAUSTED: Reached maximum capacity of requests handled$/;

/** Deploys start → task(type) → end and starts `count` instances through the SDK. */
async function instances(h: Harness, type: string, count: number): Promise<string[]> {
  await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    keys.push((await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { i } })).processInstanceKey);
  }
  return keys;
}

/** Commands of `valueType`/`intent` the engine has seen (refused requests never become commands). */
function commandsOf(h: Harness, valueType: string, intent: string) {
  return h.engine.records().filter((r) => r.recordType === 'COMMAND' && r.valueType === valueType && r.intent === intent);
}

describe('backpressure', () => {
  engineTest('setBackpressure(0): every limited command gets 8 RESOURCE_EXHAUSTED and never reaches the engine', async (h) => {
    const type = `bp-limited-${h.id}`;
    const [pik] = await instances(h, type, 2);
    const [job, failing] = await activate(h.zb, type, { max: 2 });
    assert.ok(job && failing, 'two jobs activated');
    await h.zb.failJob({ jobKey: failing.key, errorMessage: 'boom', retries: 0, retryBackOff: 0 });
    const [incident] = incidentsCreated(h.engine);
    assert.ok(incident, 'an incident to resolve');
    const raw = h.raw();
    const positionBefore = h.engine.records().length;

    h.engine.setBackpressure(0);
    const refused: [string, Record<string, unknown>][] = [
      ['CreateProcessInstance', { bpmnProcessId: `p-${type}`, version: -1, variables: '{}' }],
      ['CreateProcessInstanceWithResult', { request: { bpmnProcessId: `p-${type}`, version: -1 }, requestTimeout: 1000 }],
      ['PublishMessage', { name: 'm', correlationKey: 'k', timeToLive: 1000, variables: '{}' }],
      ['BroadcastSignal', { signalName: 's', variables: '{}' }],
      ['SetVariables', { elementInstanceKey: pik, variables: '{"x":1}', local: false }],
      ['ResolveIncident', { incidentKey: incident.key }],
      ['ThrowError', { jobKey: job.key, errorCode: 'E', errorMessage: 'e' }],
      ['UpdateJobRetries', { jobKey: job.key, retries: 5 }],
      ['UpdateJobTimeout', { jobKey: job.key, timeout: 5000 }],
    ];
    for (const [method, request] of refused) {
      const error = await rejectsWithCode(raw.unary(method, request), 8, OVERLOADED);
      assert.equal(error.details, 'Reached maximum capacity of requests handled', method);
    }
    // Refused requests are not commands: the engine saw none of them.
    const after = h.engine.records().slice(positionBefore);
    assert.deepEqual(after, [], `no record was written for a refused request: ${JSON.stringify(after.map((r) => `${r.valueType}:${r.intent}`))}`);
    // A bad request is still answered by the gateway's checks first (3), as in Zeebe.
    await rejectsWithCode(raw.unary('CreateProcessInstance', { bpmnProcessId: `p-${type}`, variables: '[1]' }), 3);
    await rejectsWithCode(raw.unary('PublishMessage', { name: '' }), 3);

    // Turned off, the same commands pass again.
    h.engine.setBackpressure(undefined);
    await h.zb.setVariables({ elementInstanceKey: pik!, variables: { x: 1 }, local: false });
    await h.zb.updateJobRetries({ jobKey: failing.key, retries: 1 });
    await h.zb.resolveIncident({ incidentKey: incident.key });
    const created = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    assert.match(created.processInstanceKey, /^\d+$/);
    assert.equal(commandsOf(h, 'PROCESS_INSTANCE_CREATION', 'CREATE').length, 3);
  });

  engineTest('setBackpressure(0): CompleteJob, FailJob, CancelProcessInstance, DeployResource and Topology pass', async (h) => {
    const type = `bp-whitelist-${h.id}`;
    const [first, second, third] = await instances(h, type, 3);
    const jobs = await activate(h.zb, type, { max: 3 });
    assert.equal(jobs.length, 3);
    const byInstance = new Map(jobs.map((j) => [j.processInstanceKey, j]));

    h.engine.setBackpressure(0);
    const topology = await h.zb.topology();
    assert.equal(topology.brokers.length, 1);
    await h.zb.completeJob({ jobKey: byInstance.get(first!)!.key, variables: { done: true } });
    assert.ok(instanceCompleted(h.engine, first!), 'the completed job completed its instance');
    await h.zb.failJob({ jobKey: byInstance.get(second!)!.key, errorMessage: 'again', retries: 2, retryBackOff: 0 });
    await h.zb.cancelProcessInstance(third!);
    assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').filter((r) => r.key === third).length, 1);
    const deployed = await deploy(h.zb, emptyProcess(`p-deployed-${h.id}`), 'deployed.bpmn');
    assert.equal(deployed.bpmnProcessId, `p-deployed-${h.id}`);
    // The raw client sees the same: DeployResource is never refused.
    const response = await h.raw().unary('DeployResource', {
      resources: [{ name: 'raw.bpmn', content: Buffer.from(emptyProcess(`p-raw-${h.id}`)) }],
    });
    assert.equal(response.deployments.length, 1);
    h.engine.setBackpressure(undefined);
  });

  engineTest('setBackpressure(0): ActivateJobs gets 8 only when no job could be activated', async (h) => {
    const type = `bp-activate-${h.id}`;
    const [pik] = await instances(h, type, 1);
    const raw = h.raw();

    h.engine.setBackpressure(0);
    // No job of that type: refused at once, whatever the requestTimeout (no long polling when refused).
    for (const requestTimeout of [-1, 5000]) {
      const started = Date.now();
      const error = (await raw
        .collect('ActivateJobs', { type: `none-${h.id}`, worker: 'w', timeout: 60_000, maxJobsToActivate: 5, requestTimeout })
        .then(
          (messages) => assert.fail(`expected 8 RESOURCE_EXHAUSTED, got ${JSON.stringify(messages)}`),
          (e: GrpcStatusError) => e,
        )) as GrpcStatusError;
      assert.equal(error.code, 8, error.message);
      assert.equal(
        error.details,
        `Expected to activate jobs of type 'none-${h.id}', but no jobs available and at least one broker returned 'RESOURCE_EXHAUSTED'. Please try again later.`,
      );
      assert.ok(Date.now() - started < 2000, `refused at once (requestTimeout ${requestTimeout})`);
    }
    // An activatable job: handed out although the limiter refuses (A5).
    const jobs = await activate(h.zb, type);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.processInstanceKey, pik);
    await h.zb.completeJob({ jobKey: jobs[0]!.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, pik!));
    h.engine.setBackpressure(undefined);
    // Off: an empty poll is answered empty, not refused.
    assert.deepEqual(await activate(h.zb, `none-${h.id}`), []);
  });

  engineTest('setBackpressure rejects a limit that is not a whole number of at least 0', async (h) => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => h.engine.setBackpressure(bad), RangeError, String(bad));
    }
  });

  engineTest(
    'a real limit (5 in flight): of 200 concurrent creates some get 8, none is lost, and job completions are never refused',
    async (h, t) => {
      const type = `bp-load-${h.id}`;
      const waiting = await instances(h, type, 20);
      const jobs = await activate(h.zb, type, { max: 20 });
      assert.equal(jobs.length, 20);
      const raw = new RawGateway(h.engine.address);
      try {
        // One connection for all calls, ready before the burst.
        await raw.unary('Topology', {});
        const creationsBefore = commandsOf(h, 'PROCESS_INSTANCE_CREATION', 'CREATE').length;
        h.engine.setBackpressure(5);
        const creates = Array.from({ length: 200 }, (_, i) =>
          raw.unary('CreateProcessInstance', { bpmnProcessId: `p-${type}`, version: -1, variables: JSON.stringify({ i }) }).then(
            (response) => ({ ok: true as const, key: String(response.processInstanceKey) }),
            (error: GrpcStatusError) => ({ ok: false as const, error }),
          ),
        );
        const completions = jobs.map((job) =>
          raw.unary('CompleteJob', { jobKey: job.key, variables: '{}' }).then(
            () => 'ok',
            (error: GrpcStatusError) => `${error.code} ${error.details}`,
          ),
        );
        const results = await Promise.all(creates);
        assert.deepEqual(await Promise.all(completions), jobs.map(() => 'ok'), 'CompleteJob is never refused');
        h.engine.setBackpressure(undefined);

        const succeeded = results.filter((r) => r.ok);
        const refused = results.filter((r) => !r.ok);
        for (const r of refused) {
          assert.equal(r.error.code, 8, r.error.message);
          assert.match(r.error.message, OVERLOADED);
        }
        assert.equal(succeeded.length + refused.length, 200, 'every create was answered');
        t.diagnostic(`${succeeded.length} creates admitted, ${refused.length} refused with 8`);
        assert.ok(refused.length > 0, 'some creates were refused');
        assert.ok(succeeded.length >= 5, `some creates passed (${succeeded.length})`);
        // None lost, none invented: the engine created exactly the instances that were acknowledged.
        const creationCommands = commandsOf(h, 'PROCESS_INSTANCE_CREATION', 'CREATE').length - creationsBefore;
        assert.equal(creationCommands, succeeded.length, 'only admitted creates reached the engine');
        const created = new Set(
          eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING')
            .filter((r) => r.value.flowScopeKey === undefined && !waiting.includes(r.key))
            .map((r) => r.key),
        );
        assert.deepEqual(new Set(succeeded.map((r) => r.key)), created);
        for (const key of waiting) assert.ok(instanceCompleted(h.engine, key), `instance ${key} completed`);
        // The admitted instances are real: their jobs can be worked.
        const more = await activate(h.zb, type, { max: 250 });
        assert.equal(more.length, succeeded.length);
        await Promise.all(more.map((j) => h.zb.completeJob({ jobKey: j.key, variables: {} })));
        await waitUntil(() => succeeded.every((r) => instanceCompleted(h.engine, r.key)), 5000, 'every admitted instance to complete');
      } finally {
        raw.close();
      }
    },
    { timeout: 30_000 },
  );

  engineTest('one job at a time still works under a limit of 1 (queued commands are drained in order)', async (h) => {
    const type = `bp-one-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
    h.engine.setBackpressure(1);
    // The SDK retries 8: sequential calls each find the queue empty and pass.
    for (let i = 0; i < 5; i++) {
      const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { i } });
      const job = await activateOne(h.zb, type);
      assert.equal(job.processInstanceKey, processInstanceKey);
      await h.zb.completeJob({ jobKey: job.key, variables: {} });
      assert.ok(instanceCompleted(h.engine, processInstanceKey));
    }
    h.engine.setBackpressure(undefined);
  });
});

test('startEngine({ backpressure: { maxInFlight } }) starts with the limit on', { timeout: 20_000 }, async (t) => {
  const engine = await startEngine({ backpressure: { maxInFlight: 0 } });
  const raw = new RawGateway(engine.address);
  t.after(async () => {
    raw.close();
    await engine.stop();
  });
  await raw.unary('DeployResource', { resources: [{ name: 'p.bpmn', content: Buffer.from(emptyProcess('p-option')) }] });
  await rejectsWithCode(raw.unary('CreateProcessInstance', { bpmnProcessId: 'p-option', version: -1 }), 8, OVERLOADED);
  engine.setBackpressure(undefined);
  const created = await raw.unary('CreateProcessInstance', { bpmnProcessId: 'p-option', version: -1 });
  assert.match(String(created.processInstanceKey), /^\d+$/);
  assert.deepEqual(engine.checkIntegrity(), []);
  await assert.rejects(startEngine({ backpressure: { maxInFlight: -1 } }), RangeError);
});
