import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgSetupTokenStore } from '../src/storage/pg/setup-token-store.ts';
import { createPgUserStore } from '../src/storage/pg/user-store.ts';
import { adaptSqliteSetupTokenStore } from '../src/storage/setup-tokens-async.ts';
import { createSetupTokenStore } from '../src/storage/setup-tokens.ts';
import { adaptSqliteUserStore } from '../src/storage/users-async.ts';
import { createUserStore } from '../src/storage/users.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncSetupTokenStoreSuite } from './setup-tokens-async.suite.ts';

/**
 * The setup token conformance suite on a SQLite file (through the adapter) and on PostgreSQL, where each
 * "process" has its own pool: two setups racing with one token are two processes racing.
 */

asyncSetupTokenStoreSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-setup-tokens-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  return {
    open: () => ({
      tokens: adaptSqliteSetupTokenStore(createSetupTokenStore(db, now)),
      users: adaptSqliteUserStore(createUserStore(db, now)),
    }),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL setup token tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncSetupTokenStoreSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      (pool) => migratePg(pool, PG_MIGRATIONS),
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    return {
      open: () => {
        const pool = db.another();
        return { tokens: createPgSetupTokenStore(pool, now), users: createPgUserStore(pool, now) };
      },
      close: db.close,
    };
  });
});
