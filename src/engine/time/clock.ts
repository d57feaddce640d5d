/**
 * The engine's one clock. It owns "now" and every timer the engine sets, so that tests can pin time and
 * advance it, and so that nothing else in `src/engine/` reads wall time (lint enforces this).
 *
 * Modes: `real` (wall time), `pinned` (time stands still until pinned again or advanced). Pinning takes any
 * instant from 0 on, one before the current engine time too, as Zeebe's clock does. Due dates are instants, not
 * delays: a timer waits until engine time reaches its `at`, on whatever time line the pins make, and fires once
 * (so after a pin back, what has not fired yet fires when time reaches its instant again; what fired is gone).
 * `advance` and `reset` never move time back.
 *
 * Two kinds of timers:
 * - `schedule(at, fn)`: engine time. Fires when engine time reaches `at`: in real mode by a wall timer, in
 *   pinned mode only when `pin`/`advance` moves time past `at` (due work then fires in due-date order).
 * - `afterWall(ms, fn)`: wall time, for network-level waits (a long poll's request timeout) that pinning
 *   must not freeze.
 */

export interface Clock {
  /** Engine time, epoch milliseconds. */
  now(): number;
  /** Pins engine time at `epochMs` (any instant from 0 on, earlier than the current engine time too). */
  pin(epochMs: number): void;
  /** Pins engine time `ms` after the current engine time. */
  advance(ms: number): void;
  /** Goes back to wall time (never earlier than the current engine time). */
  reset(): void;
  /**
   * Sets engine time as the log has it (a committed CLOCK PINNED event, or the clock a restart recovered):
   * `pinnedAt` pins it there (an instant before the current engine time included: the log's time wins, because
   * no record carries a later one — a real clock moved on while the PIN command was processed; after a restart,
   * wall time moved on while the engine was down); undefined runs it on wall time, but never earlier than
   * `notBefore`. Due work fires as with `pin`.
   */
  restore(pinnedAt: number | undefined, notBefore?: number): void;
  /** True while time is pinned. */
  readonly pinned: boolean;
  /** Runs `fn` once engine time reaches `at`. */
  schedule(at: number, fn: () => void): Cancel;
  /** Runs `fn` after `ms` of wall time, whatever engine time does. */
  afterWall(ms: number, fn: () => void): Cancel;
  /** Cancels every pending timer (used when the engine stops). */
  dispose(): void;
}

export type Cancel = () => void;

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

const MAX_WALL_DELAY = 2_000_000_000; // setTimeout's limit is 2^31-1 ms

export function createClock(): Clock {
  return new EngineClock();
}

class EngineClock implements Clock {
  #pinnedAt: number | undefined;
  /** Added to wall time in real mode, so that resetting after a pin into the future never goes back. */
  #offset = 0;
  #timers: Timer[] = [];
  #seq = 0;
  #wake: NodeJS.Timeout | undefined;
  #wakeAt = Infinity;
  #wallTimers = new Set<NodeJS.Timeout>();
  #firing = false;

  get pinned(): boolean {
    return this.#pinnedAt !== undefined;
  }

  now(): number {
    return this.#pinnedAt ?? Date.now() + this.#offset;
  }

  pin(epochMs: number): void {
    if (!Number.isFinite(epochMs) || epochMs < 0) throw new RangeError(`cannot pin the clock at ${epochMs}`);
    this.#pinnedAt = epochMs;
    this.#rearm();
    this.#fireDue();
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance the clock by ${ms} ms`);
    this.pin(this.now() + ms);
  }

  reset(): void {
    const current = this.now();
    this.#pinnedAt = undefined;
    this.#offset = Math.max(0, current - Date.now());
    this.#rearm();
    this.#fireDue();
  }

  restore(pinnedAt: number | undefined, notBefore = 0): void {
    if (pinnedAt !== undefined) {
      if (!Number.isFinite(pinnedAt)) throw new RangeError(`cannot pin the clock at ${pinnedAt}`);
      this.#pinnedAt = pinnedAt;
    } else {
      const floor = Math.max(this.now(), notBefore);
      this.#pinnedAt = undefined;
      this.#offset = Math.max(0, floor - Date.now());
    }
    this.#rearm();
    this.#fireDue();
  }

  schedule(at: number, fn: () => void): Cancel {
    const timer: Timer = { at, seq: this.#seq++, fn, cancelled: false };
    insertSorted(this.#timers, timer);
    if (!this.#firing) {
      if (at <= this.now()) queueMicrotask(() => this.#fireDue());
      else this.#rearm();
    }
    return () => {
      timer.cancelled = true;
    };
  }

  afterWall(ms: number, fn: () => void): Cancel {
    const handle = setTimeout(() => {
      this.#wallTimers.delete(handle);
      fn();
    }, Math.min(Math.max(0, ms), MAX_WALL_DELAY));
    this.#wallTimers.add(handle);
    return () => {
      clearTimeout(handle);
      this.#wallTimers.delete(handle);
    };
  }

  dispose(): void {
    for (const t of this.#timers) t.cancelled = true;
    this.#timers = [];
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = undefined;
    this.#wakeAt = Infinity;
    for (const h of this.#wallTimers) clearTimeout(h);
    this.#wallTimers.clear();
  }

  #fireDue(): void {
    if (this.#firing) return;
    this.#firing = true;
    try {
      // Fire in due-date order; work scheduled while firing that is already due fires in the same pass.
      for (;;) {
        const next = this.#timers[0];
        if (!next || next.at > this.now()) break;
        this.#timers.shift();
        if (!next.cancelled) next.fn();
      }
    } finally {
      this.#firing = false;
    }
    this.#rearm();
  }

  #rearm(): void {
    while (this.#timers[0]?.cancelled) this.#timers.shift();
    const next = this.#timers[0];
    if (this.#pinnedAt !== undefined || !next) {
      if (this.#wake) clearTimeout(this.#wake);
      this.#wake = undefined;
      this.#wakeAt = Infinity;
      return;
    }
    if (this.#wake && this.#wakeAt <= next.at) return;
    if (this.#wake) clearTimeout(this.#wake);
    this.#wakeAt = next.at;
    const delay = Math.min(Math.max(0, next.at - this.now()), MAX_WALL_DELAY);
    this.#wake = setTimeout(() => {
      this.#wake = undefined;
      this.#wakeAt = Infinity;
      this.#fireDue();
    }, delay);
    this.#wake.unref?.();
  }
}

function insertSorted(timers: Timer[], timer: Timer): void {
  let lo = 0;
  let hi = timers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = timers[mid]!;
    if (m.at < timer.at || (m.at === timer.at && m.seq < timer.seq)) lo = mid + 1;
    else hi = mid;
  }
  timers.splice(lo, 0, timer);
}

/**
 * Wall time, for the few checks that must not follow the engine's pinnable clock: a bearer token's `exp` and
 * `nbf` are judged against the real time, so that a test that pins or advances engine time does not make valid
 * tokens look expired (or expired ones valid). Epoch milliseconds of the machine's clock.
 */
export function wallNow(): number {
  return Date.now();
}
