/**
 * The engine clock as commands on the log (CLOCK PIN → PINNED, RESET → RESETTED), as newer Zeebe has it:
 * - `PUT /v2/clock` and `POST /v2/clock/reset` write commands and events; `engine.advanceClock(ms)` is a PIN too;
 * - any instant from 0 on is accepted, one before engine time too (as Zeebe's clock does): due dates are instants,
 *   so timers, job deadlines, backoffs and message TTLs that have not fired wait for theirs on the new time line,
 *   and nothing fires twice — also across a restart;
 * - with a data directory, stop/start keeps the pinned time (also one that wall time has passed meanwhile), and
 *   timers due by then fire after the restart, in due-date order, only once the clock is moved on;
 * - a reset after a pin into the future stays monotonic across a restart;
 * - `kill -9` of the standalone engine after a pin: the restarted engine is still pinned at that instant.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreClock } from '../../src/engine/processing/clock.ts';
import { createClock } from '../../src/engine/time/clock.ts';
import { bpmnXml, chain, endEvent, serviceTask, startEvent, timerCatchEvent } from '../helpers/bpmn.ts';
import { activate, activateOne, deploy, eventsOf, openEngine, tempDirs, type Engine } from '../helpers/engine-harness.ts';
import { exited, spawnEngine } from '../helpers/engine-process.ts';
import { RawGateway, type Message } from '../helpers/raw-gateway.ts';

const DAY = 86_400_000;

const tempDir = tempDirs('forager-clock-');

async function rest(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
const pin = (base: string, timestamp: number) => rest(base, 'PUT', '/v2/clock', { timestamp });

function clockRecords(engine: Engine) {
  return engine
    .records()
    .filter((r) => r.valueType === 'CLOCK')
    .map((r) => [r.recordType, r.intent, r.value.time ?? r.value.advanceBy ?? null]);
}

/** A process that waits `duration` on a timer, then has a job of `type`. */
function timerProcess(processId: string, duration: string, type: string): string {
  return bpmnXml(processId, [startEvent(), timerCatchEvent('wait', duration), serviceTask('after', type), endEvent(), ...chain('start', 'wait', 'after', 'end')]);
}

describe('clock restore (pure)', () => {
  it('restore takes the log\'s instant, earlier than now included, fires what is due in order; a reset floor keeps time monotonic', () => {
    const clock = createClock();
    const wall = clock.now();
    const fired: string[] = [];
    clock.schedule(wall - 500, () => fired.push('due-before'));
    clock.schedule(wall - 1_000, () => fired.push('due-first'));
    clock.schedule(wall + 60_000, () => fired.push('later'));
    clock.restore(wall - 200); // before wall time: accepted, as the log says so
    assert.equal(clock.pinned, true);
    assert.equal(clock.now(), wall - 200);
    assert.deepEqual(fired, ['due-first', 'due-before']);
    clock.restore(undefined, wall + 3_600_000);
    assert.equal(clock.pinned, false);
    assert.ok(clock.now() >= wall + 3_600_000, 'on wall time again, never before the reset instant');
    assert.deepEqual(fired, ['due-first', 'due-before', 'later']);
    clock.dispose();
  });

  it('restoreClock: a recovered pin wins over wall time, but not over an injected clock pinned later', () => {
    const real = createClock();
    restoreClock(real, { pinnedAt: 1_000, resetAt: undefined });
    assert.equal(real.now(), 1_000);
    const pinnedLater = createClock();
    pinnedLater.pin(Date.now() + DAY);
    const later = pinnedLater.now();
    restoreClock(pinnedLater, { pinnedAt: 1_000, resetAt: undefined });
    assert.equal(pinnedLater.now(), later);
    const untouched = createClock();
    restoreClock(untouched, { pinnedAt: undefined, resetAt: undefined });
    assert.equal(untouched.pinned, false);
    for (const c of [real, pinnedLater, untouched]) c.dispose();
  });
});

describe('engine clock on the log', () => {
  it('PUT /v2/clock, advanceClock and POST /v2/clock/reset are CLOCK commands and events; an earlier instant is accepted', { timeout: 20_000 }, async (t) => {
    const { engine } = await openEngine(t);
    const base = engine.restAddress;
    const T = Date.now() + DAY;
    assert.equal((await pin(base, T)).status, 204);
    assert.equal(engine.clock.pinned, true);
    assert.equal(engine.clock.now(), T);

    const back = await pin(base, T - 1);
    assert.equal(back.status, 204, JSON.stringify(back.json));
    assert.equal(engine.clock.now(), T - 1, 'pinned a millisecond back');

    await engine.advanceClock(5_000);
    assert.equal(engine.clock.now(), T + 4_999);
    await assert.rejects(engine.advanceClock(-1), /cannot advance the clock by -1 ms/);
    const negative = await pin(base, -1);
    assert.equal(negative.status, 400);
    assert.equal(negative.json.detail, "The value for timestamp is '-1' but must be not negative.");

    assert.equal((await rest(base, 'POST', '/v2/clock/reset')).status, 204);
    assert.equal(engine.clock.pinned, false);
    assert.ok(engine.clock.now() >= T + 4_999, 'a reset after a pin into the future never goes back');

    assert.deepEqual(clockRecords(engine), [
      ['COMMAND', 'PIN', T],
      ['EVENT', 'PINNED', T],
      ['COMMAND', 'PIN', T - 1],
      ['EVENT', 'PINNED', T - 1],
      ['COMMAND', 'PIN', 5_000],
      ['EVENT', 'PINNED', T + 4_999],
      ['COMMAND', 'RESET', null],
      ['EVENT', 'RESETTED', T + 4_999],
    ]);
    assert.deepEqual(engine.checkIntegrity(), []);
  });

  it('PUT /v2/clock with a Date.now() taken before the request (engine time is a few ms on): 204, pinned there', { timeout: 20_000 }, async (t) => {
    const { engine } = await openEngine(t);
    const base = engine.restAddress;
    const now = Date.now();
    const first = await pin(base, now);
    assert.equal(first.status, 204, JSON.stringify(first.json));
    assert.equal(engine.clock.now(), now);
    // On wall time again, then a pin surely behind engine time.
    assert.equal((await rest(base, 'POST', '/v2/clock/reset')).status, 204);
    const behind = engine.clock.now() - 50;
    const second = await pin(base, behind);
    assert.equal(second.status, 204, JSON.stringify(second.json));
    assert.equal(engine.clock.now(), behind);
    assert.deepEqual(engine.checkIntegrity(), []);
  });

  it('moving the clock back: timers, job deadlines, backoffs and TTLs fire once, each at its own instant on the new time line', { timeout: 30_000 }, async (t) => {
    const { engine, zb } = await openEngine(t);
    const base = engine.restAddress;
    const id = Math.random().toString(36).slice(2, 8);
    const MIN = 60_000;
    const T = Date.now() + DAY;
    assert.equal((await pin(base, T)).status, 204);

    await deploy(zb, timerProcess(`back-timer-${id}`, 'PT10M', `after-${id}`), 'timer.bpmn');
    await deploy(zb, bpmnXml(`back-jobs-${id}`, [startEvent(), serviceTask('task', `work-${id}`), endEvent(), ...chain('start', 'task', 'end')]), 'jobs.bpmn');
    const timerInstance = (await zb.createProcessInstance({ bpmnProcessId: `back-timer-${id}`, variables: {} })).processInstanceKey;
    await zb.createProcessInstance({ bpmnProcessId: `back-jobs-${id}`, variables: {} });
    await zb.createProcessInstance({ bpmnProcessId: `back-jobs-${id}`, variables: {} });
    // At T: one job activated with a 1-minute deadline, one failed with a 1-minute backoff, a message with a 1-minute TTL.
    const [deadlineJob, backoffJob] = await activate(zb, `work-${id}`, { max: 2, timeout: MIN });
    assert.ok(deadlineJob && backoffJob);
    await zb.failJob({ jobKey: backoffJob.key, retries: 2, errorMessage: 'later', retryBackOff: MIN });
    await zb.publishMessage({ name: `ttl-${id}`, correlationKey: 'k', timeToLive: MIN, variables: {} });

    const fired = () => ({
      timer: eventsOf(engine, 'TIMER', 'TRIGGERED').filter((r) => r.value.processInstanceKey === timerInstance).length,
      timedOut: eventsOf(engine, 'JOB', 'TIMED_OUT').filter((r) => r.key === deadlineJob.key).length,
      recurred: eventsOf(engine, 'JOB', 'RECURRED_AFTER_BACKOFF').filter((r) => r.key === backoffJob.key).length,
      expired: eventsOf(engine, 'MESSAGE', 'EXPIRED').filter((r) => r.value.name === `ttl-${id}`).length,
    });
    const none = { timer: 0, timedOut: 0, recurred: 0, expired: 0 };

    assert.equal((await pin(base, T + 30_000)).status, 204);
    assert.deepEqual(fired(), none);
    assert.equal((await pin(base, T - 60 * MIN)).status, 204, 'an hour before the work was created');
    assert.deepEqual(fired(), none, 'nothing is due an hour back');
    assert.equal((await pin(base, T + 59_000)).status, 204);
    assert.deepEqual(fired(), none, 'still before every due date');
    assert.equal((await activate(zb, `work-${id}`)).length, 0, 'the job in its backoff stays invisible, the other stays activated');

    assert.equal((await pin(base, T + MIN + 1_000)).status, 204);
    assert.deepEqual(fired(), { timer: 0, timedOut: 1, recurred: 1, expired: 1 }, 'the deadline, the backoff and the TTL passed');

    assert.equal((await pin(base, T - 60 * MIN)).status, 204);
    assert.equal((await pin(base, T + 9 * MIN)).status, 204, 'before the timer, after the rest again');
    assert.deepEqual(fired(), { timer: 0, timedOut: 1, recurred: 1, expired: 1 }, 'what fired does not fire again');
    assert.equal((await pin(base, T + 11 * MIN)).status, 204);
    assert.deepEqual(fired(), { timer: 1, timedOut: 1, recurred: 1, expired: 1 });

    assert.equal((await pin(base, T)).status, 204);
    assert.equal((await pin(base, T + 60 * MIN)).status, 204);
    assert.deepEqual(fired(), { timer: 1, timedOut: 1, recurred: 1, expired: 1 }, 'every due date passed twice, each fired once');
    // Nothing lost: both jobs are activatable again, and the timer's instance went on to its job.
    assert.deepEqual((await activate(zb, `work-${id}`)).map((j) => j.key).sort(), [deadlineJob.key, backoffJob.key].sort());
    assert.equal((await activate(zb, `after-${id}`)).length, 1);
    assert.deepEqual(engine.checkIntegrity(), []);
  });

  it('moved back on a data directory: the restart keeps the earlier instant; the timer fires once, not again after another restart', { timeout: 40_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const T = Date.now() + DAY;
    const first = await openEngine(t, { dataDir: dir });
    assert.equal((await pin(first.engine.restAddress, T)).status, 204);
    await deploy(first.zb, timerProcess(`dback-${id}`, 'PT10M', `dback-${id}`));
    const instance = (await first.zb.createProcessInstance({ bpmnProcessId: `dback-${id}`, variables: {} })).processInstanceKey;
    assert.equal((await pin(first.engine.restAddress, T + 5 * 60_000)).status, 204);
    assert.equal((await pin(first.engine.restAddress, T - 3_600_000)).status, 204);
    await first.close();

    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.clock.pinned, true);
    assert.equal(second.engine.clock.now(), T - 3_600_000, 'the restart keeps the earlier instant');
    const triggered = (engine: Engine) => eventsOf(engine, 'TIMER', 'TRIGGERED').filter((r) => r.value.processInstanceKey === instance);
    assert.equal((await pin(second.engine.restAddress, T + 9 * 60_000)).status, 204);
    assert.equal(triggered(second.engine).length, 0, 'not due yet on the new time line');
    assert.equal((await pin(second.engine.restAddress, T + 11 * 60_000)).status, 204);
    assert.equal(triggered(second.engine).length, 1);
    const job = await activateOne(second.zb, `dback-${id}`);
    await second.zb.completeJob({ jobKey: job.key, variables: {} });
    assert.equal((await pin(second.engine.restAddress, T - 3_600_000)).status, 204);
    await second.close();

    const third = await openEngine(t, { dataDir: dir });
    assert.equal(third.engine.clock.now(), T - 3_600_000);
    const before = third.engine.records().at(-1)?.position ?? 0;
    assert.equal((await pin(third.engine.restAddress, T + 60 * 60_000)).status, 204);
    assert.equal(triggered(third.engine).filter((r) => r.position > before).length, 0, 'the timer fired before the restart: not again');
    assert.equal((await activate(third.zb, `dback-${id}`)).length, 0);
    const state = await rest(third.engine.restAddress, 'GET', `/v2/process-instances/${instance}`);
    assert.equal(state.json.state, 'COMPLETED');
    assert.deepEqual(third.engine.checkIntegrity(), []);
  });

  it('a restart on the data directory keeps the pinned time; timers due by then fire in due-date order once the clock moves', { timeout: 40_000 }, async (t) => {
    const dir = tempDir();
    const id = Math.random().toString(36).slice(2, 8);
    const first = await openEngine(t, { dataDir: dir });
    const T = Date.now() + DAY;
    assert.equal((await pin(first.engine.restAddress, T)).status, 204);
    await deploy(first.zb, timerProcess(`late-${id}`, 'PT10M', `late-${id}`), 'late.bpmn');
    await deploy(first.zb, timerProcess(`early-${id}`, 'PT5M', `early-${id}`), 'early.bpmn');
    // Created in the opposite order of their due dates.
    const late = (await first.zb.createProcessInstance({ bpmnProcessId: `late-${id}`, variables: {} })).processInstanceKey;
    const early = (await first.zb.createProcessInstance({ bpmnProcessId: `early-${id}`, variables: {} })).processInstanceKey;
    await first.engine.advanceClock(60_000);
    assert.equal(eventsOf(first.engine, 'TIMER', 'TRIGGERED').length, 0);
    await first.close();

    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.clock.pinned, true, 'still pinned after the restart');
    assert.equal(second.engine.clock.now(), T + 60_000, 'at the instant pinned before the stop');
    assert.ok(second.engine.recovery?.snapshotFile, 'recovered from the stop snapshot (state.clock is in it)');
    assert.equal((await activate(second.zb, `early-${id}`)).length, 0, 'nothing fell due yet');
    assert.equal(eventsOf(second.engine, 'TIMER', 'TRIGGERED').length, 0);

    await second.engine.advanceClock(30 * 60_000);
    const fired = eventsOf(second.engine, 'TIMER', 'TRIGGERED').map((r) => r.value.processInstanceKey);
    assert.deepEqual(fired, [early, late], 'the 5-minute timer fires before the 10-minute one');
    assert.equal((await activate(second.zb, `early-${id}`)).length, 1);
    assert.equal((await activate(second.zb, `late-${id}`)).length, 1);
    assert.deepEqual(second.engine.checkIntegrity(), []);
  });

  it('advanceClock alone pins on the log: a restart comes back at that instant even after wall time passed it', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const first = await openEngine(t, { dataDir: dir });
    await first.engine.advanceClock(0);
    const pinnedAt = first.engine.clock.now();
    assert.equal(first.engine.clock.pinned, true);
    await first.close();

    const second = await openEngine(t, { dataDir: dir });
    assert.ok(Date.now() > pinnedAt, 'wall time has moved on');
    assert.equal(second.engine.clock.now(), pinnedAt);
    assert.equal(second.engine.clock.pinned, true);
    // And time goes on from there only when asked.
    await second.engine.advanceClock(1_000);
    assert.equal(second.engine.clock.now(), pinnedAt + 1_000);
    await second.close();

    // The advance made after the restart is on the log too.
    const third = await openEngine(t, { dataDir: dir });
    assert.equal(third.engine.clock.now(), pinnedAt + 1_000);
    assert.deepEqual(third.engine.checkIntegrity(), []);
  });

  it('a reset after a pin into the future stays monotonic across a restart', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const first = await openEngine(t, { dataDir: dir });
    const T = Date.now() + DAY;
    assert.equal((await pin(first.engine.restAddress, T)).status, 204);
    assert.equal((await rest(first.engine.restAddress, 'POST', '/v2/clock/reset')).status, 204);
    await first.close();
    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.clock.pinned, false);
    assert.ok(second.engine.clock.now() >= T, `engine time ${second.engine.clock.now()} is not before ${T}`);
  });

  it('the clock stays reachable over REST while the gRPC gateway is stopped, still on the log', { timeout: 20_000 }, async (t) => {
    const dir = tempDir();
    const first = await openEngine(t, { dataDir: dir });
    await first.engine.stopGateway();
    const T = Date.now() + DAY;
    assert.equal((await pin(first.engine.restAddress, T)).status, 204);
    await first.engine.advanceClock(1_000);
    assert.equal(first.engine.clock.now(), T + 1_000);
    await first.engine.startGateway();
    await first.close();
    const second = await openEngine(t, { dataDir: dir });
    assert.equal(second.engine.clock.now(), T + 1_000);
  });
});

/* ---------- kill -9 of the standalone engine ---------- */


describe('engine clock on the log: kill -9', () => {
  it('after a pin and kill -9 the standalone engine comes back pinned at that instant, with its timer still waiting', { timeout: 60_000 }, async (t) => {
    const dir = tempDir();
    const first = await spawnEngine(t, dir);
    const raw = new RawGateway(first.address);
    const T = Date.now() + DAY;
    assert.equal((await pin(first.restAddress, T)).status, 204);
    await raw.unary('DeployResource', { resources: [{ name: 'timer.bpmn', content: Buffer.from(timerProcess('killed-timer', 'PT1H', 'after-kill')) }] });
    await raw.unary('CreateProcessInstance', { bpmnProcessId: 'killed-timer', version: -1 });
    raw.close();
    first.process.kill('SIGKILL');
    assert.equal((await exited(first.process)).signal, 'SIGKILL');

    const second = await spawnEngine(t, dir);
    assert.match(second.output(), /forager engine recovered .* events replayed/);
    const raw2 = new RawGateway(second.address);
    t.after(() => raw2.close());
    // Still pinned at T (wall time is a day earlier): an instance created now starts at T.
    const probe = String((await raw2.unary('CreateProcessInstance', { bpmnProcessId: 'killed-timer', version: -1 })).processInstanceKey);
    const started = await rest(second.restAddress, 'GET', `/v2/process-instances/${probe}`);
    assert.equal(started.json.startDate, new Date(T).toISOString());
    // A pin a millisecond back is accepted: the timers (T + 1 h) wait for their own instant.
    assert.equal((await pin(second.restAddress, T - 1)).status, 204);
    const activateAll = async () =>
      (await raw2.collect('ActivateJobs', { type: 'after-kill', worker: 'w', timeout: 60_000, maxJobsToActivate: 10, requestTimeout: -1 })).flatMap(
        (b: Message) => b.jobs as Message[],
      );
    assert.equal((await activateAll()).length, 0, 'the timer (T + 1 h) is not due');
    assert.equal((await pin(second.restAddress, T + 3_600_000 + 1)).status, 204);
    assert.equal((await activateAll()).length, 2, 'pinned past their due date, both timers fired');
    raw2.close();
    second.process.kill('SIGTERM');
    assert.deepEqual(await exited(second.process), { code: 0, signal: null });
  });
});
