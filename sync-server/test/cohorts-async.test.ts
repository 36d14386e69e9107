import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { adaptSqliteCohortStore } from '../src/storage/cohorts-async.ts';
import { createCohortStore } from '../src/storage/cohorts.ts';
import { openDatabase } from '../src/storage/db.ts';
import { createPgCohortStore } from '../src/storage/pg/cohort-store.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { asyncCohortStoreSuite, PEOPLE } from './cohorts-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/** The cohort conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

const INSERT = `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at, cohort, active)
  VALUES ($1, $2, $1, 'student', 'x', 0, 0, $3, $4)`;
const rows = PEOPLE.map((p) => [p.id, `${p.id}@college.test`, p.cohort, p.active] as const);

asyncCohortStoreSuite('SQLite file through the async adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-cohorts-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  const insert = db.prepare(
    `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at, cohort, active)
     VALUES (?, ?, ?, 'student', 'x', 0, 0, ?, ?)`,
  );
  for (const [id, email, cohort, active] of rows) insert.run(id, email, id, cohort, active ? 1 : 0);
  return {
    store: adaptSqliteCohortStore(createCohortStore(db)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL cohort tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncCohortStoreSuite('PostgreSQL', async () => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const r of rows) await pool.query(INSERT, [...r]);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    return { store: createPgCohortStore(db.pool), close: db.close };
  });
});
