/**
 * The engine with a data directory, over the wire with real clients:
 * - stop and start on the same directory with the official SDK: deployments, instances, activated jobs (with
 *   their deadlines), a job waiting out its backoff, a buffered message and a timer all carry on;
 * - a second engine on the same directory is refused; the lock of a dead process is taken over;
 * - snapshots and compaction bound the log, and a restart replays only the tail (replay speed reported);
 * - a damaged log fails the start with LOG_CORRUPT naming the file and offset, a torn tail is cut;
 * - `kill -9` of the standalone engine under load, at several moments: every acknowledged create and
 *   complete is there after the restart, and every instance runs to its end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startEngine } from '../../src/testing/index.ts';
import { bpmnXml, chain, endEvent, message, messageCatchEvent, oneTaskProcess, serviceTask, startEvent, timerCatchEvent } from '../helpers/bpmn.ts';
import { activate, activateOne, deploy, eventsOf, instanceCompleted, openEngine, tempDirs } from '../helpers/engine-harness.ts';
import { exited, spawnEngine } from '../helpers/engine-process.ts';
import { RawGateway, type Message } from '../helpers/raw-gateway.ts';


const tempDir = tempDirs('forager-durable-');

/** An engine on `dir` with an SDK client, both closed after the test. */
describe('durable engine: stop and start on the same data directory', () => {
  for (const restart of ['stop', 'crash'] as const) {
    it(`keeps deployments, instances, activated jobs with their deadlines, backoffs, buffered messages and timers (${restart === 'stop' ? 'clean stop: from the snapshot' : 'a crash image: from the log alone'})`, { timeout: 60_000 }, async (t) => {
      const dir = tempDir();
      const id = Math.random().toString(36).slice(2, 8);
      const first = await openEngine(t, { dataDir: dir });
      assert.equal(first.engine.recovery?.lastPosition, 0, 'a new directory starts empty');
      await deploy(first.zb, oneTaskProcess(`task-${id}`, `job-${id}`));
      await deploy(
        first.zb,
        bpmnXml(`msg-${id}`, [startEvent(), messageCatchEvent('wait', 'm'), serviceTask('after', `after-msg-${id}`), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
          roots: [message('m', `paid-${id}`, '=orderId')],
        }),
        'msg.bpmn',
      );
      await deploy(
        first.zb,
        bpmnXml(`timer-${id}`, [startEvent(), timerCatchEvent('wait', 'PT10M'), serviceTask('after', `after-timer-${id}`), endEvent(), ...chain('start', 'wait', 'after', 'end')]),
        'timer.bpmn',
      );
      const instances: string[] = [];
      for (let i = 0; i < 3; i++) instances.push((await first.zb.createProcessInstance({ bpmnProcessId: `task-${id}`, variables: { i } })).processInstanceKey);
      const activated = await activate(first.zb, `job-${id}`, { max: 2, timeout: 60_000 });
      assert.equal(activated.length, 2);
      const failing = await activateOne(first.zb, `job-${id}`, { timeout: 60_000 });
      await first.zb.failJob({ jobKey: failing.key, retries: 2, errorMessage: 'try again in an hour', retryBackOff: 3_600_000 });
      await first.zb.publishMessage({ name: `paid-${id}`, correlationKey: 'order-1', timeToLive: 3_600_000, variables: { paid: true } });
      const timerInstance = (await first.zb.createProcessInstance({ bpmnProcessId: `timer-${id}`, variables: {} })).processInstanceKey;
      assert.deepEqual(first.engine.checkIntegrity(), []);
      const stats = first.engine.storageStats();
      assert.ok(stats && stats.fsyncs > 0 && stats.records > 0, `the log counts fsyncs and records: ${JSON.stringify(stats)}`);
      // A crash image: the directory as `kill -9` would leave it once every command above was acknowledged
      // (their records are fsynced), without the lock of this still-running process and without a stop snapshot.
      const crashDir = tempDir();
      if (restart === 'crash') {
        cpSync(dir, crashDir, { recursive: true });
        rmSync(join(crashDir, 'engine.lock'));
      }
      await first.close();

      const second = await openEngine(t, { dataDir: restart === 'crash' ? crashDir : dir });
      const recovery = second.engine.recovery!;
      if (restart === 'stop') {
        assert.ok(recovery.snapshotFile, 'a clean stop leaves a snapshot');
        assert.equal(recovery.snapshotPosition, stats!.appendedPosition);
        assert.equal(recovery.eventsReplayed, 0, 'nothing to replay after the stop snapshot');
      } else {
        assert.equal(recovery.snapshotFile, undefined, 'no snapshot: everything comes from the log');
        assert.ok(recovery.eventsReplayed > 0, `replayed ${recovery.eventsReplayed} events`);
      }
      // The activated jobs stay activated and the failed one waits out its backoff: nothing to activate.
      assert.equal((await activate(second.zb, `job-${id}`)).length, 0);
      // An activated job can be completed after the restart: it is there, activated.
      await second.zb.completeJob({ jobKey: activated[0]!.key, variables: { done: true } });
      assert.ok(instanceCompleted(second.engine, activated[0]!.processInstanceKey));
      // Its deadline carries on: one minute later it times out and can be activated again.
      await second.engine.advanceClock(61_000);
      const timedOut = await activate(second.zb, `job-${id}`, { timeout: 24 * 3_600_000 });
      assert.deepEqual(
        timedOut.map((j) => j.key),
        [activated[1]!.key],
      );
      // The backoff carries on: an hour later the failed job is back, with the retries it was failed with.
      await second.engine.advanceClock(3_600_000);
      const recurred = await activate(second.zb, `job-${id}`);
      assert.deepEqual(
        recurred.map((j) => [j.key, j.retries]),
        [[failing.key, 2]],
      );
      // The timer (10 minutes) fired on the way.
      const afterTimer = await activateOne(second.zb, `after-timer-${id}`);
      assert.equal(afterTimer.processInstanceKey, timerInstance);
      // The buffered message's TTL (1 h) carried on too: the clock is past publish time + TTL now, so it
      // expired, as it would have without the restart, and no longer correlates.
      assert.equal(eventsOf(second.engine, 'MESSAGE', 'EXPIRED').length, 1);
      const late = await second.zb.createProcessInstance({ bpmnProcessId: `msg-${id}`, variables: { orderId: 'order-1' } });
      assert.equal((await activate(second.zb, `after-msg-${id}`)).length, 0, 'an expired message does not correlate');
      assert.ok(BigInt(late.processInstanceKey) > BigInt(instances.at(-1)!), 'keys continue after the restart, never reused');
      for (const job of [...timedOut, ...recurred, afterTimer]) await second.zb.completeJob({ jobKey: job.key, variables: {} });
      for (const key of instances) assert.ok(instanceCompleted(second.engine, key), `instance ${key} completed`);
      assert.deepEqual(second.engine.checkIntegrity(), []);
    });
  }

  it('a buffered message within its TTL correlates after a restart', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir });
    await deploy(
      first.zb,
      bpmnXml(`msg-${id}`, [startEvent(), messageCatchEvent('wait', 'm'), serviceTask('after', `after-${id}`), endEvent(), ...chain('start', 'wait', 'after', 'end')], {
        roots: [message('m', `paid-${id}`, '=orderId')],
      }),
    );
    await first.zb.publishMessage({ name: `paid-${id}`, correlationKey: 'order-7', timeToLive: 3_600_000, variables: { paid: 'yes' } });
    await first.close();
    const second = await openEngine(t, { dataDir: dir });
    await second.engine.advanceClock(30 * 60_000); // half the TTL
    await second.zb.createProcessInstance({ bpmnProcessId: `msg-${id}`, variables: { orderId: 'order-7' } });
    const job = await activateOne(second.zb, `after-${id}`);
    assert.equal(job.variables.paid, 'yes');
    // And the TTL still ends: a second instance an hour later finds nothing.
    await second.engine.advanceClock(31 * 60_000);
    assert.equal(eventsOf(second.engine, 'MESSAGE', 'EXPIRED').length, 1, 'the message expired at publish time + TTL');
    assert.deepEqual(second.engine.checkIntegrity(), []);
  });

  it('refuses a second engine on the same directory; takes over the lock of a process that is gone', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const first = await openEngine(t, { dataDir: dir });
    await assert.rejects(startEngine({ dataDir: dir }), {
      name: 'EngineStartError',
      code: 'DATA_DIR_LOCKED',
      message: new RegExp(`data directory ${dir.replace(/[/.]/g, '\\$&')} is in use by another engine \\(pid ${process.pid}`),
    });
    await first.close();
    // A lock left by a process that died (kill -9): its pid no longer runs.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(join(dir, 'engine.lock'), `${dead.pid}\n`);
    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.recovery?.staleLockTakenOver, true);
    assert.equal(readFileSync(join(dir, 'engine.lock'), 'utf8').trim(), String(process.pid));
    await second.close();
    assert.equal(readdirSync(dir).includes('engine.lock'), false, 'stop releases the lock');
  });

  it('takes over the lock of a zombie (an engine that exited but was not reaped, as under an init that does not reap)', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    // A child that exits at once under a parent that never waits for it: a zombie for as long as the parent
    // lives, whatever this machine's init does (perl is part of every Debian system: perl-base is essential).
    const shell = spawn('perl', ['-e', '$| = 1; my $pid = fork(); if ($pid == 0) { exit 0 } print "$pid\\n"; sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => shell.kill('SIGKILL'));
    const zombie = Number((await new Promise<Buffer>((resolve) => shell.stdout.once('data', resolve))).toString().trim());
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${zombie}/stat`, 'utf8'))?.[1] ?? '';
      if (state !== 'Z') await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(state, 'Z', `pid ${zombie} should be a zombie`);
    writeFileSync(join(dir, 'engine.lock'), `${zombie}\n`);
    const engine = await openEngine(t, { dataDir: dir });
    assert.equal(engine.engine.recovery?.staleLockTakenOver, true);
    await engine.close();
  });
});

describe('durable engine: snapshots, compaction, damage', () => {
  it('snapshots bound the log; a restart replays only the tail; replay speed of a large log', { timeout: 120_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir, storage: { snapshotEvery: 2_000, segmentBytes: 256 * 1024 } });
    await deploy(first.zb, oneTaskProcess(`p-${id}`, `j-${id}`));
    const raw = new RawGateway(first.engine.address);
    t.after(() => raw.close());
    const N = 1_500;
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => raw.unary('CreateProcessInstance', { bpmnProcessId: `p-${id}`, version: -1 })));
    }
    let completed = 0;
    for (;;) {
      const batches = await raw.collect('ActivateJobs', { type: `j-${id}`, worker: 'w', timeout: 60_000, maxJobsToActivate: 100, requestTimeout: -1 });
      const jobs = batches.flatMap((b: Message) => b.jobs as Message[]);
      if (jobs.length === 0) break;
      await Promise.all(jobs.map((job) => raw.unary('CompleteJob', { jobKey: job.key, variables: '{}' })));
      completed += jobs.length;
    }
    assert.equal(completed, N);
    await first.engine.snapshot();
    const stats = first.engine.storageStats()!;
    assert.ok(stats.snapshots >= 3, `snapshots were taken along the way: ${JSON.stringify(stats)}`);
    assert.ok(stats.segmentsDeleted > 0, `segments below the older snapshot were deleted: ${JSON.stringify(stats)}`);
    const logDir = join(dir, 'log');
    const segments = readdirSync(logDir).sort();
    const logBytes = segments.reduce((sum, f) => sum + statSync(join(logDir, f)).size, 0);
    assert.ok(Number(segments[0]!.slice(0, 20)) > 1, 'the log no longer starts at the first record');
    assert.equal(readdirSync(join(dir, 'snapshots')).length, 2, 'two snapshots are kept');
    assert.deepEqual(first.engine.checkIntegrity(), []);
    raw.close();
    await first.close();

    // Restart from the snapshot: only the tail is replayed.
    const t0 = performance.now();
    const second = await openEngine(t, { dataDir: dir });
    const restartMs = performance.now() - t0;
    assert.equal(second.engine.recovery!.eventsReplayed, 0);
    await second.close();

    // Without the snapshots, but with the whole log: replay everything (the speed of a large log).
    const whole = tempDir();
    const big = await openEngine(t, { dataDir: whole, storage: { snapshotEvery: 10_000_000 } });
    await deploy(big.zb, oneTaskProcess(`p-${id}`, `j-${id}`));
    const bigRaw = new RawGateway(big.engine.address);
    t.after(() => bigRaw.close());
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => bigRaw.unary('CreateProcessInstance', { bpmnProcessId: `p-${id}`, version: -1 })));
    }
    bigRaw.close();
    const written = big.engine.storageStats()!;
    await big.close();
    rmSync(join(whole, 'snapshots'), { recursive: true });
    const t1 = performance.now();
    const replayed = await openEngine(t, { dataDir: whole });
    const replayMs = performance.now() - t1;
    const recovery = replayed.engine.recovery!;
    assert.equal(recovery.snapshotPosition, 0);
    assert.equal(recovery.recordsRead, written.appendedPosition);
    assert.equal((await activate(replayed.zb, `j-${id}`, { max: 2000 })).length, N, 'every instance is back with its job');
    t.diagnostic(
      `compacted log: ${segments.length} segments, ${logBytes} bytes after ${stats.records} records (${stats.snapshots} snapshots, ` +
        `last ${stats.lastSnapshotBytes} bytes); restart from snapshot ${restartMs.toFixed(0)} ms; ` +
        `full replay of ${recovery.recordsRead} records (${recovery.logBytes} bytes) in ${replayMs.toFixed(0)} ms ` +
        `(${Math.round(recovery.recordsRead / (replayMs / 1000))} records/s incl. engine start)`,
    );
  });

  it('a damaged newest snapshot is passed over: the older one and the log after it rebuild the state', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir });
    await deploy(first.zb, oneTaskProcess(`p-${id}`, `j-${id}`));
    for (let i = 0; i < 3; i++) await first.zb.createProcessInstance({ bpmnProcessId: `p-${id}`, variables: { i } });
    await first.engine.snapshot();
    const older = first.engine.storageStats()!.lastSnapshotPosition;
    for (let i = 3; i < 6; i++) await first.zb.createProcessInstance({ bpmnProcessId: `p-${id}`, variables: { i } });
    await first.close(); // the stop snapshot is the newest
    const snapshots = readdirSync(join(dir, 'snapshots')).sort();
    assert.equal(snapshots.length, 2);
    const newest = join(dir, 'snapshots', snapshots[1]!);
    const bytes = readFileSync(newest);
    bytes[bytes.length - 10]! ^= 0x01;
    writeFileSync(newest, bytes);
    const second = await openEngine(t, { dataDir: dir });
    const recovery = second.engine.recovery!;
    assert.match(recovery.skippedSnapshot ?? '', /is damaged: its checksum does not match/);
    assert.equal(recovery.snapshotPosition, older);
    assert.ok(recovery.eventsReplayed > 0);
    const jobs = await activate(second.zb, `j-${id}`);
    assert.deepEqual(jobs.map((j) => j.variables.i).sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(second.engine.checkIntegrity(), []);
  });

  it('a damaged log fails the start with LOG_CORRUPT naming the file and offset; a torn tail is cut', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir, storage: { snapshotEvery: 10_000_000 } });
    await deploy(first.zb, oneTaskProcess(`p-${id}`, `j-${id}`));
    for (let i = 0; i < 5; i++) await first.zb.createProcessInstance({ bpmnProcessId: `p-${id}`, variables: {} });
    await first.close();
    rmSync(join(dir, 'snapshots'), { recursive: true }); // replay the whole log
    const logDir = join(dir, 'log');
    const file = join(logDir, readdirSync(logDir)[0]!);
    const original = readFileSync(file);

    // A torn tail (the last write cut short): cut, reported, and the earlier records are all there.
    writeFileSync(file, original.subarray(0, original.length - 7));
    const torn = await openEngine(t, { dataDir: dir });
    assert.ok(torn.engine.recovery!.bytesCut > 0);
    assert.equal(torn.engine.recovery!.cutFile, file);
    assert.equal((await activate(torn.zb, `j-${id}`)).length, 4, 'the instance of the torn last write is gone, the four before it are there');
    await torn.close();

    // A flipped byte in the middle: refused, naming the file and the offset.
    rmSync(join(dir, 'snapshots'), { recursive: true });
    const now = readFileSync(file);
    const damaged = Buffer.from(now);
    damaged[200]! ^= 0x20;
    writeFileSync(file, damaged);
    await assert.rejects(startEngine({ dataDir: dir }), (error: Error & { code?: string }) => {
      assert.equal(error.name, 'EngineStartError');
      assert.equal(error.code, 'LOG_CORRUPT');
      assert.match(error.message, new RegExp(`log segment ${file.replace(/[/.]/g, '\\$&')} is damaged at offset \\d+: a frame whose checksum does not match`));
      return true;
    });
    assert.equal(readdirSync(dir).includes('engine.lock'), false, 'a failed start releases the lock');
  });
});

/* ---------- kill -9 ---------- */


/**
 * Activates and completes every job of `type`, after pinning the clock past every deadline (jobs are activated
 * for 10 minutes; each round pins further, `round` hours on, so that time only moves forward across the restarts).
 */
async function drain(raw: RawGateway, restAddress: string, type: string, round: number): Promise<Message[]> {
  const response = await fetch(`${restAddress}/v2/clock`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ timestamp: Date.now() + round * 3_600_000 }),
  });
  assert.ok(response.ok, `pinning the clock: ${response.status}`);
  const all: Message[] = [];
  for (;;) {
    const batches = await raw.collect('ActivateJobs', { type, worker: 'after-restart', timeout: 60 * 60_000, maxJobsToActivate: 200, requestTimeout: -1 });
    const jobs = batches.flatMap((b: Message) => b.jobs as Message[]);
    if (jobs.length === 0) return all;
    await Promise.all(jobs.map((job) => raw.unary('CompleteJob', { jobKey: job.key, variables: '{}' })));
    all.push(...jobs);
  }
}

describe('durable engine: kill -9 under load', () => {
  it('loses no acknowledged create or complete and leaves no instance stuck, at several kill points', { timeout: 180_000 }, async (t) => {
    const dir = tempDir();
    const processId = 'killed';
    const type = 'killed-job';
    const createdAcked = new Set<string>();
    const completedAcked = new Map<string, string>(); // job key → instance key
    const finished = new Set<string>(); // instances whose job completion was acknowledged
    // Completions sent but not answered when the engine died: on disk or not, either is right.
    const inFlight = new Map<string, string>(); // job key → instance key
    let maxKey = 0n;
    const figures: string[] = [];
    const killPoints = [25, 160, 400];
    for (const [round, killAfter] of killPoints.entries()) {
      // Snapshots now and then (every 700 records), so some kills land during or after one.
      const engine = await spawnEngine(t, dir, ['--snapshot-every', '700']);
      const raw = new RawGateway(engine.address);
      if (round === 0) {
        await raw.unary('DeployResource', { resources: [{ name: 'killed.bpmn', content: Buffer.from(oneTaskProcess(processId, type)) }] });
      } else {
        // Recovered: every acknowledged create is back (its job comes out), no acknowledged completion is undone.
        assert.match(engine.output(), /forager engine recovered .* events replayed/);
        const jobs = await drain(raw, engine.restAddress, type, round);
        const seen = new Set(jobs.map((j) => String(j.processInstanceKey)));
        for (const job of jobs) {
          assert.ok(!completedAcked.has(String(job.key)), `job ${job.key} was completed (acknowledged) before the kill, but is back`);
          finished.add(String(job.processInstanceKey));
        }
        for (const [, key] of inFlight) if (!seen.has(key)) finished.add(key); // that completion made it to disk
        inFlight.clear();
        for (const key of createdAcked) assert.ok(finished.has(key) || seen.has(key), `instance ${key} was created (acknowledged) but is gone`);
        assert.equal((await raw.collect('ActivateJobs', { type, worker: 'w', timeout: 1000, maxJobsToActivate: 10, requestTimeout: -1 })).length, 0, 'nothing left');
        figures.push(`round ${round}: ${jobs.length} jobs back after the kill`);
      }
      for (const key of createdAcked) assert.ok(finished.has(key), `instance ${key} ran to its end`);

      // Load: 6 loops of create → activate → complete, recording what was acknowledged; kill -9 mid-way.
      let acked = 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        engine.process.kill('SIGKILL');
      };
      const loop = async () => {
        while (!killed) {
          try {
            const created = await raw.unary('CreateProcessInstance', { bpmnProcessId: processId, version: -1 }, 5000);
            const key = String(created.processInstanceKey);
            createdAcked.add(key);
            if (BigInt(key) > maxKey) maxKey = BigInt(key);
            if (++acked >= killAfter) kill();
            const batches = await raw.collect('ActivateJobs', { type, worker: 'w', timeout: 10 * 60_000, maxJobsToActivate: 3, requestTimeout: -1 }, 5000);
            for (const job of batches.flatMap((b: Message) => b.jobs as Message[])) {
              inFlight.set(String(job.key), String(job.processInstanceKey));
              await raw.unary('CompleteJob', { jobKey: job.key, variables: '{}' }, 5000);
              inFlight.delete(String(job.key));
              completedAcked.set(String(job.key), String(job.processInstanceKey));
              finished.add(String(job.processInstanceKey));
              if (++acked >= killAfter) kill();
            }
          } catch {
            return; // the engine is gone
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, loop));
      const end = await exited(engine.process);
      assert.equal(end.signal, 'SIGKILL');
      raw.close();
      figures.push(`round ${round}: killed after ${acked} acknowledged commands`);
    }

    // Last start: recover, finish everything, check key continuity, then stop cleanly (exit 0).
    const engine = await spawnEngine(t, dir);
    const raw = new RawGateway(engine.address);
    t.after(() => raw.close());
    const jobs = await drain(raw, engine.restAddress, type, killPoints.length);
    for (const job of jobs) {
      assert.ok(!completedAcked.has(String(job.key)), `job ${job.key} was completed (acknowledged) before the kill, but is back`);
      finished.add(String(job.processInstanceKey));
    }
    for (const [, key] of inFlight) finished.add(key);
    for (const key of createdAcked) assert.ok(finished.has(key), `instance ${key} (acknowledged) ran to its end`);
    const fresh = await raw.unary('CreateProcessInstance', { bpmnProcessId: processId, version: -1 });
    assert.ok(BigInt(fresh.processInstanceKey) > maxKey, 'keys are never handed out twice');
    raw.close();
    engine.process.kill('SIGTERM');
    assert.deepEqual(await exited(engine.process), { code: 0, signal: null });
    const stats = /forager engine storage (\{.*\})/.exec(engine.output())?.[1];
    assert.ok(stats, `the engine prints its storage counters when it stops:\n${engine.output()}`);
    const counters = JSON.parse(stats) as { fsyncs: number; groupCommits: number; batches: number; snapshots: number };
    assert.ok(counters.fsyncs > 0 && counters.batches >= counters.groupCommits && counters.snapshots >= 1, stats);
    t.diagnostic(`${createdAcked.size} instances created, ${completedAcked.size} completions acknowledged; ${figures.join('; ')}`);
  });
});
