import type { Db } from './db.ts';

/**
 * Where document updates live. The server appends every accepted update and acknowledges it only after
 * `appendBatch` returns (docs/PROTOCOL.md P4). One conformance suite (test/doc-store.suite.ts) runs against
 * every implementation.
 */
export interface DocStore {
  /** Every stored update of `doc`, oldest first, and the id of the newest (0 when none). */
  load(doc: string): { updates: Uint8Array[]; lastId: number };
  /**
   * Appends all entries atomically, running `alongside` in the same transaction (the message projection), so
   * either everything in a group commit is durable or nothing is. Throws if the commit fails.
   */
  appendBatch(entries: readonly { doc: string; data: Uint8Array }[], alongside?: () => void): void;
  /** Replaces the updates of `doc` with id ≤ `upToId` by one update holding the same state. */
  compact(doc: string, upToId: number, state: Uint8Array): void;
  /** How many updates `doc` has stored. */
  count(doc: string): number;
}

export function createSqliteDocStore(db: Db, now: () => number = Date.now): DocStore {
  const selectDoc = db.prepare<[string], { id: number; data: Buffer }>(
    'SELECT id, data FROM doc_updates WHERE doc = ? ORDER BY id',
  );
  const insert = db.prepare('INSERT INTO doc_updates (doc, data, created_at) VALUES (?, ?, ?)');
  const countDoc = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM doc_updates WHERE doc = ?');
  const deleteUpTo = db.prepare('DELETE FROM doc_updates WHERE doc = ? AND id <= ?');
  const insertWithId = db.prepare('INSERT INTO doc_updates (id, doc, data, created_at) VALUES (?, ?, ?, ?)');

  const append = db.transaction(
    (entries: readonly { doc: string; data: Uint8Array }[], alongside?: () => void) => {
      const t = now();
      for (const e of entries)
        insert.run(e.doc, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength), t);
      alongside?.();
    },
  );
  // The merged state takes the id of the newest update it replaces, so order with later updates is kept.
  const compact = db.transaction((doc: string, upToId: number, state: Uint8Array) => {
    deleteUpTo.run(doc, upToId);
    insertWithId.run(upToId, doc, Buffer.from(state), now());
  });

  return {
    load(doc) {
      const rows = selectDoc.all(doc);
      return {
        updates: rows.map((r) => new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)),
        lastId: rows.at(-1)?.id ?? 0,
      };
    },
    appendBatch(entries, alongside) {
      append(entries, alongside);
    },
    compact(doc, upToId, state) {
      compact(doc, upToId, state);
    },
    count(doc) {
      return countDoc.get(doc)?.n ?? 0;
    },
  };
}

/** In memory, for tests and tools: same contract, nothing durable. */
export function createMemoryDocStore(): DocStore {
  const docs = new Map<string, { id: number; data: Uint8Array }[]>();
  let nextId = 1;
  return {
    load(doc) {
      const rows = docs.get(doc) ?? [];
      return { updates: rows.map((r) => r.data), lastId: rows.at(-1)?.id ?? 0 };
    },
    appendBatch(entries, alongside) {
      const staged = entries.map((e) => ({ doc: e.doc, row: { id: 0, data: e.data.slice() } }));
      alongside?.();
      for (const s of staged) {
        s.row.id = nextId++;
        const rows = docs.get(s.doc) ?? [];
        rows.push(s.row);
        docs.set(s.doc, rows);
      }
    },
    compact(doc, upToId, state) {
      const rows = (docs.get(doc) ?? []).filter((r) => r.id > upToId);
      docs.set(doc, [{ id: upToId, data: state.slice() }, ...rows]);
    },
    count(doc) {
      return docs.get(doc)?.length ?? 0;
    },
  };
}
