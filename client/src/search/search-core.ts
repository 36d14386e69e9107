import {
  createSearchIndex,
  docId,
  type SearchHit,
  type SearchIndex,
  type SearchQuery,
} from './search-index.ts';
import { SNAPSHOT_VERSION, type Batch, type Manifest, type SearchStore } from './search-store.ts';

/**
 * What the search worker does, apart from the worker itself so Node tests drive it with fake-indexeddb:
 * loads the index (snapshot + journal), applies the feed's batches and journals them, compacts, answers
 * queries.
 *
 * The rule for removed words: a batch that takes any text out (a deletion, a moderator's removal, an edit
 * replacing the words, a conversation left) vacuums the index and compacts at once, so the words are gone
 * from memory and from the snapshot, and the journal that held them is emptied in the same transaction.
 */

/**
 * A compaction comes after this many journalled batches (each a feed flush, usually a few messages) or
 * messages, whichever first: a first sync of a whole history is one large batch, and replaying it at the
 * next start would be the rebuild the snapshot is there to avoid.
 */
export const COMPACT_AFTER = { batches: 200, messages: 5_000 };

export type Opened = { documents: number; journalReplayed: number; loadMs: number; manifest: Manifest };

export function createSearchCore(store: SearchStore, now: () => number = () => performance.now()) {
  let index: SearchIndex = createSearchIndex();
  let queue: Promise<unknown> = Promise.resolve();
  /** Messages in the journal since the snapshot. */
  let journalled = 0;
  const size = (b: Batch): number => b.upsert.length + b.remove.length + b.dropConversations.length;
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Applies a batch in memory; true when it took text out. */
  const apply = (b: Batch): boolean => {
    let removed = false;
    for (const c of b.dropConversations)
      for (const key of index.keysOf(c)) removed = index.remove(c, key) || removed;
    for (const [c, key] of b.remove) removed = index.remove(c, key) || removed;
    for (const d of b.upsert) {
      // An edit replaces words: the old ones must leave (vacuum), as a removal's do.
      if (index.has(d.conversationId, d.key)) removed = true;
      index.upsert(d);
    }
    return removed;
  };

  const compact = async (): Promise<void> => {
    await index.purge();
    await store.compact({ v: SNAPSHOT_VERSION, ...index.save() });
    journalled = 0;
  };
  const overdue = (batches: number): boolean =>
    batches >= COMPACT_AFTER.batches || journalled >= COMPACT_AFTER.messages;

  return {
    open: (): Promise<Opened> =>
      serially(async () => {
        const t0 = now();
        const { snapshot, journal } = await store.load();
        index = createSearchIndex(snapshot ?? undefined);
        let removed = false;
        for (const b of journal) removed = apply(b) || removed;
        journalled = journal.reduce((n, b) => n + size(b), 0);
        if (removed || overdue(journal.length)) await compact();
        return {
          documents: index.size(),
          journalReplayed: journal.length,
          loadMs: now() - t0,
          manifest: index.manifest(),
        };
      }),
    /** Applies and stores a batch; resolves once it is on disk. */
    apply: (b: Batch): Promise<void> =>
      serially(async () => {
        const removed = apply(b);
        if (removed) return compact();
        const batches = await store.append(b);
        journalled += size(b);
        if (overdue(batches)) await compact();
      }),
    search: (q: SearchQuery): Promise<SearchHit[]> => serially(async () => index.search(q)),
    /** Forgets everything (sign-out, wipe). */
    clear: (): Promise<void> =>
      serially(async () => {
        index = createSearchIndex();
        await store.clear();
      }),
    has: (conversationId: string, key: string): boolean => index.has(conversationId, key),
    /** For tests: the serialised index as it would be saved. */
    serialised: (): string => JSON.stringify(index.save()),
    docId,
  };
}

export type SearchCore = ReturnType<typeof createSearchCore>;
