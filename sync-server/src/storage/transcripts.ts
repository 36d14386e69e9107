import { createMessageFiles, type MessageFile } from './attachments.ts';
import type { Db } from './db.ts';

/**
 * Read-only views of the server's message projection for safeguarding leads (issue 14 §2, §6): a message
 * with the messages around it, and a conversation's transcript. Text stays as the server holds it,
 * deleted and removed messages included (the lead sees what was said; the flags say what happened since).
 */
export type TranscriptRow = {
  authorId: string;
  localId: string;
  seq: number;
  text: string;
  writtenAt: number;
  receivedAt: number;
  editedAt: number | null;
  deleted: boolean;
  removed: boolean;
  /** The safeguarding store's copy of its text went with retention (`text` is then empty). */
  purged: boolean;
  /** Its files, also those kept for an open case or only recorded since the message went (migration 21). */
  files: MessageFile[];
};

type Raw = {
  conversation_id: string;
  author_id: string;
  local_id: string;
  seq: number;
  text: string;
  client_ts: number;
  received_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  removed_by: string | null;
  purged_at: number | null;
};

const COLUMNS =
  'conversation_id, author_id, local_id, seq, text, client_ts, received_at, edited_at, deleted_at, removed_by, purged_at';
const fromRawWith =
  (files: (conversationId: string, messageKey: string) => MessageFile[]) =>
  (r: Raw): TranscriptRow => ({
    authorId: r.author_id,
    localId: r.local_id,
    seq: r.seq,
    text: r.text,
    writtenAt: r.client_ts,
    receivedAt: r.received_at,
    editedAt: r.edited_at,
    deleted: r.deleted_at !== null,
    removed: r.removed_by !== null,
    purged: r.purged_at !== null,
    files: files(r.conversation_id, `${r.author_id}:${r.local_id}`),
  });

export type Transcripts = ReturnType<typeof createTranscripts>;

export function createTranscripts(db: Db) {
  const fromRaw = fromRawWith(createMessageFiles(db));
  const one = db.prepare<[string, string, string], Raw>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?`,
  );
  const before = db.prepare<[string, number, number], Raw>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  );
  const after = db.prepare<[string, number, number], Raw>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const latest = db.prepare<[string, number], Raw>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?`,
  );
  const older = db.prepare<[string, number, number], Raw>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  );
  return {
    message(conversationId: string, authorId: string, localId: string): TranscriptRow | null {
      const r = one.get(conversationId, authorId, localId);
      return r ? fromRaw(r) : null;
    },
    /** The message and up to `n` messages either side of it, in order. */
    around(conversationId: string, seq: number, n: number): TranscriptRow[] {
      const b = before.all(conversationId, seq, n).reverse();
      const m = db
        .prepare<[string, number], Raw>(
          `SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? AND seq = ?`,
        )
        .all(conversationId, seq);
      return [...b, ...m, ...after.all(conversationId, seq, n)].map(fromRaw);
    },
    /** Every earlier text of a message (edits, deletes, removals), oldest first. */
    revisions(conversationId: string, authorId: string, localId: string) {
      return db
        .prepare<
          [string, string, string],
          { kind: string; previousText: string; newText: string | null; at: number }
        >(
          'SELECT kind, previous_text AS previousText, new_text AS newText, at FROM message_revisions WHERE conversation_id = ? AND author_id = ? AND local_id = ? ORDER BY id',
        )
        .all(conversationId, authorId, localId);
    },
    /**
     * Up to `limit` messages before arrival place `before` (the newest when null), oldest first. Keyset
     * paging on `seq` (unique per conversation, messages_seq): pages neither overlap nor skip, and each
     * reads only its own rows from the index.
     */
    page(conversationId: string, before: number | null, limit: number): TranscriptRow[] {
      const rows =
        before === null ? latest.all(conversationId, limit) : older.all(conversationId, before, limit);
      return rows.reverse().map(fromRaw);
    },
  };
}

/** Every conversation id of a kind, for the leads' monitoring list (channels and DMs alike). */
export function conversationIdsOfKind(db: Db, kind: string): string[] {
  return db
    .prepare<[string], { id: string }>('SELECT id FROM conversations WHERE kind = ? ORDER BY created_at')
    .all(kind)
    .map((r) => r.id);
}
