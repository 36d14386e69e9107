import type { Engine } from '@commonroom/engine';
import type { SessionEndReason } from '@commonroom/protocol';

/**
 * Wipes this browser's copy of an account whose session the server ended with a wiping reason
 * (deactivation, sign out everywhere: THREAT_MODEL T10). College computers are shared: after this nothing of
 * the account's conversations, unsent messages or drafts is left to read. The app shell's precache stays,
 * so the sign-in page still opens offline. The engine decides when (packages/engine/src/session-end.ts);
 * this is only the how.
 */

/** Workbox's precache holds the app shell only (vite.config.ts); every other cache may hold user data. */
const SHELL_CACHE_PREFIX = 'workbox-precache';
/** What the sign-in page says after the reload that ends a wipe, kept in sessionStorage across it. */
const NOTICE_KEY = 'commonroom.signed-out-notice';
/** Other tabs of this browser wipe their screens too (they show the same account). */
const WIPE_CHANNEL = 'commonroom-wipe';

export const WIPE_NOTICES: Partial<Record<SessionEndReason, string>> = {
  'account-deactivated': 'This account was deactivated by your college.',
  'signed-out-everywhere': 'You were signed out on all devices.',
};

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

/** Another tab wiped the device: this one reloads too, so its screen shows nothing of the account. */
export function reloadOnWipeElsewhere(): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const ch = new BroadcastChannel(WIPE_CHANNEL);
  ch.onmessage = (ev: MessageEvent<unknown>) => {
    if (typeof ev.data === 'string') {
      try {
        sessionStorage.setItem(NOTICE_KEY, ev.data);
      } catch {
        // No sentence then.
      }
      location.replace('/');
    }
  };
  return () => ch.close();
}

/** The sentence a wipe left for the sign-in page (read once). */
export function takeWipeNotice(): string | null {
  try {
    const r = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    return r === null ? null : (WIPE_NOTICES[r as SessionEndReason] ?? null);
  } catch {
    return null;
  }
}
