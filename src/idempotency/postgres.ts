/**
 * An idempotency store in PostgreSQL (with `pg`), shared by every worker process that uses the same table.
 *
 * One row per key: `state` is `running` (with the holder's `token`) or `done` (with the `result` as JSON
 * text, NULL for `undefined`); `expires_at` is when the lease or the retention ends. All times come from
 * the database's clock (`now()`), so the workers' clocks do not matter. A claim is one atomic statement
 * (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`); ended rows are taken over by the next claim and can be
 * deleted in bulk with `purgeExpired()`.
 */
import { checkKey, checkPositiveMs, decodeResult, encodeResult, newToken, type Claim, type IdempotencyStore } from './store.ts';

/**
 * What the store needs of a PostgreSQL pool: a `pg.Pool` is one. Written out here so that forager's types
 * need neither `pg` nor `@types/pg` in a project that does not use this store.
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  end(): Promise<void>;
}

export interface PostgresStoreOptions {
  /** A connection string (`postgres://user:password@host:5432/db`); the store opens a pool and closes it. */
  connectionString?: string;
  /** A pool of yours; the store uses it and leaves it open on `close()`. */
  pool?: PostgresPool;
  /** Further settings for the pool the store opens, as `pg.Pool` takes them (ignored with `pool`). */
  poolConfig?: Record<string, unknown>;
  /** The table, optionally schema-qualified (`jobs.idempotency`). Default `forager_idempotency`. */
  table?: string;
  /**
   * Create the table (and its index) if missing, on first use. Default true; turn it off when the
   * database user may not run DDL and the table is created by a migration (see {@link postgresTableDdl}).
   */
  createTable?: boolean;
}

/** A PostgreSQL {@link IdempotencyStore}, with a bulk clean-up of ended rows. */
export interface PostgresStore extends IdempotencyStore {
  /** The quoted table name in use. */
  readonly table: string;
  /** Deletes rows whose lease or retention has ended; returns how many. Run it now and then (a cron trigger). */
  purgeExpired(): Promise<number>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `name` or `schema.name`, checked and double-quoted. */
function quoteTable(table: string): string {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(`postgresStore: table must be a name or schema.name of letters, digits and _, got ${JSON.stringify(table)}`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}

/**
 * The DDL `postgresStore` runs on first use (unless `createTable: false`), for a migration of your own.
 *
 * @example
 * ```ts
 * console.log(postgresTableDdl('forager_idempotency'));
 * ```
 */
export function postgresTableDdl(table = 'forager_idempotency'): string {
  const quoted = quoteTable(table);
  const indexName = `"${table.replaceAll('.', '_')}_expires_at_idx"`;
  return (
    `CREATE TABLE IF NOT EXISTS ${quoted} (` +
    `key text PRIMARY KEY, ` +
    `state text NOT NULL CHECK (state IN ('running', 'done')), ` +
    `token text, ` +
    `result text, ` +
    `expires_at timestamptz NOT NULL, ` +
    `updated_at timestamptz NOT NULL DEFAULT now()); ` +
    `CREATE INDEX IF NOT EXISTS ${indexName} ON ${quoted} (expires_at)`
  );
}

/** SQLSTATEs of a concurrent `CREATE … IF NOT EXISTS` that lost the race (the object exists now: fine). */
const ALREADY_CREATED = new Set(['23505', '42P07', '42710']);

/** Claim attempts before giving up: a claim is retried only when the row changed under it. */
const MAX_CLAIM_ATTEMPTS = 5;

/**
 * A PostgreSQL {@link IdempotencyStore}. Pass `connectionString` (the store opens a pool and closes it) or a
 * `pool` of yours (left open on `close()`).
 *
 * @example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL });
 * const once = createOnce(store);
 * // … on shutdown:
 * await store.close();
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const table = quoteTable(options.table ?? 'forager_idempotency');
  const ddl = postgresTableDdl(options.table ?? 'forager_idempotency');
  if (options.pool !== undefined && options.connectionString !== undefined) {
    throw new TypeError('postgresStore: pass either connectionString or pool, not both');
  }
  if (options.pool === undefined && (typeof options.connectionString !== 'string' || options.connectionString === '')) {
    throw new TypeError('postgresStore: pass connectionString (postgres://…) or pool');
  }
  const ownsPool = options.pool === undefined;
  let poolPromise: Promise<PostgresPool> | undefined = options.pool ? Promise.resolve(options.pool) : undefined;
  let ready: Promise<void> | undefined;
  let closed: Promise<void> | undefined;

  function pool(): Promise<PostgresPool> {
    poolPromise ??= import('pg').then(({ default: pg }) => {
      const created = new pg.Pool({ ...options.poolConfig, connectionString: options.connectionString });
      // An idle client's error (the server restarted) must not crash the process; the next query reports it.
      created.on('error', () => {});
      return created;
    });
    return poolPromise;
  }

  async function db(): Promise<PostgresPool> {
    if (closed) throw new Error('postgresStore: the store is closed');
    const p = await pool();
    if (options.createTable !== false) {
      ready ??= p.query(ddl).then(
        () => undefined,
        (error: unknown) => {
          if (ALREADY_CREATED.has((error as { code?: string }).code ?? '')) return;
          ready = undefined; // try again on the next call
          throw error;
        },
      );
      await ready;
    }
    return p;
  }

  const claimSql =
    `WITH claimed AS (` +
    `INSERT INTO ${table} AS existing (key, state, token, result, expires_at, updated_at) ` +
    `VALUES ($1, 'running', $2, NULL, now() + $3 * interval '1 millisecond', now()) ` +
    `ON CONFLICT (key) DO UPDATE SET state = 'running', token = EXCLUDED.token, result = NULL, ` +
    `expires_at = EXCLUDED.expires_at, updated_at = now() ` +
    `WHERE existing.expires_at <= now() ` +
    `RETURNING 'claimed'::text AS state, NULL::text AS result) ` +
    `SELECT state, result FROM claimed ` +
    `UNION ALL ` +
    `SELECT state, result FROM ${table} WHERE key = $1 AND expires_at > now() AND NOT EXISTS (SELECT 1 FROM claimed)`;

  const completeSql =
    `INSERT INTO ${table} (key, state, token, result, expires_at, updated_at) ` +
    `VALUES ($1, 'done', NULL, $2, now() + $3 * interval '1 millisecond', now()) ` +
    `ON CONFLICT (key) DO UPDATE SET state = 'done', token = NULL, result = EXCLUDED.result, ` +
    `expires_at = EXCLUDED.expires_at, updated_at = now()`;

  const releaseSql = `DELETE FROM ${table} WHERE key = $1 AND state = 'running' AND ($2::text IS NULL OR token = $2::text)`;

  return {
    table,

    async claim(key: string, leaseMs: number): Promise<Claim> {
      checkKey(key);
      checkPositiveMs(leaseMs, 'leaseMs');
      const p = await db();
      const token = newToken();
      for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
        const { rows } = await p.query(claimSql, [key, token, leaseMs]);
        const row = rows[0] as { state: string; result: string | null } | undefined;
        // No row: the conflicting row was written or deleted after this statement's snapshot; look again.
        if (row === undefined) continue;
        if (row.state === 'claimed') return { state: 'claimed', token };
        if (row.state === 'done') return { state: 'done', result: decodeResult(row.result) };
        return { state: 'busy' };
      }
      throw new Error(`postgresStore: could not claim '${key}' in ${MAX_CLAIM_ATTEMPTS} attempts (it kept changing)`);
    },

    async complete(key: string, result: unknown, retentionMs: number): Promise<void> {
      checkKey(key);
      checkPositiveMs(retentionMs, 'retentionMs');
      const stored = encodeResult(result);
      await (await db()).query(completeSql, [key, stored, retentionMs]);
    },

    async release(key: string, token?: string): Promise<void> {
      checkKey(key);
      await (await db()).query(releaseSql, [key, token ?? null]);
    },

    async purgeExpired(): Promise<number> {
      const { rowCount } = await (await db()).query(`DELETE FROM ${table} WHERE expires_at <= now()`);
      return rowCount ?? 0;
    },

    close(): Promise<void> {
      closed ??= (async () => {
        if (ownsPool && poolPromise !== undefined) await (await poolPromise).end();
      })();
      return closed;
    },
  };
}
