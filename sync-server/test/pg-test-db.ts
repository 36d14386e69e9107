import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh PostgreSQL database per test file, on the machine's server (PG_TEST_URL, or 127.0.0.1:5432 as
 * user postgres with trust auth, as on these machines and in CI). The shared databases are never written:
 * each run creates `cr_test_<random>` and drops it after, whatever happened.
 */
const ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { url: string; drop: () => Promise<void> };

/** Whether the test server answers; the reason when it does not, for the skip message. */
export async function postgresReachable(): Promise<{ ok: true } | { ok: false; why: string }> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, why: `PostgreSQL unreachable at ${ADMIN_URL}: ${String(err)}` };
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `cr_test_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE ends connections a failed test left open, so the drop never waits on them.
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * A fresh database migrated to `migrations`, and a way to open more pools on it (a pool stands for another
 * process). `close` ends every pool opened and drops the database.
 */
export async function createMigratedDatabase(
  migrate: (pool: pg.Pool) => Promise<unknown>,
  openPool: (url: string) => pg.Pool,
): Promise<{ pool: pg.Pool; another: () => pg.Pool; close: () => Promise<void> }> {
  const db = await createTestDatabase();
  const pools: pg.Pool[] = [];
  const another = (): pg.Pool => {
    const p = openPool(db.url);
    pools.push(p);
    return p;
  };
  const close = async (): Promise<void> => {
    try {
      await Promise.all(pools.map((p) => p.end()));
    } finally {
      await db.drop();
    }
  };
  const pool = another();
  try {
    await migrate(pool);
  } catch (err) {
    await close();
    throw err;
  }
  return { pool, another, close };
}
