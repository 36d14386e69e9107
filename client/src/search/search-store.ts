/**
 * The index on disk (IndexedDB database `commonroom-search`, apart from the engine's so a rebuild or a
 * version change never touches messages): one snapshot (the serialised index and which version of each
 * message it holds) and a journal of the batches applied since. A start loads the snapshot and replays the
 * journal: it never rebuilds from the messages. Compacting writes a new snapshot and empties the journal in
 * one transaction, so a crash leaves either the old pair or the new one.
 */

import type { SearchDoc } from './search-index.ts';

export const SEARCH_DB = 'commonroom-search';

export type Batch = {
  upsert: SearchDoc[];
  remove: [conversationId: string, key: string][];
  /** Conversations the person left or lost: every entry of theirs goes. */
  dropConversations: string[];
};

export type Manifest = [conversationId: string, entries: [key: string, sig: number, segment: number][]][];
/** The saved index (search-index.ts SavedIndex) and the format it is in. */
export type Snapshot = { v: number; json: string; table: string };
/**
 * The snapshot's format: one of another (an older build's) is not read, and the index is built anew. 3: each
 * entry holds its message's segment (the feed keeps messages of segments not loaded, docs/SEARCH.md).
 */
export const SNAPSHOT_VERSION = 3;

const done = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });

const finished = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });

export async function openSearchStore(idb: IDBFactory = indexedDB) {
  const req = idb.open(SEARCH_DB, SNAPSHOT_VERSION);
  req.onupgradeneeded = (e) => {
    if (e.oldVersion < 1) {
      req.result.createObjectStore('snapshot');
      req.result.createObjectStore('journal', { autoIncrement: true });
      return;
    }
    // An older format's snapshot and journal: emptied, and the feed sends every message again.
    req.transaction?.objectStore('snapshot').clear();
    req.transaction?.objectStore('journal').clear();
  };
  const db = await done(req);
  // A wipe deletes this database: let it, rather than block it until the page closes.
  db.onversionchange = () => db.close();

  return {
    async load(): Promise<{ snapshot: Snapshot | null; journal: Batch[] }> {
      const tx = db.transaction(['snapshot', 'journal']);
      const [snapshot, journal] = await Promise.all([
        done(tx.objectStore('snapshot').get('index') as IDBRequest<Snapshot | undefined>),
        done(tx.objectStore('journal').getAll() as IDBRequest<Batch[]>),
      ]);
      return { snapshot: snapshot?.v === SNAPSHOT_VERSION ? snapshot : null, journal };
    },
    async append(batch: Batch): Promise<number> {
      const tx = db.transaction('journal', 'readwrite');
      tx.objectStore('journal').add(batch);
      const count = done(tx.objectStore('journal').count());
      await finished(tx);
      return count;
    },
    async compact(snapshot: Snapshot): Promise<void> {
      const tx = db.transaction(['snapshot', 'journal'], 'readwrite');
      tx.objectStore('snapshot').put(snapshot, 'index');
      tx.objectStore('journal').clear();
      await finished(tx);
    },
    async clear(): Promise<void> {
      const tx = db.transaction(['snapshot', 'journal'], 'readwrite');
      tx.objectStore('snapshot').clear();
      tx.objectStore('journal').clear();
      await finished(tx);
    },
    close: (): void => db.close(),
  };
}

export type SearchStore = Awaited<ReturnType<typeof openSearchStore>>;
