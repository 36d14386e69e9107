import type { CommonroomDb } from '../sync/commonroom-db.ts';
import type { CachedFile } from './upload-types.ts';

/**
 * Offline copies of attachments (issue 17): thumbnails of recent conversations and files the person opened,
 * as Blobs in IndexedDB keyed by attachment id and variant (a signed link expires; the id does not). Kept
 * within a budget the person sets ("Keep 200 MB on this device"): thumbnails fetched ahead (thumb-prefetch.ts)
 * make room first, then the least recently used of what the person opened.
 */

export const DEFAULT_BUDGET = 200 * 1024 * 1024;
const BUDGET_KEY = 'attachment-cache-budget';
/** Where the engine keeps the signed-in person on this device (cleared with the files at sign-out). */
const ME_KEY = 'me';

export type Variant = CachedFile['variant'];
/** Where an attachment was shown: its conversation and message. */
export type FileOwner = { conversationId: string; messageKey: string };
export type FileCache = ReturnType<typeof createFileCache>;

export function createFileCache(db: CommonroomDb, now: () => number = Date.now) {
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  const budget = async (): Promise<number> => {
    const v = (await db.meta.get(BUDGET_KEY))?.value;
    return typeof v === 'number' && v >= 0 ? v : DEFAULT_BUDGET;
  };
  /**
   * Drops copies until the rest fit in the budget: thumbnails fetched ahead go first (the least recently
   * fetched or kept first), then what the person opened, least recently used first. So prefetching never
   * pushes out anything the person opened.
   */
  const evict = async (): Promise<void> => {
    const limit = await budget();
    await db.transaction('rw', db.files, async () => {
      let used = 0;
      const ahead: CachedFile[] = [];
      const doomed: string[] = [];
      // Newest first: keep while they fit, drop the rest; the person's own before any fetched ahead.
      await db.files
        .orderBy('usedAt')
        .reverse()
        .each((f) => {
          if (f.prefetched) ahead.push(f);
          else if (used + f.size <= limit) used += f.size;
          else doomed.push(f.key);
        });
      for (const f of ahead) {
        if (used + f.size <= limit) used += f.size;
        else doomed.push(f.key);
      }
      if (doomed.length > 0) await db.files.bulkDelete(doomed);
    });
  };
  return {
    async get(id: string, variant: Variant): Promise<Blob | null> {
      const key = `${id}/${variant}`;
      const row = await db.files.get(key);
      if (!row) return null;
      // Touch, so it is the last to be evicted; not awaited by the reader, nothing depends on it. Shown to the
      // person now, a thumbnail fetched ahead counts as theirs.
      void db.files.update(key, { usedAt: now(), prefetched: false }).catch(() => undefined);
      return row.blob;
    },
    async put(id: string, variant: Variant, blob: Blob, owner?: FileOwner): Promise<void> {
      if (blob.size > (await budget())) return;
      await db.files.put({
        key: `${id}/${variant}`,
        attachmentId: id,
        variant,
        blob,
        size: blob.size,
        usedAt: now(),
        ...owner,
      });
      await evict();
      changed();
    },
    /**
     * For the prefetcher: whether a thumbnail is on the device. One fetched ahead is marked as wanted by the
     * current pass (`rank`, see `putAhead`), so the pass's later, less wanted thumbnails do not push it out;
     * one the person opened is left as it is.
     */
    async keepAhead(id: string, rank: number): Promise<boolean> {
      const key = `${id}/thumb`;
      return db.transaction('rw', db.files, async () => {
        const row = await db.files.get(key);
        if (row?.prefetched) await db.files.update(key, { usedAt: rank });
        return row !== undefined;
      });
    },
    /**
     * Keeps a thumbnail fetched ahead (issue 17: thumbnails of recent conversations), only where it fits
     * beside what the person opened and what this pass (begun at `since`) kept: older thumbnails fetched
     * ahead make room, nothing the person opened does. `rank` (at least `since`, higher for the more wanted)
     * stands for its last use, so among thumbnails fetched ahead the least wanted of the newest pass go
     * first. False when there is no room (the pass stops). Only while `userId` is still the person signed in
     * on this device: a sign-out clears the device's files and its record of who is signed in in one
     * transaction, so a thumbnail fetched for the last person never lands after it.
     */
    async putAhead(
      id: string,
      blob: Blob,
      at: { owner: FileOwner; since: number; rank: number; userId: string },
    ): Promise<boolean> {
      const key = `${id}/thumb`;
      const limit = await budget();
      const kept = await db.transaction('rw', db.files, db.meta, async () => {
        const me = (await db.meta.get(ME_KEY))?.value as { id?: unknown } | undefined;
        if (me?.id !== at.userId) return false;
        const known = await db.files.get(key);
        if (known && !known.prefetched) return true;
        let taken = 0;
        await db.files.each((f) => {
          if (f.key !== key && (!f.prefetched || f.usedAt >= at.since)) taken += f.size;
        });
        if (taken + blob.size > limit) return false;
        await db.files.put({
          key,
          attachmentId: id,
          variant: 'thumb',
          blob,
          size: blob.size,
          usedAt: at.rank,
          prefetched: true,
          ...at.owner,
        });
        return true;
      });
      if (!kept) return false;
      await evict();
      changed();
      return true;
    },
    /** Forgets every copy of these attachments (their message was deleted, removed or expired). */
    async drop(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      const n = await db.files
        .where('attachmentId')
        .anyOf([...ids])
        .delete();
      if (n > 0) changed();
    },
    /**
     * Drops the copies of a conversation's files whose message no longer carries them: deleted, removed by a
     * moderator or expired (the device keeps only a tombstone then, with no files). `carries` answers
     * undefined for a message this device does not hold (an older part not loaded): those are kept.
     */
    async sweep(
      conversationId: string,
      carries: (messageKey: string, attachmentId: string) => boolean | undefined,
    ): Promise<void> {
      const rows = await db.files.where('conversationId').equals(conversationId).toArray();
      const gone = rows.filter(
        (r) => r.messageKey !== undefined && carries(r.messageKey, r.attachmentId) === false,
      );
      if (gone.length === 0) return;
      await db.files.bulkDelete(gone.map((r) => r.key));
      changed();
    },
    async clear(): Promise<void> {
      await db.files.clear();
      changed();
    },
    async used(): Promise<number> {
      let n = 0;
      await db.files.each((f) => {
        n += f.size;
      });
      return n;
    },
    budget,
    async setBudget(bytes: number): Promise<void> {
      await db.meta.put({ key: BUDGET_KEY, value: bytes });
      await evict();
      changed();
    },
    subscribe(l: () => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
