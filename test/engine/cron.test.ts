/**
 * Cron timers as Zeebe reads them (Spring's CronExpression): exactly 6 fields, `a/b` steps, `?`, names,
 * macros, Quartz's L / W / #, and day-of-month AND day-of-week. Crons are evaluated in UTC (Zeebe evaluates
 * them in the broker's zone, normally UTC); every instant below is UTC.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firstOfCycle, nextCronTime, nextOfCycle, parseCycle } from '../../src/engine/time/timer-expressions.ts';
import { bpmnXml, chain, endEvent } from '../helpers/bpmn.ts';
import { deploy, engineTest, eventsOf, rejectsWithCode, waitUntil } from '../helpers/engine-harness.ts';

/** The next `count` firings of `expression` strictly after `from`, as ISO timestamps. */
function firings(expression: string, from: string, count = 2): string[] {
  const cycle = parseCycle(expression);
  assert.ok(cycle.ok, `'${expression}' should parse: ${cycle.ok ? '' : cycle.message}`);
  const out: string[] = [];
  let schedule = firstOfCycle(cycle.value, Date.parse(from));
  while (schedule && out.length < count) {
    out.push(new Date(schedule.dueDate).toISOString());
    schedule = nextOfCycle(schedule);
  }
  return out;
}

function refused(expression: string): string {
  const cycle = parseCycle(expression);
  assert.equal(cycle.ok, false, `'${expression}' should be refused`);
  return cycle.ok ? '' : cycle.message;
}

describe('cron timeCycle (Spring semantics, UTC)', () => {
  test('a step with a numeric start (0/15) runs from that start to the maximum', () => {
    assert.deepEqual(firings('0 0/15 * * * *', '2026-01-01T00:07:00Z', 4), [
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 5/20 * * * *', '2026-01-01T00:07:00Z', 3), ['2026-01-01T00:25:00.000Z', '2026-01-01T00:45:00.000Z', '2026-01-01T01:05:00.000Z']);
    assert.deepEqual(firings('0 10-30/10 * * * *', '2026-01-01T00:25:00Z', 3), ['2026-01-01T00:30:00.000Z', '2026-01-01T01:10:00.000Z', '2026-01-01T01:20:00.000Z']);
  });

  test('the next firing is strictly after the instant, even on a firing instant', () => {
    assert.equal(new Date(nextCronTime('0 0/15 * * * *', Date.parse('2026-01-01T00:15:00Z'))!).toISOString(), '2026-01-01T00:30:00.000Z');
    assert.equal(new Date(nextCronTime('0 0/15 * * * *', Date.parse('2026-01-01T00:14:59.999Z'))!).toISOString(), '2026-01-01T00:15:00.000Z');
  });

  test('working hours MON-FRI skip the weekend', () => {
    // 2026-01-02 is a Friday, 2026-01-05 the Monday after.
    assert.equal(new Date(Date.UTC(2026, 0, 2)).getUTCDay(), 5);
    assert.deepEqual(firings('0 0 9-17 * * MON-FRI', '2026-01-02T16:30:00Z', 3), [
      '2026-01-02T17:00:00.000Z',
      '2026-01-05T09:00:00.000Z',
      '2026-01-05T10:00:00.000Z',
    ]);
  });

  test('day-of-month AND day-of-week: 0 0 0 13 * FRI is Friday the 13th', () => {
    const expected = ['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z'];
    for (const iso of expected) assert.equal(new Date(iso).getUTCDay(), 5, `${iso} is a Friday`);
    // No other 13th between them is a Friday (a calendar computation, independent of the cron code).
    const fridays13 = [];
    for (let month = 0; month < 12; month++) if (new Date(Date.UTC(2026, month, 13)).getUTCDay() === 5) fridays13.push(month + 1);
    assert.deepEqual(fridays13, [2, 3, 11]);
    assert.deepEqual(firings('0 0 0 13 * FRI', '2026-01-01T00:00:00Z', 3), expected);
    assert.deepEqual(firings('0 0 0 13 * 5', '2026-01-01T00:00:00Z', 3), expected);
  });

  test('? stands for any day in day-of-month and day-of-week, and only there', () => {
    assert.deepEqual(firings('0 30 12 ? * MON', '2026-01-01T00:00:00Z'), ['2026-01-05T12:30:00.000Z', '2026-01-12T12:30:00.000Z']);
    assert.deepEqual(firings('0 0 8 1 * ?', '2026-01-01T09:00:00Z'), ['2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']);
    assert.match(refused('0 ? * * * *'), /^Invalid timer cycle format '0 \? \* \* \* \*': invalid minute field '\?'/);
  });

  test('macros: @daily, @midnight, @hourly, @weekly, @monthly, @yearly', () => {
    assert.deepEqual(firings('@daily', '2026-01-01T00:07:00Z'), ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
    assert.deepEqual(firings('@midnight', '2026-01-01T00:07:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(firings('@hourly', '2026-01-01T00:07:00Z'), ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']);
    // @weekly is Sunday midnight; 2026-01-04 is a Sunday.
    assert.deepEqual(firings('@weekly', '2026-01-01T00:07:00Z'), ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']);
    assert.deepEqual(firings('@monthly', '2026-01-01T00:07:00Z'), ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    assert.deepEqual(firings('@yearly', '2026-01-01T00:07:00Z'), ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']);
    assert.deepEqual(firings('@annually', '2026-01-01T00:07:00Z', 1), ['2027-01-01T00:00:00.000Z']);
    assert.match(refused('@reboot'), /^Invalid timer cycle format '@reboot': unknown cron macro '@reboot'/);
  });

  test('names, Sunday as 0 or 7, and Spring day-of-week steps (Monday = 1)', () => {
    assert.deepEqual(firings('0 0 0 1 JAN-MAR/2 *', '2026-01-01T00:07:00Z'), ['2026-03-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 12 ? * SUN', '2026-01-01T00:00:00Z', 1), ['2026-01-04T12:00:00.000Z']);
    assert.deepEqual(firings('0 0 12 ? * 0', '2026-01-01T00:00:00Z', 1), ['2026-01-04T12:00:00.000Z']);
    // SUN-TUE is 0-2 in Spring: Sunday, Monday, Tuesday.
    assert.deepEqual(firings('0 0 12 ? * SUN-TUE', '2026-01-01T00:00:00Z', 4), [
      '2026-01-04T12:00:00.000Z',
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
      '2026-01-11T12:00:00.000Z',
    ]);
    // */2 over 1-7: Monday, Wednesday, Friday, Sunday (2026-01-02 is a Friday).
    assert.deepEqual(firings('0 0 12 ? * */2', '2026-01-01T13:00:00Z', 4), [
      '2026-01-02T12:00:00.000Z',
      '2026-01-04T12:00:00.000Z',
      '2026-01-05T12:00:00.000Z',
      '2026-01-07T12:00:00.000Z',
    ]);
  });

  test('Quartz fields: L, LW, nW, last Friday (FRIL) and second Friday (FRI#2)', () => {
    assert.deepEqual(firings('0 0 0 L * ?', '2026-01-01T00:00:00Z'), ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    // 2026-01-31 is a Saturday: the last weekday is Friday the 30th.
    assert.deepEqual(firings('0 0 0 LW * ?', '2026-01-01T00:00:00Z'), ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z']);
    // 2026-02-15 is a Sunday: the nearest weekday is Monday the 16th.
    assert.deepEqual(firings('0 0 0 15W * ?', '2026-01-16T00:00:00Z'), ['2026-02-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 ? * FRIL', '2026-01-01T00:00:00Z'), ['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 ? * FRI#2', '2026-01-01T00:00:00Z'), ['2026-01-09T00:00:00.000Z', '2026-02-13T00:00:00.000Z']);
    assert.match(refused('0 0 0 L-3 * ?'), /invalid day-of-month field 'L-3': 'L-3' .* is not supported by this engine/);
  });

  test('a 5-field or 7-field cron is refused, naming the expression', () => {
    assert.equal(
      refused('0 0 * * *'),
      "Invalid timer cycle format '0 0 * * *': a cron expression must consist of 6 fields (second minute hour day-of-month month day-of-week), found 5",
    );
    assert.equal(
      refused('0 0 0 * * * 2027'),
      "Invalid timer cycle format '0 0 0 * * * 2027': a cron expression must consist of 6 fields (second minute hour day-of-month month day-of-week), found 7",
    );
    assert.equal(nextCronTime('0 0 * * *', Date.parse('2026-01-01T00:00:00Z')), undefined, 'a refused expression never fires');
  });

  test('garbage and out-of-range values are refused, naming the expression and the field', () => {
    assert.equal(
      refused('every day'),
      "Invalid timer cycle format 'every day': a cron expression must consist of 6 fields (second minute hour day-of-month month day-of-week), found 2",
    );
    assert.equal(refused('a b c d e f'), "Invalid timer cycle format 'a b c d e f': invalid second field 'a': 'a' is not a value, a range or a step");
    assert.equal(refused('60 * * * * *'), "Invalid timer cycle format '60 * * * * *': invalid second field '60': 60 is out of range 0-59");
    assert.equal(refused('0 0/0 * * * *'), "Invalid timer cycle format '0 0/0 * * * *': invalid minute field '0/0': the step must be 1 or more");
    assert.equal(refused('0 0 0 ? * FRI-MON'), "Invalid timer cycle format '0 0 0 ? * FRI-MON': invalid day-of-week field 'FRI-MON': the range 5-1 runs backwards");
    assert.equal(refused('0 0 0 32 * *'), "Invalid timer cycle format '0 0 0 32 * *': invalid day-of-month field '32': 32 is out of range 1-31");
  });
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('cron timer start event through the engine', () => {
  engineTest('a cron timer start event creates an instance at each cron instant; a 5-field cron is refused at deploy', async (h) => {
    // A quarter past a UTC midnight at least a day ahead of engine time, plus 7 minutes: the cron fires at :15.
    const midnight = Math.ceil((h.engine.clock.now() + DAY) / DAY) * DAY;
    const response = await fetch(`${h.engine.restAddress}/v2/clock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timestamp: midnight + 7 * MINUTE }),
    });
    assert.equal(response.status, 204);

    const id = `cron-${h.id}`;
    const startTimer = (cron: string) => `<bpmn:startEvent id="start"><bpmn:timerEventDefinition><bpmn:timeCycle>${cron}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>`;
    const error = await rejectsWithCode(h.zb.deployResource({ name: 'five.bpmn', process: Buffer.from(bpmnXml(`${id}-five`, [startTimer('0 * * * *'), endEvent(), ...chain('start', 'end')])) }), 3);
    assert.match(error.details, /five\.bpmn/);
    assert.match(error.details, /Invalid timer cycle format '0 \* \* \* \*': a cron expression must consist of 6 fields/);

    await deploy(h.zb, bpmnXml(id, [startTimer('0 0/15 * * * *'), endEvent(), ...chain('start', 'end')]), 'cron.bpmn');
    const created = eventsOf(h.engine, 'TIMER', 'CREATED');
    assert.equal(created.length, 1);
    assert.equal(created[0]!.value.dueDate, midnight + 15 * MINUTE);

    const instances = () => eventsOf(h.engine, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING').filter((r) => r.value.flowScopeKey === undefined && r.value.bpmnProcessId === id);
    await h.engine.advanceClock(8 * MINUTE - 1);
    assert.equal(instances().length, 0, 'nothing before 00:15');
    // The scheduler fires a timer once its due date has passed (dueDate < now): 10 ms past the instant.
    await h.engine.advanceClock(10);
    await waitUntil(() => instances().length === 1, 5000, 'an instance at 00:15');
    await h.engine.advanceClock(15 * MINUTE);
    await waitUntil(() => instances().length === 2, 5000, 'a second instance at 00:30');
    assert.deepEqual(eventsOf(h.engine, 'TIMER', 'TRIGGERED').map((r) => r.value.dueDate), [midnight + 15 * MINUTE, midnight + 30 * MINUTE]);
    for (const [i, instance] of instances().entries()) {
      const due = midnight + (i + 1) * 15 * MINUTE;
      assert.ok(instance.timestamp >= due && instance.timestamp <= due + 10, `instance ${i + 1} at ${new Date(instance.timestamp).toISOString()}`);
    }
    assert.deepEqual(eventsOf(h.engine, 'TIMER', 'CREATED').map((r) => r.value.dueDate), [midnight + 15 * MINUTE, midnight + 30 * MINUTE, midnight + 45 * MINUTE]);
  });
});
