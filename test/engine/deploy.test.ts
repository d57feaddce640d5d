/**
 * Contract tests of Topology and DeployResource, driven by the official `@camunda8/sdk` gRPC client
 * (zeebe-semantics.md §6: D1–D5, Topology).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe } from 'node:test';
import { bpmnXml, chain, endEvent, oneTaskProcess, serviceTask, startEvent, timerCatchEvent, userTask } from '../helpers/bpmn.ts';
import { deploy, engineTest, rejectsWithCode } from '../helpers/engine-harness.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * `xml` with a diagram copied from another file: its plane, a shape, an edge (and that edge's source) and a
 * label style name elements this file does not have.
 */
function withCopiedDiagram(xml: string): string {
  const diagram = `<bpmndi:BPMNDiagram id="copied" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI">
    <bpmndi:BPMNPlane id="copied_plane" bpmnElement="Process_elsewhere">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="0" y="0" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="gone_di" bpmnElement="Activity_elsewhere"><dc:Bounds x="100" y="0" width="100" height="80" /><bpmndi:BPMNLabel labelStyle="style_elsewhere" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_di" bpmnElement="Flow_elsewhere" sourceElement="shape_elsewhere"><di:waypoint x="36" y="18" /><di:waypoint x="100" y="40" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
  return xml.replace('</bpmn:definitions>', diagram);
}

describe('Topology', () => {
  engineTest('answers with one healthy broker leading partition 1, and gatewayVersion 8.8.x', async ({ zb, engine }) => {
    const topology = await zb.topology();
    assert.match(topology.gatewayVersion, /^8\.8\.\d+/);
    assert.equal(topology.clusterSize, 1);
    assert.equal(topology.partitionsCount, 1);
    assert.equal(topology.replicationFactor, 1);
    assert.equal(topology.brokers.length, 1);
    const broker = topology.brokers[0]!;
    assert.equal(broker.nodeId, 0);
    assert.equal(broker.host, engine.host);
    // BrokerInfo.version is in the proto, though the SDK's type omits it.
    assert.match(String((broker as { version?: string }).version), /^8\.8\.\d+/);
    assert.deepEqual(
      broker.partitions.map((p) => ({ partitionId: p.partitionId, role: p.role, health: p.health })),
      [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }],
    );
  });
});

describe('DeployResource', () => {
  engineTest('deploys a process from a file and answers with its metadata', async ({ zb }) => {
    const response = await zb.deployResource({ processFilename: fixture('order-process.bpmn') });
    assert.match(String(response.key), /^\d+$/);
    assert.equal(response.deployments.length, 1);
    const process = response.deployments[0]!.process;
    assert.equal(process.bpmnProcessId, 'fixture-order-process');
    assert.equal(process.version, 1);
    assert.match(String(process.processDefinitionKey), /^\d+$/);
    // The SDK sends the file's path as the resource name; the engine answers with the name it got.
    assert.match(process.resourceName, /order-process\.bpmn$/);
    assert.equal(process.tenantId, '<default>');
  });

  engineTest('keys are int64 with partition 1 in the top bits (first key 2251799813685249)', async ({ zb, id }) => {
    const response = await zb.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess(`keys-${id}`, `keys-${id}`)) });
    const keys = [BigInt(response.key), BigInt(response.deployments[0]!.process.processDefinitionKey)];
    for (const key of keys) assert.equal(key >> 51n, 1n, `key ${key} should carry partition 1`);
    assert.equal(keys[0], 2251799813685249n, 'the first key of a fresh engine');
  });

  engineTest('a changed resource gets the next version; versions are per process id', async ({ zb, id }) => {
    const v1 = await deploy(zb, oneTaskProcess(`versions-${id}`, `a-${id}`), 'versions.bpmn');
    const v2 = await deploy(zb, oneTaskProcess(`versions-${id}`, `b-${id}`), 'versions.bpmn');
    const other = await deploy(zb, oneTaskProcess(`other-${id}`, `a-${id}`), 'other.bpmn');
    assert.equal(v1.version, 1);
    assert.equal(v2.version, 2);
    assert.notEqual(v2.processDefinitionKey, v1.processDefinitionKey);
    assert.equal(other.version, 1);
  });

  engineTest('the same bytes under the same name again give the same version and key (no new version)', async ({ zb, id }) => {
    const xml = oneTaskProcess(`dup-${id}`, `dup-${id}`);
    const first = await deploy(zb, xml, 'dup.bpmn');
    const again = await deploy(zb, xml, 'dup.bpmn');
    assert.equal(again.version, first.version);
    assert.equal(again.processDefinitionKey, first.processDefinitionKey);
    // The same bytes under another name are a new version.
    const renamed = await deploy(zb, xml, 'dup-renamed.bpmn');
    assert.equal(renamed.version, 2);
  });

  engineTest("v1, v2, then v1's bytes again make v3 (only the latest version counts as duplicate)", async ({ zb, id }) => {
    const xml1 = oneTaskProcess(`v3-${id}`, `one-${id}`);
    const xml2 = oneTaskProcess(`v3-${id}`, `two-${id}`);
    assert.equal((await deploy(zb, xml1, 'v.bpmn')).version, 1);
    assert.equal((await deploy(zb, xml2, 'v.bpmn')).version, 2);
    assert.equal((await deploy(zb, xml1, 'v.bpmn')).version, 3);
  });

  engineTest('broken XML is rejected with 3 INVALID_ARGUMENT naming the file', async ({ zb }) => {
    const content = await readFile(fixture('broken.bpmn'));
    const error = await rejectsWithCode(zb.deployResource({ name: 'broken.bpmn', process: content }), 3);
    assert.match(error.details, /Expected to deploy new resources, but encountered the following errors/);
    assert.match(error.details, /broken\.bpmn/);
  });

  engineTest('a user task is rejected with 3, naming the file, the element id and its kind', async ({ zb }) => {
    const error = await rejectsWithCode(zb.deployResource({ processFilename: fixture('user-task.bpmn') }), 3);
    assert.match(error.details, /user-task\.bpmn/);
    assert.match(error.details, /approveOrder/);
    assert.match(error.details, /UserTask/);
  });

  engineTest('a timer catch event with a bad duration is rejected with 3, naming the file, the element id and its kind', async ({ zb, id }) => {
    const xml = bpmnXml(`timer-${id}`, [startEvent(), timerCatchEvent('waitAMinute', 'PT1 minute'), endEvent(), ...chain('start', 'waitAMinute', 'end')]);
    const error = await rejectsWithCode(zb.deployResource({ name: 'timer.bpmn', process: Buffer.from(xml) }), 3);
    assert.match(error.details, /timer\.bpmn/);
    assert.match(error.details, /waitAMinute \(bpmn:IntermediateCatchEvent\)/);
    assert.match(error.details, /Invalid duration format 'PT1 minute'/);
  });

  engineTest('a service task without zeebe:taskDefinition is rejected with 3', async ({ zb, id }) => {
    const xml = bpmnXml(`notype-${id}`, [
      startEvent(),
      '<bpmn:serviceTask id="noDefinition" />',
      endEvent(),
      ...chain('start', 'noDefinition', 'end'),
    ]);
    const error = await rejectsWithCode(zb.deployResource({ name: 'notype.bpmn', process: Buffer.from(xml) }), 3);
    assert.match(error.details, /noDefinition/);
    assert.match(error.details, /taskDefinition/);
  });

  engineTest('one bad file of two: 3, and nothing is deployed (the good one cannot be started: 5)', async ({ zb, id }) => {
    const good = oneTaskProcess(`good-${id}`, `good-${id}`);
    const bad = bpmnXml(`bad-${id}`, [startEvent(), userTask('approve'), endEvent(), ...chain('start', 'approve', 'end')]);
    const error = await rejectsWithCode(
      zb.deployResources([
        { name: 'good.bpmn', process: Buffer.from(good) },
        { name: 'bad.bpmn', process: Buffer.from(bad) },
      ]),
      3,
    );
    assert.match(error.details, /bad\.bpmn/);
    await rejectsWithCode(zb.createProcessInstance({ bpmnProcessId: `good-${id}`, variables: {} }), 5);
  });

  engineTest('a diagram naming elements that are not in the file (copied from another) deploys, and the process runs', async ({ zb, id }) => {
    // Zeebe validates the process, not the diagram interchange.
    const xml = withCopiedDiagram(bpmnXml(`drawn-${id}`, [startEvent(), endEvent(), ...chain('start', 'end')]));
    const process = await deploy(zb, xml, 'copied-diagram.bpmn');
    assert.equal(process.bpmnProcessId, `drawn-${id}`);
    const result = await zb.createProcessInstanceWithResult({ bpmnProcessId: `drawn-${id}`, variables: { ok: true } });
    assert.deepEqual({ ...result.variables }, { ok: true });
  });

  engineTest('beside such a diagram, a dangling reference in the process itself is still rejected with 3, naming it and not the diagram', async ({ zb, id }) => {
    const xml = withCopiedDiagram(
      bpmnXml(`dangling-${id}`, [
        startEvent(),
        serviceTask('work', `work-${id}`),
        endEvent(),
        ...chain('start', 'work', 'end'),
        '<bpmn:boundaryEvent id="loose" attachedToRef="Activity_elsewhere"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
      ]),
    );
    const error = await rejectsWithCode(zb.deployResource({ name: 'dangling.bpmn', process: Buffer.from(xml) }), 3);
    assert.match(error.details, /dangling\.bpmn/);
    assert.match(error.details, /loose \(bpmn:BoundaryEvent\)\n\s+- ERROR: its attachedToRef 'Activity_elsewhere' is not an element of this document/);
    assert.doesNotMatch(error.details, /BPMN(Plane|Shape|Edge|Label)|Process_elsewhere|Flow_elsewhere|shape_elsewhere|style_elsewhere/, 'the diagram is not mentioned');
    await rejectsWithCode(zb.createProcessInstance({ bpmnProcessId: `dangling-${id}`, variables: {} }), 5);
  });

  engineTest('a resource whose name has no known extension is rejected with 3', async ({ zb, id }) => {
    const error = await rejectsWithCode(
      zb.deployResources([{ name: 'process.txt', process: Buffer.from(oneTaskProcess(`txt-${id}`, `txt-${id}`)) }]),
      3,
    );
    assert.match(error.details, /process\.txt/);
  });

  engineTest('no resources at all is rejected with 3 (raw call: the SDK always sends one)', async ({ raw }) => {
    await rejectsWithCode(raw().unary('DeployResource', { resources: [] }), 3);
  });

  engineTest('one file with two executable processes gives one deployment entry each', async ({ zb, id }) => {
    const one = bpmnXml(`first-${id}`, [startEvent(), serviceTask('t', `first-${id}`), endEvent(), ...chain('start', 't', 'end')]);
    // Put a second executable process into the same definitions document.
    const secondProcess = `<bpmn:process id="second-${id}" isExecutable="true"><bpmn:startEvent id="s2" /><bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="f2" sourceRef="s2" targetRef="e2" /></bpmn:process>`;
    const xml = one.replace('</bpmn:definitions>', `  ${secondProcess}\n</bpmn:definitions>`);
    const response = await zb.deployResource({ name: 'two.bpmn', process: Buffer.from(xml) });
    assert.deepEqual(response.deployments.map((d) => d.process.bpmnProcessId).sort(), [`first-${id}`, `second-${id}`].sort());
  });

  engineTest('the deprecated DeployProcess answers like DeployResource, for processes (raw call)', async ({ raw, id }) => {
    const response = await raw().unary('DeployProcess', {
      processes: [{ name: 'legacy.bpmn', definition: Buffer.from(oneTaskProcess(`legacy-${id}`, `legacy-${id}`)) }],
    });
    assert.match(String(response.key), /^\d+$/);
    assert.equal(response.processes.length, 1);
    assert.equal(response.processes[0].bpmnProcessId, `legacy-${id}`);
    assert.equal(response.processes[0].version, 1);
  });

  engineTest('a file without an executable process is rejected with 3', async ({ zb, id }) => {
    const xml = oneTaskProcess(`notexec-${id}`, `notexec-${id}`).replace('isExecutable="true"', 'isExecutable="false"');
    await rejectsWithCode(zb.deployResource({ name: 'notexec.bpmn', process: Buffer.from(xml) }), 3, /notexec\.bpmn/);
  });

  engineTest('the same process id in two resources of one deployment is rejected with 3', async ({ zb, id }) => {
    await rejectsWithCode(
      zb.deployResources([
        { name: 'one.bpmn', process: Buffer.from(oneTaskProcess(`twice-${id}`, `a-${id}`)) },
        { name: 'two.bpmn', process: Buffer.from(oneTaskProcess(`twice-${id}`, `b-${id}`)) },
      ]),
      3,
    );
  });

  engineTest('a tenant other than <default> is rejected with 3 (multi-tenancy is off)', async ({ zb, id }) => {
    await rejectsWithCode(
      zb.deployResource({ name: 't.bpmn', process: Buffer.from(oneTaskProcess(`tenant-${id}`, `tenant-${id}`)), tenantId: 'acme' }),
      3,
    );
  });
});
