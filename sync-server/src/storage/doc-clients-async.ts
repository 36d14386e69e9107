import type { Db } from './db.ts';
import type { DocClients } from './doc-clients.ts';
import { liftSync } from './lift-sync.ts';

/**
 * The user each Yjs client id in a shared document belongs to (T13), with the operations of `DocClients`
 * (doc-clients.ts) for an asynchronous database (PostgreSQL, storage/pg/doc-client-store.ts;
 * docs/SCALE-OUT.md §2, §3). `bind` takes `tx`, the document store's commit transaction: a binding must
 * commit with the first update that used the id. A client id is bound to the first user who wrote with it
 * for good: binding it to anyone else later leaves it as it was. One conformance suite
 * (test/doc-clients-async.suite.ts) runs against every implementation.
 */
export interface AsyncDocClients<Tx = unknown> {
  /** Every binding of `doc`, client id to user id. */
  ownersOf(doc: string): Promise<Map<number, string>>;
  bind(tx: Tx, doc: string, clientIds: readonly number[], userId: string): Promise<void>;
}

/**
 * The synchronous SQLite store behind the async interface. `bind` ignores `tx` (the database itself, from
 * `adaptSqliteDocStore`) and runs on the store's connection, inside the caller's transaction.
 */
export function adaptSqliteDocClients(store: DocClients): AsyncDocClients<Db> {
  return {
    ownersOf: (doc) => liftSync(() => store.ownersOf(doc)),
    bind: (_tx, doc, clientIds, userId) => liftSync(() => store.bind(doc, clientIds, userId)),
  };
}
