import { describe } from 'vitest';
import type { Db } from '../src/storage/db.ts';
import { createMessageStore } from '../src/storage/messages.ts';
import { adaptSqliteMessageStore } from '../src/storage/messages-async.ts';
import { createPgMessageStore } from '../src/storage/pg/message-store.ts';
import type { PgClient } from '../src/storage/pg/pool.ts';
import { pgBackend, sqliteBackend } from './commit-backends.ts';
import { asyncMessageStoreSuite } from './messages-async.suite.ts';
import { postgresReachable } from './pg-test-db.ts';

/** The message projection's conformance suite on a SQLite file (through the adapter) and on PostgreSQL. */

asyncMessageStoreSuite<Db>('SQLite file through the async adapter', async () => {
  const b = sqliteBackend('messages');
  return {
    store: adaptSqliteMessageStore(createMessageStore(b.conn)),
    docs: b.docs,
    lockWaited: b.lockWaited,
    close: b.close,
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL message projection tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncMessageStoreSuite<PgClient>('PostgreSQL', async () => {
    const b = await pgBackend();
    return { store: createPgMessageStore(b.conn), docs: b.docs, lockWaited: b.lockWaited, close: b.close };
  });
});
