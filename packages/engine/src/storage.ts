/**
 * Where the engine keeps what must survive the app closing: document updates, the outbox, and small
 * metadata. Memory in Node; IndexedDB (Dexie) in the browser. Every implementation passes the shared suite
 * in `test/storage-suite.ts`.
 */

export type ActionKind = 'send' | 'edit' | 'delete' | 'react' | 'pin' | 'remove' | 'read' | 'unread';

export type OutboxEntry = {
  id: string;
  /** Monotonic within a device: the order actions were taken. */
  order: number;
  conversationId: string;
  doc: string;
  kind: ActionKind;
  payload: Record<string, unknown>;
  createdAt: number;
  /** The Yjs update this action produced, sent until the server acknowledges it. */
  update: Uint8Array | null;
  status: 'pending' | 'rejected';
  error: { code: string; message: string } | null;
};

export interface EngineStorage {
  loadDoc(name: string): Promise<Uint8Array[]>;
  /**
   * Every stored document whose name starts with `prefix` (a segment's, `c/{id}/{segment}/`), each with its
   * updates in order, read with one request: a start opens a conversation's documents at once.
   */
  loadDocsWithPrefix(prefix: string): Promise<Map<string, Uint8Array[]>>;
  appendDocUpdate(name: string, update: Uint8Array): Promise<void>;
  /** Replaces every stored update of `name` by one state update (compaction). */
  replaceDoc(name: string, state: Uint8Array): Promise<void>;
  /**
   * Compaction that loses nothing written concurrently: `merge` runs inside the write, after every earlier
   * write to the device has finished, with the updates stored for `name` at that moment (other tabs' rows
   * included); what it returns replaces them all. `null` leaves the document as it is.
   */
  compactDoc(name: string, merge: (stored: Uint8Array[]) => Uint8Array | null): Promise<void>;
  deleteDoc(name: string): Promise<void>;
  /**
   * A rebuild's clearing (P12), atomic: forgets every stored update of `name` AND the update of every
   * waiting (`pending`) outbox entry of `name`, which then waits to be applied again to the server's copy.
   * One write, because the app may be closed right after it: with the copy cleared but the entries still
   * holding updates made on the thrown-away copy, the next start would neither rebuild nor apply them
   * again; with their updates null, the next start rebuilds the document (engine.ts `restore`).
   */
  resetDoc(name: string): Promise<void>;
  listDocs(): Promise<string[]>;
  /** Stores a local change and its outbox entry atomically: both or neither survive a crash. */
  commitLocal(name: string, update: Uint8Array, entry: OutboxEntry): Promise<void>;
  /**
   * A replay's writes in one atomic request (P12): its local change (`null`: it changed nothing), the outbox
   * entries it applied again (their new updates), and the ids of entries it found done. One request per
   * replay, not one per action: a device with tens of actions waiting replayed them one write at a time.
   */
  commitReplay(
    name: string,
    update: Uint8Array | null,
    entries: readonly OutboxEntry[],
    done: readonly string[],
  ): Promise<void>;
  listOutbox(): Promise<OutboxEntry[]>;
  putOutbox(entry: OutboxEntry): Promise<void>;
  deleteOutbox(id: string): Promise<void>;
  getMeta(key: string): Promise<unknown>;
  /** Several metadata values with one request, in the order of `keys` (`undefined` where missing). */
  getMetaMany(keys: readonly string[]): Promise<unknown[]>;
  setMeta(key: string, value: unknown): Promise<void>;
  /** Forgets everything (logout). */
  clear(): Promise<void>;
}

const copy = (u: Uint8Array): Uint8Array => u.slice();
const copyEntry = (e: OutboxEntry): OutboxEntry => ({
  ...e,
  payload: structuredClone(e.payload),
  update: e.update ? copy(e.update) : null,
  error: e.error ? { ...e.error } : null,
});

export function createMemoryStorage(): EngineStorage {
  const docs = new Map<string, Uint8Array[]>();
  const outbox = new Map<string, OutboxEntry>();
  const meta = new Map<string, unknown>();
  return {
    loadDoc: async (name) => (docs.get(name) ?? []).map(copy),
    loadDocsWithPrefix: async (prefix) => {
      const out = new Map<string, Uint8Array[]>();
      for (const [name, list] of docs) if (name.startsWith(prefix)) out.set(name, list.map(copy));
      return out;
    },
    appendDocUpdate: async (name, update) => {
      const list = docs.get(name) ?? [];
      list.push(copy(update));
      docs.set(name, list);
    },
    replaceDoc: async (name, state) => {
      docs.set(name, [copy(state)]);
    },
    compactDoc: async (name, merge) => {
      const state = merge((docs.get(name) ?? []).map(copy));
      if (state) docs.set(name, [copy(state)]);
    },
    deleteDoc: async (name) => {
      docs.delete(name);
    },
    resetDoc: async (name) => {
      docs.delete(name);
      for (const [id, e] of outbox)
        if (e.doc === name && e.status === 'pending') outbox.set(id, { ...e, update: null });
    },
    listDocs: async () => [...docs.keys()],
    commitLocal: async (name, update, entry) => {
      const list = docs.get(name) ?? [];
      list.push(copy(update));
      docs.set(name, list);
      outbox.set(entry.id, copyEntry(entry));
    },
    commitReplay: async (name, update, entries, done) => {
      if (update) docs.set(name, [...(docs.get(name) ?? []), copy(update)]);
      for (const e of entries) outbox.set(e.id, copyEntry(e));
      for (const id of done) outbox.delete(id);
    },
    listOutbox: async () => [...outbox.values()].sort((a, b) => a.order - b.order).map(copyEntry),
    putOutbox: async (entry) => {
      outbox.set(entry.id, copyEntry(entry));
    },
    deleteOutbox: async (id) => {
      outbox.delete(id);
    },
    getMeta: async (key) => structuredClone(meta.get(key)),
    getMetaMany: async (keys) => keys.map((k) => structuredClone(meta.get(k))),
    setMeta: async (key, value) => {
      meta.set(key, structuredClone(value));
    },
    clear: async () => {
      docs.clear();
      outbox.clear();
      meta.clear();
    },
  };
}
