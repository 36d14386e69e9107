import { realpathSync } from 'node:fs';
import type { Db } from './db.ts';
import { createWalFileSync, createWalSync } from './wal-sync.ts';

/**
 * Where document updates live. The server appends every accepted update, relays it once `appendBatch` has
 * returned (committed: it survives the process being killed) and acknowledges it only after `durable()`
 * has resolved (it survives the machine losing power): docs/PROTOCOL.md P4, P5. One conformance suite
 * (test/doc-store.suite.ts) runs against every implementation.
 */
export interface DocStore {
  /**
   * Every stored update of `doc`, oldest first, and the id of the newest (0 when none). When the only
   * update is a compacted state (nothing stored after it), also the state vector stored with it.
   */
  load(doc: string): { updates: Uint8Array[]; lastId: number; stateVector?: Uint8Array };
  /**
   * Appends all entries atomically, running `alongside` in the same transaction (the message projection), so
   * either everything in a group commit is durable or nothing is. Throws if the commit fails.
   */
  appendBatch(entries: readonly { doc: string; data: Uint8Array }[], alongside?: () => void): void;
  /**
   * Resolves once every batch appended before the call is durable (on the disk, not only committed).
   * Rejects if the disk failed to keep it: the caller must then stop, not retry (wal-sync.ts).
   */
  durable(): Promise<void>;
  /** Lets go of what the store holds open beside the database (the WAL's descriptor); call at shutdown. */
  close(): void;
  /**
   * Replaces the updates of `doc` with id ≤ `upToId` by one update holding the same state, and keeps
   * `stateVector` (that state's) beside it.
   */
  compact(doc: string, upToId: number, state: Uint8Array, stateVector: Uint8Array): void;
  /** How many updates `doc` has stored. */
  count(doc: string): number;
  /**
   * How many updates `doc` has stored and the id of the newest (0 when none), without reading them;
   * `compacted`: the only update is a compacted state stored with its state vector.
   */
  head(doc: string): { count: number; lastId: number; compacted: boolean };
}

export function createSqliteDocStore(
  db: Db,
  now: () => number = Date.now,
  syncFile?: (path: string) => Promise<void>,
): DocStore {
  const selectDoc = db.prepare<[string], { id: number; data: Buffer }>(
    'SELECT id, data FROM doc_updates WHERE doc = ? ORDER BY id',
  );
  const insert = db.prepare('INSERT INTO doc_updates (doc, data, created_at) VALUES (?, ?, ?)');
  const countDoc = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM doc_updates WHERE doc = ?');
  const headDoc = db.prepare<[string, string], { n: number; last: number | null; head: number | null }>(
    `SELECT COUNT(*) AS n, MAX(id) AS last, (SELECT last_id FROM doc_heads WHERE doc = ?) AS head
     FROM doc_updates WHERE doc = ?`,
  );
  const deleteUpTo = db.prepare('DELETE FROM doc_updates WHERE doc = ? AND id <= ?');
  const insertWithId = db.prepare('INSERT INTO doc_updates (id, doc, data, created_at) VALUES (?, ?, ?, ?)');
  const selectHead = db.prepare<[string], { last_id: number; state_vector: Buffer }>(
    'SELECT last_id, state_vector FROM doc_heads WHERE doc = ?',
  );
  const upsertHead = db.prepare(
    'INSERT OR REPLACE INTO doc_heads (doc, last_id, state_vector) VALUES (?, ?, ?)',
  );
  const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  // A batch commits without the fsync on the event loop (synchronous=NORMAL, for this transaction only:
  // every other write of the connection keeps FULL); `durable()` syncs the WAL on the thread pool.
  // Executed each time, not prepared once: SQLite applies this pragma when it compiles the statement.
  const relaxed = (): void => void db.exec('PRAGMA synchronous = NORMAL');
  const strict = (): void => void db.exec('PRAGMA synchronous = FULL');
  // Only in WAL mode is a NORMAL commit safe to sync afterwards; otherwise every batch stays FULL. SQLite
  // names the WAL after the database file's real path (a symlinked data directory points elsewhere).
  const inWal = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
  const walFile = syncFile || !inWal ? null : createWalFileSync();
  const wal = createWalSync(inWal ? `${realpathSync(db.name)}-wal` : null, syncFile ?? walFile?.sync);

  const append = db.transaction(
    (entries: readonly { doc: string; data: Uint8Array }[], alongside?: () => void) => {
      const t = now();
      for (const e of entries)
        insert.run(e.doc, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength), t);
      alongside?.();
    },
  );
  // The merged state takes the id of the newest update it replaces, so order with later updates is kept.
  const compact = db.transaction((doc: string, upToId: number, state: Uint8Array, sv: Uint8Array) => {
    deleteUpTo.run(doc, upToId);
    insertWithId.run(upToId, doc, Buffer.from(state), now());
    upsertHead.run(doc, upToId, Buffer.from(sv));
  });

  return {
    load(doc) {
      const rows = selectDoc.all(doc);
      const updates = rows.map((r) => view(r.data));
      const lastId = rows.at(-1)?.id ?? 0;
      // The stored state vector is that of the compacted row with id `last_id`: only that row, alone.
      const head = rows.length === 1 ? selectHead.get(doc) : undefined;
      return head && head.last_id === lastId
        ? { updates, lastId, stateVector: view(head.state_vector) }
        : { updates, lastId };
    },
    appendBatch(entries, alongside) {
      // Inside a caller's transaction (a savepoint here) its COMMIT decides, and SQLite refuses the pragma.
      // Not in WAL mode: FULL, durable when COMMIT returns.
      if (db.inTransaction || !inWal) return void append(entries, alongside);
      relaxed();
      try {
        append(entries, alongside);
      } finally {
        strict();
      }
      wal.wrote();
    },
    durable: () => wal.durable(),
    close: () => walFile?.close(),
    compact(doc, upToId, state, stateVector) {
      compact(doc, upToId, state, stateVector);
    },
    count(doc) {
      return countDoc.get(doc)?.n ?? 0;
    },
    head(doc) {
      const r = headDoc.get(doc, doc);
      const count = r?.n ?? 0;
      const lastId = r?.last ?? 0;
      return { count, lastId, compacted: count === 1 && r?.head === lastId };
    },
  };
}

/** In memory, for tests and tools: same contract, nothing durable. */
export function createMemoryDocStore(): DocStore {
  const docs = new Map<string, { id: number; data: Uint8Array }[]>();
  const heads = new Map<string, { lastId: number; sv: Uint8Array }>();
  let nextId = 1;
  return {
    load(doc) {
      const rows = docs.get(doc) ?? [];
      const lastId = rows.at(-1)?.id ?? 0;
      const head = heads.get(doc);
      return rows.length === 1 && head?.lastId === lastId
        ? { updates: rows.map((r) => r.data), lastId, stateVector: head.sv }
        : { updates: rows.map((r) => r.data), lastId };
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
    durable: () => Promise.resolve(),
    close: () => undefined,
    compact(doc, upToId, state, stateVector) {
      const rows = (docs.get(doc) ?? []).filter((r) => r.id > upToId);
      docs.set(doc, [{ id: upToId, data: state.slice() }, ...rows]);
      heads.set(doc, { lastId: upToId, sv: stateVector.slice() });
    },
    count(doc) {
      return docs.get(doc)?.length ?? 0;
    },
    head(doc) {
      const rows = docs.get(doc) ?? [];
      const lastId = rows.at(-1)?.id ?? 0;
      return {
        count: rows.length,
        lastId,
        compacted: rows.length === 1 && heads.get(doc)?.lastId === lastId,
      };
    },
  };
}
