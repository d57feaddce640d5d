import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClock } from '../../src/engine/time/clock.ts';

test('a pinned clock stands still and fires due timers in due-date order when advanced', () => {
  const clock = createClock();
  const start = clock.now() + 1_000;
  clock.pin(start);
  assert.equal(clock.now(), start);
  const fired: string[] = [];
  clock.schedule(start + 300, () => fired.push('c'));
  clock.schedule(start + 100, () => fired.push('a'));
  clock.schedule(start + 200, () => fired.push('b'));
  clock.advance(150);
  assert.deepEqual(fired, ['a']);
  clock.advance(1000);
  assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(clock.now(), start + 1150);
  clock.dispose();
});

test('pinning accepts any instant from 0 on, earlier ones too; a timer fires once, when time reaches its own instant', () => {
  const clock = createClock();
  const T = 2_000_000_000_000;
  clock.pin(T);
  const fired: number[] = [];
  clock.schedule(T + 1_000, () => fired.push(clock.now()));
  clock.pin(T - 5); // a few ms back, as a test pinning its own Date.now() does
  assert.equal(clock.now(), T - 5);
  clock.pin(T + 500);
  clock.pin(T - 3_600_000); // back before the timer's due date: it waits for it on the new time line
  assert.deepEqual(fired, []);
  clock.pin(T + 1_000);
  assert.deepEqual(fired, [T + 1_000]);
  clock.pin(T - 1);
  clock.advance(10_000);
  assert.deepEqual(fired, [T + 1_000], 'fired once, not again when time passes its due date a second time');
  clock.pin(0);
  assert.equal(clock.now(), 0);
  assert.throws(() => clock.pin(-1), /cannot pin the clock at -1/);
  assert.throws(() => clock.pin(Number.NaN), /cannot pin the clock at NaN/);
  assert.throws(() => clock.advance(-1), /cannot advance the clock by -1/);
  clock.pin(T);
  clock.reset();
  assert.ok(clock.now() >= T, 'reset after pinning into the future never goes back');
  clock.dispose();
});

test('a cancelled timer does not fire', () => {
  const clock = createClock();
  const start = clock.now();
  clock.pin(start);
  let fired = false;
  const cancel = clock.schedule(start + 2_000, () => {
    fired = true;
  });
  cancel();
  clock.advance(5_000);
  assert.equal(fired, false);
  clock.dispose();
});

test('in real mode a timer fires by wall time', async () => {
  const clock = createClock();
  const fired = new Promise<number>((resolve) => clock.schedule(clock.now() + 20, () => resolve(clock.now())));
  const keepAlive = clock.afterWall(5_000, () => {});
  const at = await fired;
  keepAlive();
  assert.ok(at >= 0);
  clock.dispose();
});
