import type { ConversationNotify, NotifyLevel, OwnQuiet } from '@commonroom/protocol';
import type { Db } from './db.ts';

/**
 * Notification preferences (issue 15 §2, migration 16): each person's level and own quiet hours, and their
 * per-conversation choices. Held in memory as well: every stored message asks who wants it pushed, and this
 * process is the database's only writer. A person without a row has the defaults (mentions and DMs, the
 * workspace's quiet hours).
 */

export type PersonPrefs = { level: NotifyLevel; quiet: OwnQuiet };
export const DEFAULT_PREFS: PersonPrefs = { level: 'mentions', quiet: 'workspace' };
export type Chosen = Exclude<ConversationNotify, 'default'>;

type PrefRaw = {
  user_id: string;
  level: NotifyLevel;
  quiet_mode: 'workspace' | 'off' | 'own';
  quiet_start: number | null;
  quiet_end: number | null;
};
type ConvRaw = { user_id: string; conversation_id: string; level: Chosen };

/** A stored row's quiet hours (shared with storage/pg/notify-pref-store.ts). */
export const quietOf = (r: Omit<PrefRaw, 'user_id' | 'level'>): OwnQuiet =>
  r.quiet_mode === 'own' && r.quiet_start !== null && r.quiet_end !== null
    ? { start: r.quiet_start, end: r.quiet_end }
    : r.quiet_mode === 'off'
      ? 'off'
      : 'workspace';

export type NotifyPrefStore = ReturnType<typeof createNotifyPrefStore>;

export function createNotifyPrefStore(db: Db) {
  const upsert = db.prepare(
    `INSERT INTO notify_prefs (user_id, level, quiet_mode, quiet_start, quiet_end) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, quiet_mode = excluded.quiet_mode,
       quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end`,
  );
  const putConv = db.prepare(
    `INSERT INTO conversation_notify (user_id, conversation_id, level) VALUES (?, ?, ?)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET level = excluded.level`,
  );
  const dropConv = db.prepare('DELETE FROM conversation_notify WHERE user_id = ? AND conversation_id = ?');

  const people = new Map<string, PersonPrefs>();
  /** Who wants every message wherever they are (level 'all'): consulted for messages nobody is mentioned in. */
  const everywhere = new Set<string>();
  /** conversation → person → their choice there. */
  const byConversation = new Map<string, Map<string, Chosen>>();
  for (const r of db.prepare<[], PrefRaw>('SELECT * FROM notify_prefs').all()) {
    people.set(r.user_id, { level: r.level, quiet: quietOf(r) });
    if (r.level === 'all') everywhere.add(r.user_id);
  }
  const setConv = (userId: string, conversationId: string, level: Chosen | null) => {
    let m = byConversation.get(conversationId);
    if (level === null) {
      m?.delete(userId);
      if (m?.size === 0) byConversation.delete(conversationId);
      return;
    }
    if (!m) byConversation.set(conversationId, (m = new Map()));
    m.set(userId, level);
  };
  for (const r of db.prepare<[], ConvRaw>('SELECT * FROM conversation_notify').all())
    setConv(r.user_id, r.conversation_id, r.level);
  const personRow = db.prepare<[string], PrefRaw>('SELECT * FROM notify_prefs WHERE user_id = ?');
  const personConvs = db.prepare<[string], ConvRaw>('SELECT * FROM conversation_notify WHERE user_id = ?');

  return {
    /**
     * Reads a person's rows again, for a write another process committed (docs/SCALE-OUT.md §2): this
     * process's own writes keep the memory in step already.
     */
    refresh(userId: string): void {
      const r = personRow.get(userId);
      if (r) people.set(userId, { level: r.level, quiet: quietOf(r) });
      else people.delete(userId);
      if (r?.level === 'all') everywhere.add(userId);
      else everywhere.delete(userId);
      for (const m of byConversation.values()) m.delete(userId);
      for (const [id, m] of byConversation) if (m.size === 0) byConversation.delete(id);
      for (const c of personConvs.all(userId)) setConv(userId, c.conversation_id, c.level);
    },
    of: (userId: string): PersonPrefs => people.get(userId) ?? DEFAULT_PREFS,
    put(userId: string, p: PersonPrefs): void {
      const own = typeof p.quiet === 'object' ? p.quiet : null;
      upsert.run(userId, p.level, own ? 'own' : p.quiet, own?.start ?? null, own?.end ?? null);
      people.set(userId, p);
      if (p.level === 'all') everywhere.add(userId);
      else everywhere.delete(userId);
    },
    /** The person's choice in a conversation, 'default' when they made none. */
    conversation: (userId: string, conversationId: string): ConversationNotify =>
      byConversation.get(conversationId)?.get(userId) ?? 'default',
    setConversation(userId: string, conversationId: string, level: ConversationNotify): void {
      if (level === 'default') dropConv.run(userId, conversationId);
      else putConv.run(userId, conversationId, level);
      setConv(userId, conversationId, level === 'default' ? null : level);
    },
    /**
     * Whether anyone might want every message of this conversation pushed: someone chose 'all' here, or
     * someone anywhere has 'all' as their level. False for most conversations, so most messages stay cheap.
     */
    mayWantEvery: (conversationId: string): boolean =>
      everywhere.size > 0 || [...(byConversation.get(conversationId)?.values() ?? [])].includes('all'),
    /** Whether this person wants every message of this conversation (their choice here, else their level). */
    wantsEvery(userId: string, conversationId: string): boolean {
      const here = byConversation.get(conversationId)?.get(userId);
      return here === undefined ? everywhere.has(userId) : here === 'all';
    },
  };
}
