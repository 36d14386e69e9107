import type { Engine } from '@commonroom/engine';
import { CommonroomDb, DB_NAME } from '../sync/commonroom-db.ts';
import { createLinkBook, createMetaReader } from './attachment-api.ts';
import { createDexieUploadStore } from './dexie-upload-store.ts';
import { createFileCache, type FileCache } from './file-cache.ts';
import { createThumbPrefetch, type ThumbPrefetch } from './thumb-prefetch.ts';
import { setPendingUploads } from './pending-count.ts';
import { createTusUpload, terminateUpload } from './tus-upload.ts';
import { createUploadQueue, type UploadQueue } from './upload-queue.ts';

/**
 * The browser's attachment machinery for one engine: the upload queue (started when the app starts, so what
 * waited across a reload goes when the network is there), the offline file cache and the signed-link book.
 * Loaded after the first screen.
 */
export type Attachments = {
  queue: UploadQueue;
  cache: FileCache;
  info: ReturnType<typeof createLinkBook>;
  prefetch: ThumbPrefetch;
  /** Who is signed in now: a copy fetched for someone who has since signed out is not stored. */
  me: () => string | null;
};

/** Chromium's Network Information API (not in TypeScript's DOM types): `saveData` is the person's wish. */
type NetworkInformation = EventTarget & { saveData?: boolean };
const network = (): NetworkInformation | undefined =>
  (navigator as Navigator & { connection?: NetworkInformation }).connection;

const made = new WeakMap<Engine, Attachments>();

const randomId = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) =>
    c === '+' ? '-' : c === '/' ? '_' : '',
  );
};

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // The listener goes with the wait: one signal sees many polls of a slow file.
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

export function attachmentsFor(engine: Engine): Attachments {
  const known = made.get(engine);
  if (known) return known;
  const db = new CommonroomDb(DB_NAME);
  const queue = createUploadQueue({
    store: createDexieUploadStore(db),
    upload: createTusUpload({ endpoint: `${location.origin}/api/uploads` }),
    meta: createMetaReader(engine),
    terminate: (url) => terminateUpload(url),
    send: (conversationId, text, opt) => engine.send(conversationId, text, opt),
    newId: randomId,
    me: () => engine.me()?.id ?? null,
    now: Date.now,
    sleep,
    // One tab uploads; another tab's queue takes over when it closes. A sign-out stops a wait for the lock.
    ...('locks' in navigator
      ? {
          exclusive: async (fn: () => Promise<void>, signal: AbortSignal) => {
            await navigator.locks.request('commonroom-uploads', { signal }, fn);
          },
        }
      : {}),
  });
  // The engine outlives a sign-out in this tab: the queue forgets the last person at once (their upload
  // stops, the lock is released) and starts again for whoever signs in next.
  let signedIn = engine.me()?.id ?? null;
  engine.subscribe(() => {
    const now = engine.me()?.id ?? null;
    if (now === signedIn) return;
    signedIn = now;
    queue.reset();
    if (now) void queue.start();
  });
  queue.subscribe(() => {
    const list = queue.list();
    setPendingUploads({
      count: list.filter((e) => !e.failed).length,
      failed: list.filter((e) => e.failed).length,
      bytes: list.reduce((n, e) => n + e.files.reduce((m, f) => m + f.size, 0), 0),
    });
  });
  const cache = createFileCache(db);
  const info = createLinkBook(engine);
  const prefetch = createThumbPrefetch({
    source: engine,
    cache,
    thumb: async (id) => {
      const a = await info(id);
      if (a.status !== 'ready') throw new Error('not ready');
      if (!a.thumbUrl) return null;
      const r = await fetch(a.thumbUrl, { credentials: 'same-origin' });
      if (!r.ok) throw new Error(`status ${r.status}`);
      return r.blob();
    },
    allowed: () =>
      navigator.onLine && engine.status().connection === 'online' && network()?.saveData !== true,
    // One tab fetches ahead at a time; the others' passes would fetch the same thumbnails.
    ...('locks' in navigator
      ? {
          exclusive: async (fn: () => Promise<void>) => {
            await navigator.locks.request('commonroom-thumb-prefetch', { ifAvailable: true }, (lock) =>
              lock ? fn() : undefined,
            );
          },
        }
      : {}),
    // A few seconds after a change: a burst of messages is one pass, and the first screen goes first.
    later: (fn) => void setTimeout(fn, 2000),
    now: Date.now,
  });
  addEventListener('online', () => {
    queue.retryNow();
    prefetch.retry();
  });
  network()?.addEventListener('change', () => prefetch.retry());
  const a: Attachments = { queue, cache, info, prefetch, me: () => engine.me()?.id ?? null };
  made.set(engine, a);
  void queue.start();
  prefetch.start();
  return a;
}
