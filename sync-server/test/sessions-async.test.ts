import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgSessionStore } from '../src/storage/pg/session-store.ts';
import { adaptSqliteSessionStore } from '../src/storage/sessions-async.ts';
import { createSessionStore } from '../src/storage/sessions.ts';
import { createTestDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncSessionStoreSuite, USERS } from './sessions-async.suite.ts';

/** The session conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

asyncSessionStoreSuite('SQLite file through the async adapter', async (now, maxAgeMs) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-sessions-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  // SQLite's sessions reference their account.
  const add = db.prepare(
    `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
     VALUES (?, ?, ?, 'student', 'x', 0, 0)`,
  );
  for (const id of USERS) add.run(id, `${id}@college.test`, id);
  return {
    store: adaptSqliteSessionStore(createSessionStore(db, now, maxAgeMs)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL session tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncSessionStoreSuite('PostgreSQL', async (now, maxAgeMs) => {
    const db = await createTestDatabase();
    // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
    const pool = createPgPool(db.url, { max: 2, onError: (err) => void Promise.reject(err) });
    const close = async (): Promise<void> => {
      try {
        await pool.end();
      } finally {
        await db.drop();
      }
    };
    try {
      await migratePg(pool, PG_MIGRATIONS);
      // Sessions reference their account (migration 4), as in SQLite.
      for (const id of USERS)
        await pool.query(
          `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
           VALUES ($1, $2, $1, 'student', 'x', 0, 0)`,
          [id, `${id}@college.test`],
        );
    } catch (err) {
      await close();
      throw err;
    }
    return { store: createPgSessionStore(pool, now, maxAgeMs), close };
  });
});
