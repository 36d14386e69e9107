import type { AppliedActions } from './applied-actions.ts';
import type { Db } from './db.ts';
import { liftSync } from './lift-sync.ts';

/**
 * Which of a user's actions the server has stored (P14), with the operations of `AppliedActions`
 * (applied-actions.ts) for an asynchronous database (PostgreSQL, storage/pg/applied-action-store.ts;
 * docs/SCALE-OUT.md §2, §3). `record` takes `tx`, the document store's commit transaction, because a record
 * must commit with the updates that carry its actions: one without the other either refuses an action
 * never stored or lets a stored one be applied twice. Recording an id already stored keeps the first time.
 * One conformance suite (test/applied-actions-async.suite.ts) runs against every implementation.
 */
export interface AsyncAppliedActions<Tx = unknown> {
  /** The ids among `ids` already stored for this user, in the order (and as often) as `ids` names them. */
  storedOf(userId: string, ids: readonly string[]): Promise<string[]>;
  record(tx: Tx, userId: string, ids: readonly string[], at: number): Promise<void>;
  /** Forgets records made before `before`; resolves to how many. Not part of a commit. */
  prune(before: number): Promise<number>;
}

/**
 * The synchronous SQLite store behind the async interface. `record` ignores `tx` (the database itself, from
 * `adaptSqliteDocStore`) and runs on the store's connection, inside the caller's transaction.
 */
export function adaptSqliteAppliedActions(store: AppliedActions): AsyncAppliedActions<Db> {
  return {
    storedOf: (userId, ids) => liftSync(() => store.storedOf(userId, ids)),
    record: (_tx, userId, ids, at) => liftSync(() => store.record(userId, ids, at)),
    prune: (before) => liftSync(() => store.prune(before)),
  };
}
