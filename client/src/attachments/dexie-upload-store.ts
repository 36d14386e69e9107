import { liveQuery } from 'dexie';
import type { CommonroomDb } from '../sync/commonroom-db.ts';
import type { UploadStore } from './upload-queue.ts';

/** The queue's entries in the client's IndexedDB (`uploads`, strict durability: saved means on disk). */
export function createDexieUploadStore(db: CommonroomDb): UploadStore {
  return {
    list: () => db.uploads.orderBy('order').toArray(),
    get: (id) => db.uploads.get(id),
    async put(entry) {
      await db.uploads.put(entry);
    },
    async patchFile(id, index, patch) {
      await db.transaction('rw', db.uploads, async () => {
        const e = await db.uploads.get(id);
        const f = e?.files[index];
        if (!e || !f) return;
        // Blobs are kept as stored: only the small fields change.
        e.files[index] = { ...f, ...patch };
        await db.uploads.put(e);
      });
    },
    async patch(id, patch) {
      await db.transaction('rw', db.uploads, async () => {
        const e = await db.uploads.get(id);
        if (e) await db.uploads.put({ ...e, ...patch });
      });
    },
    async delete(id) {
      await db.uploads.delete(id);
    },
    // Dexie tells every tab of this browser (BroadcastChannel) when a write here or there changes the entries.
    watch(listener) {
      const sub = liveQuery(() => db.uploads.orderBy('order').toArray()).subscribe({
        next: listener,
        // A failed read ends the watch: the queue keeps what it had, and reads the store itself before
        // each upload and each send (`stillThere`), so nothing is sent that another tab cancelled.
        error: () => undefined,
      });
      return () => sub.unsubscribe();
    },
  };
}
