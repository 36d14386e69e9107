import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { adaptSqliteMuteStore } from '../src/storage/mutes-async.ts';
import { createMuteStore } from '../src/storage/mutes.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgMuteStore } from '../src/storage/pg/mute-store.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { asyncMuteStoreSuite, CONVERSATIONS, USERS } from './mutes-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/** The mute conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

/** The accounts and conversations the mutes reference, the same rows in both databases. */
const SEED = [
  ...USERS.map(
    (id) => `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
      VALUES ('${id}', '${id}@college.test', '${id}', 'student', 'x', 0, 0)`,
  ),
  ...CONVERSATIONS.map(
    (id) => `INSERT INTO conversations (id, kind, name, created_at) VALUES ('${id}', 'public', '${id}', 0)`,
  ),
];

asyncMuteStoreSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-mutes-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  for (const sql of SEED) db.exec(sql);
  return {
    open: async () => adaptSqliteMuteStore(createMuteStore(db, now)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL mute tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncMuteStoreSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const sql of SEED) await pool.query(sql);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    // Each instance on its own pool, as another process would be. A background re-read happens only while
    // switched off, which the suite never does: a failure there would fail the run the same way.
    return {
      open: () => createPgMuteStore(db.another(), now, { onReadFailed: (err) => void Promise.reject(err) }),
      close: db.close,
    };
  });
});
