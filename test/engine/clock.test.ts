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

test('time never moves backwards', () => {
  const clock = createClock();
  clock.pin(2_000_000_000_000);
  assert.throws(() => clock.pin(1_999_999_999_999), /cannot move the clock back/);
  assert.throws(() => clock.advance(-1), /cannot advance the clock by -1/);
  clock.reset();
  assert.ok(clock.now() >= 2_000_000_000_000, 'reset after pinning into the future keeps time monotonic');
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
