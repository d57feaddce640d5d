/**
 * Contract tests of BPMN element behaviour the engine supports, observed through the official
 * `@camunda8/sdk` gRPC client: gateways, end events, script tasks, FEEL in job definitions and message
 * subscriptions, and how incidents on them are resolved (zeebe-semantics.md §7 and §9).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  bpmnXml,
  chain,
  endEvent,
  exclusiveGateway,
  flow,
  message,
  messageCatchEvent,
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
} from '../helpers/engine-harness.ts';

describe('Exclusive gateway', () => {
  engineTest('the first true condition in model order wins; with none true the default flow is taken', async (h) => {
    const type = `xor-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [
        startEvent(),
        exclusiveGateway('decide', 'toOther'),
        serviceTask('first', `${type}-first`),
        serviceTask('second', `${type}-second`),
        serviceTask('other', `${type}-other`),
        endEvent('e1'),
        endEvent('e2'),
        endEvent('e3'),
        flow('toDecide', 'start', 'decide'),
        flow('toFirst', 'decide', 'first', '=x > 10'),
        flow('toSecond', 'decide', 'second', '=x > 5'),
        flow('toOther', 'decide', 'other'),
        flow('f1', 'first', 'e1'),
        flow('f2', 'second', 'e2'),
        flow('f3', 'other', 'e3'),
      ]),
    );
    await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { x: 20 } });
    await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { x: 7 } });
    await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { x: 1 } });
    const taken = async (suffix: string) => (await activate(h.zb, `${type}-${suffix}`)).map((j) => j.variables.x);
    assert.deepEqual(await taken('first'), [20], 'x > 10 and x > 5 are both true for 20: the first in model order wins');
    assert.deepEqual(await taken('second'), [7]);
    assert.deepEqual(await taken('other'), [1]);
  });
});

describe('End events', () => {
  engineTest('a terminate end event ends the other branch (its job is removed) and completes the instance', async (h) => {
    const type = `terminate-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [
        startEvent(),
        parallelGateway('fork'),
        serviceTask('work', type),
        endEvent('workDone'),
        '<bpmn:endEvent id="stopAll"><bpmn:terminateEventDefinition id="stopAll_def" /></bpmn:endEvent>',
        flow('toFork', 'start', 'fork'),
        flow('toWork', 'fork', 'work'),
        flow('toStop', 'fork', 'stopAll'),
        flow('workToEnd', 'work', 'workDone'),
      ]),
    );
    const response = await h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { v: 1 } });
    assert.deepEqual({ ...response.variables }, { v: 1 });
    assert.ok(instanceCompleted(h.engine, response.processInstanceKey), 'the instance completes (it is not terminated)');
    assert.deepEqual(await activate(h.zb, type), [], 'the job of the terminated task is gone');
  });

  engineTest('an uncaught error end event raises UNHANDLED_ERROR_EVENT again on every resolve', async (h) => {
    const processId = `errend-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(
        processId,
        [
          startEvent(),
          '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition id="fail_def" errorRef="err" /></bpmn:endEvent>',
          ...chain('start', 'fail'),
        ],
        { roots: ['<bpmn:error id="err" name="Rejected" errorCode="REJECTED" />'] },
      ),
    );
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    const first = incidentsCreated(h.engine, processInstanceKey);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.value.errorType, 'UNHANDLED_ERROR_EVENT');
    assert.equal(first[0]!.value.elementId, 'fail');
    assert.match(String(first[0]!.value.errorMessage), /REJECTED/);
    await h.zb.resolveIncident({ incidentKey: first[0]!.key });
    const all = incidentsCreated(h.engine, processInstanceKey);
    assert.equal(all.length, 2);
    assert.notEqual(all[1]!.key, first[0]!.key);
  });
});

describe('Pass-through elements', () => {
  engineTest('undefined tasks, manual tasks and none intermediate throw events pass straight through', async (h) => {
    const processId = `pass-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(processId, [
        startEvent(),
        '<bpmn:task id="plain" />',
        '<bpmn:manualTask id="manual" />',
        '<bpmn:intermediateThrowEvent id="milestone" />',
        endEvent(),
        ...chain('start', 'plain', 'manual', 'milestone', 'end'),
      ]),
    );
    const response = await h.zb.createProcessInstanceWithResult({ bpmnProcessId: processId, variables: { a: 1 } });
    assert.deepEqual({ ...response.variables }, { a: 1 });
  });
});

describe('Script task', () => {
  engineTest('a zeebe:script expression stores its result in the result variable', async (h) => {
    const processId = `script-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(processId, [
        startEvent(),
        '<bpmn:scriptTask id="sum"><bpmn:extensionElements><zeebe:script expression="=a + b" resultVariable="total" /></bpmn:extensionElements></bpmn:scriptTask>',
        endEvent(),
        ...chain('start', 'sum', 'end'),
      ]),
    );
    const response = await h.zb.createProcessInstanceWithResult({ bpmnProcessId: processId, variables: { a: 2, b: 40 } });
    assert.deepEqual({ ...response.variables }, { a: 2, b: 40, total: 42 });
  });
});

describe('FEEL in task definitions and subscriptions', () => {
  engineTest('job type and retries can be FEEL expressions', async (h) => {
    const processId = `feeltype-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(processId, [startEvent(), serviceTask('task', '="dyn-" + region', { retries: '=maxRetries + 1' }), endEvent(), ...chain('start', 'task', 'end')]),
    );
    await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: { region: `eu-${h.id}`, maxRetries: 4 } });
    const job = await activateOne(h.zb, `dyn-eu-${h.id}`, { requestTimeout: -1 });
    assert.equal(job.retries, 5);
  });

  engineTest('a job type expression that gives no string raises EXTRACT_VALUE_ERROR; SetVariables + resolve create the job', async (h) => {
    const processId = `badtype-${h.id}`;
    await deploy(h.zb, bpmnXml(processId, [startEvent(), serviceTask('task', '=jobType'), endEvent(), ...chain('start', 'task', 'end')]));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    const incident = incidentsCreated(h.engine, processInstanceKey)[0];
    assert.equal(incident?.value.errorType, 'EXTRACT_VALUE_ERROR');
    assert.equal(incident?.value.elementId, 'task');
    assert.equal(eventsOf(h.engine, 'JOB', 'CREATED').length, 0);
    await h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: { jobType: `fixed-${h.id}` }, local: false });
    await h.zb.resolveIncident({ incidentKey: incident!.key });
    assert.equal((await activate(h.zb, `fixed-${h.id}`)).length, 1);
  });

  engineTest('a correlation key that gives null raises EXTRACT_VALUE_ERROR; after a fix the subscription opens', async (h) => {
    const name = `nullkey-${h.id}`;
    const type = `after-nullkey-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [startEvent(), messageCatchEvent('wait', 'msg'), serviceTask('after', type), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
        roots: [message('msg', name, '=orderId')],
      }),
    );
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const incident = incidentsCreated(h.engine, processInstanceKey)[0];
    assert.equal(incident?.value.errorType, 'EXTRACT_VALUE_ERROR');
    await h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: { orderId: 'k-1' }, local: false });
    await h.zb.resolveIncident({ incidentKey: incident!.key });
    await h.zb.publishMessage({ name, correlationKey: 'k-1', variables: {} });
    assert.equal((await activate(h.zb, type)).length, 1);
  });

  engineTest('the correlation key is evaluated once, when the catch event is entered', async (h) => {
    const name = `keyonce-${h.id}`;
    const type = `after-keyonce-${h.id}`;
    await deploy(
      h.zb,
      bpmnXml(`p-${type}`, [startEvent(), messageCatchEvent('wait', 'msg'), serviceTask('after', type), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
        roots: [message('msg', name, '=orderId')],
      }),
    );
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { orderId: 'first' } });
    await h.zb.setVariables({ elementInstanceKey: processInstanceKey, variables: { orderId: 'second' }, local: false });
    await h.zb.publishMessage({ name, correlationKey: 'second', variables: {} });
    assert.deepEqual(await activate(h.zb, type), [], 'a later variable change does not move the subscription');
    await h.zb.publishMessage({ name, correlationKey: 'first', variables: {} });
    assert.equal((await activate(h.zb, type)).length, 1);
  });
});

describe('Unsupported BPMN is rejected at deploy, loudly', () => {
  const cases: [kind: string, elementId: string, fragment: string][] = [
    ['an escalation end event', 'esc', '<bpmn:endEvent id="esc"><bpmn:escalationEventDefinition id="esc_def" /></bpmn:endEvent>'],
    ['a link throw event', 'link', '<bpmn:intermediateThrowEvent id="link"><bpmn:linkEventDefinition id="link_def" name="l" /></bpmn:intermediateThrowEvent>'],
    ['a conditional catch event', 'cond', '<bpmn:intermediateCatchEvent id="cond"><bpmn:conditionalEventDefinition id="cond_def" /></bpmn:intermediateCatchEvent>'],
    ['a complex gateway', 'cplx', '<bpmn:complexGateway id="cplx" />'],
    ['a transaction', 'tx', '<bpmn:transaction id="tx" />'],
    ['an ad-hoc subprocess', 'adhoc', '<bpmn:adHocSubProcess id="adhoc" />'],
    ['a standard loop', 'loop', '<bpmn:task id="loop"><bpmn:standardLoopCharacteristics /></bpmn:task>'],
    ['an empty event-based gateway', 'evgw', '<bpmn:eventBasedGateway id="evgw" />'],
    ['a signal catch event without a signal', 'sig', '<bpmn:intermediateCatchEvent id="sig"><bpmn:signalEventDefinition id="sig_def" /></bpmn:intermediateCatchEvent>'],
    ['a subprocess without a start event', 'sub', '<bpmn:subProcess id="sub"><bpmn:endEvent id="subEnd" /></bpmn:subProcess>'],
    ['a call activity without a process id', 'call', '<bpmn:callActivity id="call" />'],
    [
      'a multi-instance task without an input collection',
      'multi',
      '<bpmn:serviceTask id="multi"><bpmn:extensionElements><zeebe:taskDefinition type="t" /></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics /></bpmn:serviceTask>',
    ],
  ];
  for (const [kind, elementId, fragment] of cases) {
    engineTest(`${kind} gets 3 INVALID_ARGUMENT naming the file and '${elementId}'`, async (h) => {
      const xml = bpmnXml(`unsupported-${h.id}`, [startEvent(), endEvent(), ...chain('start', 'end'), fragment]);
      const e = await rejectsWithCode(h.zb.deployResource({ name: 'unsupported.bpmn', process: Buffer.from(xml) }), 3);
      assert.match(e.details, /unsupported\.bpmn/);
      assert.match(e.details, new RegExp(elementId));
    });
  }
});
