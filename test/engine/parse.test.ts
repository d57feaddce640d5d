import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBpmn } from '../../src/engine/bpmn/parse.ts';

const wrap = (body: string, executable = true) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://forager/test">
  <bpmn:process id="p" isExecutable="${executable}">${body}</bpmn:process>
</bpmn:definitions>`;

const task = (id: string, type = 'work') =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements></bpmn:serviceTask>`;

async function errorsOf(xml: string): Promise<string> {
  const result = await parseBpmn(xml);
  assert.equal(result.ok, false, 'expected the model to be rejected');
  return result.ok ? '' : result.errors.join('\n');
}

test('a start → service task → end process compiles with its flows', async () => {
  const result = await parseBpmn(
    wrap(`<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>${task('t', '=kind')}
      <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>`),
  );
  assert.ok(result.ok);
  const [model] = result.processes;
  assert.equal(model!.bpmnProcessId, 'p');
  assert.equal(model!.noneStartEvent, 's');
  assert.deepEqual(model!.elements.t!.incoming, ['f1']);
  assert.deepEqual(model!.elements.t!.outgoing, ['f2']);
  assert.deepEqual(model!.elements.t!.job, { type: 'kind', typeIsExpression: true, retries: '3', retriesIsExpression: false, headers: {} });
});

test('an unsupported element is named with its id and kind', async () => {
  const errors = await errorsOf(wrap(`<bpmn:startEvent id="s"/><bpmn:userTask id="approve"/>`));
  assert.match(errors, /Element: approve \(bpmn:UserTask\)/);
  assert.match(errors, /not supported/);
});

test('an unsupported event definition is named', async () => {
  const errors = await errorsOf(
    wrap(`<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition/></bpmn:intermediateCatchEvent>`),
  );
  assert.match(errors, /Element: wait \(bpmn:IntermediateCatchEvent\)/);
  assert.match(errors, /ConditionalEventDefinition/);
});

test('a timer without a definition, or with a bad one, is named', async () => {
  const empty = await errorsOf(
    wrap(`<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>`),
  );
  assert.match(empty, /Element: wait \(bpmn:IntermediateCatchEvent\)[\s\S]*exactly one of timeDate, timeDuration or timeCycle/);
  const bad = await errorsOf(
    wrap(`<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1X</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`),
  );
  assert.match(bad, /Element: wait[\s\S]*Invalid duration format 'PT1X'/);
});

test('a service task without a task definition is rejected as Zeebe does', async () => {
  const errors = await errorsOf(wrap(`<bpmn:startEvent id="s"/><bpmn:serviceTask id="t"/>`));
  assert.match(errors, /Element: t \(bpmn:ServiceTask\)[\s\S]*Must have exactly one 'zeebe:taskDefinition' extension element/);
});

test('an exclusive gateway flow without a condition that is not the default is rejected', async () => {
  const errors = await errorsOf(
    wrap(`<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
      <bpmn:exclusiveGateway id="g"/>${task('a')}${task('b')}
      <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"><bpmn:conditionExpression>=x &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>`),
  );
  assert.match(errors, /'fb' must have a condition or be the default flow/);
});

test('bad FEEL syntax is reported at deploy time', async () => {
  const errors = await errorsOf(
    wrap(`<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
      <bpmn:exclusiveGateway id="g" default="fb"/>${task('a')}${task('b')}
      <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"><bpmn:conditionExpression>=x &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>`),
  );
  assert.match(errors, /Element: fa \(bpmn:SequenceFlow\)/);
});

test('broken XML, no executable process, and two none start events are rejected', async () => {
  assert.match(await errorsOf('<bpmn:definitions><oops'), /cannot parse the XML/);
  assert.match(await errorsOf(wrap('<bpmn:startEvent id="s"/>', false)), /at least one executable process/);
  assert.match(await errorsOf(wrap('<bpmn:startEvent id="s1"/><bpmn:startEvent id="s2"/>')), /Multiple none start events are not allowed/);
});

test('a message catch without a correlation key, and two catch-all error boundaries, are rejected', async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://forager/test">
  <bpmn:message id="m" name="paid"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:receiveTask id="wait" messageRef="m"/>
    ${task('t')}
    <bpmn:boundaryEvent id="b1" attachedToRef="t"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="b2" attachedToRef="t"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
  </bpmn:process>
</bpmn:definitions>`;
  const errors = await errorsOf(xml);
  assert.match(errors, /Element: wait \(bpmn:ReceiveTask\)[\s\S]*correlation key/);
  assert.match(errors, /Multiple error catch events without an error code/);
});

/** A diagram for the process `p`, with `shapes` on its plane; the plane names `plane`. */
const diagram = (plane: string, shapes: string) => `<bpmndi:BPMNDiagram id="dia" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI">
    <bpmndi:BPMNPlane id="plane" bpmnElement="${plane}">${shapes}</bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>`;
const flowsTo = (id: string) => `<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="${id}"/><bpmn:endEvent id="${id}"/>`;

test('diagram elements naming ids that are not in the file (a copied diagram) do not stop the process compiling', async () => {
  const shapes =
    '<bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="0" y="0" width="36" height="36"/></bpmndi:BPMNShape>' +
    '<bpmndi:BPMNShape id="gone_di" bpmnElement="Activity_gone"><dc:Bounds x="0" y="0" width="1" height="1"/><bpmndi:BPMNLabel labelStyle="style_gone"/></bpmndi:BPMNShape>' +
    '<bpmndi:BPMNShape bpmnElement="Event_gone_without_shape_id"><dc:Bounds x="0" y="0" width="1" height="1"/></bpmndi:BPMNShape>' +
    '<bpmndi:BPMNEdge id="edge_di" bpmnElement="Flow_gone" sourceElement="shape_gone" targetElement="s_di"><di:waypoint x="0" y="0"/><di:waypoint x="1" y="1"/></bpmndi:BPMNEdge>';
  for (const plane of ['p', 'Process_gone']) {
    const result = await parseBpmn(wrap(flowsTo('e')).replace('</bpmn:definitions>', `${diagram(plane, shapes)}\n</bpmn:definitions>`));
    assert.ok(result.ok, `plane ${plane}: ${result.ok ? '' : result.errors.join('\n')}`);
    assert.deepEqual(Object.keys(result.processes[0]!.elements).sort(), ['e', 's']);
  }
});

test('dangling references in the process are still refused beside a copied diagram, and only they are named', async () => {
  const shapes = '<bpmndi:BPMNShape id="gone_di" bpmnElement="Activity_gone"><dc:Bounds x="0" y="0" width="1" height="1"/></bpmndi:BPMNShape>';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://forager/test">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <bpmn:receiveTask id="wait" messageRef="m_gone"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Gateway_gone" targetRef="e"/>
    <bpmn:endEvent id="e"/>
    <bpmn:boundaryEvent id="loose" attachedToRef="Activity_gone"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
  </bpmn:process>
  ${diagram('Process_gone', shapes)}
</bpmn:definitions>`;
  const errors = await errorsOf(xml);
  assert.match(errors, /Element: wait \(bpmn:ReceiveTask\)\n\s+- ERROR: its messageRef 'm_gone' is not an element of this document/);
  assert.match(errors, /Element: f3 \(bpmn:SequenceFlow\)\n\s+- ERROR: its sourceRef 'Gateway_gone' is not an element of this document/);
  assert.match(errors, /Element: loose \(bpmn:BoundaryEvent\)\n\s+- ERROR: its attachedToRef 'Activity_gone' is not an element of this document/);
  assert.doesNotMatch(errors, /bpmndi|Process_gone|gone_di/, 'the diagram is not mentioned');
});
