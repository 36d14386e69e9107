import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { adaptSqliteConversationStore } from '../src/storage/conversations-async.ts';
import { createConversationStore } from '../src/storage/conversations.ts';
import { openDatabase } from '../src/storage/db.ts';
import { createPgConversationStore } from '../src/storage/pg/conversation-store.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { asyncConversationStoreSuite, USERS } from './conversations-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/** The conversation conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

/** The accounts members reference, the same row in both databases. */
const ADD_USER = `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
  VALUES ($id, $email, $id, 'student', 'x', 0, 0)`;

asyncConversationStoreSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-conversations-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  const add = db.prepare(ADD_USER);
  for (const id of USERS) add.run({ id, email: `${id}@college.test` });
  return {
    open: () => adaptSqliteConversationStore(createConversationStore(db, now)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL conversation tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncConversationStoreSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const id of USERS)
          await pool.query(ADD_USER.replace(/\$id/g, '$1').replace('$email', '$2'), [
            id,
            `${id}@college.test`,
          ]);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    // Each instance on its own pool, as another process would be.
    return { open: () => createPgConversationStore(db.another(), now), close: db.close };
  });
});
