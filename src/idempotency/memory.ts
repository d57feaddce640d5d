/**
 * An idempotency store in this process's memory: for development and tests. It forgets everything when the
 * process ends and is not shared between processes, so in production use `postgresStore` or `redisStore`.
 * Results are kept as JSON, as the shared stores keep them, so a value that would not survive them does not
 * survive here either.
 */
import { checkKey, checkPositiveMs, decodeResult, encodeResult, newToken, type Claim, type IdempotencyStore } from './store.ts';

export interface MemoryStoreOptions {
  /** The clock (epoch ms). Default `Date.now`; tests pass a fake one to end leases without waiting. */
  now?: () => number;
}

type Entry =
  | { readonly state: 'running'; readonly token: string; readonly expiresAt: number }
  | { readonly state: 'done'; readonly stored: string | null; readonly expiresAt: number };

/** Claims between two sweeps of ended entries, which keeps the map from growing without bound. */
const SWEEP_EVERY = 1_000;

/**
 * An in-process {@link IdempotencyStore}.
 *
 * @example
 * ```ts
 * const once = createOnce(memoryStore());
 * await once('order-42/charge', () => charge(order)); // runs
 * await once('order-42/charge', () => charge(order)); // returns the first result
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): IdempotencyStore & { readonly size: number } {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let claims = 0;

  function live(key: string, at: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= at) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function sweep(at: number): void {
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
  }

  return {
    /** Entries held now, ended ones included until they are swept (for tests). */
    get size(): number {
      return entries.size;
    },

    async claim(key: string, leaseMs: number): Promise<Claim> {
      checkKey(key);
      checkPositiveMs(leaseMs, 'leaseMs');
      const at = now();
      if (++claims % SWEEP_EVERY === 0) sweep(at);
      const entry = live(key, at);
      if (entry === undefined) {
        const token = newToken();
        entries.set(key, { state: 'running', token, expiresAt: at + leaseMs });
        return { state: 'claimed', token };
      }
      if (entry.state === 'done') return { state: 'done', result: decodeResult(entry.stored) };
      return { state: 'busy' };
    },

    async complete(key: string, result: unknown, retentionMs: number): Promise<void> {
      checkKey(key);
      checkPositiveMs(retentionMs, 'retentionMs');
      entries.set(key, { state: 'done', stored: encodeResult(result), expiresAt: now() + retentionMs });
    },

    async release(key: string, token?: string): Promise<void> {
      checkKey(key);
      const entry = entries.get(key);
      if (entry?.state === 'running' && (token === undefined || entry.token === token)) entries.delete(key);
    },

    async close(): Promise<void> {
      entries.clear();
    },
  };
}
