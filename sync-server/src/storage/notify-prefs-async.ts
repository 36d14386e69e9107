import type { ConversationNotify } from '@commonroom/protocol';
import { liftSync } from './lift-sync.ts';
import type { NotifyPrefStore, PersonPrefs } from './notify-prefs.ts';

/**
 * Notification preferences with the operations of `NotifyPrefStore` (notify-prefs.ts): what PostgreSQL
 * (storage/pg/notify-pref-store.ts) can offer (docs/SCALE-OUT.md §2, §3). The reads stay synchronous: both
 * stores hold every preference in memory (every stored message asks who wants it pushed, and whether anyone
 * at all has chosen 'all'), so they answer from there. The writes return Promises; `refresh` re-reads one
 * person's rows after a write another process committed. One conformance suite
 * (test/notify-prefs-async.suite.ts) runs against every implementation.
 */
export interface AsyncNotifyPrefStore {
  /** The person's level and quiet hours (the defaults when they chose nothing). */
  of(userId: string): PersonPrefs;
  /** The person's choice in a conversation, 'default' when they made none. */
  conversation(userId: string, conversationId: string): ConversationNotify;
  /** Whether anyone might want every message of this conversation pushed. */
  mayWantEvery(conversationId: string): boolean;
  /** Whether this person wants every message of this conversation (their choice here, else their level). */
  wantsEvery(userId: string, conversationId: string): boolean;
  put(userId: string, p: PersonPrefs): Promise<void>;
  setConversation(userId: string, conversationId: string, level: ConversationNotify): Promise<void>;
  /** Reads the person's rows again (a write committed elsewhere). */
  refresh(userId: string): Promise<void>;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqliteNotifyPrefStore(store: NotifyPrefStore): AsyncNotifyPrefStore {
  return {
    of: (userId) => store.of(userId),
    conversation: (userId, cid) => store.conversation(userId, cid),
    mayWantEvery: (cid) => store.mayWantEvery(cid),
    wantsEvery: (userId, cid) => store.wantsEvery(userId, cid),
    put: (userId, p) => liftSync(() => store.put(userId, p)),
    setConversation: (userId, cid, level) => liftSync(() => store.setConversation(userId, cid, level)),
    refresh: (userId) => liftSync(() => store.refresh(userId)),
  };
}
