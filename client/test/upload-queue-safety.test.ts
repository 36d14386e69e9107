// The upload queue's safety rules (issue 17 review), in Node with its real parts: Dexie over fake-indexeddb,
// tus-js-client against the real server on loopback, real engines. Where a test needs a slow network, a
// server that never finishes or another tab's Cancel at a given moment, it wraps the real dependency.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer } from '../../sync-server/test/harness.ts';
import { createMetaReader } from '../src/attachments/attachment-api.ts';
import { createDexieUploadStore } from '../src/attachments/dexie-upload-store.ts';
import { createTusUpload, terminateUpload } from '../src/attachments/tus-upload.ts';
import { attachmentIdOf, createUploadQueue, type UploadArgs } from '../src/attachments/upload-queue.ts';
import { CommonroomDb } from '../src/sync/commonroom-db.ts';
import { cookieFor, queueFor, textFile } from './upload-queue-kit.ts';

let dbs = 0;
const HOUR = 3_600_000;
const shortSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, Math.min(ms, 20));
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
const file = (name: string, s: string) => ({ blob: textFile(s), name, type: 'text/plain' });

describe('the upload queue on a shared computer, with stuck and swept files (issue 17 review)', () => {
  it("after a sign-out the next person never sends (or sees) the last one's message; it waits for them", async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const amy = await addUser(ts, admin, 'student', { name: 'Amy Shared' });
      const ben = await addUser(ts, admin, 'student', { name: 'Ben Shared' });
      const general = channel(amy.engine, 'general');
      for (const e of [amy.engine, ben.engine, admin]) await e.open(general);
      const people = { amy, ben };
      const tus = {
        amy: createTusUpload({
          endpoint: `${ts.url}/api/uploads`,
          headers: { cookie: await cookieFor(ts.url, amy.email, amy.password) },
          source: async (b) => Buffer.from(await b.arrayBuffer()),
        }),
        ben: createTusUpload({
          endpoint: `${ts.url}/api/uploads`,
          headers: { cookie: await cookieFor(ts.url, ben.email, ben.password) },
          source: async (b) => Buffer.from(await b.arrayBuffer()),
        }),
      };
      let who: 'amy' | 'ben' | null = 'amy';
      const signedIn = () => people[who ?? 'amy'];
      let slow = true;
      let reached: () => void = () => undefined;
      const amyUploading = new Promise<void>((r) => (reached = r));
      const uploads: string[] = [];
      const db = new CommonroomDb(`uqs-${++dbs}`);
      const store = createDexieUploadStore(db);
      const ids = ['amyMsg', 'benMsg'];
      const q = createUploadQueue({
        store,
        upload: async (a: UploadArgs) => {
          const as = who ?? 'amy';
          uploads.push(`${as}:${a.name}`);
          if (a.name === 'amy-photo.txt' && slow) {
            // A slow network: the upload is under way when Amy signs out.
            reached();
            await new Promise((_, reject) =>
              a.signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError'))),
            );
          }
          return tus[as](a);
        },
        meta: (id) => createMetaReader(signedIn().engine)(id),
        terminate: (u) => terminateUpload(u),
        send: (c, t, o) => signedIn().engine.send(c, t, o),
        newId: () => ids.shift() ?? 'extra',
        me: () => (who ? people[who].id : null),
        now: Date.now,
        sleep: shortSleep,
      });
      await q.add({ conversationId: general, caption: 'Amy photo', files: [file('amy-photo.txt', 'amy')] });
      await amyUploading;
      // Amy's session ends (her entry stays on the device); Ben signs in within the minute.
      who = null;
      q.reset();
      expect(q.list()).toEqual([]);
      who = 'ben';
      await q.start();
      expect(q.list()).toEqual([]);
      await q.add({ conversationId: general, caption: 'Ben notes', files: [file('ben.txt', 'ben')] });
      await eventually(() => {
        const sent = admin.view(general).messages.filter((m) => m.text === 'Ben notes');
        expect(sent.map((m) => m.key)).toEqual([`${ben.id}:benMsg`]);
      }, 20_000);
      await eventually(() => expect(q.list()).toEqual([]), 20_000);
      expect(uploads).toEqual(['amy:amy-photo.txt', 'ben:ben.txt']);
      expect(admin.view(general).messages.some((m) => m.text === 'Amy photo')).toBe(false);
      expect((await store.list()).map((e) => [e.id, e.userId])).toEqual([['amyMsg', amy.id]]);

      // Amy signs in again: her message goes, as hers.
      slow = false;
      who = 'amy';
      q.reset();
      await q.start();
      await eventually(() => {
        const sent = admin.view(general).messages.filter((m) => m.text === 'Amy photo');
        expect(sent.map((m) => m.key)).toEqual([`${amy.id}:amyMsg`]);
      }, 20_000);
      db.close();
    } finally {
      await ts.destroy();
    }
  });

  it('a refused, a stuck and a failing message do not hold back the ones after them', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const cara = await addUser(ts, admin, 'student', { name: 'Cara Queue' });
      const general = channel(cara.engine, 'general');
      await cara.engine.open(general);
      const cookie = await cookieFor(ts.url, cara.email, cara.password);
      const real = createTusUpload({
        endpoint: `${ts.url}/api/uploads`,
        headers: { cookie },
        source: async (b) => Buffer.from(await b.arrayBuffer()),
      });
      const realMeta = createMetaReader(cara.engine);
      let stuckId = '';
      let networkDown = true;
      // The device's clock: each wait moves it on by what was asked, so ten minutes pass in a moment.
      let t = Date.now();
      const db = new CommonroomDb(`uqs-${++dbs}`);
      const q = queueFor(
        ts.url,
        cara.engine,
        cookie,
        createDexieUploadStore(db),
        ['stuck', 'gone', 'flaky', 'fine'],
        {
          upload: async (a) => {
            if (a.name === 'flaky.txt' && networkDown) throw new TypeError('fetch failed');
            const url = await real(a);
            if (a.name === 'stuck.txt') stuckId = attachmentIdOf(url);
            return url;
          },
          // A server that never finishes this one file.
          meta: async (id) => (id === stuckId ? { status: 'processing' } : realMeta(id)),
          now: () => t,
          sleep: (ms, signal) => {
            t += ms;
            return shortSleep(0, signal);
          },
        },
      );
      await q.add({ conversationId: general, caption: 'stuck one', files: [file('stuck.txt', 'a')] });
      await q.add({ conversationId: 'notMine1', caption: 'not here', files: [file('gone.txt', 'b')] });
      await q.add({ conversationId: general, caption: 'flaky one', files: [file('flaky.txt', 'c')] });
      await q.add({ conversationId: general, caption: 'fine one', files: [file('fine.txt', 'd')] });
      await eventually(() => {
        expect(cara.engine.view(general).messages.some((m) => m.text === 'fine one')).toBe(true);
        const by = new Map(q.list().map((e) => [e.id, e]));
        expect(by.get('stuck')?.failed).toBe("the server didn't finish this file");
        expect(by.get('stuck')?.retryable).toBe(true);
        expect(by.get('gone')?.failed).toBe('you can no longer post in this conversation');
        expect(by.get('gone')?.retryable).toBe(false);
      }, 30_000);
      const flaky = q.list().find((e) => e.id === 'flaky');
      expect(flaky?.failed).toBeUndefined();
      expect(cara.engine.view(general).messages.some((m) => m.text === 'flaky one')).toBe(false);
      // The network is back: the waiting one goes; the refused ones stay for the person to see.
      networkDown = false;
      q.retryNow();
      await eventually(
        () => expect(cara.engine.view(general).messages.some((m) => m.text === 'flaky one')).toBe(true),
        30_000,
      );
      await eventually(() => expect(q.list().map((e) => e.id)).toEqual(['stuck', 'gone']), 20_000);
      db.close();
    } finally {
      await ts.destroy();
    }
  });

  it("another tab's Cancel stops this tab's upload between files, and nothing is sent", async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const dan = await addUser(ts, admin, 'student', { name: 'Dan Tabs' });
      const general = channel(dan.engine, 'general');
      await dan.engine.open(general);
      const cookie = await cookieFor(ts.url, dan.email, dan.password);
      const real = createTusUpload({
        endpoint: `${ts.url}/api/uploads`,
        headers: { cookie },
        source: async (b) => Buffer.from(await b.arrayBuffer()),
      });
      const db = new CommonroomDb(`uqs-${++dbs}`);
      const tabA = queueFor(ts.url, dan.engine, cookie, createDexieUploadStore(db), ['unused']);
      const uploads: string[] = [];
      const tabB = queueFor(ts.url, dan.engine, cookie, createDexieUploadStore(db), ['twoFiles'], {
        upload: async (a) => {
          uploads.push(a.name);
          const url = await real(a);
          // The person presses Cancel in tab A just as tab B finishes the first file.
          if (a.name === 'one.txt') await tabA.cancel('twoFiles');
          return url;
        },
      });
      await tabB.add({
        conversationId: general,
        caption: 'two files',
        files: [file('one.txt', 'first'), file('two.txt', 'second')],
      });
      await eventually(() => expect(tabB.list()).toEqual([]), 20_000);
      await dan.engine.settled();
      expect(uploads).toEqual(['one.txt']);
      expect(dan.engine.view(general).messages.some((m) => m.text === 'two files')).toBe(false);
      db.close();
    } finally {
      await ts.destroy();
    }
  });

  it('a file the server swept while the message waited is uploaded again before the message is sent', async () => {
    let skew = 0;
    const ts = await startServer({ now: () => Date.now() + skew });
    try {
      const admin = await loginAdmin(ts);
      const eve = await addUser(ts, admin, 'student', { name: 'Eve Swept' });
      const general = channel(eve.engine, 'general');
      await eve.engine.open(general);
      const cookie = await cookieFor(ts.url, eve.email, eve.password);
      const realMeta = createMetaReader(eve.engine);
      const uploaded: string[] = [];
      let swept = false;
      const real = createTusUpload({
        endpoint: `${ts.url}/api/uploads`,
        headers: { cookie },
        source: async (b) => Buffer.from(await b.arrayBuffer()),
      });
      const db = new CommonroomDb(`uqs-${++dbs}`);
      const q = queueFor(ts.url, eve.engine, cookie, createDexieUploadStore(db), ['sweptMsg'], {
        upload: async (a) => {
          const url = await real(a);
          uploaded.push(attachmentIdOf(url));
          return url;
        },
        meta: async (id) => {
          const m = await realMeta(id);
          if (m.status === 'ready' && !swept) {
            // The day passes (the phone stayed offline) and the server's sweep takes the unsent upload.
            swept = true;
            skew = 25 * HOUR;
            await ts.server.internals.attachments.sweepNow();
            skew = 0;
          }
          return m;
        },
      });
      await q.add({
        conversationId: general,
        caption: 'late notes',
        files: [file('late.txt', 'late notes')],
      });
      await eventually(() => {
        const sent = eve.engine.view(general).messages.filter((m) => m.text === 'late notes');
        expect(sent).toHaveLength(1);
        expect(sent[0]?.files.map((f) => f.id)).toEqual([uploaded[1]]);
      }, 30_000);
      expect(uploaded).toHaveLength(2);
      expect(ts.server.internals.attachmentStore.get(uploaded[0] ?? '')).toBeNull();
      expect(ts.server.internals.attachmentStore.get(uploaded[1] ?? '')?.status).toBe('ready');
      db.close();
    } finally {
      await ts.destroy();
    }
  });
});
