/**
 * What only the PostgreSQL store has, against the real PostgreSQL (see ./services.ts): its options, the
 * table it creates, racing creators, times from the database clock, a pool of the caller's left open,
 * purgeExpired, and an unreachable server failing fast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresStore, postgresTableDdl } from '../../src/idempotency/index.ts';
import { POSTGRES_URL, dropTable, requirePostgres, runId, sleep } from './services.ts';

describe('postgresStore: options', () => {
  const invalid: Array<[string, Parameters<typeof postgresStore>[0], RegExp]> = [
    ['neither connectionString nor pool', {}, /pass connectionString \(postgres:\/\/…\) or pool/],
    ['both', { connectionString: POSTGRES_URL, pool: {} as pg.Pool }, /either connectionString or pool, not both/],
    ['an empty connectionString', { connectionString: '' }, /pass connectionString/],
    ['a table with a quote', { connectionString: POSTGRES_URL, table: 'x"; drop table y; --' }, /table must be a name or schema.name/],
    ['a table with three parts', { connectionString: POSTGRES_URL, table: 'a.b.c' }, /table must be/],
    ['an empty table', { connectionString: POSTGRES_URL, table: '' }, /table must be/],
    ['a table starting with a digit', { connectionString: POSTGRES_URL, table: '1abc' }, /table must be/],
  ];
  for (const [name, options, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => postgresStore(options), (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }

  it('shows its DDL for a migration of your own', () => {
    const ddl = postgresTableDdl('jobs.idem');
    assert.match(ddl, /^CREATE TABLE IF NOT EXISTS "jobs"\."idem" \(key text PRIMARY KEY, /);
    assert.match(ddl, /CREATE INDEX IF NOT EXISTS "jobs_idem_expires_at_idx" ON "jobs"\."idem" \(expires_at\)/);
    assert.match(postgresTableDdl(), /"forager_idempotency"/);
  });
});

describe('postgresStore against PostgreSQL', () => {
  const id = runId();
  const tables: string[] = [];
  let admin: pg.Pool | undefined;
  let setUpError: unknown;

  function table(name: string): string {
    const full = `forager_idem_${name}_${id}`;
    tables.push(full);
    return full;
  }

  before(async () => {
    try {
      await requirePostgres();
      admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    } catch (error) {
      setUpError = error;
    }
  });
  after(async () => {
    for (const name of tables) await dropTable(name).catch(() => {});
    await admin?.end();
  });

  function db(): pg.Pool {
    if (setUpError !== undefined) throw setUpError;
    assert.ok(admin);
    return admin;
  }

  it('creates its table with one CREATE TABLE IF NOT EXISTS on first use, and only then', async () => {
    const pool = db();
    const name = table('create');
    const store = postgresStore({ pool, table: name });
    const before = await pool.query('SELECT to_regclass($1) AS t', [name]);
    assert.equal(before.rows[0].t, null, 'not created before first use');
    await store.claim('k', 1_000);
    const columns = await pool.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [name],
    );
    assert.deepEqual(
      columns.rows.map((r) => `${r.column_name} ${r.data_type}`),
      ['key text', 'state text', 'token text', 'result text', 'expires_at timestamp with time zone', 'updated_at timestamp with time zone'],
    );
    await store.close();
  });

  it('survives many stores creating the same table at once', async () => {
    const pool = db();
    const name = table('race');
    const stores = Array.from({ length: 6 }, () => postgresStore({ connectionString: POSTGRES_URL, table: name }));
    try {
      const claims = await Promise.all(stores.map((store, i) => store.claim(`k${i}`, 10_000)));
      assert.ok(claims.every((c) => c.state === 'claimed'));
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${name}"`);
      assert.equal(rows[0].n, 6);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('with createTable: false uses an existing table and creates none', async () => {
    const pool = db();
    const name = table('nocreate');
    const store = postgresStore({ pool, table: name, createTable: false });
    await assert.rejects(store.claim('k', 1_000), /does not exist/);
    await pool.query(postgresTableDdl(name));
    assert.equal((await store.claim('k', 1_000)).state, 'claimed');
  });

  it('works in a schema', async () => {
    const pool = db();
    const schema = `forager_schema_${id}`;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    try {
      const store = postgresStore({ pool, table: `${schema}.idem` });
      assert.equal((await store.claim('k', 1_000)).state, 'claimed');
      await store.complete('k', 'r', 60_000);
      const { rows } = await pool.query(`SELECT state, result FROM "${schema}"."idem" WHERE key = 'k'`);
      assert.deepEqual(rows, [{ state: 'done', result: '"r"' }]);
    } finally {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });

  it("takes times from the database's clock", async () => {
    const pool = db();
    const name = table('clock');
    const store = postgresStore({ pool, table: name });
    await store.claim('k', 60_000);
    const { rows } = await pool.query<{ lease: number }>(`SELECT extract(epoch FROM expires_at - now()) * 1000 AS lease FROM "${name}" WHERE key = 'k'`);
    const lease = Number(rows[0]?.lease);
    assert.ok(lease > 55_000 && lease <= 60_000, `lease ${lease} ms`);
  });

  it('keeps the stored row readable: state, token, result as JSON text', async () => {
    const pool = db();
    const name = table('rows');
    const store = postgresStore({ pool, table: name });
    const claim = await store.claim('k', 60_000);
    assert.ok(claim.state === 'claimed');
    let { rows } = await pool.query(`SELECT state, token, result FROM "${name}"`);
    assert.deepEqual(rows, [{ state: 'running', token: claim.token, result: null }]);
    await store.complete('k', { receipt: 'R' }, 60_000);
    ({ rows } = await pool.query(`SELECT state, token, result FROM "${name}"`));
    assert.deepEqual(rows, [{ state: 'done', token: null, result: '{"receipt":"R"}' }]);
  });

  it('purgeExpired deletes ended rows only', async () => {
    const pool = db();
    const name = table('purge');
    const store = postgresStore({ pool, table: name });
    await store.claim('short', 100);
    await store.complete('done-short', 1, 100);
    await store.claim('long', 60_000);
    await store.complete('done-long', 1, 60_000);
    await sleep(300);
    assert.equal(await store.purgeExpired(), 2);
    const { rows } = await pool.query<{ key: string }>(`SELECT key FROM "${name}" ORDER BY key`);
    assert.deepEqual(
      rows.map((r) => r.key),
      ['done-long', 'long'],
    );
    assert.equal(await store.purgeExpired(), 0);
  });

  it('close() leaves a pool it was given open', async () => {
    const pool = db();
    const store = postgresStore({ pool, table: table('given') });
    await store.claim('k', 1_000);
    await store.close();
    await store.close(); // idempotent
    const { rows } = await pool.query('SELECT 1 AS one');
    assert.equal(rows[0].one, 1);
    await assert.rejects(store.claim('k2', 1_000), /the store is closed/);
  });

  it('close() ends a pool it opened', async () => {
    db();
    const store = postgresStore({ connectionString: POSTGRES_URL, table: table('owned') });
    await store.claim('k', 1_000);
    const ended = store.close();
    assert.equal(store.close(), ended, 'one close, however often called');
    await ended;
    await assert.rejects(store.claim('k', 1_000), /the store is closed/);
  });

  it('close() before first use opens nothing, and the closed store refuses work', async () => {
    const name = `forager-unused-${id}`;
    const store = postgresStore({ connectionString: POSTGRES_URL, table: table('unused'), poolConfig: { application_name: name } });
    const sessions = async () =>
      (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [name])).rows[0]!.n;
    assert.equal(await sessions(), 0, 'no connection before first use');
    await store.close();
    await assert.rejects(store.claim('k', 1_000), /the store is closed/);
    assert.equal(await sessions(), 0, 'no connection after a claim on the closed store');
  });

  it('an unreachable server fails a claim quickly with the cause', async () => {
    db();
    const store = postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', poolConfig: { connectionTimeoutMillis: 2_000 } });
    const started = Date.now();
    await assert.rejects(store.claim('k', 1_000), /ECONNREFUSED/);
    assert.ok(Date.now() - started < 5_000);
    await store.close();
  });
});
