/**
 * The real services the idempotency store tests run against, and checks that fail (never skip) with a clear
 * message when one is not reachable. Addresses: FORAGER_TEST_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/test) and FORAGER_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env.FORAGER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.FORAGER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A name unique to this test run, usable in SQL identifiers and Redis keys. */
export function runId(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reason).join('; ');
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Throws a clear error unless PostgreSQL answers `select 1` at {@link POSTGRES_URL} within 5 s. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_URL} (${reason(error)}). The idempotency store tests need a real ` +
        'PostgreSQL: start it, or point FORAGER_TEST_POSTGRES_URL at one.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Throws a clear error unless Redis answers PING at {@link REDIS_URL} within 5 s. */
export async function requireRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let connectionError: unknown;
  client.on('error', (error: unknown) => {
    connectionError = error; // the cause; connect() itself only says "Connection is closed."
  });
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${reason(connectionError ?? error)}). The idempotency store tests need a real Redis: ` +
        'start it, or point FORAGER_TEST_REDIS_URL at one.',
    );
  } finally {
    client.disconnect();
  }
}

/** Drops a test table. */
export async function dropTable(table: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under a test prefix; returns how many there were. */
export async function deleteKeys(prefix: string): Promise<number> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    return keys.length;
  } finally {
    client.disconnect();
  }
}

/** A promise and its resolve/reject, to hold a side effect open while a test looks at the store. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
