/**
 * The contract of an idempotency store (what `once` needs to run a side effect once per key) and the
 * helpers every store shares: the stored form of a result, claim tokens, argument checks.
 *
 * A key is in one of three states: absent, `running` (claimed by one holder until its lease ends) or `done`
 * (with the effect's result, until its retention ends). An ended lease or retention counts as absent.
 */
import { randomUUID } from 'node:crypto';

/**
 * The answer to a claim.
 * - `claimed`: the caller holds the key now and must `complete` or `release` it; `token` identifies this
 *   claim, so that a holder whose lease ran out cannot release the next holder's claim.
 * - `done`: the effect already ran; `result` is what it returned.
 * - `busy`: another holder's lease has not ended yet.
 */
export type Claim = { readonly state: 'claimed'; readonly token: string } | { readonly state: 'done'; readonly result: unknown } | { readonly state: 'busy' };

/**
 * Where `once` records which side effects ran. forager has three: `memoryStore()` (one process, for
 * development and tests), `postgresStore()` and `redisStore()` (shared by every worker process).
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for `leaseMs`, atomically: `claimed` if it was absent or its lease (or retention) had
   * ended, `done` with the stored result, or `busy` while another holder's lease runs.
   */
  claim(key: string, leaseMs: number): Promise<Claim>;
  /**
   * Records that the effect for `key` ran, with its result (JSON-serialisable; `undefined` is kept as
   * `undefined`), for `retentionMs`. Unconditional: the effect did run, even if this holder's lease had ended.
   */
  complete(key: string, result: unknown, retentionMs: number): Promise<void>;
  /**
   * Gives up a claim that did not finish (the effect failed), so that a retry can claim it at once. With a
   * `token`, only that claim is released (a no-op if the lease ended and someone else holds the key now);
   * without one, any running claim of `key`. A `done` key is never released.
   */
  release(key: string, token?: string): Promise<void>;
  /** Closes what this store opened (a pool or client it created); never a pool or client it was given. */
  close(): Promise<void>;
}

/** A new claim token. */
export function newToken(): string {
  return randomUUID();
}

/**
 * The stored form of a result: its JSON, or `null` for `undefined` (a handler's `void`). Throws a
 * `TypeError` for what JSON cannot hold (a BigInt, a cycle, a function or symbol).
 */
export function encodeResult(result: unknown): string | null {
  if (result === undefined) return null;
  if (typeof result === 'function' || typeof result === 'symbol') {
    throw new TypeError(`the result is a ${typeof result}, which is not JSON-serialisable`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    throw new TypeError(`the result is not JSON-serialisable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (json === undefined) throw new TypeError('the result is not JSON-serialisable');
  return json;
}

/** The result a stored form stands for (a fresh copy each time). */
export function decodeResult(stored: string | null): unknown {
  return stored === null ? undefined : JSON.parse(stored);
}

/** Throws a `TypeError` unless `key` is a non-empty string. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`idempotency key must be a non-empty string, got ${JSON.stringify(key) ?? String(key)}`);
}

/** Throws a `TypeError` unless `ms` is a finite number > 0. */
export function checkPositiveMs(ms: number, name: string): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw new TypeError(`${name} must be a finite number of ms > 0, got ${String(ms)}`);
}
