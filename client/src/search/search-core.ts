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
 * Saving is incremental: a batch (new messages, edits, removals) is appended to the journal, so one edit
 * writes about its own size, not the whole snapshot (about 17 MB at 100,000 messages). The snapshot is
 * written again only when the journal is long (COMPACT_AFTER), or soon after words were taken out.
 *
 * The rule for removed words: a batch that takes text out (an edit, a deletion, a moderator's removal, a
 * conversation left) vacuums the index in memory at once, so they are never found again. A deletion, a
 * removal or a conversation left also schedules a compaction once the batches pause (SCRUB_AFTER): the new
 * snapshot and the emptied journal take the words off the disk too. Were the page closed first, the next
 * start replays the journal and compacts before answering. An edit's old words leave the disk with the
 * next compaction (they were the author's own, replaced, not taken back).
 */

/**
 * A compaction comes after this many journalled batches (each a feed flush, usually a few messages) or
 * messages, whichever first: a first sync of a whole history is one large batch, and replaying it at the
 * next start would be the rebuild the snapshot is there to avoid.
 */
export const COMPACT_AFTER = { batches: 200, messages: 5_000 };

/**
 * After a deletion, a removal or a conversation left, the snapshot is written again once no batch has come
 * for `quietMs`, and at most `maxMs` after the first: a moderator clearing a spam run is one rewrite, and a
 * busy channel does not put it off for good.
 */
export const SCRUB_AFTER = { quietMs: 2_000, maxMs: 30_000 };

export type Opened = { documents: number; journalReplayed: number; loadMs: number; manifest: Manifest };

/** Runs `work` after `ms`; returns a function that cancels it. */
export type Later = (work: () => void, ms: number) => () => void;

const realLater: Later = (work, ms) => {
  const t = setTimeout(work, ms);
  return () => clearTimeout(t);
};

export function createSearchCore(store: SearchStore, opts: { now?: () => number; later?: Later } = {}) {
  const now = opts.now ?? (() => performance.now());
  const later = opts.later ?? realLater;
  let index: SearchIndex = createSearchIndex();
  let queue: Promise<unknown> = Promise.resolve();
  /** Messages in the journal since the snapshot. */
  let journalled = 0;
  /** A pending compaction that takes removed words off the disk: when it was first asked, and its timer. */
  let scrub: { since: number; cancel: () => void } | null = null;
  const size = (b: Batch): number => b.upsert.length + b.remove.length + b.dropConversations.length;
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Applies a batch in memory; says whether it took words out, and whether by a removal (not an edit). */
  const apply = (b: Batch): { replaced: boolean; removed: boolean } => {
    let removed = false;
    let replaced = false;
    for (const c of b.dropConversations)
      for (const key of index.keysOf(c)) removed = index.remove(c, key) || removed;
    for (const [c, key] of b.remove) removed = index.remove(c, key) || removed;
    for (const d of b.upsert) {
      // An edit replaces words: the old ones leave memory (vacuum), as a removal's do.
      if (index.has(d.conversationId, d.key)) replaced = true;
      index.upsert(d);
    }
    return { replaced, removed };
  };

  const compact = async (): Promise<void> => {
    scrub?.cancel();
    scrub = null;
    await index.purge();
    await store.compact({ v: SNAPSHOT_VERSION, ...index.save() });
    journalled = 0;
  };
  const overdue = (batches: number): boolean =>
    batches >= COMPACT_AFTER.batches || journalled >= COMPACT_AFTER.messages;

  /** Asks for a compaction once batches pause (SCRUB_AFTER); a failed one is asked again. */
  const scheduleScrub = (): void => {
    const since = scrub?.since ?? now();
    scrub?.cancel();
    const wait = Math.max(0, Math.min(SCRUB_AFTER.quietMs, since + SCRUB_AFTER.maxMs - now()));
    const cancel = later(() => {
      void serially(async () => {
        if (scrub?.cancel !== cancel) return;
        await compact();
      }).catch(() => {
        // The store refused (full, closed): the words stay on disk until a compaction succeeds.
        scrub = null;
        scheduleScrub();
      });
    }, wait);
    scrub = { since, cancel };
  };

  return {
    open: (): Promise<Opened> =>
      serially(async () => {
        const t0 = now();
        const { snapshot, journal } = await store.load();
        index = createSearchIndex(snapshot ?? undefined);
        let removed = false;
        for (const b of journal) removed = apply(b).removed || removed;
        journalled = journal.reduce((n, b) => n + size(b), 0);
        // Removed words still on disk (the page closed before its compaction): taken off before answering.
        if (removed || overdue(journal.length)) await compact();
        else await index.purge();
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
        const { replaced, removed } = apply(b);
        if (replaced || removed) await index.purge();
        const batches = await store.append(b);
        journalled += size(b);
        if (overdue(batches)) await compact();
        // Scheduled for any batch that removes, not only one that removed something now: a batch stored
        // again after a failed save (feed.ts retries it) finds its messages already out of memory, while
        // their text is still in the last snapshot or journal on disk.
        else if (removed || b.remove.length > 0 || b.dropConversations.length > 0) scheduleScrub();
      }),
    search: (q: SearchQuery): Promise<SearchHit[]> => serially(async () => index.search(q)),
    /** Forgets everything (sign-out, wipe). */
    clear: (): Promise<void> =>
      serially(async () => {
        scrub?.cancel();
        scrub = null;
        index = createSearchIndex();
        journalled = 0;
        await store.clear();
      }),
    has: (conversationId: string, key: string): boolean => index.has(conversationId, key),
    /** For tests: the serialised index as it would be saved. */
    serialised: (): string => JSON.stringify(index.save()),
    docId,
  };
}

export type SearchCore = ReturnType<typeof createSearchCore>;
