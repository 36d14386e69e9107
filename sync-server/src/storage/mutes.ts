import type { Db } from './db.ts';
import { newId } from './ids.ts';

/**
 * Mutes (issue 14 §3): a person muted in one conversation or everywhere (`conversationId` null), until a time
 * or until lifted (`until` null). Rows stay after lifting or expiry as the record of what was done; "active"
 * is decided against the clock on every read, so expiry needs no job.
 */

export type MuteRow = {
  id: string;
  userId: string;
  conversationId: string | null;
  until: number | null;
  reason: string;
  createdBy: string | null;
  createdAt: number;
  liftedBy: string | null;
  liftedAt: number | null;
};

/** A `mutes` row as stored (both databases: the PostgreSQL store parses its row into this first). */
export type MuteRaw = {
  id: string;
  user_id: string;
  conversation_id: string | null;
  until_ts: number | null;
  reason: string;
  created_by: string | null;
  created_at: number;
  lifted_by: string | null;
  lifted_at: number | null;
};

export const muteFromRaw = (r: MuteRaw): MuteRow => ({
  id: r.id,
  userId: r.user_id,
  conversationId: r.conversation_id,
  until: r.until_ts,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  liftedBy: r.lifted_by,
  liftedAt: r.lifted_at,
});

export type MuteStore = ReturnType<typeof createMuteStore>;

/** What `add` takes: the person, where (null: everywhere), until when (null: until lifted), why, by whom. */
export type NewMute = {
  userId: string;
  conversationId: string | null;
  until: number | null;
  reason: string;
  createdBy: string;
};

/**
 * Of a person's mutes active now, the one that decides a write in this conversation: one until lifted
 * beats any period; otherwise the latest end. Shared by the SQLite and PostgreSQL stores.
 */
export function decidingMute(active: readonly MuteRow[], conversationId: string): MuteRow | null {
  let best: MuteRow | null = null;
  for (const m of active) {
    if (m.conversationId !== null && m.conversationId !== conversationId) continue;
    if (!best || (best.until !== null && (m.until === null || m.until > best.until))) best = m;
  }
  return best;
}

/** The rows still active at `t` (time only ends mutes: lifting drops them from memory). */
export const stillActive = (rows: readonly MuteRow[], t: number): MuteRow[] =>
  rows.filter((m) => m.until === null || m.until > t);

const ACTIVE = 'lifted_at IS NULL AND (until_ts IS NULL OR until_ts > ?)';

export function createMuteStore(db: Db, now: () => number) {
  const insert = db.prepare(
    `INSERT INTO mutes (id, user_id, conversation_id, until_ts, reason, created_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare<[string], MuteRaw>('SELECT * FROM mutes WHERE id = ?');
  const lift = db.prepare('UPDATE mutes SET lifted_by = ?, lifted_at = ? WHERE id = ? AND lifted_at IS NULL');
  const activeOfUser = db.prepare<[string, number], MuteRaw>(
    `SELECT * FROM mutes WHERE user_id = ? AND ${ACTIVE} ORDER BY created_at`,
  );
  const activeInConversation = db.prepare<[string, number], MuteRaw>(
    `SELECT * FROM mutes WHERE conversation_id = ? AND ${ACTIVE} ORDER BY created_at`,
  );

  /**
   * Each person's mutes that were active when read, kept in memory: every write that adds messages,
   * edits or reactions asks (`effective`), and a query per write was a twentieth of the server's time at
   * full load. Time only ends mutes, so the clock is checked again on every read; `add` and `lift` (the
   * only writers of the table) drop the person's entry, never update it, so a rolled-back write leaves
   * nothing wrong behind.
   */
  const cached = new Map<string, MuteRow[]>();
  const activeRows = (userId: string): MuteRow[] => {
    let rows = cached.get(userId);
    if (!rows) cached.set(userId, (rows = activeOfUser.all(userId, now()).map(muteFromRaw)));
    return stillActive(rows, now());
  };

  return {
    add(m: NewMute): MuteRow {
      const id = newId();
      cached.delete(m.userId);
      insert.run(id, m.userId, m.conversationId, m.until, m.reason, m.createdBy, now());
      const row = byId.get(id);
      if (!row) throw new Error('mute vanished after insert');
      return muteFromRaw(row);
    },
    get: (id: string): MuteRow | null => {
      const r = byId.get(id);
      return r ? muteFromRaw(r) : null;
    },
    /** Lifts an active mute; false when it was already lifted. */
    lift: (id: string, by: string): boolean => {
      const r = byId.get(id);
      if (r) cached.delete(r.user_id);
      return lift.run(by, now(), id).changes === 1;
    },
    activeOfUser: (userId: string): MuteRow[] => activeRows(userId),
    activeIn: (conversationId: string): MuteRow[] =>
      activeInConversation.all(conversationId, now()).map(muteFromRaw),
    /**
     * The mute that decides a write here: one until lifted beats any period; otherwise the latest end.
     * Asked on every write that adds messages, edits or reactions: answered from memory (`activeRows`).
     */
    effective: (userId: string, conversationId: string): MuteRow | null =>
      decidingMute(activeRows(userId), conversationId),
    /** Forgets what this process holds of the person (a write committed by another instance on the file). */
    drop: (userId: string): void => void cached.delete(userId),
  };
}
