/**
 * The engine clock as commands on the log, as newer Zeebe has it (value type CLOCK): PIN → PINNED, RESET →
 * RESETTED. The processor decides the instant and freezes it into the event; the applier records it in
 * `state.clock`; after the commit, `clockEffects` moves the clock object itself. So a pinned clock is part of
 * the state: a restart on a data directory (after `kill -9` too) comes back pinned at the same instant.
 *
 * Commands:
 * - `PIN { time }`: pins engine time at `time` (epoch ms); `PIN { advanceBy }`: pins it `advanceBy` ms after
 *   the command's own time (what `engine.advanceClock(ms)` sends, so that the instant is decided once, here).
 *   Any instant from 0 on is accepted, one before the current engine time too, as Zeebe's clock accepts it;
 *   a negative one (or a negative `advanceBy`) is rejected (INVALID_ARGUMENT). Moving back needs nothing
 *   more: due dates (timers, job deadlines, backoffs, message TTLs) are stored instants, and the processors
 *   of TRIGGER, TIME_OUT, RECUR_AFTER_BACKOFF and EXPIRE check them against the command's time, so what has
 *   not fired waits for its instant on the new time line, and what fired is no longer in state to fire again.
 * - `RESET {}`: back to wall time, never earlier than the current engine time.
 *
 * @example
 * registerClockProcessors(engine);
 * engine.onCommit(clockEffects(clock));
 * engine.process({ valueType: 'CLOCK', intent: 'PIN', value: { time: Date.parse('2030-01-01T00:00:00Z') } });
 */
import type { EngineRecord } from '../state/records.ts';
import type { Clock } from '../time/clock.ts';
import type { ProcessingEngine } from './engine.ts';

/** The value of CLOCK records: the instant pinned (PIN, PINNED), or the engine time at the reset (RESETTED). */
export interface ClockValue {
  time: number;
}

export function registerClockProcessors(engine: ProcessingEngine): void {
  engine.register('CLOCK', 'PIN', (command, ctx) => {
    const { time, advanceBy } = command.value as { time?: unknown; advanceBy?: unknown };
    let at: number;
    if (advanceBy !== undefined) {
      if (typeof advanceBy !== 'number' || !(advanceBy >= 0) || !Number.isFinite(advanceBy)) {
        ctx.reject('INVALID_ARGUMENT', `cannot advance the clock by ${String(advanceBy)} ms`);
      }
      at = ctx.now + (advanceBy as number);
    } else {
      if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
        ctx.reject('INVALID_ARGUMENT', `cannot pin the clock at ${String(time)}`);
      }
      at = time as number;
    }
    const value: ClockValue = { time: at };
    ctx.event('CLOCK', 'PINNED', ctx.state.nextKey(), value);
    ctx.respond(value);
  });

  engine.register('CLOCK', 'RESET', (_command, ctx) => {
    const value: ClockValue = { time: ctx.now };
    ctx.event('CLOCK', 'RESETTED', ctx.state.nextKey(), value);
    ctx.respond(value);
  });
}

/**
 * The side effect of committed CLOCK events, for `engine.onCommit`: PINNED pins the clock object at the
 * instant the processor decided (exactly, even if a real clock moved on a millisecond while the batch ran:
 * every record of the batch carries that instant), RESETTED puts it back on wall time.
 */
export function clockEffects(clock: Clock): (records: readonly EngineRecord[]) => void {
  return (records) => {
    for (const record of records) {
      if (record.recordType !== 'EVENT' || record.valueType !== 'CLOCK') continue;
      const { time } = record.value as unknown as ClockValue;
      if (record.intent === 'PINNED') clock.restore(time);
      else if (record.intent === 'RESETTED') clock.restore(undefined, time);
    }
  };
}

/** After a recovery: the clock as the recovered state has it; a clock already pinned later stays there. */
export function restoreClock(clock: Clock, state: { pinnedAt: number | undefined; resetAt: number | undefined }): void {
  if (state.pinnedAt !== undefined) clock.restore(clock.pinned ? Math.max(clock.now(), state.pinnedAt) : state.pinnedAt);
  else if (state.resetAt !== undefined && !clock.pinned) clock.restore(undefined, state.resetAt);
}
