/**
 * The REST API's history survives a restart on a data directory: each snapshot carries a dump of it (a
 * section beside the engine state) and a start loads it, then projects the records replayed after the
 * snapshot, each once.
 * - stop/start: every search answers the same (completed instance, resolved incident, jobs, variables);
 * - after snapshots and compaction the log no longer holds the early records, the history still does;
 * - `kill -9` of the standalone engine with a snapshot and records after it: same answers, nothing counted
 *   twice (an incident created before the snapshot is resolved after the restart and the instance has none left);
 * - retention applies on the recovered clock (age and count);
 * - figures: snapshot size with the history dump for N ended instances.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeValue } from '../../src/engine/log/codec.ts';
import { decodeSnapshot, encodeSnapshot, restoreSections, type SnapshotSection } from '../../src/engine/log/snapshot.ts';
import { History } from '../../src/engine/history/history.ts';
import { EngineState } from '../../src/engine/state/state.ts';
import { createClock } from '../../src/engine/time/clock.ts';
import { emptyProcess, oneTaskProcess } from '../helpers/bpmn.ts';
import { activateOne, deploy, openEngine, tempDirs, type Engine, type ZeebeClient } from '../helpers/engine-harness.ts';
import { exited, spawnEngine } from '../helpers/engine-process.ts';
import { RawGateway, type Message } from '../helpers/raw-gateway.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


const tempDir = tempDirs('forager-history-');

async function post(base: string, path: string, body: unknown = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** Every search of the history, sorted by key, whole pages. */
async function historyView(base: string): Promise<Record<string, Json[]>> {
  const search = async (path: string, field: string) => {
    const r = await post(base, path, { sort: [{ field }], page: { limit: 1000 } });
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    return r.json.items as Json[];
  };
  return {
    definitions: await search('/v2/process-definitions/search', 'processDefinitionKey'),
    instances: await search('/v2/process-instances/search', 'processInstanceKey'),
    elements: await search('/v2/element-instances/search', 'elementInstanceKey'),
    incidents: await search('/v2/incidents/search', 'incidentKey'),
    jobs: await search('/v2/jobs/search', 'jobKey'),
    variables: await search('/v2/variables/search', 'variableKey'),
  };
}

const stateOf = (view: Record<string, Json[]>, key: string) => view.instances!.find((i) => i.processInstanceKey === key);

/**
 * Over the SDK: one instance completed, one whose job failed into an incident that was resolved (then
 * completed), one still running. Returns their keys.
 */
async function someHistory(zb: ZeebeClient, base: string, id: string): Promise<{ completed: string; resolved: string; running: string; incidentKey: string }> {
  await deploy(zb, oneTaskProcess(`h-${id}`, `h-${id}`));
  const completed = (await zb.createProcessInstance({ bpmnProcessId: `h-${id}`, variables: { n: 1 } })).processInstanceKey;
  const first = await activateOne(zb, `h-${id}`);
  await zb.completeJob({ jobKey: first.key, variables: { done: 'yes' } });
  const resolved = (await zb.createProcessInstance({ bpmnProcessId: `h-${id}`, variables: { n: 2 } })).processInstanceKey;
  const failing = await activateOne(zb, `h-${id}`);
  await zb.failJob({ jobKey: failing.key, retries: 0, errorMessage: 'boom', retryBackOff: 0 });
  const incident = (await post(base, '/v2/incidents/search', { filter: { processInstanceKey: resolved } })).json.items[0] as Json;
  await zb.updateJobRetries({ jobKey: failing.key, retries: 1 });
  assert.equal((await post(base, `/v2/incidents/${incident.incidentKey}/resolution`)).status, 204);
  const again = await activateOne(zb, `h-${id}`);
  await zb.completeJob({ jobKey: again.key, variables: {} });
  const running = (await zb.createProcessInstance({ bpmnProcessId: `h-${id}`, variables: { n: 3 } })).processInstanceKey;
  return { completed, resolved, running, incidentKey: String(incident.incidentKey) };
}

function assertSomeHistory(view: Record<string, Json[]>, keys: { completed: string; resolved: string; running: string; incidentKey: string }): void {
  assert.equal(stateOf(view, keys.completed)?.state, 'COMPLETED');
  assert.equal(stateOf(view, keys.resolved)?.state, 'COMPLETED');
  assert.equal(stateOf(view, keys.resolved)?.hasIncident, false);
  assert.equal(stateOf(view, keys.running)?.state, 'ACTIVE');
  const incident = view.incidents!.find((i) => i.incidentKey === keys.incidentKey);
  assert.equal(incident?.state, 'RESOLVED');
  assert.equal(incident?.errorMessage, 'boom');
}

describe('history with a data directory', () => {
  it('stop and start: every search answers the same, and the history carries on', { timeout: 40_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir });
    const keys = await someHistory(first.zb, first.engine.restAddress, id);
    const before = await historyView(first.engine.restAddress);
    assertSomeHistory(before, keys);
    await first.close();

    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.recovery?.eventsReplayed, 0, 'the history came from the stop snapshot, not from a replay');
    assert.equal(second.engine.recovery?.skippedSections, undefined);
    const afterRestart = await historyView(second.engine.restAddress);
    assert.deepEqual(afterRestart, before);
    // The history goes on from there: the running instance completes.
    const job = await activateOne(second.zb, `h-${id}`);
    await second.zb.completeJob({ jobKey: job.key, variables: {} });
    const now = await historyView(second.engine.restAddress);
    assert.equal(stateOf(now, keys.running)?.state, 'COMPLETED');
    assert.equal(now.instances!.length, 3);
    assert.deepEqual(second.engine.checkIntegrity(), []);
  });

  it('after snapshots and compaction the early instances and incident are still found', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir, storage: { snapshotEvery: 200, segmentBytes: 16 * 1024 } });
    const keys = await someHistory(first.zb, first.engine.restAddress, id);
    // Enough work after it that the log below the older kept snapshot is deleted.
    await deploy(first.zb, emptyProcess(`e-${id}`), 'empty.bpmn');
    const raw = new RawGateway(first.engine.address);
    t.after(() => raw.close());
    for (let i = 0; i < 10; i++) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => raw.unary('CreateProcessInstance', { bpmnProcessId: `e-${id}`, version: -1, variables: JSON.stringify({ i, j }) })));
    }
    await first.engine.snapshot();
    const stats = first.engine.storageStats()!;
    assert.ok(stats.segmentsDeleted > 0, `the log was compacted: ${JSON.stringify(stats)}`);
    const firstSegment = readdirSync(join(dir, 'log')).sort()[0]!;
    assert.ok(Number(firstSegment.slice(0, 20)) > 1, 'the log no longer starts at the first record');
    const before = await historyView(first.engine.restAddress);
    assertSomeHistory(before, keys);
    assert.equal(before.instances!.length, 203);
    raw.close();
    await first.close();

    const second = await openEngine(t, { dataDir: dir, storage: { snapshotEvery: 200, segmentBytes: 16 * 1024 } });
    const afterRestart = await historyView(second.engine.restAddress);
    assertSomeHistory(afterRestart, keys);
    assert.deepEqual(afterRestart, before);
  });

  it('retention applies after a restart, on the recovered engine clock (age and count)', { timeout: 40_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const history = { retentionMs: 60_000, maxEndedInstances: 10 };
    const first = await openEngine(t, { dataDir: dir, history });
    await first.engine.advanceClock(0); // engine time pinned (and on the log)
    await deploy(first.zb, emptyProcess(`r-${id}`));
    const older = (await first.zb.createProcessInstance({ bpmnProcessId: `r-${id}`, variables: {} })).processInstanceKey;
    await first.engine.advanceClock(30_000);
    const newer = (await first.zb.createProcessInstance({ bpmnProcessId: `r-${id}`, variables: {} })).processInstanceKey;
    await first.close();

    const ended = async (engine: Engine) =>
      ((await post(engine.restAddress, '/v2/process-instances/search', { sort: [{ field: 'processInstanceKey' }] })).json.items as Json[]).map(
        (i) => i.processInstanceKey as string,
      );
    const second = await openEngine(t, { dataDir: dir, history });
    assert.deepEqual(await ended(second.engine), [older, newer]);
    await second.engine.advanceClock(31_000); // the older one ended 61 s ago now
    assert.deepEqual(await ended(second.engine), [newer]);
    await second.close();

    const third = await openEngine(t, { dataDir: dir, history: { retentionMs: 60_000, maxEndedInstances: 0 } });
    assert.deepEqual(await ended(third.engine), [], 'a lower count limit drops the recovered ended instances');
  });

  it('figures: snapshot size with the history of N ended instances', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const N = 300;
    const first = await openEngine(t, { dataDir: dir });
    await deploy(first.zb, oneTaskProcess(`f-${id}`, `f-${id}`));
    const raw = new RawGateway(first.engine.address);
    t.after(() => raw.close());
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => raw.unary('CreateProcessInstance', { bpmnProcessId: `f-${id}`, version: -1, variables: JSON.stringify({ order: i + j }) })),
      );
    }
    for (;;) {
      const batches = await raw.collect('ActivateJobs', { type: `f-${id}`, worker: 'w', timeout: 60_000, maxJobsToActivate: 100, requestTimeout: -1 });
      const jobs = batches.flatMap((b: Message) => b.jobs as Message[]);
      if (jobs.length === 0) break;
      await Promise.all(jobs.map((job) => raw.unary('CompleteJob', { jobKey: job.key, variables: JSON.stringify({ ok: true }) })));
    }
    raw.close();
    await first.engine.snapshot();
    const snapDir = join(dir, 'snapshots');
    const file = join(snapDir, readdirSync(snapDir).sort().at(-1)!);
    const bytes = statSync(file).size;
    const snapshot = decodeSnapshot(readFileSync(file), file);
    const section = snapshot.sections.get('history');
    assert.ok(section, 'the snapshot carries the history section');
    const historyBytes = Buffer.byteLength(section.text);
    const stateBytes = Buffer.byteLength(encodeValue(snapshot.tables).text);
    const dump = JSON.parse(section.text) as Record<string, { r: unknown[] } & unknown[]>;
    assert.equal(dump.instances!.r.length, N);
    assert.equal(dump.ended!.length, N);
    t.diagnostic(
      `${N} ended one-task instances: snapshot ${bytes} bytes, of which history ${historyBytes} bytes (${Math.round(historyBytes / N)} bytes per ended instance: ` +
        `${dump.elements!.r.length} element instances, ${dump.jobs!.r.length} jobs, ${dump.variables!.r.length} variables) and state ${stateBytes} bytes`,
    );
  });
});

describe('snapshot sections', () => {
  it('a section is written after the state, checked by the CRC, loaded only at its own version, and a bad dump is skipped', () => {
    const clock = createClock();
    const history = new History(clock);
    const record = (position: number, intent: string, key: string, value: Record<string, unknown>) =>
      ({ position, recordType: 'EVENT', valueType: 'PROCESS_INSTANCE', intent, key, timestamp: clock.now(), value }) as const;
    const pi = { elementId: 'p', bpmnElementType: 'PROCESS', processInstanceKey: '7', processDefinitionKey: '5', bpmnProcessId: 'p', version: 1 };
    history.apply([record(1, 'ELEMENT_ACTIVATING', '7', pi), record(2, 'ELEMENT_COMPLETED', '7', pi)]);
    const other = (version: number, seen: string[]): SnapshotSection => ({
      name: 'other',
      version,
      dump: () => 'ünïcode text',
      load: (text) => void seen.push(text),
      replay: () => undefined,
    });
    const bytes = encodeSnapshot(new EngineState(), 2, [history.snapshotSection(), other(2, [])]);
    const snapshot = decodeSnapshot(bytes, 'x.snap');
    assert.deepEqual([...snapshot.sections.keys()], ['history', 'other']);

    const loaded = new History(clock);
    const seen: string[] = [];
    assert.deepEqual(restoreSections(snapshot, [loaded.snapshotSection(), other(2, seen)]), []);
    assert.deepEqual(seen, ['ünïcode text']);
    assert.equal(loaded.processInstance('7')?.state, 'COMPLETED');
    assert.deepEqual(loaded.sizes(), history.sizes());

    assert.deepEqual(restoreSections(snapshot, [other(3, [])]), ['other: version 2 in the snapshot, this engine reads version 3']);
    const missing = { ...other(1, []), name: 'missing' };
    assert.deepEqual(restoreSections(snapshot, [missing]), ['missing: not in the snapshot']);
    const garbage = decodeSnapshot(encodeSnapshot(new EngineState(), 2, [{ ...history.snapshotSection(), dump: () => '{"instances":1}' }]), 'y.snap');
    const refused = new History(clock);
    const [skipped] = restoreSections(garbage, [refused.snapshotSection()]);
    assert.match(skipped ?? '', /^history: the history dump cannot be read/);
    assert.equal(refused.sizes().processInstances, 0);

    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 3]! ^= 0x20; // inside the last section
    assert.throws(() => decodeSnapshot(damaged, 'z.snap'), { code: 'SNAPSHOT_CORRUPT', message: /checksum does not match/ });
    clock.dispose();
  });
});

/* ---------- kill -9 of the standalone engine ---------- */


describe('history with a data directory: kill -9', () => {
  it('a snapshot plus the records after it rebuild the same history, nothing counted twice', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    const first = await spawnEngine(t, dir, ['--snapshot-every', '100']);
    const raw = new RawGateway(first.address);
    const type = 'kill-history';
    await raw.unary('DeployResource', { resources: [{ name: 'p.bpmn', content: Buffer.from(oneTaskProcess('kill-history', type)) }] });
    const activateAll = async (r: RawGateway, max = 50) =>
      (await r.collect('ActivateJobs', { type, worker: 'w', timeout: 60_000, maxJobsToActivate: max, requestTimeout: -1 })).flatMap((b: Message) => b.jobs as Message[]);
    // An instance whose job fails into an incident, early (it ends up in a snapshot and in the log after it).
    const open = String((await raw.unary('CreateProcessInstance', { bpmnProcessId: 'kill-history', version: -1, variables: '{"n":0}' })).processInstanceKey);
    const [failing] = await activateAll(raw, 1);
    await raw.unary('FailJob', { jobKey: failing!.key, retries: 0, errorMessage: 'boom' });
    // Then enough instances run to their end for snapshots (every 100 records).
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => raw.unary('CreateProcessInstance', { bpmnProcessId: 'kill-history', version: -1, variables: JSON.stringify({ round, i }) })));
      for (const job of await activateAll(raw)) await raw.unary('CompleteJob', { jobKey: job.key, variables: '{"ok":true}' });
    }
    // A last command, so that records follow the last snapshot.
    await raw.unary('PublishMessage', { name: 'nobody', correlationKey: 'k', timeToLive: 0, variables: '{}' });
    const before = await historyView(first.restAddress);
    assert.equal(before.instances!.length, 41);
    assert.equal(stateOf(before, open)?.hasIncident, true);
    raw.close();
    first.process.kill('SIGKILL');
    assert.equal((await exited(first.process)).signal, 'SIGKILL');

    const second = await spawnEngine(t, dir);
    const recovered = /forager engine recovered snapshot at position (\d+) \+ (\d+) events replayed/.exec(second.output());
    assert.ok(recovered, `recovered from a snapshot:\n${second.output()}`);
    assert.ok(Number(recovered[2]) > 0, `and events after it: ${recovered[0]}`);
    const afterKill = await historyView(second.restAddress);
    assert.deepEqual(afterKill, before);
    // The incident (created before the snapshot) was counted once: resolving it leaves the instance without one.
    const raw2 = new RawGateway(second.address);
    t.after(() => raw2.close());
    const incident = afterKill.incidents!.find((i) => i.processInstanceKey === open)!;
    await raw2.unary('UpdateJobRetries', { jobKey: failing!.key, retries: 1 });
    assert.equal((await post(second.restAddress, `/v2/incidents/${incident.incidentKey}/resolution`)).status, 204);
    const resolved = await historyView(second.restAddress);
    assert.equal(stateOf(resolved, open)?.hasIncident, false);
    assert.equal(resolved.incidents!.filter((i) => i.processInstanceKey === open).length, 1);
    const [again] = await activateAll(raw2, 1);
    await raw2.unary('CompleteJob', { jobKey: again!.key, variables: '{}' });
    assert.equal(stateOf(await historyView(second.restAddress), open)?.state, 'COMPLETED');
    raw2.close();
    second.process.kill('SIGTERM');
    assert.deepEqual(await exited(second.process), { code: 0, signal: null });
  });
});
