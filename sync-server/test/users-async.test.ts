import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgUserStore } from '../src/storage/pg/user-store.ts';
import { adaptSqliteUserStore } from '../src/storage/users-async.ts';
import { createUserStore } from '../src/storage/users.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncUserStoreSuite } from './users-async.suite.ts';

/** The account conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

asyncUserStoreSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-users-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  return {
    open: () => adaptSqliteUserStore(createUserStore(db, now)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL account tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncUserStoreSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      (pool) => migratePg(pool, PG_MIGRATIONS),
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 2, onError: (err) => void Promise.reject(err) }),
    );
    // Each instance on its own pool, as another process would be.
    return { open: () => createPgUserStore(db.another(), now), close: db.close };
  });
});
