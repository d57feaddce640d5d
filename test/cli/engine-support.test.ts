/**
 * `src/bpmn/engine-support.ts` (what `forager deploy` says forager's engine refuses at deploy) held to the engine's
 * own parser: for each probe diagram, the table finds a gap exactly when `parseBpmn` answers "… not
 * supported". The CLI may not import the engine; this test may, so the two cannot drift apart unnoticed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { BpmnModdle } from 'bpmn-moddle';
import { engineGaps } from '../../src/bpmn/index.ts';
import { parseBpmn } from '../../src/engine/bpmn/parse.ts';

const require = createRequire(import.meta.url);
const zeebe: unknown = JSON.parse(readFileSync(require.resolve('zeebe-bpmn-moddle/resources/zeebe.json'), 'utf8'));

const task = (type: string) => `<bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>`;

/** start → X → end, where X is `element` with id `x`; `extra` goes after the process. */
function probe(element: string, extra = '', before = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    ${before}
    <bpmn:startEvent id="s" />
    ${element}
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x" />
    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e" />
  </bpmn:process>${extra}
</bpmn:definitions>`;
}

const probes: [name: string, xml: string, runs: boolean][] = [
  ['a service task', probe(`<bpmn:serviceTask id="x">${task('a')}</bpmn:serviceTask>`), true],
  ['a multi-instance service task', probe(`<bpmn:serviceTask id="x">${task('a')}<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[1,2]" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`), true],
  ['zeebe:properties (metadata)', probe(`<bpmn:task id="x"><bpmn:extensionElements><zeebe:properties><zeebe:property name="a" value="b" /></zeebe:properties></bpmn:extensionElements></bpmn:task>`), true],
  ['a message throw event with a job', probe(`<bpmn:intermediateThrowEvent id="x">${task('send')}<bpmn:messageEventDefinition /></bpmn:intermediateThrowEvent>`), true],
  ['a signal throw event', probe(`<bpmn:intermediateThrowEvent id="x"><bpmn:signalEventDefinition signalRef="sg" /></bpmn:intermediateThrowEvent>`, '<bpmn:signal id="sg" name="go" />'), true],
  ['a timer catch event', probe(`<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`), true],
  ['a script task with zeebe:script', probe(`<bpmn:scriptTask id="x"><bpmn:extensionElements><zeebe:script expression="=1" resultVariable="r" /></bpmn:extensionElements></bpmn:scriptTask>`), true],
  ['a user task', probe(`<bpmn:userTask id="x"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements></bpmn:userTask>`), false],
  ['a complex gateway', probe(`<bpmn:complexGateway id="x" />`), false],
  ['an ad-hoc subprocess', probe(`<bpmn:adHocSubProcess id="x"><bpmn:task id="inner" /></bpmn:adHocSubProcess>`), false],
  ['a transaction', probe(`<bpmn:transaction id="x"><bpmn:startEvent id="ts" /></bpmn:transaction>`), false],
  ['an escalation throw event', probe(`<bpmn:intermediateThrowEvent id="x"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:intermediateThrowEvent>`, '<bpmn:escalation id="esc" escalationCode="E" />'), false],
  ['a link throw event', probe(`<bpmn:intermediateThrowEvent id="x"><bpmn:linkEventDefinition name="l" /></bpmn:intermediateThrowEvent>`), false],
  ['an error intermediate catch event', probe(`<bpmn:intermediateCatchEvent id="x"><bpmn:errorEventDefinition /></bpmn:intermediateCatchEvent>`), false],
  ['a standard loop', probe(`<bpmn:task id="x"><bpmn:standardLoopCharacteristics /></bpmn:task>`), false],
  ['execution listeners', probe(`<bpmn:serviceTask id="x"><bpmn:extensionElements><zeebe:taskDefinition type="a" /><zeebe:executionListeners><zeebe:executionListener eventType="start" type="l" /></zeebe:executionListeners></bpmn:extensionElements></bpmn:serviceTask>`), false],
  ['a form on a task', probe(`<bpmn:task id="x"><bpmn:extensionElements><zeebe:formDefinition formId="f" /></bpmn:extensionElements></bpmn:task>`), false],
  ['a conditional start event', probe(`<bpmn:task id="x" />`, '', `<bpmn:startEvent id="cs"><bpmn:conditionalEventDefinition><bpmn:condition>=true</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>`), false],
  ['a call activity (latest version)', probe(`<bpmn:callActivity id="x"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="latest" /></bpmn:extensionElements></bpmn:callActivity>`), true],
  ['a call activity bound to its deployment', probe(`<bpmn:callActivity id="x"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="deployment" /></bpmn:extensionElements></bpmn:callActivity>`), false],
  ['a called decision bound to a version tag', probe(`<bpmn:businessRuleTask id="x"><bpmn:extensionElements><zeebe:calledDecision decisionId="d" resultVariable="r" bindingType="versionTag" versionTag="v1" /></bpmn:extensionElements></bpmn:businessRuleTask>`), false],
  ['a task for compensation', probe(`<bpmn:task id="x" />`, '', `<bpmn:task id="comp" isForCompensation="true" />`), false],
];

describe("engine support table agrees with forager's engine", () => {
  for (const [name, xml, runs] of probes) {
    it(`${name}: ${runs ? 'runs' : 'does not run'}`, async () => {
      const engine = await parseBpmn(xml);
      const engineSays = engine.ok ? [] : engine.errors.filter((e) => /not supported/.test(e));
      if (!engine.ok && engineSays.length === 0 && runs) assert.fail(`the probe itself is invalid: ${engine.errors.join('\n')}`);
      const { rootElement } = await new BpmnModdle({ zeebe } as Record<string, unknown>).fromXML(xml, 'bpmn:Definitions');
      const gaps = engineGaps(rootElement);
      assert.equal(engineSays.length > 0, !runs, `the engine: ${engineSays.join('\n') || 'runs it'}`);
      assert.equal(gaps.length > 0, !runs, `the table: ${JSON.stringify(gaps)}`);
      if (!runs) {
        const ids = new Set(gaps.map((g) => g.elementId));
        for (const error of engineSays) {
          const id = /Element: (\S+)/.exec(error)?.[1];
          if (id) assert.ok(ids.has(id), `the engine names '${id}', the table ${JSON.stringify(gaps)}`);
        }
      }
    });
  }
});
