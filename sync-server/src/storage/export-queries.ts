import { createMessageFiles } from './attachments.ts';
import type { Db } from './db.ts';

/**
 * What the leads' exports read (issue 14 §7): messages as the server holds them, with every earlier text,
 * for a whole conversation, a person's messages everywhere, or the messages around one. Read-only, with
 * statements of its own (the messages projection belongs to the rooms).
 */
export type ExportQueries = ReturnType<typeof createExportQueries>;

export type ExportRow = {
  conversationId: string;
  authorId: string;
  localId: string;
  seq: number;
  parentKey: string | null;
  text: string;
  writtenAt: number;
  receivedAt: number;
  editedAt: number | null;
  deletedAt: number | null;
  removedBy: string | null;
  redactedAt: number | null;
  purgedAt: number | null;
};

export type RevisionRow = {
  conversationId: string;
  authorId: string;
  localId: string;
  kind: string;
  previousText: string;
  newText: string | null;
  byUser: string;
  at: number;
};

const COLUMNS = `conversation_id AS conversationId, author_id AS authorId, local_id AS localId, seq,
  parent_key AS parentKey, text, client_ts AS writtenAt, received_at AS receivedAt, edited_at AS editedAt,
  deleted_at AS deletedAt, removed_by AS removedBy, redacted_at AS redactedAt, purged_at AS purgedAt`;

export function createExportQueries(db: Db) {
  const ofConversation = db.prepare<[string, number], ExportRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT ?`,
  );
  const ofAuthor = db.prepare<[string, number], ExportRow>(
    `SELECT ${COLUMNS} FROM messages WHERE author_id = ? ORDER BY received_at, client_ts, conversation_id, seq LIMIT ?`,
  );
  const one = db.prepare<[string, string, string], ExportRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?`,
  );
  const before = db.prepare<[string, number, number], ExportRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  );
  const from = db.prepare<[string, number, number], ExportRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq LIMIT ?`,
  );
  const revisionsOf = db.prepare<[string, string, string], RevisionRow>(
    `SELECT conversation_id AS conversationId, author_id AS authorId, local_id AS localId, kind,
       previous_text AS previousText, new_text AS newText, by_user AS byUser, at
     FROM message_revisions WHERE conversation_id = ? AND author_id = ? AND local_id = ? ORDER BY id`,
  );
  const history = db.prepare<
    [string],
    { at: number; actorId: string | null; action: string; detail: string }
  >(
    `SELECT at, actor_id AS actorId, action, detail FROM audit_log
     WHERE target = ? AND action LIKE 'safeguarding.%' ORDER BY id`,
  );
  const files = createMessageFiles(db);
  return {
    /** A message's files: stored, held for an open case, or only recorded (migration 21). */
    files: (conversationId: string, authorId: string, localId: string) =>
      files(conversationId, `${authorId}:${localId}`),
    /** A conversation's messages in order, at most `limit` (the oldest). */
    conversation: (conversationId: string, limit: number): ExportRow[] =>
      ofConversation.all(conversationId, limit),
    /** Everything a person wrote, in every conversation, oldest first, at most `limit`. */
    author: (authorId: string, limit: number): ExportRow[] => ofAuthor.all(authorId, limit),
    message: (conversationId: string, authorId: string, localId: string): ExportRow | null =>
      one.get(conversationId, authorId, localId) ?? null,
    /** The message at `seq` and up to `n` messages either side of it, in order. */
    around: (conversationId: string, seq: number, n: number): ExportRow[] => [
      ...before.all(conversationId, seq, n).reverse(),
      ...from.all(conversationId, seq, n + 1),
    ],
    revisions: (conversationId: string, authorId: string, localId: string): RevisionRow[] =>
      revisionsOf.all(conversationId, authorId, localId),
    /** What the audit log says was done to a case (its id is the entries' target). */
    caseHistory: (itemId: number) =>
      history.all(String(itemId)).map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })),
  };
}
