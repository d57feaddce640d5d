/**
 * Contract tests of process instances through the official `@camunda8/sdk` gRPC client: creation (with and
 * without result), cancellation, SetVariables and ResolveIncident on a gateway incident, parallel gateways,
 * io mappings and task headers, BroadcastSignal, and the RPCs the engine does not implement
 * (zeebe-semantics.md §0, §3–§9).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  bpmnXml,
  chain,
  emptyProcess,
  endEvent,
  exclusiveGateway,
  flow,
  message,
  messageStartEvent,
  oneTaskProcess,
  parallelGateway,
  serviceTask,
  startEvent,
} from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  deploy,
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  rejectsWithCode,
  sleep,
  waitUntil,
  type Harness,
} from '../helpers/engine-harness.ts';

async function deployOneTask(h: Harness, type: string) {
  return deploy(h.zb, oneTaskProcess(`p-${type}`, type));
}

describe('CreateProcessInstance', () => {
  engineTest('creates an instance of the latest version and answers with its keys', async (h) => {
    const type = `create-${h.id}`;
    await deployOneTask(h, type);
    const v2 = await deploy(h.zb, oneTaskProcess(`p-${type}`, `${type}-v2`));
    const response = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { orderId: 'A-1' } });
    assert.equal(response.bpmnProcessId, `p-${type}`);
    assert.equal(response.version, 2);
    assert.equal(response.processDefinitionKey, v2.processDefinitionKey);
    assert.match(response.processInstanceKey, /^\d+$/);
    assert.equal(response.tenantId, '<default>');
    const job = await activateOne(h.zb, `${type}-v2`, { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, response.processInstanceKey);
    assert.deepEqual({ ...job.variables }, { orderId: 'A-1' });
  });

  engineTest('creates an instance of a given version', async (h) => {
    const type = `create-version-${h.id}`;
    const v1 = await deployOneTask(h, type);
    await deploy(h.zb, oneTaskProcess(`p-${type}`, `${type}-v2`));
    const response = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, version: 1, variables: {} });
    assert.equal(response.version, 1);
    assert.equal(response.processDefinitionKey, v1.processDefinitionKey);
    assert.equal((await activate(h.zb, type)).length, 1);
  });

  engineTest('creates an instance by process definition key (raw call: the SDK sends only ids)', async (h) => {
    const type = `create-key-${h.id}`;
    const v1 = await deployOneTask(h, type);
    const response = await h.raw().unary('CreateProcessInstance', { processDefinitionKey: v1.processDefinitionKey, variables: '{}' });
    assert.equal(response.processDefinitionKey, v1.processDefinitionKey);
    assert.equal(response.bpmnProcessId, `p-${type}`);
    assert.equal(response.version, 1);
  });

  engineTest('an unknown process id gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `nope-${h.id}`, variables: {} }), 5);
  });

  engineTest('an unknown version gets 5 NOT_FOUND', async (h) => {
    const type = `create-v7-${h.id}`;
    await deployOneTask(h, type);
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, version: 7, variables: {} }), 5);
  });

  engineTest('version 0 gets 5 NOT_FOUND (raw call: the SDK turns version 0 into -1, "latest")', async (h) => {
    const type = `create-v0-${h.id}`;
    await deployOneTask(h, type);
    await rejectsWithCode(h.raw().unary('CreateProcessInstance', { bpmnProcessId: `p-${type}`, version: 0, variables: '{}' }), 5);
  });

  engineTest('an unknown process definition key gets 5 NOT_FOUND (raw call)', async (h) => {
    await rejectsWithCode(h.raw().unary('CreateProcessInstance', { processDefinitionKey: '2251799813999999', variables: '{}' }), 5);
  });

  engineTest('variables that are not a JSON object get 3 INVALID_ARGUMENT (raw call: the SDK refuses arrays itself)', async (h) => {
    const type = `create-vars-${h.id}`;
    await deployOneTask(h, type);
    for (const variables of ['[1]', '"text"', '42', 'null', '{"a": ']) {
      await rejectsWithCode(h.raw().unary('CreateProcessInstance', { bpmnProcessId: `p-${type}`, version: -1, variables }), 3);
    }
    assert.equal(eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING').length, 0, 'no instance was created');
    // An empty document means {}.
    await h.raw().unary('CreateProcessInstance', { bpmnProcessId: `p-${type}`, version: -1, variables: '' });
  });

  engineTest('a process with only a message start event gets 9 FAILED_PRECONDITION', async (h) => {
    const xml = bpmnXml(`msgstart-${h.id}`, [messageStartEvent('start', 'startMsg'), endEvent(), ...chain('start', 'end')], {
      roots: [message('startMsg', `start-${h.id}`)],
    });
    await deploy(h.zb, xml);
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `msgstart-${h.id}`, variables: {} }), 9);
  });

  engineTest('start instructions activate the given elements instead of the start event, also inside a subprocess', async (h) => {
    const first = `first-${h.id}`;
    const second = `second-${h.id}`;
    const xml = bpmnXml(`si-${h.id}`, [
      startEvent(),
      serviceTask('first', first),
      `<bpmn:subProcess id="sub">${[startEvent('s0'), serviceTask('second', second), endEvent('e0'), ...chain('s0', 'second', 'e0')].join('')}</bpmn:subProcess>`,
      endEvent(),
      ...chain('start', 'first', 'sub', 'end'),
    ]);
    await deploy(h.zb, xml);
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `si-${h.id}`, variables: {}, startInstructions: [{ elementId: 'second' }] });
    assert.deepEqual(await activate(h.zb, first), [], 'the first task was skipped');
    const job = await activateOne(h.zb, second);
    assert.equal(job.processInstanceKey, processInstanceKey);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await waitUntil(() => instanceCompleted(h.engine, processInstanceKey));
    assert.ok(!eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING').some((r) => r.value.elementId === 's0'), 'the subprocess start event was not entered');
  });

  engineTest('start instructions naming an unknown element or a start event get 3', async (h) => {
    const type = `create-start-${h.id}`;
    await deployOneTask(h, type);
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {}, startInstructions: [{ elementId: 'nope' }] }), 3, /no element found with id 'nope'/);
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {}, startInstructions: [{ elementId: 'start' }] }), 3, /start event/);
  });

  engineTest('a tenant other than <default> gets 3 INVALID_ARGUMENT (multi-tenancy is off)', async (h) => {
    const type = `create-tenant-${h.id}`;
    await deployOneTask(h, type);
    await rejectsWithCode(h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {}, tenantId: 'acme' }), 3);
  });
});

describe('CreateProcessInstanceWithResult', () => {
  engineTest('answers with the variables once a worker completed the task', async (h) => {
    const type = `result-${h.id}`;
    const deployed = await deployOneTask(h, type);
    let settled = false;
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { a: 1 } });
    void result.then(() => (settled = true), () => (settled = true));
    const job = await activateOne(h.zb, type);
    await sleep(100);
    assert.equal(settled, false, 'no answer while the task is still open');
    await h.zb.completeJob({ jobKey: job.key, variables: { b: 2 } });
    const response = await result;
    assert.equal(response.processInstanceKey, job.processInstanceKey);
    assert.equal(response.bpmnProcessId, `p-${type}`);
    assert.equal(response.version, 1);
    assert.equal(response.processDefinitionKey, deployed.processDefinitionKey);
    assert.deepEqual({ ...response.variables }, { a: 1, b: 2 });
  });

  engineTest('fetchVariables limits the variables of the answer', async (h) => {
    const type = `result-fetch-${h.id}`;
    await deployOneTask(h, type);
    const result = h.zb.createProcessInstanceWithResult({
      bpmnProcessId: `p-${type}`,
      variables: { a: 1, b: 2 },
      fetchVariables: ['b', 'c'],
    });
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: { c: 3, d: 4 } });
    assert.deepEqual({ ...(await result).variables }, { b: 2, c: 3 });
  });

  engineTest('a process that completes at once answers at once', async (h) => {
    await deploy(h.zb, emptyProcess(`empty-${h.id}`));
    const response = await h.zb.createProcessInstanceWithResult({ bpmnProcessId: `empty-${h.id}`, variables: { x: 'y' } });
    assert.deepEqual({ ...response.variables }, { x: 'y' });
  });

  engineTest('no worker within a short requestTimeout: 4 DEADLINE_EXCEEDED, and the instance keeps running (raw call)', async (h) => {
    // Raw call: the SDK retries status 4 forever ("Time out between gateway and broker"), so it would hang.
    const type = `result-timeout-${h.id}`;
    await deployOneTask(h, type);
    const started = Date.now();
    await rejectsWithCode(
      h.raw().unary('CreateProcessInstanceWithResult', {
        request: { bpmnProcessId: `p-${type}`, version: -1, variables: '{}' },
        requestTimeout: 500,
      }, 5000),
      4,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 3000, `answered after ${elapsed} ms for a requestTimeout of 500 ms`);
    assert.equal((await activate(h.zb, type)).length, 1, 'the instance still runs and its job waits');
  });

  engineTest('an unknown process id gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.createProcessInstanceWithResult({ bpmnProcessId: `nope-${h.id}`, variables: {} }), 5);
  });
});

describe('CancelProcessInstance', () => {
  engineTest('cancels an instance; every job RPC on its job then gets 5 NOT_FOUND', async (h) => {
    const type = `cancel-${h.id}`;
    await deployOneTask(h, type);
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const job = await activateOne(h.zb, type, { timeout: 600_000 });
    await h.zb.cancelProcessInstance(processInstanceKey);
    const terminated = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').find((r) => r.key === processInstanceKey);
    assert.ok(terminated, 'the process instance is terminated');
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    await rejectsWithCode(h.zb.failJob({ jobKey: job.key, retries: 1, errorMessage: 'x', retryBackOff: 0 }), 5);
    await rejectsWithCode(h.zb.throwError({ jobKey: job.key, errorCode: 'E' }), 5);
    await rejectsWithCode(h.zb.updateJobRetries({ jobKey: job.key, retries: 3 }), 5);
    await rejectsWithCode(h.zb.updateJobTimeout({ jobKey: job.key, timeout: 1000 }), 5);
    await h.engine.advanceClock(700_000);
    assert.deepEqual(await activate(h.zb, type), [], 'the job of a cancelled instance never comes back');
  });

  engineTest('cancelling twice: the second gets 5 NOT_FOUND', async (h) => {
    const type = `cancel-twice-${h.id}`;
    await deployOneTask(h, type);
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    await h.zb.cancelProcessInstance(processInstanceKey);
    await rejectsWithCode(h.zb.cancelProcessInstance(processInstanceKey), 5);
  });

  engineTest('an unknown key gets 5 NOT_FOUND, with Zeebe\'s "Command ... rejected with code ..." details', async (h) => {
    const e = await rejectsWithCode(h.zb.cancelProcessInstance('2251799813999999'), 5);
    assert.match(e.details, /^Command 'CANCEL' rejected with code 'NOT_FOUND': /);
  });

  engineTest('a completed instance cannot be cancelled: 5 NOT_FOUND', async (h) => {
    await deploy(h.zb, emptyProcess(`done-${h.id}`));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `done-${h.id}`, variables: {} });
    assert.ok(instanceCompleted(h.engine, processInstanceKey));
    await rejectsWithCode(h.zb.cancelProcessInstance(processInstanceKey), 5);
  });

  engineTest("cancelling resolves the instance's incidents; resolving one afterwards gets 5", async (h) => {
    const type = `cancel-incident-${h.id}`;
    await deployOneTask(h, type);
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'x', retryBackOff: 0 });
    const incident = incidentsCreated(h.engine, processInstanceKey)[0]!;
    await h.zb.cancelProcessInstance(processInstanceKey);
    await rejectsWithCode(h.zb.resolveIncident({ incidentKey: incident.key }), 5);
  });
});

/** start → gateway: x > 5 → big, x < 0 → negative, no default flow. */
function gatewayProcess(processId: string, type: string): string {
  return bpmnXml(processId, [
    startEvent(),
    exclusiveGateway('decide'),
    serviceTask('big', `${type}-big`),
    serviceTask('negative', `${type}-negative`),
    endEvent('endBig'),
    endEvent('endNegative'),
    flow('toDecide', 'start', 'decide'),
    flow('toBig', 'decide', 'big', '=x > 5'),
    flow('toNegative', 'decide', 'negative', '=x < 0'),
    flow('bigDone', 'big', 'endBig'),
    flow('negativeDone', 'negative', 'endNegative'),
  ]);
}

describe('SetVariables and ResolveIncident', () => {
  engineTest('a gateway with no true condition raises CONDITION_ERROR; SetVariables + ResolveIncident continue down the right flow', async (h) => {
    const type = `gw-${h.id}`;
    await deploy(h.zb, gatewayProcess(`p-${type}`, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { x: 1 } });
    const incidents = incidentsCreated(h.engine, processInstanceKey);
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0]!.value.errorType, 'CONDITION_ERROR');
    assert.equal(incidents[0]!.value.elementId, 'decide');
    assert.deepEqual([...(await activate(h.zb, `${type}-big`)), ...(await activate(h.zb, `${type}-negative`))], []);

    await h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: { x: 10 }, local: false });
    await h.zb.resolveIncident({ incidentKey: incidents[0]!.key });
    const job = await activateOne(h.zb, `${type}-big`, { requestTimeout: -1 });
    assert.equal(job.processInstanceKey, processInstanceKey);
    assert.deepEqual({ ...job.variables }, { x: 10 });
    assert.deepEqual(await activate(h.zb, `${type}-negative`), []);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, processInstanceKey));
  });

  engineTest('resolving without fixing the data raises a new incident with a new key', async (h) => {
    const type = `gw-again-${h.id}`;
    await deploy(h.zb, gatewayProcess(`p-${type}`, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { x: 1 } });
    const first = incidentsCreated(h.engine, processInstanceKey)[0]!;
    await h.zb.resolveIncident({ incidentKey: first.key });
    const all = incidentsCreated(h.engine, processInstanceKey);
    assert.equal(all.length, 2);
    assert.notEqual(all[1]!.key, first.key);
    assert.equal(all[1]!.value.errorType, 'CONDITION_ERROR');
  });

  engineTest('a condition on a missing variable raises EXTRACT_VALUE_ERROR; fixing it lets the instance go on', async (h) => {
    const type = `gw-missing-${h.id}`;
    await deploy(h.zb, gatewayProcess(`p-${type}`, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const incident = incidentsCreated(h.engine, processInstanceKey)[0];
    assert.equal(incident?.value.errorType, 'EXTRACT_VALUE_ERROR');
    await h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: { x: -3 }, local: false });
    await h.zb.resolveIncident({ incidentKey: incident!.key });
    assert.equal((await activate(h.zb, `${type}-negative`)).length, 1);
  });

  engineTest('SetVariables answers with a key (raw call) and local variables stay in their scope', async (h) => {
    const type = `setvars-${h.id}`;
    await deployOneTask(h, type);
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { a: 1 } });
    const job = await activateOne(h.zb, type);
    const response = await h.raw().unary('SetVariables', {
      elementInstanceKey: job.elementInstanceKey,
      variables: JSON.stringify({ onlyHere: true }),
      local: true,
    });
    assert.match(String(response.key), /^\d+$/);
    await h.zb.setVariables({ elementInstanceKey: job.processInstanceKey, variables: { a: 2, everywhere: true }, local: false });
    // Not local, on the task: a new name is created at the root, an existing one updated where it lives.
    await h.zb.setVariables({ elementInstanceKey: job.elementInstanceKey, variables: { viaTask: 1, onlyHere: false }, local: false });
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    assert.deepEqual({ ...(await result).variables }, { a: 2, everywhere: true, viaTask: 1 });
  });

  engineTest('SetVariables on an unknown scope gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.setVariables({ elementInstanceKey: '2251799813999999', variables: { a: 1 }, local: false }), 5);
  });

  engineTest('SetVariables with broken JSON gets 3 INVALID_ARGUMENT', async (h) => {
    const type = `setvars-bad-${h.id}`;
    await deployOneTask(h, type);
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    // The SDK passes a string through as the JSON document.
    await rejectsWithCode(h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: '{"a": ' as unknown as Record<string, unknown>, local: false }), 3);
    await rejectsWithCode(h.raw().unary('SetVariables', { elementInstanceKey: processInstanceKey, variables: '[1, 2]' }), 3);
  });

  engineTest('ResolveIncident with an unknown key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.resolveIncident({ incidentKey: '2251799813999999' }), 5);
  });
});

describe('Parallel gateway', () => {
  engineTest('fork: both branches get a job; join: the instance completes only after both complete', async (h) => {
    const type = `par-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [
        startEvent(),
        parallelGateway('fork'),
        serviceTask('left', `${type}-left`),
        serviceTask('right', `${type}-right`),
        parallelGateway('join'),
        endEvent(),
        flow('toFork', 'start', 'fork'),
        flow('toLeft', 'fork', 'left'),
        flow('toRight', 'fork', 'right'),
        flow('leftDone', 'left', 'join'),
        flow('rightDone', 'right', 'join'),
        flow('toEnd', 'join', 'end'),
      ]),
    );
    let settled = false;
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: {} });
    void result.then(() => (settled = true), () => (settled = true));
    const left = await activateOne(h.zb, `${type}-left`);
    const right = await activateOne(h.zb, `${type}-right`);
    assert.equal(left.processInstanceKey, right.processInstanceKey);
    await h.zb.completeJob({ jobKey: left.key, variables: { leftResult: 'L' } });
    await sleep(100);
    assert.equal(settled, false, 'the join waits for the other branch');
    assert.ok(!instanceCompleted(h.engine, left.processInstanceKey));
    await h.zb.completeJob({ jobKey: right.key, variables: { rightResult: 'R' } });
    const response = await result;
    assert.deepEqual({ ...response.variables }, { leftResult: 'L', rightResult: 'R' });
    const joins = eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED').filter((r) => r.value.elementId === 'join');
    assert.equal(joins.length, 1, 'the join completes once');
  });
});

describe('Input/output mappings and task headers', () => {
  engineTest('an input mapping makes a local the job sees; an output mapping renames the result; headers are passed as is', async (h) => {
    const type = `io-${h.id}`;
    await deploy(
      h.zb,
      oneTaskProcess(`p-${type}`, type, {
        inputs: [['=order.id', 'orderId'], ['=order.total * 2', 'doubled']],
        outputs: [['=result', 'finalResult']],
        headers: { endpoint: 'https://example.test/charge', template: '=not evaluated' },
      }),
    );
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { order: { id: 'O-7', total: 21 } } });
    const job = await activateOne(h.zb, type);
    assert.deepEqual({ ...job.variables }, { order: { id: 'O-7', total: 21 }, orderId: 'O-7', doubled: 42 });
    assert.deepEqual({ ...job.customHeaders }, { endpoint: 'https://example.test/charge', template: '=not evaluated' });
    await h.zb.completeJob({ jobKey: job.key, variables: { result: 'charged', scratch: 'dropped' } });
    // Only the mapped target leaves the task; the input locals and unmapped job variables stay behind.
    assert.deepEqual({ ...(await result).variables }, { order: { id: 'O-7', total: 21 }, finalResult: 'charged' });
  });

  engineTest('without output mappings, job variables propagate; a name made local by an input mapping stays local', async (h) => {
    const type = `io-merge-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type, { inputs: [['=1', 'localCounter']] }));
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: {} });
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: { localCounter: 2, shared: 'yes' } });
    assert.deepEqual({ ...(await result).variables }, { shared: 'yes' });
  });
});

describe('BroadcastSignal', () => {
  engineTest('answers with a key and the tenant', async (h) => {
    const response = await h.zb.broadcastSignal({ signalName: `signal-${h.id}`, variables: { a: 1 } });
    assert.match(String(response.key), /^\d+$/);
    const raw = await h.raw().unary('BroadcastSignal', { signalName: `signal-${h.id}`, variables: '{}' });
    assert.match(String(raw.key), /^\d+$/);
    assert.equal(raw.tenantId, '<default>');
  });

  engineTest('an empty signal name gets 3 INVALID_ARGUMENT', async (h) => {
    await rejectsWithCode(h.zb.broadcastSignal({ signalName: '', variables: {} }), 3);
  });

  engineTest('variables that are not a JSON object get 3 (raw call)', async (h) => {
    await rejectsWithCode(h.raw().unary('BroadcastSignal', { signalName: `signal-${h.id}`, variables: '[1]' }), 3);
  });
});

describe('RPCs the engine does not implement', () => {
  engineTest('MigrateProcessInstance gets 12 UNIMPLEMENTED', async (h) => {
    await rejectsWithCode(
      h.zb.migrateProcessInstance({
        processInstanceKey: '2251799813999999',
        migrationPlan: { targetProcessDefinitionKey: '2251799813999998', mappingInstructions: [] },
      }),
      12,
    );
  });
});
