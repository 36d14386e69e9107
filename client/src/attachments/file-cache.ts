import type { CommonroomDb } from '../sync/commonroom-db.ts';
import type { CachedFile } from './upload-types.ts';

/**
 * Offline copies of attachments (issue 17): thumbnails of recent conversations and files the person opened,
 * as Blobs in IndexedDB keyed by attachment id and variant (a signed link expires; the id does not). Kept
 * within a budget the person sets ("Keep 200 MB on this device"); the least recently used go first.
 */

export const DEFAULT_BUDGET = 200 * 1024 * 1024;
const BUDGET_KEY = 'attachment-cache-budget';

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
  /** Drops the least recently used copies until the rest fit in the budget. */
  const evict = async (): Promise<void> => {
    const limit = await budget();
    await db.transaction('rw', db.files, async () => {
      let used = 0;
      const doomed: string[] = [];
      // Newest first: keep while they fit, drop the rest.
      await db.files
        .orderBy('usedAt')
        .reverse()
        .each((f) => {
          if (used + f.size <= limit) used += f.size;
          else doomed.push(f.key);
        });
      if (doomed.length > 0) await db.files.bulkDelete(doomed);
    });
  };
  return {
    async get(id: string, variant: Variant): Promise<Blob | null> {
      const key = `${id}/${variant}`;
      const row = await db.files.get(key);
      if (!row) return null;
      // Touch, so it is the last to be evicted; not awaited by the reader, nothing depends on it.
      void db.files.update(key, { usedAt: now() }).catch(() => undefined);
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
