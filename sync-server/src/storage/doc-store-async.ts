import type { Db } from './db.ts';
import type { DocStore } from './doc-store.ts';

/**
 * The document store with the same contract as `DocStore` (doc-store.ts), returning Promises: what an
 * asynchronous database (PostgreSQL, storage/pg/doc-store.ts) can offer (docs/SCALE-OUT.md §2). `Tx` is
 * the implementation's transaction handle, handed to `alongside` so the projection rows commit with the
 * updates. One conformance suite (test/doc-store-async.suite.ts) runs against every implementation.
 */
export interface AsyncDocStore<Tx = unknown> {
  /** As `DocStore.load`. */
  load(doc: string): Promise<{ updates: Uint8Array[]; lastId: number; stateVector?: Uint8Array }>;
  /**
   * What a replica that holds `doc` up to id `afterId` lacks: the updates stored after it, oldest first, and
   * the newest id (`afterId` when there are none). Ids of one document rise in commit order, so nothing
   * committed before the newest one returned is left out; after a compaction that replaced ids above
   * `afterId`, the compacted state comes instead (its id is the newest it replaced): docs/SCALE-OUT.md §5.
   */
  loadAfter(doc: string, afterId: number): Promise<{ updates: Uint8Array[]; lastId: number }>;
  /**
   * Appends all entries atomically, running `alongside` in the same transaction; resolves only once the
   * commit is durable, and rejects (storing nothing) if `alongside` or the commit fails (P4).
   */
  appendBatch(
    entries: readonly { doc: string; data: Uint8Array }[],
    alongside?: (tx: Tx) => Promise<void>,
  ): Promise<void>;
  /** As `DocStore.compact`. */
  compact(doc: string, upToId: number, state: Uint8Array, stateVector: Uint8Array): Promise<void>;
  /** As `DocStore.count`. */
  count(doc: string): Promise<number>;
  /** As `DocStore.head`. */
  head(doc: string): Promise<{ count: number; lastId: number; compacted: boolean }>;
}

/**
 * The synchronous SQLite store behind the async interface, so code written against `AsyncDocStore` runs
 * on the default single-process server too. `alongside` gets the database and runs inside an explicit
 * transaction that stays open across its awaits; batches are therefore run one at a time (a second one
 * waits for the first to settle), or its statements would land in the first one's transaction. Code that
 * uses `db` directly while a batch awaits would too: only the adapter may write during a batch.
 */
export function adaptSqliteDocStore(store: DocStore, db: Db): AsyncDocStore<Db> {
  // DocStore has no read by id; this one query reads its table (storage/migrations.ts) directly.
  const after = db.prepare<[string, number], { id: number; data: Buffer }>(
    'SELECT id, data FROM doc_updates WHERE doc = ? AND id > ? ORDER BY id',
  );
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(f: () => Promise<T>): Promise<T> => {
    const run = tail.then(f, f);
    // The chain only orders batches; each caller sees its own outcome through `run`.
    tail = run.catch(() => undefined);
    return run;
  };
  const lift = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return {
    // Reads wait for a batch in progress too: on the one connection they would see its uncommitted rows.
    load: (doc) => serially(() => lift(() => store.load(doc))),
    loadAfter: (doc, afterId) =>
      serially(() =>
        lift(() => {
          const rows = after.all(doc, afterId);
          return {
            updates: rows.map((r) => new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)),
            lastId: rows.at(-1)?.id ?? afterId,
          };
        }),
      ),
    appendBatch: (entries, alongside) =>
      serially(async () => {
        // Committed with NORMAL (P4): resolved once the WAL's sync holds it.
        if (!alongside) {
          store.appendBatch(entries);
          return store.durable();
        }
        // IMMEDIATE takes the write lock now, so the batch cannot fail half-way for want of it.
        db.exec('BEGIN IMMEDIATE');
        try {
          // Inside an open transaction better-sqlite3 nests the store's own transaction as a savepoint.
          store.appendBatch(entries);
          await alongside(db);
          // This COMMIT runs at the connection's FULL: durable when it returns.
          db.exec('COMMIT');
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
    compact: (doc, upToId, state, sv) => serially(() => lift(() => store.compact(doc, upToId, state, sv))),
    count: (doc) => serially(() => lift(() => store.count(doc))),
    head: (doc) => serially(() => lift(() => store.head(doc))),
  };
}
