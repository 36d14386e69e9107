import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { adaptSqliteNotifyPrefStore } from '../src/storage/notify-prefs-async.ts';
import { createNotifyPrefStore } from '../src/storage/notify-prefs.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgNotifyPrefStore } from '../src/storage/pg/notify-pref-store.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { asyncNotifyPrefStoreSuite, CONVERSATIONS, USERS } from './notify-prefs-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/** The notification preference conformance suite on a SQLite file (through the adapter) and on PostgreSQL. */

/** The accounts and conversations the preferences reference, the same rows in both databases. */
const SEED = [
  ...USERS.map(
    (id) => `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
      VALUES ('${id}', '${id}@college.test', '${id}', 'student', 'x', 0, 0)`,
  ),
  ...CONVERSATIONS.map(
    (id) => `INSERT INTO conversations (id, kind, name, created_at) VALUES ('${id}', 'public', '${id}', 0)`,
  ),
];

asyncNotifyPrefStoreSuite('SQLite file through the async adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-notify-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  for (const sql of SEED) db.exec(sql);
  return {
    open: async () => adaptSqliteNotifyPrefStore(createNotifyPrefStore(db)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL notification preference tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncNotifyPrefStoreSuite('PostgreSQL', async () => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const sql of SEED) await pool.query(sql);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    // Each instance on its own pool, as another process would be.
    return { open: () => createPgNotifyPrefStore(db.another()), close: db.close };
  });
});
