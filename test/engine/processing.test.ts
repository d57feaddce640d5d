/**
 * The processing loop in-process (no gRPC): a command that fails unexpectedly bans its process instance,
 * and the engine goes on serving the others.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBpmn } from '../../src/engine/bpmn/parse.ts';
import { openDataDir } from '../../src/engine/log/data-dir.ts';
import { createMemoryLog, type RecordLog } from '../../src/engine/log/log.ts';
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

/**
 * A command whose processing throws half-way: its first processor writes an event and queues two follow-ups,
 * a real JobCompleted (which writes several events and completes the instance) and one that throws after it.
 */
function registerHalfWayFailure(engine: ProcessingEngine): void {
  engine.register('SIGNAL', 'EXPLODE_LATE', (command, ctx) => {
    const { processInstanceKey, jobKey } = command.value as { processInstanceKey: string; jobKey: string };
    ctx.event('VARIABLE', 'CREATED', ctx.state.nextKey(), { scopeKey: processInstanceKey, name: 'half', value: 1, processInstanceKey });
    ctx.followUp({ valueType: 'JOB', intent: 'COMPLETE', key: jobKey, value: { variables: { done: true } } });
    ctx.followUp({ valueType: 'SIGNAL', intent: 'BOOM', value: {} });
  });
  engine.register('SIGNAL', 'BOOM', () => {
    throw new Error('a bug half-way through a batch');
  });
}

/** What the log holds after `position`, as `recordType valueType intent`. */
function written(records: readonly { position: number; recordType: string; valueType: string; intent: string }[], position: number): string[] {
  return records.filter((r) => r.position > position).map((r) => `${r.recordType} ${r.valueType} ${r.intent}`);
}

const FAILED_COMMAND_ONLY = ['COMMAND SIGNAL EXPLODE_LATE', 'COMMAND_REJECTION SIGNAL EXPLODE_LATE', 'EVENT ERROR CREATED'];

test('a command that fails half-way leaves nothing of its batch in the log or the state, and the next command works', async () => {
  const log = createMemoryLog();
  const { clock, engine, start } = await engineWithProcess(log);
  registerHalfWayFailure(engine);
  const broken = start();
  const healthy = start();
  const jobKey = jobOf(engine, broken);
  const before = engine.position;

  const failed = engine.process({ valueType: 'SIGNAL', intent: 'EXPLODE_LATE', value: { processInstanceKey: broken, jobKey } });
  assert.equal(failed.rejection?.type, 'PROCESSING_ERROR');
  assert.match(failed.rejection?.reason ?? '', /a bug half-way through a batch/);
  assert.deepEqual(written(log.records(), before), FAILED_COMMAND_ONLY);
  assert.deepEqual(written(failed.records, before), FAILED_COMMAND_ONLY);
  assert.deepEqual(
    log.records().filter((r) => r.position > before).map((r) => r.position),
    [before + 1, before + 2, before + 3],
    'positions stay contiguous',
  );
  // The state is as before the command: the job still waits, the variable was never written, the instance lives.
  assert.equal(engine.state.jobs.get(jobKey)?.state, 'ACTIVATABLE');
  assert.equal(engine.state.variables.get(broken)?.has('half') ?? false, false);
  assert.ok(engine.state.elementInstances.has(broken));
  assert.deepEqual([...checkIndexes(engine.state), ...checkReplay(engine.state, log.records())], []);
  // As in Zeebe, the instance the failed command was about is banned; the rest goes on.
  assert.ok(engine.state.bannedInstances.has(broken));
  const completed = engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(engine, healthy), value: { variables: {} } });
  assert.equal(completed.rejection, undefined);
  assert.equal(engine.state.elementInstances.has(healthy), false, 'the healthy instance completed');
  assert.deepEqual([...checkIndexes(engine.state), ...checkReplay(engine.state, log.records())], []);
  clock.dispose();
});

test('with a data directory, a command that failed half-way is not replayed after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'forager-failed-batch-'));
  const open = async () => {
    const clock = createClock();
    // The state is the engine's, which the data directory fills: the log forwards to its file log.
    const log: RecordLog = {
      append: (records) => dataDir.log.append(records),
      records: () => dataDir.log.records(),
      whenDurable: (fn) => dataDir.log.whenDurable(fn),
    };
    const engine = new ProcessingEngine(clock, log);
    registerProcessors(engine);
    registerHalfWayFailure(engine);
    const { dataDir, recovery } = openDataDir({ dir }, engine.state);
    engine.resumeAt(recovery.lastPosition);
    engine.useReplayBase((records) => dataDir.replayBase(records));
    return { clock, engine, dataDir, recovery };
  };

  const first = await open();
  const parsed = await parseBpmn(xml);
  assert.ok(parsed.ok);
  first.engine.process({ valueType: 'DEPLOYMENT', intent: 'CREATE', value: { resources: [{ name: 'p.bpmn', checksum: 'c', processes: parsed.processes, errors: [] }] } });
  const created = first.engine.process({
    valueType: 'PROCESS_INSTANCE_CREATION',
    intent: 'CREATE',
    value: { bpmnProcessId: 'p', version: -1, variables: {}, startInstructions: [] },
  });
  const broken = String((created.response as { processInstanceKey: string }).processInstanceKey);
  const jobKey = jobOf(first.engine, broken);
  const before = first.engine.position;
  const failed = first.engine.process({ valueType: 'SIGNAL', intent: 'EXPLODE_LATE', value: { processInstanceKey: broken, jobKey } });
  assert.equal(failed.rejection?.type, 'PROCESSING_ERROR');
  assert.deepEqual(written(first.dataDir.log.records(), before), FAILED_COMMAND_ONLY);
  await first.dataDir.log.flushed();
  await first.dataDir.close();
  first.clock.dispose();

  const second = await open();
  t.after(async () => {
    await second.dataDir.close();
    second.clock.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(second.recovery.lastPosition, before + 3);
  assert.equal(second.engine.state.jobs.get(jobKey)?.state, 'ACTIVATABLE');
  assert.equal(second.engine.state.variables.get(broken)?.has('half') ?? false, false);
  assert.ok(second.engine.state.bannedInstances.has(broken));
  const records = second.dataDir.log.records();
  const base = second.dataDir.replayBase(records);
  assert.deepEqual([...checkIndexes(second.engine.state), ...(base ? checkReplay(second.engine.state, records, base) : [])], []);
  // A new instance on the restarted engine gets keys of its own and runs to its job.
  const again = second.engine.process({
    valueType: 'PROCESS_INSTANCE_CREATION',
    intent: 'CREATE',
    value: { bpmnProcessId: 'p', version: -1, variables: {}, startInstructions: [] },
  });
  assert.equal(again.rejection, undefined);
  const next = String((again.response as { processInstanceKey: string }).processInstanceKey);
  assert.equal(second.engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(second.engine, next), value: { variables: {} } }).rejection, undefined);
});

test('a commit listener that throws is reported as a warning, and the other listeners and the next command go on', async () => {
  const { clock, engine, start } = await engineWithProcess();
  const seen: number[] = [];
  engine.onCommit(() => {
    throw new Error('a bug in a commit listener');
  });
  engine.onCommit((records) => seen.push(records.length));
  const warned = once(process, 'warning') as Promise<[Error]>;
  const key = start();
  const [warning] = await warned;
  assert.match(warning.message, /forager engine: a commit listener threw: Error: a bug in a commit listener/);
  assert.equal(seen.length, 1, 'the next listener still got the batch');
  assert.equal(engine.process({ valueType: 'JOB', intent: 'COMPLETE', key: jobOf(engine, key), value: { variables: {} } }).rejection, undefined);
  assert.equal(seen.length, 2);
  clock.dispose();
});
