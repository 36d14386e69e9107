import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgPresenceStatusStore } from '../src/storage/pg/presence-status-store.ts';
import { adaptSqlitePresenceStatusStore } from '../src/storage/presence-status-async.ts';
import { createPresenceStatusStore } from '../src/storage/presence-status.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncPresenceStatusStoreSuite, USERS } from './presence-status-async.suite.ts';

/** The presence status conformance suite on a SQLite file (through the adapter) and on PostgreSQL. */

const SEED = USERS.map(
  (id) => `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
    VALUES ('${id}', '${id}@college.test', '${id}', 'student', 'x', 0, 0)`,
);

asyncPresenceStatusStoreSuite('SQLite file through the async adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-presence-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  for (const sql of SEED) db.exec(sql);
  return {
    open: () => adaptSqlitePresenceStatusStore(createPresenceStatusStore(db)),
    deleteUser: async (id) => void db.prepare('DELETE FROM users WHERE id = ?').run(id),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL presence status tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncPresenceStatusStoreSuite('PostgreSQL', async () => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const sql of SEED) await pool.query(sql);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    return {
      // Each instance on its own pool, as another process would be.
      open: () => createPgPresenceStatusStore(db.another()),
      deleteUser: async (id) => void (await db.pool.query('DELETE FROM users WHERE id = $1', [id])),
      close: db.close,
    };
  });
});
