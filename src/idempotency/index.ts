/**
 * Idempotent side effects: `createOnce(store)` gives `once(key, fn)`, which runs `fn` once per key even when
 * Zeebe delivers a job twice, and the stores that remember what ran (memory, PostgreSQL, Redis).
 * `pg` and `ioredis` are loaded only when a store of theirs opens its own connection.
 */
export { createOnce, defaultKey, type Once, type OnceOptions } from './once.ts';
export type { Claim, IdempotencyStore } from './store.ts';
export { memoryStore, type MemoryStoreOptions } from './memory.ts';
export { postgresStore, postgresTableDdl, type PostgresPool, type PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { redisStore, type RedisClient, type RedisStoreOptions } from './redis.ts';
