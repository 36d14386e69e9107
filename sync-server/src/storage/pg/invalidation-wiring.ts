import type { InvalidationHandlers, ListenerLog } from './invalidation-listener.ts';
import type { CacheSwitch } from './read-cache.ts';

/**
 * What the listener's notifications do to this process's PostgreSQL stores (docs/SCALE-OUT.md §2). Only
 * what is needed of each, so a test can pass counting fakes; the stores of storage/pg/ fit.
 */
export type InvalidatedStores = {
  users: CacheSwitch & { drop(id: string): void };
  conversations: CacheSwitch & { drop(id: string): void };
  settings: CacheSwitch & { drop(): void };
  /** Held whole in memory and read synchronously, so it cannot read through: it reloads instead. */
  notifyPrefs: { refresh(userId: string): Promise<void>; reload(): Promise<void> };
  /**
   * Also held in memory for a synchronous read (the write path's `effective`): `drop` re-reads a person,
   * `reload` everyone; while switched off it re-reads each person it is asked about (pg/mute-store.ts).
   */
  mutes: CacheSwitch & { drop(userId: string): Promise<void>; reload(): Promise<void> };
};

/**
 * The handlers to create the listener with. Until the listener first listens, nothing is cached: the
 * caches are switched off here, at once (a store may have cached before this, unheard).
 *
 * Lost: the read caches drop everything and read through. The notification preferences cannot (their
 * reads are synchronous, every stored message asks them): they keep answering from memory, possibly stale
 * for the outage, and are reloaded whole once listening again. A failed re-read is logged: the person's
 * preferences stay as they were until their next write or the next reload. The mutes are held the same
 * way, but a mute must stop writes: switched off, the mute store re-reads each person the write path asks
 * about (pg/mute-store.ts), and it is reloaded whole once listening again.
 */
export function invalidationHandlers(stores: InvalidatedStores, log: ListenerLog): InvalidationHandlers {
  const caches: CacheSwitch[] = [stores.users, stores.conversations, stores.settings, stores.mutes];
  const reread = (what: string, p: Promise<void>): void => {
    p.catch((err: unknown) => log.warn({ err }, `invalidation: re-reading ${what} failed`));
  };
  for (const c of caches) c.caching(false);
  return {
    onInvalidate(inv) {
      switch (inv.kind) {
        case 'users':
          stores.users.drop(inv.id);
          return;
        case 'conversations':
          stores.conversations.drop(inv.id);
          return;
        case 'settings':
          stores.settings.drop();
          return;
        case 'notify':
          reread(`the notification preferences of ${inv.id}`, stores.notifyPrefs.refresh(inv.id));
          return;
        case 'mutes':
          reread(`the mutes of ${inv.id}`, stores.mutes.drop(inv.id));
          return;
        case 'all':
          // Switching on again is "drop everything and keep caching": notifications arrive only while
          // listening, so caching is on.
          for (const c of caches) c.caching(true);
          reread('every notification preference', stores.notifyPrefs.reload());
          reread('every active mute', stores.mutes.reload());
          return;
        default: {
          const never: never = inv;
          log.warn({ inv: never }, 'invalidation: unknown kind ignored');
        }
      }
    },
    onLost() {
      for (const c of caches) c.caching(false);
    },
    onListening() {
      for (const c of caches) c.caching(true);
      reread('every notification preference', stores.notifyPrefs.reload());
      reread('every active mute', stores.mutes.reload());
    },
  };
}
