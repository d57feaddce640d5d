/**
 * Backoff policies: how long to wait before retry number `attempt`. Options are validated once, when a
 * policy is made; `delayMs` is then a pure function of the attempt and an injected random source, so the
 * loops that sleep stay thin and the tests need no timers.
 *
 * Also the ready-made {@link BROKER_ERROR_BACKOFF} for poll and stream errors (the Zeebe Java client's).
 */
import { toMs, type Duration } from './durations.ts';

/**
 * A backoff policy. `attempt` 1 is the first retry; `random` returns a number in [0, 1) (pass `Math.random`
 * in production, a seeded generator in tests). The result is a whole number of milliseconds ≥ 0.
 */
export interface BackoffPolicy {
  /** `'exponential'`, `'fixed'` or `'none'` for forager's own policies. */
  readonly kind: string;
  delayMs(attempt: number, random: () => number): number;
}

/** An exponential policy with its options resolved to milliseconds. */
export interface ExponentialBackoff extends BackoffPolicy {
  readonly kind: 'exponential';
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
}

/** A fixed policy with its options resolved to milliseconds. */
export interface FixedBackoff extends BackoffPolicy {
  readonly kind: 'fixed';
  readonly delayMsBase: number;
  readonly jitter: number;
}

export interface ExponentialOptions {
  /** The delay before the first retry. */
  initial: Duration;
  /** The largest delay, jitter included. */
  max: Duration;
  /** Growth per attempt, ≥ 1. Default 2. */
  factor?: number;
  /** Proportional jitter in [0, 1]: each delay is spread uniformly over ± `jitter` × delay. Default 0.2. */
  jitter?: number;
}

export interface FixedOptions {
  /** Proportional jitter in [0, 1], as for {@link exponential}. Default 0 (exactly `delay`). */
  jitter?: number;
}

function checkAttempt(attempt: number): void {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`backoff: attempt must be an integer ≥ 1 (1 is the first retry), got ${String(attempt)}`);
  }
}

function checkJitter(jitter: number, policy: string): number {
  if (typeof jitter !== 'number' || !Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw new TypeError(`${policy}: jitter must be a number from 0 to 1 (a proportion of the delay), got ${String(jitter)}`);
  }
  return jitter;
}

/** `base` spread over ± `jitter` × base by one draw of `random`, as a whole number of ms ≥ 0. */
function withJitter(base: number, jitter: number, random: () => number): number {
  if (jitter === 0) return Math.round(base);
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * r - 1))));
}

/**
 * Exponential backoff: `initial × factor^(attempt − 1)`, capped at `max`, then spread by ± `jitter`
 * (and capped at `max` again, so `max` is a true maximum).
 *
 * @example
 * ```ts
 * const backoff = exponential({ initial: '1s', max: '1m' }); // × 2, ± 20 %
 * backoff.delayMs(1, Math.random); // 800…1200
 * backoff.delayMs(3, Math.random); // 3200…4800
 * ```
 */
export function exponential(options: ExponentialOptions): ExponentialBackoff {
  const initialMs = toMs(options.initial, 'exponential backoff: initial');
  const maxMs = toMs(options.max, 'exponential backoff: max');
  const factor = options.factor ?? 2;
  const jitter = checkJitter(options.jitter ?? 0.2, 'exponential backoff');
  if (initialMs <= 0) throw new TypeError(`exponential backoff: initial must be more than 0 ms, got ${String(options.initial)}`);
  if (maxMs < initialMs) {
    throw new TypeError(`exponential backoff: max (${maxMs} ms) must not be less than initial (${initialMs} ms)`);
  }
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new TypeError(`exponential backoff: factor must be a finite number ≥ 1, got ${String(factor)}`);
  }
  return Object.freeze({
    kind: 'exponential' as const,
    initialMs,
    maxMs,
    factor,
    jitter,
    delayMs(attempt: number, random: () => number): number {
      checkAttempt(attempt);
      const base = Math.min(maxMs, initialMs * factor ** (attempt - 1));
      return Math.min(maxMs, withJitter(base, jitter, random));
    },
  });
}

/**
 * The same delay before every retry, optionally spread by ± `jitter`.
 *
 * @example
 * ```ts
 * fixed('5s').delayMs(7, Math.random);                  // 5000
 * fixed(1000, { jitter: 0.1 }).delayMs(1, Math.random); // 900…1100
 * ```
 */
export function fixed(delay: Duration, options: FixedOptions = {}): FixedBackoff {
  const delayMsBase = toMs(delay, 'fixed backoff: delay');
  const jitter = checkJitter(options.jitter ?? 0, 'fixed backoff');
  return Object.freeze({
    kind: 'fixed' as const,
    delayMsBase,
    jitter,
    delayMs(attempt: number, random: () => number): number {
      checkAttempt(attempt);
      return withJitter(delayMsBase, jitter, random);
    },
  });
}

/** No waiting: retry at once. */
export function none(): BackoffPolicy {
  return Object.freeze({
    kind: 'none',
    delayMs(attempt: number, _random: () => number): number {
      checkAttempt(attempt);
      return 0;
    },
  });
}

/**
 * The backoff for failed polls and broken job streams: the Zeebe Java client's defaults, 50 ms growing
 * × 1.6 up to 5 s, ± 10 % jitter. Quick to recover from a blip, gentle on a broker under backpressure.
 */
export const BROKER_ERROR_BACKOFF: ExponentialBackoff = exponential({ initial: 50, max: 5_000, factor: 1.6, jitter: 0.1 });
