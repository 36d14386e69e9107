import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgPushSubscriptionStore } from '../src/storage/pg/push-subscription-store.ts';
import { createPgSessionStore } from '../src/storage/pg/session-store.ts';
import { adaptSqlitePushSubscriptionStore } from '../src/storage/push-subscriptions-async.ts';
import { createPushSubscriptionStore } from '../src/storage/push-subscriptions.ts';
import { adaptSqliteSessionStore } from '../src/storage/sessions-async.ts';
import { createSessionStore, hashToken } from '../src/storage/sessions.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncPushSubscriptionStoreSuite, USERS } from './push-subscriptions-async.suite.ts';

/** The push subscription conformance suite on a SQLite file (through the adapter) and on fresh PostgreSQL. */

asyncPushSubscriptionStoreSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-push-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  const add = db.prepare(
    `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
     VALUES (?, ?, ?, 'student', 'x', 0, 0)`,
  );
  for (const id of USERS) add.run(id, `${id}@college.test`, id);
  return {
    store: adaptSqlitePushSubscriptionStore(createPushSubscriptionStore(db, now)),
    sessions: adaptSqliteSessionStore(createSessionStore(db, now)),
    hashOf: hashToken,
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL push subscription tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncPushSubscriptionStoreSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const id of USERS)
          await pool.query(
            `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
             VALUES ($1, $2, $1, 'student', 'x', 0, 0)`,
            [id, `${id}@college.test`],
          );
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 4, onError: (err) => void Promise.reject(err) }),
    );
    return {
      store: createPgPushSubscriptionStore(db.pool, now),
      sessions: createPgSessionStore(db.pool, now),
      hashOf: hashToken,
      close: db.close,
    };
  });
});
