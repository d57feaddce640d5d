/**
 * `once(key, fn)`: run a side effect once per key even when Zeebe delivers the same job twice (a timeout
 * while the handler was still running, a lost completion, a worker crash after the effect). The result is
 * stored; a later delivery gets it back without running the effect again.
 */
import { IdempotencyConflictError, NonRetryableError } from '../errors.ts';
import { toMs, type Duration } from '../policy/durations.ts';
import { checkKey, decodeResult, encodeResult, type IdempotencyStore } from './store.ts';

export interface OnceOptions {
  /**
   * How long a claim holds the key while `fn` runs. Make it longer than the effect can take: a holder whose
   * lease ran out is taken for crashed, and another delivery may run the effect again. Default 5 minutes.
   */
  leaseMs?: Duration;
  /** How long a result is kept, so how long redeliveries are recognised. Default 7 days. */
  retentionMs?: Duration;
}

/** Runs `fn` once per key; see {@link createOnce}. */
export type Once = <T>(key: string, fn: () => Promise<T> | T) => Promise<T>;

const DEFAULT_LEASE = '5m';
const DEFAULT_RETENTION = '7d';

/**
 * Makes `once(key, fn)` over a store:
 * - the key is `done` → returns the stored result; `fn` does not run;
 * - the key is claimed → runs `fn`, stores its result and returns it;
 * - `fn` throws → releases the key (a retry runs `fn` again) and rethrows;
 * - another delivery holds the key → throws `IdempotencyConflictError` (retryable: the job comes back and
 *   then finds the result).
 *
 * The result must be JSON-serialisable, and `once` returns it as JSON gives it back (a `Date` becomes a
 * string) on the first run too, so the first delivery and a redelivery see the same value. A result JSON
 * cannot hold (a BigInt, a cycle) fails the job with `NonRetryableError`; the key is then recorded as done
 * without a result, because the effect did run and must not run again.
 *
 * If recording the result fails (the store is down), that error is thrown and the key stays claimed until
 * its lease ends: a redelivery before then gets `IdempotencyConflictError`, after then runs `fn` again.
 *
 * @example
 * ```ts
 * const once = createOnce(postgresStore({ connectionString: process.env.DATABASE_URL }));
 * // in a handler:
 * const receipt = await once(defaultKey(job, 'charge'), () => payments.charge(order));
 * ```
 */
export function createOnce(store: IdempotencyStore, options: OnceOptions = {}): Once {
  const leaseMs = toMs(options.leaseMs ?? DEFAULT_LEASE, 'leaseMs');
  const retentionMs = toMs(options.retentionMs ?? DEFAULT_RETENTION, 'retentionMs');
  if (leaseMs <= 0) throw new TypeError(`leaseMs must be more than 0 ms, got ${String(options.leaseMs)}`);
  if (retentionMs <= 0) throw new TypeError(`retentionMs must be more than 0 ms, got ${String(options.retentionMs)}`);

  return async function once<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    checkKey(key);
    if (typeof fn !== 'function') throw new TypeError('once(key, fn): fn must be a function');
    const claim = await store.claim(key, leaseMs);
    if (claim.state === 'done') return claim.result as T;
    if (claim.state === 'busy') throw new IdempotencyConflictError(key);

    let result: T;
    try {
      result = await fn();
    } catch (error) {
      try {
        await store.release(key, claim.token);
      } catch {
        // The lease will end on its own; the effect's error is the one to report.
      }
      throw error;
    }

    let stored: string | null;
    try {
      stored = encodeResult(result);
    } catch (error) {
      await store.complete(key, undefined, retentionMs);
      throw new NonRetryableError(
        `once('${key}'): the side effect ran, but its result cannot be stored: ${(error as Error).message}; ` +
          'it is recorded as done without a result. Return JSON-serialisable values from fn.',
        { cause: error },
      );
    }
    const copy = decodeResult(stored) as T;
    await store.complete(key, copy, retentionMs);
    return copy;
  };
}

/**
 * The usual idempotency key for a side effect of a job: `<processInstanceKey>/<elementInstanceKey>/<purpose>`.
 *
 * Why these parts: every delivery of the same job (a redelivery after a timeout or a failure) belongs to the
 * same element instance, so the element instance key identifies "this task in this process instance" across
 * deliveries, while a new visit of the task (a loop, a multi-instance body) gets a new one. The process
 * instance key keeps keys readable and grouped by instance. `purpose` separates several effects of one
 * handler (`'charge'`, `'email'`) and of several jobs on one element (an execution listener's job and the
 * task's own share the element instance).
 *
 * @example
 * ```ts
 * defaultKey({ processInstanceKey: '2251799813685249', elementInstanceKey: '2251799813685255' }, 'charge');
 * // '2251799813685249/2251799813685255/charge'
 * ```
 */
export function defaultKey(job: { readonly processInstanceKey: string; readonly elementInstanceKey: string }, purpose: string): string {
  for (const name of ['processInstanceKey', 'elementInstanceKey'] as const) {
    const value: unknown = job[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`defaultKey: job.${name} must be a non-empty string, got ${String(value)}`);
  }
  if (typeof purpose !== 'string' || purpose === '') throw new TypeError('defaultKey: purpose must be a non-empty string, e.g. "charge"');
  return `${job.processInstanceKey}/${job.elementInstanceKey}/${purpose}`;
}
