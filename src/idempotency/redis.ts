/**
 * An idempotency store in Redis (with `ioredis`), shared by every worker process that uses the same prefix.
 *
 * One string per key, `<prefix><key>`: `running:<token>` while claimed, `done:<result JSON>` (`done:` alone
 * for `undefined`) when the effect ran. Redis ends leases and retention itself (`PX`). Claim and release
 * are small Lua scripts, so that reading the value and acting on it is one atomic step.
 */
import { checkKey, checkPositiveMs, decodeResult, encodeResult, newToken, type Claim, type IdempotencyStore } from './store.ts';

/**
 * What the store needs of a Redis client: an `ioredis` `Redis` or `Cluster` is one. Written out here so that
 * forager's types need no `ioredis` in a project that does not use this store.
 */
export interface RedisClient {
  eval(script: string, numberOfKeys: number, ...keysAndArguments: (string | number)[]): Promise<unknown>;
  set(key: string, value: string, expiryMode: 'PX', milliseconds: number): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisStoreOptions {
  /** A Redis URL (`redis://:password@host:6379/0`); the store opens a client and closes it. */
  url?: string;
  /** A client of yours (`Redis` or `Cluster`); the store uses it and leaves it open on `close()`. */
  client?: RedisClient;
  /** Further settings for the client the store opens, as ioredis takes them (ignored with `client`). */
  clientOptions?: Record<string, unknown>;
  /** Prepended to every key. Default `forager:idem:`. */
  prefix?: string;
}

/** `SET key running:<token> PX lease` if absent; otherwise report done (with the value) or busy. */
const CLAIM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'running:' .. ARGV[1], 'PX', ARGV[2])
  return {'claimed'}
end
if string.sub(value, 1, 5) == 'done:' then
  return {'done', string.sub(value, 6)}
end
return {'busy'}
`;

/** Deletes a running claim: the one with token ARGV[1], or any when ARGV[1] is empty. Never a done key. */
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, 8) ~= 'running:' then return 0 end
if ARGV[1] ~= '' and value ~= 'running:' .. ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * A Redis {@link IdempotencyStore}. Pass `url` (the store opens a client and closes it) or a `client` of
 * yours (left open on `close()`). Results live as long as `retentionMs` says, so give Redis a `maxmemory`
 * policy that does not evict them early (`noeviction` or a `volatile-*` policy with room to spare).
 *
 * @example
 * ```ts
 * const store = redisStore({ url: process.env.REDIS_URL });
 * const once = createOnce(store, { leaseMs: '2m', retentionMs: '3d' });
 * ```
 */
export function redisStore(options: RedisStoreOptions): IdempotencyStore {
  const prefix = options.prefix ?? 'forager:idem:';
  if (typeof prefix !== 'string') throw new TypeError('redisStore: prefix must be a string');
  if (options.client !== undefined && options.url !== undefined) throw new TypeError('redisStore: pass either url or client, not both');
  if (options.client === undefined && (typeof options.url !== 'string' || options.url === '')) {
    throw new TypeError('redisStore: pass url (redis://…) or client');
  }
  const ownsClient = options.client === undefined;
  let clientPromise: Promise<RedisClient> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  let closed: Promise<void> | undefined;

  function client(): Promise<RedisClient> {
    if (closed) return Promise.reject(new Error('redisStore: the store is closed'));
    clientPromise ??= import('ioredis').then(({ Redis }) => {
      // A few reconnection attempts per command, so that an unreachable Redis fails a claim in about a second
      // instead of queueing it forever; the job is then retried with backoff.
      const created = new Redis(options.url as string, { maxRetriesPerRequest: 3, ...options.clientOptions });
      // Connection errors reach the commands that fail; without a listener ioredis would log each one.
      created.on('error', () => {});
      return created;
    });
    return clientPromise;
  }

  return {
    async claim(key: string, leaseMs: number): Promise<Claim> {
      checkKey(key);
      checkPositiveMs(leaseMs, 'leaseMs');
      const token = newToken();
      const reply = (await (await client()).eval(CLAIM_SCRIPT, 1, prefix + key, token, Math.ceil(leaseMs))) as [string, string?];
      if (reply[0] === 'claimed') return { state: 'claimed', token };
      if (reply[0] === 'done') return { state: 'done', result: decodeResult(reply[1] === undefined || reply[1] === '' ? null : reply[1]) };
      return { state: 'busy' };
    },

    async complete(key: string, result: unknown, retentionMs: number): Promise<void> {
      checkKey(key);
      checkPositiveMs(retentionMs, 'retentionMs');
      const stored = encodeResult(result);
      await (await client()).set(prefix + key, `done:${stored ?? ''}`, 'PX', Math.ceil(retentionMs));
    },

    async release(key: string, token?: string): Promise<void> {
      checkKey(key);
      await (await client()).eval(RELEASE_SCRIPT, 1, prefix + key, token ?? '');
    },

    close(): Promise<void> {
      closed ??= (async () => {
        if (ownsClient && clientPromise !== undefined) {
          const created = await clientPromise;
          try {
            await created.quit();
          } catch {
            created.disconnect(); // not connected: nothing to say goodbye to
          }
        }
      })();
      return closed;
    },
  };
}
