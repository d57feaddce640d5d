/**
 * The engine's REST API through the official REST client, `@camunda8/orchestration-cluster-api` 8.8, with
 * its strictest response validation (`res:fanatical`: every response must match Camunda 8.8's schema, with no
 * property the schema does not know). Search, get, create, cancel, resolve, publish, correlate, broadcast and
 * the clock, with work driven through the official gRPC client.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ElementInstanceKey, ProcessDefinitionId, ProcessDefinitionKey, ProcessInstanceKey, createCamundaClient } from '@camunda8/orchestration-cluster-api';
import { bpmnXml, chain, emptyProcess, endEvent, message, oneTaskProcess, receiveTask, startEvent } from '../helpers/bpmn.ts';
import { activateOne, deploy, engineTest, type Harness } from '../helpers/engine-harness.ts';

function restClient(h: Harness) {
  return createCamundaClient({
    config: {
      CAMUNDA_REST_ADDRESS: h.engine.restAddress,
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      CAMUNDA_SDK_VALIDATION: 'req:strict,res:fanatical',
      CAMUNDA_SDK_LOG_LEVEL: 'silent',
      CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS: 1,
    },
  });
}

const pid = (id: string) => ProcessDefinitionId.assumeExists(id);

/** Searches are backed by the history, written as each batch commits: no eventual-consistency wait needed. */
const now = { consistency: { waitUpToMs: 0 } };

/** The error the client throws for a problem answer: its status and the problem document. */
async function problemOf(promise: Promise<unknown>): Promise<{ status: number; detail: string; title: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; detail?: string; title?: string; body?: { detail?: string; title?: string } };
    return { status: Number(e.status), detail: String(e.detail ?? e.body?.detail), title: String(e.title ?? e.body?.title) };
  }
  assert.fail('expected the call to fail');
}

describe('REST API through @camunda8/orchestration-cluster-api', () => {
  engineTest('topology, status, and the clock', async (h) => {
    const camunda = restClient(h);
    const topology = await camunda.getTopology();
    assert.match(topology.gatewayVersion, /^8\.8\./);
    await camunda.getStatus();
    const pinned = Date.UTC(2030, 0, 1);
    await camunda.pinClock({ timestamp: pinned });
    assert.equal(h.engine.clock.now(), pinned);
    await camunda.resetClock();
  });

  engineTest('create, search, get, complete: the completed instance, its elements, job and variables', async (h) => {
    const camunda = restClient(h);
    const processId = `oc-${h.id}`;
    const type = `oc-work-${h.id}`;
    const deployed = await deploy(h.zb, oneTaskProcess(processId, type, { name: 'Do the work' }));
    const definitions = await camunda.searchProcessDefinitions({ filter: { processDefinitionId: pid(processId) } }, now);
    assert.equal(definitions.items?.[0]?.processDefinitionKey, String(deployed.processDefinitionKey));
    const definition = await camunda.getProcessDefinition({ processDefinitionKey: ProcessDefinitionKey.assumeExists(String(deployed.processDefinitionKey)) }, now);
    assert.equal(definition.version, 1);

    const created = await camunda.createProcessInstance({ processDefinitionId: pid(processId), variables: { n: 1 } });
    const processInstanceKey = created.processInstanceKey;
    assert.equal(created.processDefinitionVersion, 1);
    const active = await camunda.searchProcessInstances({ filter: { processInstanceKey, state: 'ACTIVE' } }, now);
    assert.equal(active.page.totalItems, 1);

    const job = await activateOne(h.zb, type);
    const jobs = await camunda.searchJobs({ filter: { processInstanceKey: { $eq: processInstanceKey } } }, now);
    assert.equal(jobs.items[0]?.jobKey, job.key);
    assert.match(String(jobs.items[0]?.deadline), /^\d{4}-/);
    await h.zb.completeJob({ jobKey: job.key, variables: { n: 2, result: 'ok' } });

    const instance = await camunda.getProcessInstance({ processInstanceKey }, now);
    assert.equal(instance.state, 'COMPLETED');
    assert.ok(instance.endDate);
    const completed = await camunda.searchProcessInstances(
      { filter: { processDefinitionId: pid(processId), state: { $in: ['COMPLETED'] } }, sort: [{ field: 'startDate', order: 'DESC' }], page: { limit: 10 } },
      now,
    );
    assert.deepEqual(completed.items.map((i) => i.processInstanceKey), [processInstanceKey]);

    const elements = await camunda.searchElementInstances({ filter: { processInstanceKey, type: 'SERVICE_TASK' } }, now);
    assert.equal(elements.items?.length, 1);
    const task = elements.items![0]!;
    assert.deepEqual([task.elementId, task.elementName, task.state], ['task', 'Do the work', 'COMPLETED']);
    const element = await camunda.getElementInstance({ elementInstanceKey: task.elementInstanceKey }, now);
    assert.equal(element.type, 'SERVICE_TASK');
    // The flow nodes only, as Camunda's secondary storage holds them: no row for the process instance itself.
    const all = await camunda.searchElementInstances({ filter: { processInstanceKey }, sort: [{ field: 'elementInstanceKey', order: 'ASC' }] }, now);
    assert.deepEqual(all.items?.map((e) => e.type), ['START_EVENT', 'SERVICE_TASK', 'END_EVENT']);
    assert.equal(all.page.totalItems, 3);
    const itself = await problemOf(camunda.getElementInstance({ elementInstanceKey: ElementInstanceKey.assumeExists(processInstanceKey) }, now));
    assert.deepEqual([itself.status, itself.title], [404, 'NOT_FOUND']);

    const variables = await camunda.searchVariables({ filter: { processInstanceKey }, sort: [{ field: 'name', order: 'ASC' }] }, now);
    assert.deepEqual(variables.items.map((v) => [v.name, v.value]), [['n', '2'], ['result', '"ok"']]);
    const variable = await camunda.getVariable({ variableKey: variables.items[1]!.variableKey }, now);
    assert.equal(variable.value, '"ok"');
  });

  engineTest('cancel, resolve, and the errors of unknown keys', async (h) => {
    const camunda = restClient(h);
    const processId = `oc-cancel-${h.id}`;
    const type = `oc-c-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const a = await camunda.createProcessInstance({ processDefinitionId: pid(processId) });
    await camunda.cancelProcessInstance({ processInstanceKey: a.processInstanceKey });
    assert.equal((await camunda.getProcessInstance({ processInstanceKey: a.processInstanceKey }, now)).state, 'TERMINATED');
    const again = await problemOf(camunda.cancelProcessInstance({ processInstanceKey: a.processInstanceKey }));
    assert.equal(again.status, 404);

    const b = await camunda.createProcessInstance({ processDefinitionId: pid(processId) });
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'no luck', retryBackOff: 0 });
    const incidents = await camunda.searchIncidents({ filter: { processInstanceKey: b.processInstanceKey, state: 'ACTIVE' } }, now);
    const incident = incidents.items![0]!;
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.equal((await camunda.getProcessInstance({ processInstanceKey: b.processInstanceKey }, now)).hasIncident, true);
    await h.zb.updateJobRetries({ jobKey: job.key, retries: 2 });
    await camunda.resolveIncident({ incidentKey: incident.incidentKey! });
    assert.equal((await camunda.getIncident({ incidentKey: incident.incidentKey! }, now)).state, 'RESOLVED');
    const resolved = await camunda.searchIncidents({ filter: { state: 'RESOLVED', processInstanceKey: b.processInstanceKey } }, now);
    assert.equal(resolved.page.totalItems, 1);
    const retried = await activateOne(h.zb, type);
    assert.equal(retried.key, job.key, 'the job is activatable again after the resolution');

    const unknown = await problemOf(camunda.getProcessInstance({ processInstanceKey: ProcessInstanceKey.assumeExists('2251799813699999') }, now));
    assert.deepEqual([unknown.status, unknown.title], [404, 'NOT_FOUND']);
    const missing = await problemOf(camunda.createProcessInstance({ processDefinitionId: pid(`nope-${h.id}`) }));
    assert.equal(missing.status, 404);
    assert.match(missing.detail, /Command 'CREATE' rejected with code 'NOT_FOUND'/);
  });

  engineTest('awaitCompletion, publish, correlate and broadcast', async (h) => {
    const camunda = restClient(h);
    const processId = `oc-empty-${h.id}`;
    await deploy(h.zb, emptyProcess(processId));
    const done = await camunda.createProcessInstance({ processDefinitionId: pid(processId), variables: { v: [1, 2] }, awaitCompletion: true });
    assert.deepEqual(done.variables, { v: [1, 2] });

    const name = `oc-msg-${h.id}`;
    const waiting = `oc-wait-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(waiting, [startEvent(), receiveTask('wait', 'msg'), endEvent(), ...chain('start', 'wait', 'end')], {
        roots: [message('msg', name, '=key')],
      }),
      'wait.bpmn',
    );
    const first = await camunda.createProcessInstance({ processDefinitionId: pid(waiting), variables: { key: 'k1' } });
    const correlated = await camunda.correlateMessage({ name, correlationKey: 'k1', variables: { got: true } });
    assert.equal(correlated.processInstanceKey, first.processInstanceKey);
    const nothing = await problemOf(camunda.correlateMessage({ name, correlationKey: 'k1' }));
    assert.equal(nothing.status, 404);

    const published = await camunda.publishMessage({ name, correlationKey: 'k2', timeToLive: 30_000 });
    assert.match(String(published.messageKey), /^\d+$/);
    const second = await camunda.createProcessInstance({ processDefinitionId: pid(waiting), variables: { key: 'k2' } });
    assert.equal((await camunda.getProcessInstance({ processInstanceKey: second.processInstanceKey }, now)).state, 'COMPLETED');

    const signal = await camunda.broadcastSignal({ signalName: `oc-signal-${h.id}` });
    assert.match(String(signal.signalKey), /^\d+$/);
  });
});
