import type { Db } from './db.ts';

/**
 * The server's projection of messages out of the documents: arrival order, current text, and every earlier
 * text of edited, deleted or removed messages, kept for safeguarding review and never sent to users.
 * Written in the same transaction as the document updates it comes from.
 */
export type MessageStore = ReturnType<typeof createMessageStore>;

export function createMessageStore(db: Db) {
  const exists = db.prepare<[string, string, string], { n: number }>(
    'SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
  );
  const insert = db.prepare(
    `INSERT INTO messages (conversation_id, author_id, local_id, seq, parent_key, text, client_ts, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const textOf = db.prepare<[string, string, string], { text: string }>(
    'SELECT text FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
  );
  const revision = db.prepare(
    `INSERT INTO message_revisions (conversation_id, author_id, local_id, kind, previous_text, new_text, by_user, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const idsBelow = db.prepare<[string, string, number], { local_id: string }>(
    // The author's own rows through the primary key: with a plain `seq <` SQLite picks messages_seq and reads
    // every message of the conversation below the segment, a cost that grew with the channel's history.
    'SELECT local_id FROM messages WHERE conversation_id = ? AND author_id = ? AND +seq < ?',
  );
  const threadAuthors = db.prepare<[string, string], { author_id: string }>(
    'SELECT DISTINCT author_id FROM messages WHERE conversation_id = ? AND parent_key = ?',
  );
  const maxSeq = db.prepare<[string], { s: number | null }>(
    'SELECT MAX(seq) AS s FROM messages WHERE conversation_id = ?',
  );
  const redacted = db.prepare(
    'UPDATE messages SET redacted_at = ? WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
  );
  const toRedact = db.prepare<
    [number],
    { conversationId: string; authorId: string; localId: string; seq: number; removed: number }
  >(
    `SELECT conversation_id AS conversationId, author_id AS authorId, local_id AS localId, seq,
            removed_by IS NOT NULL AS removed
       FROM messages WHERE redacted_at IS NULL AND (deleted_at IS NOT NULL OR removed_by IS NOT NULL)
      LIMIT ?`,
  );
  return {
    /** The server took these messages' content out of their author's document (P16). */
    markRedacted(conversationId: string, authorId: string, localIds: readonly string[], at: number): void {
      for (const id of localIds) redacted.run(at, conversationId, authorId, id);
    },
    /** Deleted or removed messages whose content is still in their author's document (at most `limit`). */
    toRedact(limit: number) {
      return toRedact.all(limit).map((r) => ({ ...r, removed: r.removed === 1 }));
    },
    exists(conversationId: string, authorId: string, localId: string): boolean {
      return (exists.get(conversationId, authorId, localId)?.n ?? 0) > 0;
    },
    /** An author's message ids in a conversation placed below `seq` (the segments before one). */
    idsBelow(conversationId: string, authorId: string, seq: number): string[] {
      return idsBelow.all(conversationId, authorId, seq).map((r) => r.local_id);
    },
    /** The people in a thread: the parent's author and everyone who replied (issue 15 pushes). */
    threadPeople(conversationId: string, parentKey: string): string[] {
      const people = new Set(threadAuthors.all(conversationId, parentKey).map((r) => r.author_id));
      const parentAuthor = parentKey.split(':')[0];
      if (parentAuthor) people.add(parentAuthor);
      return [...people];
    },
    lastSeq(conversationId: string): number {
      return maxSeq.get(conversationId)?.s ?? 0;
    },
    insert(m: {
      conversationId: string;
      authorId: string;
      localId: string;
      seq: number;
      parentKey: string | null;
      text: string;
      clientTs: number;
      receivedAt: number;
    }): void {
      insert.run(
        m.conversationId,
        m.authorId,
        m.localId,
        m.seq,
        m.parentKey,
        m.text,
        m.clientTs,
        m.receivedAt,
      );
    },
    recordEdit(conversationId: string, authorId: string, localId: string, text: string, at: number): void {
      const prev = textOf.get(conversationId, authorId, localId);
      if (!prev) return;
      revision.run(conversationId, authorId, localId, 'edit', prev.text, text, authorId, at);
      db.prepare(
        'UPDATE messages SET text = ?, edited_at = ? WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
      ).run(text, at, conversationId, authorId, localId);
    },
    recordDelete(conversationId: string, authorId: string, localId: string, at: number): void {
      const prev = textOf.get(conversationId, authorId, localId);
      if (!prev) return;
      revision.run(conversationId, authorId, localId, 'delete', prev.text, null, authorId, at);
      db.prepare(
        'UPDATE messages SET deleted_at = ? WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
      ).run(at, conversationId, authorId, localId);
    },
    recordRemoval(conversationId: string, authorId: string, localId: string, by: string, at: number): void {
      const prev = textOf.get(conversationId, authorId, localId);
      if (!prev) return;
      revision.run(conversationId, authorId, localId, 'removal', prev.text, null, by, at);
      db.prepare(
        'UPDATE messages SET removed_by = ? WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
      ).run(by, conversationId, authorId, localId);
    },
    revisions(conversationId: string, authorId: string, localId: string) {
      return db
        .prepare(
          'SELECT kind, previous_text AS previousText, new_text AS newText, by_user AS byUser, at FROM message_revisions WHERE conversation_id = ? AND author_id = ? AND local_id = ? ORDER BY id',
        )
        .all(conversationId, authorId, localId) as {
        kind: string;
        previousText: string;
        newText: string | null;
        byUser: string;
        at: number;
      }[];
    },
    get(conversationId: string, authorId: string, localId: string) {
      return db
        .prepare(
          'SELECT seq, text, parent_key AS parentKey, edited_at AS editedAt, deleted_at AS deletedAt, removed_by AS removedBy FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
        )
        .get(conversationId, authorId, localId) as
        | {
            seq: number;
            text: string;
            parentKey: string | null;
            editedAt: number | null;
            deletedAt: number | null;
            removedBy: string | null;
          }
        | undefined;
    },
  };
}
