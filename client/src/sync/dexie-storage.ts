import type { EngineStorage } from '@commonroom/engine';
import { CommonroomDb, DB_NAME } from './commonroom-db.ts';

/**
 * The engine's device storage in IndexedDB. Writes use strict durability, so "saved" means on disk, not in
 * a browser buffer; a local change and its outbox entry commit in one transaction. Passes the shared
 * EngineStorage suite (packages/engine/test/storage-suite.ts) in the browser tests.
 */

export function createDexieStorage(name = DB_NAME): EngineStorage & { close(): void } {
  const db = new CommonroomDb(name);
  return {
    async loadDoc(doc) {
      const rows = await db.docs.where('name').equals(doc).sortBy('id');
      return rows.map((r) => r.update);
    },
    async loadDocsWithPrefix(prefix) {
      // One index range read; rows come in (name, id) order, so each document's updates stay in order.
      const rows = await db.docs.where('name').startsWith(prefix).toArray();
      const out = new Map<string, Uint8Array[]>();
      for (const r of rows) {
        const list = out.get(r.name);
        if (list) list.push(r.update);
        else out.set(r.name, [r.update]);
      }
      return out;
    },
    async appendDocUpdate(doc, update) {
      await db.docs.add({ name: doc, update });
    },
    async replaceDoc(doc, state) {
      await db.transaction('rw', db.docs, async () => {
        await db.docs.where('name').equals(doc).delete();
        await db.docs.add({ name: doc, update: state });
      });
    },
    async compactDoc(doc, merge) {
      // Read inside the read-write transaction, which starts only once earlier writes to `docs` are done:
      // a row stored meanwhile (another tab's, or a local change) is either read here or written after.
      await db.transaction('rw', db.docs, async () => {
        const rows = await db.docs.where('name').equals(doc).sortBy('id');
        const state = merge(rows.map((r) => r.update));
        if (!state) return;
        await db.docs.bulkDelete(rows.flatMap((r) => (r.id === undefined ? [] : [r.id])));
        await db.docs.add({ name: doc, update: state });
      });
    },
    async deleteDoc(doc) {
      await db.docs.where('name').equals(doc).delete();
    },
    async resetDoc(doc) {
      // The outbox has no index on `doc`: it holds what waits to be sent, a few hundred rows at most.
      await db.transaction('rw', db.docs, db.outbox, async () => {
        await db.docs.where('name').equals(doc).delete();
        await db.outbox
          .filter((e) => e.doc === doc && e.status === 'pending' && e.update !== null)
          .modify({ update: null });
      });
    },
    async listDocs() {
      return (await db.docs.orderBy('name').uniqueKeys()).map(String);
    },
    async commitLocal(doc, update, entry) {
      await db.transaction('rw', db.docs, db.outbox, async () => {
        await db.docs.add({ name: doc, update });
        await db.outbox.put(entry);
      });
    },
    async commitReplay(doc, update, entries, done) {
      await db.transaction('rw', db.docs, db.outbox, async () => {
        if (update) await db.docs.add({ name: doc, update });
        if (entries.length > 0) await db.outbox.bulkPut([...entries]);
        if (done.length > 0) await db.outbox.bulkDelete([...done]);
      });
    },
    async listOutbox() {
      return db.outbox.orderBy('order').toArray();
    },
    async putOutbox(entry) {
      await db.outbox.put(entry);
    },
    async deleteOutbox(id) {
      await db.outbox.delete(id);
    },
    async getMeta(key) {
      return (await db.meta.get(key))?.value;
    },
    async getMetaMany(keys) {
      return (await db.meta.bulkGet([...keys])).map((row) => row?.value);
    },
    async setMeta(key, value) {
      await db.meta.put({ key, value });
    },
    async clear() {
      // Attachments waiting to upload and the offline copies of files were this person's too.
      await db.transaction('rw', [db.docs, db.outbox, db.meta, db.uploads, db.files], async () => {
        await Promise.all([
          db.docs.clear(),
          db.outbox.clear(),
          db.meta.clear(),
          db.uploads.clear(),
          db.files.clear(),
        ]);
      });
    },
    close() {
      db.close();
    },
  };
}
