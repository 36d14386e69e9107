import type { RetentionPatch, RetentionSettings } from '@commonroom/protocol';
import type { Db } from './db.ts';

/**
 * Retention (issue 14 §7): the periods admins set, kept in the settings table beside the workspace
 * settings, and the queries of the hourly job. The job reads `messages` with its own statements (the
 * messages projection belongs to the rooms); every query skips a message that an open safeguarding case is
 * about (an item not closed), and works in bounded batches so no statement holds the writer for long.
 */
export type RetentionStore = ReturnType<typeof createRetentionStore>;

/** A message whose content should leave every device (what the redactor takes). */
export type ExpiredMessage = {
  conversationId: string;
  authorId: string;
  localId: string;
  seq: number;
  receivedAt: number;
};

/** Where a walk through expired messages got to: the last row of the previous batch, in index order. */
export type ExpiryCursor = { receivedAt: number; conversationId: string; seq: number };

const KEYS = {
  channelsDays: 'retentionChannelsDays',
  dmsDays: 'retentionDmsDays',
  safeguardingDays: 'retentionSafeguardingDays',
} as const satisfies Record<keyof RetentionSettings, string>;

/** The conversation kinds each retention period covers. */
export const KINDS_OF = {
  channels: ['public', 'private', 'announcement'],
  dms: ['dm'],
} as const;

/** No open case is about this message (`m` is the messages row). */
const NOT_IN_OPEN_CASE = `NOT EXISTS (SELECT 1 FROM safeguarding_items i WHERE i.conversation_id = m.conversation_id
  AND i.author_id = m.author_id AND i.local_id = m.local_id AND i.status != 'closed')`;

export function createRetentionStore(db: Db, now: () => number) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const days = (key: string): number | null => {
    const n = Number(get.get(key)?.value ?? '');
    // '' (cleared) and anything unreadable keep content forever: the safe side of a bad value.
    return Number.isInteger(n) && n > 0 ? n : null;
  };
  const read = (): RetentionSettings => ({
    channelsDays: days(KEYS.channelsDays),
    dmsDays: days(KEYS.dmsDays),
    safeguardingDays: days(KEYS.safeguardingDays),
  });

  // The walk's order is the messages_received index (migration 13): received_at, then a unique pair.
  const expiredStmt = (kinds: readonly string[]) =>
    db.prepare<[number, number, string, number, number], ExpiredMessage>(
      `SELECT m.conversation_id AS conversationId, m.author_id AS authorId, m.local_id AS localId, m.seq,
         m.received_at AS receivedAt
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.received_at < ? AND (m.received_at, m.conversation_id, m.seq) > (?, ?, ?)
         AND m.redacted_at IS NULL AND c.kind IN (${kinds.map((k) => `'${k}'`).join(',')})
         AND ${NOT_IN_OPEN_CASE}
       ORDER BY m.received_at, m.conversation_id, m.seq LIMIT ?`,
    );
  const expired = { channels: expiredStmt(KINDS_OF.channels), dms: expiredStmt(KINDS_OF.dms) };

  const purgeRevisions = db.prepare<[number, number]>(
    `DELETE FROM message_revisions WHERE id IN (
       SELECT r.id FROM message_revisions r WHERE r.at < ? AND NOT EXISTS (
         SELECT 1 FROM safeguarding_items i WHERE i.conversation_id = r.conversation_id
           AND i.author_id = r.author_id AND i.local_id = r.local_id AND i.status != 'closed')
       LIMIT ?)`,
  );
  const purgeTexts = db.prepare<[number, number, number]>(
    `UPDATE messages SET text = '', purged_at = ? WHERE rowid IN (
       SELECT m.rowid FROM messages m WHERE m.received_at < ? AND m.purged_at IS NULL AND ${NOT_IN_OPEN_CASE}
       LIMIT ?)`,
  );
  const closedCases = db.prepare<[number, number], { id: number }>(
    "SELECT id FROM safeguarding_items WHERE status = 'closed' AND updated_at < ? ORDER BY updated_at LIMIT ?",
  );
  const deleteReporters = db.prepare<[number]>('DELETE FROM safeguarding_reporters WHERE item_id = ?');
  const deleteNotes = db.prepare<[number]>('DELETE FROM safeguarding_notes WHERE item_id = ?');
  const deleteItem = db.prepare<[number]>(
    "DELETE FROM safeguarding_items WHERE id = ? AND status = 'closed'",
  );
  const purgeCases = db.transaction((cutoff: number, limit: number): number => {
    // The case goes first, then what referenced it: notes may be deleted only once their case is gone (the
    // trigger of migration 13), so the foreign keys are checked at commit, when nothing dangles any more.
    db.pragma('defer_foreign_keys = ON');
    let n = 0;
    for (const { id } of closedCases.all(cutoff, limit)) {
      if (deleteItem.run(id).changes === 0) continue;
      deleteReporters.run(id);
      deleteNotes.run(id);
      n++;
    }
    return n;
  });

  return {
    read,
    /** Writes what differs and says what changed, old and new, for the audit log. */
    write(patch: RetentionPatch): Record<string, { from: number | null; to: number | null }> {
      const old = read();
      const changes: Record<string, { from: number | null; to: number | null }> = {};
      db.transaction(() => {
        for (const key of Object.keys(KEYS) as (keyof RetentionSettings)[]) {
          const value = patch[key];
          if (value === undefined || value === old[key]) continue;
          set.run(KEYS[key], value === null ? '' : String(value));
          changes[key] = { from: old[key], to: value };
        }
      })();
      return changes;
    },
    /**
     * Up to `limit` messages of a kind received before `cutoff`, not yet redacted and in no open case,
     * after `from` in (received_at, conversation, seq) order, so a caller walks them batch by batch even
     * when some are never redacted (a pinned message stays, and is passed over on the next batch).
     */
    expired(
      which: keyof typeof KINDS_OF,
      cutoff: number,
      from: ExpiryCursor | null,
      limit: number,
    ): ExpiredMessage[] {
      const f = from ?? { receivedAt: Number.MIN_SAFE_INTEGER, conversationId: '', seq: 0 };
      return expired[which].all(cutoff, f.receivedAt, f.conversationId, f.seq, limit);
    },
    /** Deletes up to `limit` earlier texts written before `cutoff`, outside open cases; how many went. */
    purgeRevisions: (cutoff: number, limit: number): number => purgeRevisions.run(cutoff, limit).changes,
    /** Blanks up to `limit` messages' text received before `cutoff`, outside open cases (rows stay). */
    purgeTexts: (cutoff: number, limit: number): number => purgeTexts.run(now(), cutoff, limit).changes,
    /** Deletes up to `limit` cases closed (last changed) before `cutoff`, with their reports and notes. */
    purgeClosedCases: (cutoff: number, limit: number): number => purgeCases(cutoff, limit),
  };
}
