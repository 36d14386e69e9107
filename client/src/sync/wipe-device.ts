import type { Engine } from '@commonroom/engine';
import type { SessionEndReason } from '@commonroom/protocol';
import { NOTICE_KEY, WIPE_CHANNEL } from './wipe.ts';

/**
 * The wipe of a device whose session ended with a wiping reason (THREAT_MODEL T10), loaded only when one
 * happens (see wipe.ts): it keeps the first screen's code small.
 */

/** Workbox's precache holds the app shell only (vite.config.ts); every other cache may hold user data. */
const SHELL_CACHE_PREFIX = 'workbox-precache';

const deleteDatabase = (name: string): Promise<void> =>
  new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    // Dexie closes its connection on the versionchange this causes, so "blocked" resolves by itself;
    // success and error both end the wait (an error leaves the tables, which engine.logout emptied).
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
  });

async function clearStores(): Promise<void> {
  // Each step on its own: one that fails (storage blocked in a private window, a cache already gone) must not
  // stop the others, nor the drafts below and the reload after.
  const dbs = await Promise.resolve()
    .then(() => indexedDB.databases?.() ?? [])
    .catch(() => [] as IDBDatabaseInfo[]);
  const names = new Set(dbs.flatMap((d) => (d.name ? [d.name] : [])));
  names.add('commonroom');
  await Promise.allSettled([...names].map((n) => Promise.resolve().then(() => deleteDatabase(n))));
  if ('caches' in globalThis) {
    const keys = await caches.keys().catch(() => [] as string[]);
    await Promise.allSettled(
      keys.filter((k) => !k.startsWith(SHELL_CACHE_PREFIX)).map((k) => caches.delete(k)),
    );
  }
  try {
    // Drafts, recent emoji and anything else a page kept: all of it was this person's.
    localStorage.clear();
    sessionStorage.clear();
  } catch {
    // Storage blocked: nothing was kept there.
  }
}

/**
 * Forgets the account in the engine (memory and its tables), deletes every IndexedDB database, user-data
 * cache and stored draft of this origin, tells the other tabs, and reloads onto the sign-in page with the
 * reason's plain words.
 */
export async function wipeDevice(engine: Engine, reason: SessionEndReason): Promise<void> {
  try {
    await engine.logout(true);
  } catch {
    // Offline or already gone: the stores are deleted below either way.
  }
  await clearStores();
  try {
    sessionStorage.setItem(NOTICE_KEY, reason);
  } catch {
    // The sign-in page then opens without the sentence.
  }
  if (typeof BroadcastChannel !== 'undefined') {
    const ch = new BroadcastChannel(WIPE_CHANNEL);
    ch.postMessage(reason);
    ch.close();
  }
  location.replace('/');
}
