/**
 * The engine's REST API v2 subset over plain HTTP (`fetch`): Camunda 8.8's paths, request and response
 * shapes, status codes and problem documents, and the history behind the searches (ended instances,
 * resolved incidents, retention on the engine clock). Work is driven through the official gRPC client.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Camunda8 } from '@camunda8/sdk';
import { startEngine } from '../../src/testing/index.ts';
import { bpmnXml, chain, emptyProcess, endEvent, message, oneTaskProcess, receiveTask, startEvent } from '../helpers/bpmn.ts';
import { activateOne, deploy, engineTest, sdkConfig, type Harness } from '../helpers/engine-harness.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(h: Harness | string, method: string, path: string, body?: unknown): Promise<{ status: number; type: string; json: Json }> {
  const base = typeof h === 'string' ? h : h.engine.restAddress;
  const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? JSON.parse(text) : {} };
}

const post = (h: Harness | string, path: string, body?: unknown) => call(h, 'POST', path, body);
const get = (h: Harness | string, path: string) => call(h, 'GET', path);

/** Asserts a problem document with status, title and a detail matching `detail`. */
function assertProblem(r: { status: number; type: string; json: Json }, status: number, title: string, detail: RegExp, instance?: string) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.match(r.type, /application\/problem\+json/);
  assert.equal(r.json.title, title);
  assert.equal(r.json.status, status);
  assert.match(r.json.detail, detail);
  if (instance) assert.equal(r.json.instance, instance);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('REST API: status, definitions and instances', () => {
  engineTest('GET /v2/status answers 204; an endpoint outside the subset answers 501', async (h) => {
    const status = await fetch(`${h.engine.restAddress}/v2/status`);
    assert.equal(status.status, 204);
    assertProblem(await post(h, '/v2/user-tasks/search', {}), 501, 'NOT_IMPLEMENTED', /not served/);
    assertProblem(await call(h, 'DELETE', '/v2/process-instances/search'), 405, 'Method Not Allowed', /DELETE/);
  });

  engineTest('a process instance created over REST, searched while active and after completion', async (h) => {
    const processId = `rest-${h.id}`;
    const type = `work-${h.id}`;
    const deployed = await deploy(h.zb, oneTaskProcess(processId, type));

    const definitions = await post(h, '/v2/process-definitions/search', { filter: { processDefinitionId: processId } });
    assert.equal(definitions.status, 200);
    assert.deepEqual(definitions.json, {
      items: [
        {
          processDefinitionKey: String(deployed.processDefinitionKey),
          processDefinitionId: processId,
          resourceName: 'process.bpmn',
          version: 1,
          tenantId: '<default>',
          hasStartForm: false,
        },
      ],
      page: { totalItems: 1, hasMoreTotalItems: false, startCursor: definitions.json.page.startCursor, endCursor: definitions.json.page.endCursor },
    });
    assert.equal((await get(h, `/v2/process-definitions/${deployed.processDefinitionKey}`)).json.processDefinitionId, processId);

    const created = await post(h, '/v2/process-instances', { processDefinitionId: processId, variables: { order: { id: 7 } } });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const key = created.json.processInstanceKey;
    assert.deepEqual(created.json, {
      processDefinitionId: processId,
      processDefinitionVersion: 1,
      processDefinitionKey: String(deployed.processDefinitionKey),
      processInstanceKey: key,
      tenantId: '<default>',
      variables: {},
    });

    const active = await post(h, '/v2/process-instances/search', { filter: { processInstanceKey: key, state: 'ACTIVE' } });
    assert.equal(active.json.page.totalItems, 1);
    const row = active.json.items[0];
    assert.equal(row.state, 'ACTIVE');
    assert.equal(row.hasIncident, false);
    assert.equal(row.processDefinitionName, processId, 'no name: the id, as Camunda falls back');
    assert.match(row.startDate, ISO);
    assert.equal(row.endDate, undefined);

    const job = await activateOne(h.zb, type, { worker: 'w1' });
    await h.zb.completeJob({ jobKey: job.key, variables: { done: true } });

    const ended = await get(h, `/v2/process-instances/${key}`);
    assert.equal(ended.status, 200);
    assert.equal(ended.json.state, 'COMPLETED');
    assert.match(ended.json.endDate, ISO);
    const byState = await post(h, '/v2/process-instances/search', {
      filter: { processDefinitionId: processId, state: { $in: ['COMPLETED', 'TERMINATED'] } },
    });
    assert.deepEqual(byState.json.items.map((i: Json) => i.processInstanceKey), [key]);
    const notActive = await post(h, '/v2/process-instances/search', { filter: { processInstanceKey: { $eq: key }, state: { $neq: 'COMPLETED' } } });
    assert.equal(notActive.json.page.totalItems, 0);

    // As in Camunda 8.8's secondary storage: the flow nodes only, never a row for the process itself (nor for
    // sequence flows), so the first item is the start event and the count is the flow nodes'.
    const elements = await post(h, '/v2/element-instances/search', {
      filter: { processInstanceKey: key },
      sort: [{ field: 'elementInstanceKey', order: 'ASC' }],
    });
    assert.deepEqual(
      elements.json.items.map((e: Json) => [e.type, e.elementId, e.state]),
      [
        ['START_EVENT', 'start', 'COMPLETED'],
        ['SERVICE_TASK', 'task', 'COMPLETED'],
        ['END_EVENT', 'end', 'COMPLETED'],
      ],
    );
    assert.equal(elements.json.page.totalItems, 3);
    assert.equal((await post(h, '/v2/element-instances/search', { filter: { processInstanceKey: key, type: 'PROCESS' } })).json.page.totalItems, 0);
    assert.equal((await post(h, '/v2/element-instances/search', { filter: { elementInstanceKey: key } })).json.page.totalItems, 0);
    assertProblem(await get(h, `/v2/element-instances/${key}`), 404, 'NOT_FOUND', new RegExp(`^Element instance with key '${key}' not found$`));
    const task = elements.json.items[1];
    assert.equal((await get(h, `/v2/element-instances/${task.elementInstanceKey}`)).json.elementId, 'task');
    const children = await post(h, '/v2/element-instances/search', { filter: { elementInstanceScopeKey: key } });
    assert.equal(children.json.page.totalItems, 3, 'the direct children of the process instance');

    const jobs = await post(h, '/v2/jobs/search', { filter: { processInstanceKey: key } });
    assert.equal(jobs.json.items.length, 1);
    assert.equal(jobs.json.items[0].state, 'COMPLETED');
    assert.equal(jobs.json.items[0].worker, 'w1');
    assert.equal(jobs.json.items[0].type, type);
    assert.equal(jobs.json.items[0].elementInstanceKey, task.elementInstanceKey);

    const variables = await post(h, '/v2/variables/search', { filter: { processInstanceKey: key }, sort: [{ field: 'name' }] });
    assert.deepEqual(
      variables.json.items.map((v: Json) => [v.name, v.value, v.isTruncated, v.scopeKey]),
      [
        ['done', 'true', false, key],
        ['order', '{"id":7}', false, key],
      ],
    );
    const variable = await get(h, `/v2/variables/${variables.json.items[1].variableKey}`);
    assert.deepEqual(Object.keys(variable.json).sort(), ['name', 'processInstanceKey', 'scopeKey', 'tenantId', 'value', 'variableKey']);
    assert.equal(variable.json.value, '{"id":7}');
  });

  engineTest('a variable updated keeps its key; searching by name and value', async (h) => {
    const processId = `vars-${h.id}`;
    const type = `v-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { count: 1, big: 'x'.repeat(9000) } });
    const before = await post(h, '/v2/variables/search', { filter: { processInstanceKey, name: 'count' } });
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: { count: 2 } });
    const after = await post(h, '/v2/variables/search', { filter: { name: { $like: 'c*t' }, value: '2' } });
    assert.equal(after.json.items.length, 1);
    assert.equal(after.json.items[0].variableKey, before.json.items[0].variableKey);
    const big = await post(h, '/v2/variables/search', { filter: { processInstanceKey, name: 'big' } });
    assert.equal(big.json.items[0].isTruncated, true);
    assert.equal(big.json.items[0].value.length, 8191);
    const full = await get(h, `/v2/variables/${big.json.items[0].variableKey}`);
    assert.equal(full.json.value.length, 9002);
    const byVariable = await post(h, '/v2/process-instances/search', { filter: { variables: [{ name: 'count', value: '2' }] } });
    assert.deepEqual(byVariable.json.items.map((i: Json) => i.processInstanceKey), [processInstanceKey]);
  });

  engineTest('sort, offset and cursor pages', async (h) => {
    const processId = `pages-${h.id}`;
    await deploy(h.zb, emptyProcess(processId));
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} })).processInstanceKey);
    const filter = { processDefinitionId: processId };
    const desc = await post(h, '/v2/process-instances/search', { filter, sort: [{ field: 'processInstanceKey', order: 'DESC' }] });
    assert.deepEqual(desc.json.items.map((i: Json) => i.processInstanceKey), [...keys].reverse());
    const first = await post(h, '/v2/process-instances/search', { filter, page: { limit: 2 } });
    assert.deepEqual(first.json.items.map((i: Json) => i.processInstanceKey), keys.slice(0, 2));
    assert.equal(first.json.page.totalItems, 5);
    const next = await post(h, '/v2/process-instances/search', { filter, page: { limit: 2, after: first.json.page.endCursor } });
    assert.deepEqual(next.json.items.map((i: Json) => i.processInstanceKey), keys.slice(2, 4));
    const back = await post(h, '/v2/process-instances/search', { filter, page: { limit: 2, before: next.json.page.startCursor } });
    assert.deepEqual(back.json.items.map((i: Json) => i.processInstanceKey), keys.slice(0, 2));
    const offset = await post(h, '/v2/process-instances/search', { filter, page: { from: 4, limit: 10 } });
    assert.deepEqual(offset.json.items.map((i: Json) => i.processInstanceKey), keys.slice(4));
    const dates = await post(h, '/v2/process-instances/search', { filter: { ...filter, startDate: { $gte: '2000-01-01T00:00:00Z' }, endDate: { $exists: true } } });
    assert.equal(dates.json.page.totalItems, 5);
  });
});

describe('REST API: commands', () => {
  engineTest('cancel an instance; cancelling it again is 404 with the rejection', async (h) => {
    const processId = `cancel-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, `c-${h.id}`));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    const cancelled = await fetch(`${h.engine.restAddress}/v2/process-instances/${processInstanceKey}/cancellation`, { method: 'POST' });
    assert.equal(cancelled.status, 204);
    const row = await get(h, `/v2/process-instances/${processInstanceKey}`);
    assert.equal(row.json.state, 'TERMINATED');
    const jobs = await post(h, '/v2/jobs/search', { filter: { processInstanceKey } });
    assert.equal(jobs.json.items[0].state, 'CANCELED');
    assertProblem(
      await post(h, `/v2/process-instances/${processInstanceKey}/cancellation`, {}),
      404,
      'NOT_FOUND',
      /^Command 'CANCEL' rejected with code 'NOT_FOUND': Expected to cancel a process instance with key/,
      `/v2/process-instances/${processInstanceKey}/cancellation`,
    );
  });

  engineTest('an incident is ACTIVE, then RESOLVED after resolution over REST; the instance completes', async (h) => {
    const processId = `incident-${h.id}`;
    const type = `i-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'boom', retryBackOff: 0 });
    const incidents = await post(h, '/v2/incidents/search', { filter: { processInstanceKey, state: 'ACTIVE' } });
    assert.equal(incidents.json.items.length, 1);
    const incident = incidents.json.items[0];
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident.errorMessage, 'boom');
    assert.equal(incident.jobKey, job.key);
    assert.match(incident.creationTime, ISO);
    assert.equal((await get(h, `/v2/process-instances/${processInstanceKey}`)).json.hasIncident, true);
    const task = await post(h, '/v2/element-instances/search', { filter: { processInstanceKey, elementId: 'task' } });
    assert.equal(task.json.items[0].incidentKey, incident.incidentKey);
    const withIncident = await post(h, '/v2/process-instances/search', {
      filter: { errorMessage: { $like: 'bo*' }, elementId: 'task', elementInstanceState: 'ACTIVE', hasElementInstanceIncident: true },
    });
    assert.deepEqual(withIncident.json.items.map((i: Json) => i.processInstanceKey), [processInstanceKey]);
    const otherElement = await post(h, '/v2/process-instances/search', { filter: { processInstanceKey, elementId: 'end', elementInstanceState: 'ACTIVE' } });
    assert.equal(otherElement.json.page.totalItems, 0, 'element id and state are matched on the same element instance');
    const failedJob = await post(h, '/v2/jobs/search', { filter: { jobKey: job.key } });
    assert.deepEqual([failedJob.json.items[0].state, failedJob.json.items[0].errorMessage], ['FAILED', 'boom']);

    assertProblem(
      await post(h, `/v2/incidents/${incident.incidentKey}/resolution`, {}),
      409,
      'INVALID_STATE',
      /^Command 'RESOLVE' rejected with code 'INVALID_STATE': .*no retries left/,
    );
    await h.zb.updateJobRetries({ jobKey: job.key, retries: 1 });
    const resolved = await post(h, `/v2/incidents/${incident.incidentKey}/resolution`);
    assert.equal(resolved.status, 204);
    const row = await get(h, `/v2/incidents/${incident.incidentKey}`);
    assert.equal(row.json.state, 'RESOLVED');
    assert.equal((await get(h, `/v2/process-instances/${processInstanceKey}`)).json.hasIncident, false);
    assertProblem(await post(h, `/v2/incidents/${incident.incidentKey}/resolution`), 404, 'NOT_FOUND', /^Command 'RESOLVE' rejected with code 'NOT_FOUND'/);

    const again = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: again.key, variables: {} });
    assert.equal((await get(h, `/v2/process-instances/${processInstanceKey}`)).json.state, 'COMPLETED');
    const resolvedOnes = await post(h, '/v2/incidents/search', { filter: { state: 'RESOLVED', processInstanceKey } });
    assert.equal(resolvedOnes.json.page.totalItems, 1);
  });

  engineTest('awaitCompletion answers with the variables once the instance completes', async (h) => {
    const processId = `await-${h.id}`;
    const type = `aw-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, type));
    const pending = post(h, '/v2/process-instances', {
      processDefinitionId: processId,
      variables: { a: 1 },
      awaitCompletion: true,
      fetchVariables: ['b'],
    });
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: { b: 2 } });
    const done = await pending;
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.deepEqual(done.json.variables, { b: 2 });
    const empty = await deploy(h.zb, emptyProcess(`${processId}-empty`), 'empty.bpmn');
    const immediate = await post(h, '/v2/process-instances', { processDefinitionKey: String(empty.processDefinitionKey), variables: { x: 'y' }, awaitCompletion: true });
    assert.deepEqual(immediate.json.variables, { x: 'y' });
    const timedOut = await post(h, '/v2/process-instances', { processDefinitionId: processId, awaitCompletion: true, requestTimeout: 100 });
    assertProblem(timedOut, 504, 'java.util.concurrent.TimeoutException', /timed out/);
  });

  engineTest('publish, correlate and broadcast', async (h) => {
    const name = `paid-${h.id}`;
    const processId = `msg-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(processId, [startEvent(), receiveTask('wait', 'msg'), endEvent(), ...chain('start', 'wait', 'end')], {
        roots: [message('msg', name, '=orderId')],
      }),
    );
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { orderId: 'A' } });
    assertProblem(
      await post(h, '/v2/messages/correlation', { name, correlationKey: 'B' }),
      404,
      'NOT_FOUND',
      new RegExp(`^Command 'CORRELATE' rejected with code 'NOT_FOUND': Expected to find subscription for message with name '${name}' and correlation key 'B'`),
    );
    const correlated = await post(h, '/v2/messages/correlation', { name, correlationKey: 'A', variables: { paid: true } });
    assert.equal(correlated.status, 200, JSON.stringify(correlated.json));
    assert.equal(correlated.json.processInstanceKey, processInstanceKey);
    assert.match(correlated.json.messageKey, /^\d+$/);
    assert.equal((await get(h, `/v2/process-instances/${processInstanceKey}`)).json.state, 'COMPLETED');

    const published = await post(h, '/v2/messages/publication', { name, correlationKey: 'C', timeToLive: 60_000, messageId: 'm-1' });
    assert.deepEqual(Object.keys(published.json).sort(), ['messageKey', 'tenantId']);
    const second = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { orderId: 'C' } });
    assert.equal((await get(h, `/v2/process-instances/${second.processInstanceKey}`)).json.state, 'COMPLETED', 'the buffered message correlated');
    assertProblem(
      await post(h, '/v2/messages/publication', { name, correlationKey: 'C', timeToLive: 60_000, messageId: 'm-1' }),
      409,
      'ALREADY_EXISTS',
      /^Command 'PUBLISH' rejected with code 'ALREADY_EXISTS'/,
    );

    const signal = await post(h, '/v2/signals/broadcast', { signalName: `s-${h.id}` });
    assert.equal(signal.status, 200);
    assert.match(signal.json.signalKey, /^\d+$/);
    assert.equal(signal.json.tenantId, '<default>');
  });
});

describe('REST API: backpressure', () => {
  engineTest('over the limit a creation gets 429 RESOURCE_EXHAUSTED; a cancellation is still taken', async (h) => {
    const processId = `bp-${h.id}`;
    await deploy(h.zb, oneTaskProcess(processId, `bp-${h.id}`));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    h.engine.setBackpressure(0);
    try {
      assertProblem(await post(h, '/v2/process-instances', { processDefinitionId: processId }), 429, 'RESOURCE_EXHAUSTED', /Reached maximum capacity/);
      assert.equal((await post(h, `/v2/process-instances/${processInstanceKey}/cancellation`)).status, 204);
      assert.equal((await post(h, '/v2/process-instances/search', {})).status, 200, 'searches are reads: never refused');
    } finally {
      h.engine.setBackpressure(undefined);
    }
  });
});

describe('REST API: bad requests get the answers Camunda gives', () => {
  engineTest('bodies, types, keys, filters, sorts and pages', async (h) => {
    const cases: [Promise<{ status: number; type: string; json: Json }>, number, string, RegExp][] = [
      [post(h, '/v2/process-instances'), 400, 'Bad Request', /^Required request body is missing$/],
      [post(h, '/v2/process-instances', '{"processDefinitionId": '), 400, 'Bad Request', /^Failed to read request$/],
      [post(h, '/v2/process-instances', { processDefinitionId: 'x', variables: [1] }), 400, 'Bad Request', /^Request property \[variables\] cannot be parsed$/],
      [post(h, '/v2/process-instances', { processDefinitionId: 'x', processDefinitionKey: '1' }), 400, 'INVALID_ARGUMENT', /^Only one of \[processDefinitionId, processDefinitionKey\] is allowed\.$/],
      [post(h, '/v2/process-instances', { processDefinitionKey: 'abc' }), 400, 'INVALID_ARGUMENT', /processDefinitionKey 'abc' is not a valid key/],
      [post(h, '/v2/process-instances', { processDefinitionId: 'x', tenantId: 'other' }), 400, 'INVALID_ARGUMENT', /tenant identifier 'other', but multi-tenancy is disabled/],
      [post(h, '/v2/process-instances', { processDefinitionId: `missing-${h.id}` }), 404, 'NOT_FOUND', /^Command 'CREATE' rejected with code 'NOT_FOUND': Expected to find process definition/],
      [post(h, '/v2/process-instances/search', { filter: { stat: 'ACTIVE' } }), 400, 'INVALID_ARGUMENT', /^Unknown filter property 'stat'/],
      [post(h, '/v2/process-instances/search', { filter: { state: 'RUNNING' } }), 400, 'INVALID_ARGUMENT', /^Unexpected value 'RUNNING' for enum field 'state'\. Use any of the following values: \[ACTIVE, COMPLETED, TERMINATED\]/],
      [post(h, '/v2/process-instances/search', { filter: { state: { $gt: 'ACTIVE' } } }), 400, 'Bad Request', /^Request property \[filter\.state\.\$gt\] cannot be parsed$/],
      [post(h, '/v2/process-instances/search', { filter: { startDate: 'yesterday' } }), 400, 'INVALID_ARGUMENT', /^The provided startDate 'yesterday' cannot be parsed as a date according to RFC 3339/],
      [post(h, '/v2/process-instances/search', { filter: { hasIncident: 'maybe' } }), 400, 'Bad Request', /^Request property \[filter\.hasIncident\] cannot be parsed$/],
      [post(h, '/v2/process-instances/search', { filter: { batchOperationId: 'b' } }), 400, 'INVALID_ARGUMENT', /not supported by forager's engine/],
      [post(h, '/v2/process-instances/search', { sort: [{ field: 'color' }] }), 400, 'INVALID_ARGUMENT', /^Unknown sortBy: color\.$/],
      [post(h, '/v2/process-instances/search', { page: { from: 1, after: 'WzFd' } }), 400, 'INVALID_ARGUMENT', /^Both after\/before and from cannot be set at the same time\.$/],
      [post(h, '/v2/process-instances/search', { page: { limit: 0 } }), 400, 'INVALID_ARGUMENT', /page\.limit/],
      [post(h, '/v2/element-instances/search', { filter: { elementId: { $eq: 'x' } } }), 400, 'Bad Request', /^Request property \[filter\.elementId\] cannot be parsed$/],
      [get(h, '/v2/process-instances/abc'), 400, 'Bad Request', /^Failed to convert 'processInstanceKey' with value: 'abc'$/],
      [get(h, '/v2/process-instances/2251799813685249'), 404, 'NOT_FOUND', /^Process instance with key '2251799813685249' not found$/],
      [get(h, '/v2/incidents/2251799813685249'), 404, 'NOT_FOUND', /not found/],
      [get(h, '/v2/variables/1'), 404, 'NOT_FOUND', /not found/],
      [post(h, '/v2/messages/publication', { correlationKey: 'a' }), 400, 'INVALID_ARGUMENT', /^No name provided\.$/],
      [post(h, '/v2/messages/correlation', {}), 400, 'INVALID_ARGUMENT', /^No messageName provided\.$/],
      [post(h, '/v2/signals/broadcast', {}), 400, 'INVALID_ARGUMENT', /^No signalName provided\.$/],
      [post(h, '/v2/incidents/9/resolution', {}), 404, 'NOT_FOUND', /^Command 'RESOLVE' rejected/],
      [call(h, 'PUT', '/v2/clock', {}), 400, 'INVALID_ARGUMENT', /^No timestamp provided\.$/],
      [call(h, 'PUT', '/v2/clock', { timestamp: -1 }), 400, 'INVALID_ARGUMENT', /^The value for timestamp is '-1' but must be not negative\.$/],
      [call(h, 'PUT', '/v2/clock', { timestamp: 'soon' }), 400, 'Bad Request', /^Request property \[timestamp\] cannot be parsed$/],
      [call(h, 'PUT', '/v2/clock'), 400, 'Bad Request', /^Required request body is missing$/],
    ];
    for (const [pending, status, title, detail] of cases) assertProblem(await pending, status, title, detail);
  });

  engineTest('a property the request does not have is refused by its path, as Camunda 8.8 does, and nothing is done', async (h) => {
    const processId = `unknown-props-${h.id}`;
    await deploy(h.zb, emptyProcess(processId));
    const unparsable = (path: string) => new RegExp(`^Request property \\[${path.replace(/[.[\]$]/g, '\\$&')}\\] cannot be parsed$`);
    const cases: [Promise<{ status: number; type: string; json: Json }>, string][] = [
      [post(h, '/v2/process-instances', { processDefinitionId: processId, variable: { a: 1 } }), 'variable'],
      [post(h, '/v2/process-instances', { processDefinitionId: processId, startInstructions: [{ elementId: 'end', id: 'x' }] }), 'startInstructions[0].id'],
      [post(h, '/v2/process-instances/1/cancellation', { reason: 'typo' }), 'reason'],
      [post(h, '/v2/incidents/1/resolution', { retries: 3 }), 'retries'],
      [post(h, '/v2/messages/publication', { name: 'm', correlationKey: 'k', ttl: 1000 }), 'ttl'],
      [post(h, '/v2/messages/correlation', { name: 'm', correlationKey: 'k', messageId: 'id-1' }), 'messageId'],
      [post(h, '/v2/signals/broadcast', { signalName: 's', name: 's' }), 'name'],
      [post(h, '/v2/process-instances/search', { filtr: { processDefinitionId: processId } }), 'filtr'],
      [post(h, '/v2/process-instances/search', { sort: [{ field: 'startDate', direction: 'DESC' }] }), 'sort[0].direction'],
      [post(h, '/v2/jobs/search', { page: { limit: 5, size: 5 } }), 'page.size'],
      [post(h, '/v2/process-instances/search', { filter: { variables: [{ name: 'a', values: [1] }] } }), 'filter.variables[0].values'],
      [call(h, 'PUT', '/v2/clock', { timestamp: 0, zone: 'UTC' }), 'zone'],
    ];
    for (const [pending, path] of cases) assertProblem(await pending, 400, 'Bad Request', unparsable(path));
    const started = await post(h, '/v2/process-instances/search', { filter: { processDefinitionId: processId } });
    assert.equal(started.status, 200);
    assert.deepEqual((started.json as { items: unknown[] }).items, [], 'the refused creations started no instance');
    assert.notEqual(h.engine.clock.now(), 0, 'the refused pin to 0 did not move the clock');
    const created = await post(h, '/v2/process-instances', { processDefinitionId: processId, startInstructions: [{ elementId: 'end' }] });
    assert.equal(created.status, 200, 'the same request without the unknown property is taken');
  });

  engineTest('a body over 4 MiB is refused with 413 before it is processed', async (h) => {
    const huge = JSON.stringify({ processDefinitionId: 'x', variables: { blob: 'x'.repeat(5 * 1024 * 1024) } });
    assertProblem(await post(h, '/v2/process-instances', huge), 413, 'Payload Too Large', /at most 4194304 bytes/);
    assert.equal((await fetch(`${h.engine.restAddress}/v2/status`)).status, 204, 'the server still serves');
  });
});

describe('REST API: history retention', () => {
  test('ended instances are dropped by count and by age on the engine clock; running ones stay', { timeout: 20_000 }, async (t) => {
    const engine = await startEngine({ history: { retentionMs: 60_000, maxEndedInstances: 2 } });
    const zb = new Camunda8(sdkConfig(engine.address)).getZeebeGrpcApiClient();
    t.after(async () => {
      await zb.close(2000).catch(() => undefined);
      await engine.stop();
    });
    engine.clock.advance(0); // pin engine time, so that only advanceClock moves it
    await deploy(zb, emptyProcess('retention-empty'));
    await deploy(zb, oneTaskProcess('retention-task', 'retention-work'), 'task.bpmn');
    const running = (await zb.createProcessInstance({ bpmnProcessId: 'retention-task', variables: { keep: 1 } })).processInstanceKey;
    const ended: string[] = [];
    for (let i = 0; i < 3; i++) {
      ended.push((await zb.createProcessInstance({ bpmnProcessId: 'retention-empty', variables: { i } })).processInstanceKey);
      await engine.advanceClock(1000);
    }
    const base = engine.restAddress;
    const keysOf = async (filter: Json) =>
      (await post(base, '/v2/process-instances/search', { filter, sort: [{ field: 'processInstanceKey' }] })).json.items.map((i: Json) => i.processInstanceKey);
    assert.deepEqual(await keysOf({ processDefinitionId: 'retention-empty' }), ended.slice(1), 'the oldest ended instance is dropped beyond 2');
    assertProblem(await get(base, `/v2/process-instances/${ended[0]}`), 404, 'NOT_FOUND', /not found/);
    assert.equal((await post(base, '/v2/variables/search', { filter: { processInstanceKey: ended[0] } })).json.page.totalItems, 0, 'with its variables');
    assert.equal((await post(base, '/v2/element-instances/search', { filter: { processInstanceKey: ended[0] } })).json.page.totalItems, 0, 'and element instances');

    await engine.advanceClock(58_500);
    assert.deepEqual(await keysOf({ processDefinitionId: 'retention-empty' }), [ended[2]], 'ended more than 60 s ago: dropped');
    await engine.advanceClock(1000);
    assert.deepEqual(await keysOf({ processDefinitionId: 'retention-empty' }), []);
    assert.deepEqual(await keysOf({ state: 'ACTIVE' }), [running], 'a running instance is kept whatever its age');
    assert.equal((await post(base, '/v2/variables/search', { filter: { processInstanceKey: running } })).json.page.totalItems, 1);
    assert.deepEqual(engine.checkIntegrity(), []);
  });
});
