/**
 * The processing loop in-process (no gRPC): a command that fails unexpectedly bans its process instance,
 * and the engine goes on serving the others.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBpmn } from '../../src/engine/bpmn/parse.ts';
import { createMemoryLog } from '../../src/engine/log/log.ts';
import { ProcessingEngine } from '../../src/engine/processing/engine.ts';
import { registerProcessors } from '../../src/engine/processing/processors.ts';
import { checkIndexes, checkReplay } from '../../src/engine/state/integrity.ts';
import { addToIndex } from '../../src/engine/state/state.ts';
import { createClock } from '../../src/engine/time/clock.ts';

const xml = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://forager/test">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>`;

async function engineWithProcess(log = createMemoryLog()) {
  const clock = createClock();
  const engine = new ProcessingEngine(clock, log);
  registerProcessors(engine);
  const parsed = await parseBpmn(xml);
  assert.ok(parsed.ok);
  const deployed = engine.process({
    valueType: 'DEPLOYMENT',
    intent: 'CREATE',
    value: { resources: [{ name: 'p.bpmn', checksum: 'c', processes: parsed.processes, errors: [] }] },
  });
  assert.equal(deployed.rejection, undefined);
  const start = () => {
    const created = engine.process({
      valueType: 'PROCESS_INSTANCE_CREATION',
      intent: 'CREATE',
      value: { bpmnProcessId: 'p', version: -1, variables: {}, startInstructions: [] },
    });
    return String((created.response as { processInstanceKey: string }).processInstanceKey);
  };
  return { clock, engine, start };
}

function jobOf(engine: ProcessingEngine, processInstanceKey: string): string {
  const job = [...engine.state.jobs.values()].find((j) => j.processInstanceKey === processInstanceKey);
  assert.ok(job, `a job for instance ${processInstanceKey}`);
  return job.key;
}

test('an unexpected failure answers PROCESSING_ERROR, bans that instance, and leaves the others working', async () => {
  const { clock, engine, start } = await engineWithProcess();
  const broken = start();
  const healthy = start();
  engine.register('SIGNAL', 'EXPLODE', () => {
    throw new Error('a bug in a processor');
  });

  const failed = engine.process({ valueType: 'SIGNAL', intent: 'EXPLODE', value: { processInstanceKey: broken } });
  assert.equal(failed.rejection?.type, 'PROCESSING_ERROR');
  assert.match(failed.rejection?.reason ?? '', /a bug in a processor/);
  assert.ok(failed.records.some((r) => r.valueType === 'ERROR' && r.intent === 'CREATED'));

  const refused = engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(engine, broken), value: { variables: {} } });
  assert.equal(refused.rejection?.type, 'PROCESSING_ERROR');
  assert.match(refused.rejection?.reason ?? '', /banned/);

  const completed = engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(engine, healthy), value: { variables: {} } });
  assert.equal(completed.rejection, undefined);
  assert.equal(engine.state.elementInstances.has(healthy), false, 'the healthy instance completed');
  clock.dispose();
});

test('a batch ends in its records: command, then events, applied in order', async () => {
  const { clock, engine, start } = await engineWithProcess();
  const key = start();
  const records = engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(engine, key), value: { variables: { a: 1 } } }).records;
  const intents = records.filter((r) => r.valueType === 'PROCESS_INSTANCE' && r.recordType === 'EVENT').map((r) => r.intent);
  assert.deepEqual(intents.slice(0, 3), ['ELEMENT_COMPLETING', 'ELEMENT_COMPLETED', 'SEQUENCE_FLOW_TAKEN']);
  assert.equal(intents.at(-1), 'ELEMENT_COMPLETED');
  assert.equal(records[0]!.recordType, 'COMMAND');
  const positions = records.map((r) => r.position);
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  clock.dispose();
});

test('the integrity checks catch a change made outside an applier and an index entry without its record', async () => {
  const log = createMemoryLog();
  const { clock, engine: checked, start } = await engineWithProcess(log);
  start();
  assert.deepEqual([...checkIndexes(checked.state), ...checkReplay(checked.state, log.records())], []);

  const job = [...checked.state.jobs.values()][0]!;
  job.retries = 42; // not through an applier
  assert.deepEqual(checkReplay(checked.state, log.records()), ["replaying the log gives a different 'jobs' table"]);

  addToIndex(checked.state.activatable, 'work', '999');
  assert.match(checkIndexes(checked.state).join('\n'), /holds job 999, which does not exist/);
  clock.dispose();
});
