// The upload queue in Node, with its real parts: Dexie over fake-indexeddb (the browser tests run it on
// Chromium's IndexedDB), tus-js-client's Node build against the real server's tus endpoint on loopback, and a
// real engine signed in over a real WebSocket. Only the clock's waits are shortened.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer } from '../../sync-server/test/harness.ts';
import { createDexieUploadStore } from '../src/attachments/dexie-upload-store.ts';
import type { UploadStore } from '../src/attachments/upload-queue.ts';
import { CommonroomDb } from '../src/sync/commonroom-db.ts';
import { cookieFor, queueFor, textFile } from './upload-queue-kit.ts';

let dbs = 0;

describe('the attachment upload queue (issue 17)', () => {
  it('uploads, sends once, and a crash between sending and forgetting the entry sends no duplicate', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const amy = await addUser(ts, admin, 'student', { name: 'Amy Upload' });
      const general = channel(amy.engine, 'general');
      await amy.engine.open(general);
      await admin.open(general);
      const cookie = await cookieFor(ts.url, amy.email, amy.password);
      const db = new CommonroomDb(`uq-${++dbs}`);
      const real = createDexieUploadStore(db);
      // The app is killed just after the message was sent: the entry's delete never happens.
      let crashed = false;
      const crashing: UploadStore = {
        ...real,
        delete: () => {
          crashed = true;
          return new Promise<void>(() => undefined);
        },
      };
      const first = queueFor(ts.url, amy.engine, cookie, crashing, ['crashMsg1']);
      await first.add({
        conversationId: general,
        caption: 'Handout for Monday',
        files: [{ blob: textFile('chapter one notes\n'), name: 'notes.txt', type: 'text/plain' }],
      });
      await eventually(() => expect(crashed).toBe(true), 20_000);
      const saved = await real.list();
      expect(saved).toHaveLength(1);
      expect(saved[0]?.files[0]?.ready).toBe(true);

      // The next start finds the entry, sends it again with the same id (a no-op), and forgets it.
      const second = queueFor(ts.url, amy.engine, cookie, real, ['unused']);
      await second.start();
      await eventually(async () => expect(await real.list()).toEqual([]), 20_000);
      await eventually(() => {
        const mine = admin.view(general).messages.filter((m) => m.text === 'Handout for Monday');
        expect(mine).toHaveLength(1);
        expect(mine[0]?.files.map((f) => f.name)).toEqual(['notes.txt']);
        expect(mine[0]?.key).toBe(`${amy.id}:crashMsg1`);
      }, 20_000);
      expect(amy.engine.view(general).messages.filter((m) => m.text === 'Handout for Monday')).toHaveLength(
        1,
      );
      db.close();
    } finally {
      await ts.destroy();
    }
  });

  it('a file over the limit is refused with plain words and nothing is sent; Cancel forgets an entry', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const ben = await addUser(ts, admin, 'student', { name: 'Ben Upload' });
      const general = channel(ben.engine, 'general');
      await ben.engine.open(general);
      const cookie = await cookieFor(ts.url, ben.email, ben.password);
      const db = new CommonroomDb(`uq-${++dbs}`);
      const store = createDexieUploadStore(db);
      const q = queueFor(ts.url, ben.engine, cookie, store);
      const big = new Blob([new Uint8Array(25 * 1024 * 1024 + 1)], { type: 'application/pdf' });
      const id = await q.add({
        conversationId: general,
        caption: 'too big',
        files: [{ blob: big, name: 'big.pdf', type: 'application/pdf' }],
      });
      await eventually(() => expect(q.list()[0]?.failed).toBeTruthy(), 20_000);
      expect(q.list()[0]?.failed).toMatch(/files can be at most 25 MB/);
      expect((await store.list())[0]?.failed).toBe(q.list()[0]?.failed);
      expect(ben.engine.view(general).messages.some((m) => m.text === 'too big')).toBe(false);
      await q.cancel(id);
      expect(q.list()).toEqual([]);
      expect(await store.list()).toEqual([]);
      db.close();
    } finally {
      await ts.destroy();
    }
  });
});
