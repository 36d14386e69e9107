import { liftSync } from './lift-sync.ts';
import type { MuteRow, MuteStore, NewMute } from './mutes.ts';

/**
 * Mutes (issue 14 §3) with the operations of `MuteStore` (mutes.ts): what PostgreSQL
 * (storage/pg/mute-store.ts) can offer (docs/SCALE-OUT.md §2, §3). `effective` stays synchronous: the write
 * pipeline asks it on every write that adds messages, edits or reactions, between judging and committing
 * (no `await` there, §2), so both stores answer it from memory. Everything else returns Promises. `drop`
 * is for a write another process (or another instance on the file) committed: this one forgets the
 * person and, on PostgreSQL, reads them again. One conformance suite (test/mutes-async.suite.ts) runs
 * against every implementation.
 */
export interface AsyncMuteStore {
  add(m: NewMute): Promise<MuteRow>;
  get(id: string): Promise<MuteRow | null>;
  /** Lifts an active mute; false when it was already lifted. */
  lift(id: string, by: string): Promise<boolean>;
  /** The person's active mutes, oldest first, as stored (a screen's listing, not the write path). */
  activeOfUser(userId: string): Promise<MuteRow[]>;
  /** The active mutes made in this conversation (not those "everywhere"), oldest first. */
  activeIn(conversationId: string): Promise<MuteRow[]>;
  /** The mute that decides this person's write here now, or null: answered from memory. */
  effective(userId: string, conversationId: string): MuteRow | null;
  /** Forgets what this process holds of the person; resolved once `effective` answers from the database. */
  drop(userId: string): Promise<void>;
}

/**
 * The synchronous SQLite store behind the async interface. A person's listing drops the store's memory of
 * them first, so it reads the stored rows as the PostgreSQL store's does (in one process the two are the
 * same; with another instance on the file, as in the suite, they may not be).
 */
export function adaptSqliteMuteStore(store: MuteStore): AsyncMuteStore {
  return {
    add: (m) => liftSync(() => store.add(m)),
    get: (id) => liftSync(() => store.get(id)),
    lift: (id, by) => liftSync(() => store.lift(id, by)),
    activeOfUser: (userId) =>
      liftSync(() => {
        store.drop(userId);
        return store.activeOfUser(userId);
      }),
    activeIn: (cid) => liftSync(() => store.activeIn(cid)),
    effective: (userId, cid) => store.effective(userId, cid),
    // The next read of the person goes to the file: nothing to wait for.
    drop: (userId) => liftSync(() => store.drop(userId)),
  };
}
