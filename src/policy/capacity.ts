/**
 * Capacity math for the activation loop: how many jobs to ask for, whether a poll is worth sending now, and
 * when to extend a running job's timeout. Pure: the caller passes its counters and the time.
 *
 * The counters, as the loop keeps them:
 * - `maxJobsActive`: the most jobs this worker runs at once (its slots);
 * - `active`: jobs it holds now (handlers running, results being sent);
 * - `requested`: jobs asked for by activation requests still outstanding, which may yet arrive.
 */

export interface CapacityCounters {
  readonly maxJobsActive: number;
  readonly active: number;
  readonly requested: number;
}

export interface PollCounters extends CapacityCounters {
  /**
   * The fewest free slots worth a poll (an integer ≥ 1). Default: 30 % of `maxJobsActive`, rounded up, at
   * least 1. A value above `maxJobsActive` counts as `maxJobsActive`.
   */
  readonly threshold?: number;
}

function checkCount(value: number, name: string, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

function checkCounters({ maxJobsActive, active, requested }: CapacityCounters): void {
  checkCount(maxJobsActive, 'maxJobsActive', 1);
  checkCount(active, 'active', 0);
  checkCount(requested, 'requested', 0);
}

/**
 * How many jobs to ask for now: the free slots minus what outstanding requests may still bring, never
 * negative (a stream may push more than asked; that just means 0 here).
 *
 * @example
 * ```ts
 * jobsToRequest({ maxJobsActive: 32, active: 10, requested: 0 });  // 22
 * jobsToRequest({ maxJobsActive: 32, active: 10, requested: 22 }); // 0: a request may still fill them
 * ```
 */
export function jobsToRequest(counters: CapacityCounters): number {
  checkCounters(counters);
  return Math.max(0, counters.maxJobsActive - counters.active - counters.requested);
}

/**
 * The poll threshold in effect: `threshold` if given (capped at `maxJobsActive`), otherwise 30 % of
 * `maxJobsActive` rounded up, at least 1 (32 → 10, 10 → 3, 1 → 1).
 */
export function pollThreshold(maxJobsActive: number, threshold?: number): number {
  checkCount(maxJobsActive, 'maxJobsActive', 1);
  if (threshold === undefined) return Math.max(1, Math.ceil(maxJobsActive * 0.3));
  checkCount(threshold, 'threshold', 1);
  return Math.min(threshold, maxJobsActive);
}

/**
 * Whether to send an activation request now. The rule: poll when at least {@link pollThreshold} slots are
 * free after counting what outstanding requests may still bring (`jobsToRequest(…) ≥ threshold`). Waiting
 * for a batch of free slots rather than polling for every single one keeps requests few under load, yet a
 * worker with any `maxJobsActive` polls when it is idle (the threshold is never above `maxJobsActive`).
 *
 * @example
 * ```ts
 * shouldPoll({ maxJobsActive: 32, active: 25, requested: 0 }); // false: 7 free, threshold 10
 * shouldPoll({ maxJobsActive: 32, active: 22, requested: 0 }); // true: 10 free
 * shouldPoll({ maxJobsActive: 1, active: 0, requested: 0 });   // true
 * ```
 */
export function shouldPoll(counters: PollCounters): boolean {
  const threshold = pollThreshold(counters.maxJobsActive, counters.threshold);
  return jobsToRequest(counters) >= threshold;
}

export interface HeartbeatInput {
  /** When the job's current timeout ends (epoch ms, from the job's `deadline`). */
  readonly deadline: number;
  /** The time now (epoch ms). */
  readonly now: number;
  /** The job's timeout length in ms (a timeout extension is that long); caps the remaining time against clock skew. */
  readonly timeoutMs: number;
  /** Extend after this share of the remaining time has passed. Default 2/3. */
  readonly fraction?: number;
  /** Extend at least this long before the deadline. Default 100 ms. */
  readonly marginMs?: number;
}

/**
 * How long to wait before extending a running job's timeout, so that the extension reaches the broker
 * before the job times out: at `fraction` (2/3) of the remaining time, but at least `marginMs` (100 ms)
 * before the deadline; 0 (now) if that has already passed. The remaining time is capped at `timeoutMs`, so
 * a local clock running behind the broker's cannot push the extension past the real deadline.
 *
 * @example
 * ```ts
 * heartbeatDelayMs({ deadline: 60_000, now: 0, timeoutMs: 60_000 });  // 40000
 * heartbeatDelayMs({ deadline: 1_150, now: 1_000, timeoutMs: 60_000 }); // 50 (100 ms margin wins)
 * heartbeatDelayMs({ deadline: 1_000, now: 2_000, timeoutMs: 60_000 }); // 0
 * ```
 */
export function heartbeatDelayMs(input: HeartbeatInput): number {
  const { deadline, now, timeoutMs, fraction = 2 / 3, marginMs = 100 } = input;
  for (const [name, value] of [
    ['deadline', deadline],
    ['now', now],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number (epoch ms), got ${String(value)}`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`timeoutMs must be a finite number > 0, got ${String(timeoutMs)}`);
  }
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
    throw new TypeError(`fraction must be a number in (0, 1], got ${String(fraction)}`);
  }
  if (typeof marginMs !== 'number' || !Number.isFinite(marginMs) || marginMs < 0) {
    throw new TypeError(`marginMs must be a finite number ≥ 0, got ${String(marginMs)}`);
  }
  const remaining = Math.min(deadline - now, timeoutMs);
  // The epsilon keeps 600 × 2/3 from flooring to 399 through floating-point error.
  return Math.max(0, Math.floor(Math.min(remaining * fraction, remaining - marginMs) + 1e-6));
}
