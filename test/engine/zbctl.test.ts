/**
 * Contract tests driven by `zbctl` 8.4 (the Go client shipped in the npm package `zbctl`): the commands a
 * user runs against a broker, against forager's engine. Failures are checked by the gRPC status name zbctl
 * prints (`rpc error: code = NotFound desc = ...`).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe } from 'node:test';
import { activate, activateOne, engineTest, incidentsCreated, instanceCompleted, sleep } from '../helpers/engine-harness.ts';
import { GO_CODE_NAMES, zbctl, zbctlJson } from '../helpers/zbctl.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Asserts that zbctl failed with the gRPC status `code` (and optionally a text in its message). */
function assertFailedWith(result: { code: number; stderr: string }, code: number, text?: RegExp) {
  assert.notEqual(result.code, 0, 'zbctl should have failed');
  assert.match(result.stderr, new RegExp(`rpc error: code = ${GO_CODE_NAMES[code]} desc = `), result.stderr);
  if (text) assert.match(result.stderr, text);
}

interface DeployOutput {
  key: string;
  processes: { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string }[];
}

interface InstanceOutput {
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  processInstanceKey: string;
  variables?: string;
}

interface ActivatedOutput {
  jobs: { key: string; type: string; processInstanceKey: string; variables: string; customHeaders: string; retries: number }[];
}

describe('zbctl', () => {
  engineTest('status shows one broker leading partition 1 and gateway version 8.8.x', async ({ engine }) => {
    const result = await zbctl(engine.address, ['status']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Cluster size: 1/);
    assert.match(result.stdout, /Partitions count: 1/);
    assert.match(result.stdout, /Gateway version: 8\.8\.\d+/);
    assert.match(result.stdout, /Partition 1 : Leader, Healthy/);
  });

  engineTest('deploy: version 1, the same file again keeps version and key', async ({ engine }) => {
    const first = await zbctlJson<DeployOutput>(engine.address, ['deploy', fixture('order-process.bpmn')]);
    assert.equal(first.processes[0]!.bpmnProcessId, 'fixture-order-process');
    assert.equal(first.processes[0]!.version, 1);
    const again = await zbctlJson<DeployOutput>(engine.address, ['deploy', fixture('order-process.bpmn')]);
    assert.equal(again.processes[0]!.version, 1);
    assert.equal(again.processes[0]!.processDefinitionKey, first.processes[0]!.processDefinitionKey);
  });

  engineTest('deploy of an unsupported element fails with InvalidArgument naming the file, element and kind', async ({ engine }) => {
    const result = await zbctl(engine.address, ['deploy', fixture('user-task.bpmn')]);
    assertFailedWith(result, 3, /user-task\.bpmn/);
    assert.match(result.stderr, /approveOrder/);
    assert.match(result.stderr, /UserTask/);
  });

  engineTest('deploy of a good and a broken file fails with InvalidArgument and deploys nothing', async ({ engine }) => {
    const result = await zbctl(engine.address, ['deploy', fixture('order-process.bpmn'), fixture('broken.bpmn')]);
    assertFailedWith(result, 3, /broken\.bpmn/);
    assertFailedWith(await zbctl(engine.address, ['create', 'instance', 'fixture-order-process']), 5);
  });

  engineTest('create instance, activate jobs, complete job', async ({ engine }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const created = await zbctlJson<InstanceOutput>(engine.address, [
      'create', 'instance', 'fixture-order-process', '--variables', '{"orderId":"Z-1","total":10}',
    ]);
    assert.equal(created.bpmnProcessId, 'fixture-order-process');
    assert.equal(created.version, 1);
    assert.match(created.processInstanceKey, /^\d+$/);
    const activated = await zbctlJson<ActivatedOutput>(engine.address, ['activate', 'jobs', 'fixture-charge-card', '--maxJobsToActivate', '5']);
    assert.equal(activated.jobs.length, 1);
    const job = activated.jobs[0]!;
    assert.equal(job.processInstanceKey, created.processInstanceKey);
    assert.deepEqual(JSON.parse(job.variables), { orderId: 'Z-1', total: 10 });
    assert.deepEqual(JSON.parse(job.customHeaders), { currency: 'EUR' });
    const completed = await zbctl(engine.address, ['complete', 'job', job.key, '--variables', '{"charged":true}']);
    assert.equal(completed.code, 0, completed.stderr);
    assert.ok(instanceCompleted(engine, created.processInstanceKey));
    assertFailedWith(await zbctl(engine.address, ['complete', 'job', job.key]), 5);
  });

  engineTest('create instance of an unknown process or version 0 fails with NotFound', async ({ engine }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    assertFailedWith(await zbctl(engine.address, ['create', 'instance', 'no-such-process']), 5);
    assertFailedWith(await zbctl(engine.address, ['create', 'instance', 'fixture-order-process', '--version', '0']), 5);
    assertFailedWith(await zbctl(engine.address, ['create', 'instance', 'fixture-order-process', '--version', '2']), 5);
  });

  engineTest("create instance --variables '[1]' is refused (by zbctl itself, before any request)", async ({ engine }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const result = await zbctl(engine.address, ['create', 'instance', 'fixture-order-process', '--variables', '[1]']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /variables/);
    // The wire-level answer (3 INVALID_ARGUMENT) is checked with a raw call in instances.test.ts.
  });

  engineTest('create instance --withResult returns the variables once the job is completed', async ({ engine, zb }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const pending = zbctl(engine.address, ['create', 'instance', 'fixture-order-process', '--variables', '{"a":1}', '--withResult']);
    const job = await activateOne(zb, 'fixture-charge-card', { requestTimeout: 5000 });
    await sleep(100);
    await zb.completeJob({ jobKey: job.key, variables: { b: 2 } });
    const result = await pending;
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as InstanceOutput;
    assert.equal(output.processInstanceKey, job.processInstanceKey);
    assert.deepEqual(JSON.parse(output.variables!), { a: 1, b: 2 });
  });

  engineTest('publish message correlates to a waiting catch event', async ({ engine, zb }) => {
    await zbctlJson(engine.address, ['deploy', fixture('message-catch.bpmn')]);
    const created = await zbctlJson<InstanceOutput>(engine.address, ['create', 'instance', 'fixture-message-catch', '--variables', '{"orderId":"o-1"}']);
    assert.deepEqual(await activate(zb, 'fixture-ship'), []);
    const published = await zbctlJson<{ key: string }>(engine.address, [
      'publish', 'message', 'fixture-payment-received', '--correlationKey', 'o-1', '--variables', '{"paid":true}',
    ]);
    assert.match(String(published.key), /^\d+$/);
    const job = await activateOne(zb, 'fixture-ship', { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, created.processInstanceKey);
    assert.deepEqual({ ...job.variables }, { orderId: 'o-1', paid: true });
  });

  engineTest('publish message with a duplicate messageId while buffered fails with AlreadyExists', async ({ engine }) => {
    const args = ['publish', 'message', 'fixture-dedup', '--correlationKey', 'k', '--messageId', 'same-id', '--ttl', '1m'];
    assert.equal((await zbctl(engine.address, args)).code, 0);
    assertFailedWith(await zbctl(engine.address, args), 6);
  });

  engineTest('fail job with 0 retries raises an incident; resolve fails until update retries', async ({ engine, zb }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const created = await zbctlJson<InstanceOutput>(engine.address, ['create', 'instance', 'fixture-order-process']);
    const job = await activateOne(zb, 'fixture-charge-card');
    const failed = await zbctl(engine.address, ['fail', 'job', job.key, '--retries', '0', '--errorMessage', 'card declined']);
    assert.equal(failed.code, 0, failed.stderr);
    const incident = incidentsCreated(engine, created.processInstanceKey)[0];
    assert.equal(incident?.value.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident?.value.errorMessage, 'card declined');
    assertFailedWith(await zbctl(engine.address, ['resolve', 'incident', incident!.key]), 9);
    assert.equal((await zbctl(engine.address, ['update', 'retries', job.key, '--retries', '2'])).code, 0);
    assert.equal((await zbctl(engine.address, ['resolve', 'incident', incident!.key])).code, 0);
    const again = await activateOne(zb, 'fixture-charge-card', { requestTimeout: -1 });
    assert.equal(again.key, job.key);
    assert.equal(again.retries, 2);
  });

  engineTest('throwError job without a catch event raises UNHANDLED_ERROR_EVENT', async ({ engine, zb }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const created = await zbctlJson<InstanceOutput>(engine.address, ['create', 'instance', 'fixture-order-process']);
    const job = await activateOne(zb, 'fixture-charge-card');
    const thrown = await zbctl(engine.address, ['throwError', 'job', job.key, '--errorCode', 'DECLINED', '--errorMessage', 'no funds']);
    assert.equal(thrown.code, 0, thrown.stderr);
    assert.equal(incidentsCreated(engine, created.processInstanceKey)[0]?.value.errorType, 'UNHANDLED_ERROR_EVENT');
  });

  engineTest('set variables, cancel instance; cancelling again fails with NotFound', async ({ engine, zb }) => {
    await zbctlJson(engine.address, ['deploy', fixture('order-process.bpmn')]);
    const created = await zbctlJson<InstanceOutput>(engine.address, ['create', 'instance', 'fixture-order-process']);
    const set = await zbctl(engine.address, ['set', 'variables', created.processInstanceKey, '--variables', '{"note":"rush"}']);
    assert.equal(set.code, 0, set.stderr);
    const job = await activateOne(zb, 'fixture-charge-card');
    assert.equal(job.variables.note, 'rush');
    assertFailedWith(await zbctl(engine.address, ['set', 'variables', '2251799813999999', '--variables', '{"a":1}']), 5);
    assert.equal((await zbctl(engine.address, ['cancel', 'instance', created.processInstanceKey])).code, 0);
    assertFailedWith(await zbctl(engine.address, ['cancel', 'instance', created.processInstanceKey]), 5);
    assertFailedWith(await zbctl(engine.address, ['complete', 'job', job.key]), 5);
  });

  engineTest('update timeout of an unknown job fails with NotFound', async ({ engine }) => {
    assertFailedWith(await zbctl(engine.address, ['update', 'timeout', '2251799813999999', '--timeout', '60000']), 5);
  });

  engineTest('broadcast signal answers with a key', async ({ engine }) => {
    const output = await zbctlJson<{ key: string; tenantId: string }>(engine.address, ['broadcast', 'signal', 'fixture-signal', '--variables', '{"a":1}']);
    assert.match(String(output.key), /^\d+$/);
  });

  engineTest('evaluate decision of an unknown decision fails with NotFound', async ({ engine }) => {
    assertFailedWith(await zbctl(engine.address, ['evaluate', 'decision', 'some-decision']), 5, /no decision found for id 'some-decision'/);
  });
});
