import { describe } from 'vitest';
import { adaptSqliteAppliedActions } from '../src/storage/applied-actions-async.ts';
import { createAppliedActions } from '../src/storage/applied-actions.ts';
import type { Db } from '../src/storage/db.ts';
import { createPgAppliedActions } from '../src/storage/pg/applied-action-store.ts';
import type { PgClient } from '../src/storage/pg/pool.ts';
import { asyncAppliedActionsSuite } from './applied-actions-async.suite.ts';
import { pgBackend, sqliteBackend } from './commit-backends.ts';
import { postgresReachable } from './pg-test-db.ts';

/** The applied actions' conformance suite on a SQLite file (through the adapter) and on PostgreSQL. */

asyncAppliedActionsSuite<Db>('SQLite file through the async adapter', async () => {
  const b = sqliteBackend('applied-actions');
  return { store: adaptSqliteAppliedActions(createAppliedActions(b.conn)), docs: b.docs, close: b.close };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL applied actions tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncAppliedActionsSuite<PgClient>('PostgreSQL', async () => {
    const b = await pgBackend();
    return { store: createPgAppliedActions(b.conn), docs: b.docs, close: b.close };
  });
});
