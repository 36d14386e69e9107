import type { MessageFileInfo } from '@commonroom/protocol';
import type { Db } from './db.ts';

/**
 * Attachment rows (issue 17, migration 19): one per upload, from its creation until its message goes. The
 * bytes are the file store's (files/file-store.ts); this is what is known of them.
 */

export type AttachmentStatus = 'uploading' | 'processing' | 'ready' | 'refused';

export type AttachmentRow = {
  id: string;
  conversationId: string;
  uploaderId: string;
  name: string;
  size: number;
  type: string;
  sha256: string | null;
  width: number | null;
  height: number | null;
  hasThumb: boolean;
  status: AttachmentStatus;
  error: string | null;
  createdAt: number;
  messageKey: string | null;
  /** Its message went while a safeguarding case on it is open: kept for the leads only (migration 21). */
  held: boolean;
};

/** A file of a message, as a safeguarding lead reviews it: still stored (live or held) or gone. */
export type MessageFile = MessageFileInfo;

/** What processing found of a complete upload. */
export type Processed = {
  type: string;
  sha256: string;
  width: number | null;
  height: number | null;
  hasThumb: boolean;
};

type Raw = Omit<AttachmentRow, 'hasThumb' | 'held'> & { hasThumb: number; held: number };

const COLUMNS = `id, conversation_id AS conversationId, uploader_id AS uploaderId, name, size, type, sha256,
  width, height, has_thumb AS hasThumb, status, error, created_at AS createdAt, message_key AS messageKey, held`;

const rowOf = (r: Raw | undefined): AttachmentRow | null =>
  r ? { ...r, hasThumb: r.hasThumb === 1, held: r.held === 1 } : null;

export type AttachmentStore = ReturnType<typeof createAttachmentStore>;

/** A message's files for a safeguarding lead: those stored or held, and the records of those deleted
 * (migration 21). Also read by the leads' transcripts (transcripts.ts). */
export function createMessageFiles(db: Db): (conversationId: string, messageKey: string) => MessageFile[] {
  const q = db.prepare<
    [string, string, string, string],
    Omit<MessageFile, 'hasThumb'> & { hasThumb: number }
  >(
    `SELECT id, name, size, type, sha256, CASE held WHEN 1 THEN 'held' ELSE 'stored' END AS state,
            has_thumb AS hasThumb
       FROM attachments WHERE conversation_id = ? AND message_key = ? AND status = 'ready'
     UNION ALL
     SELECT id, name, size, type, sha256, 'deleted' AS state, 0 AS hasThumb
       FROM attachment_records r WHERE conversation_id = ? AND message_key = ?
        AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = r.id)`,
  );
  return (conversationId, messageKey) =>
    q
      .all(conversationId, messageKey, conversationId, messageKey)
      .map((f) => ({ ...f, hasThumb: f.hasThumb === 1 }));
}

export function createAttachmentStore(db: Db) {
  const get = db.prepare<[string], Raw>(`SELECT ${COLUMNS} FROM attachments WHERE id = ?`);
  const insert = db.prepare(
    `INSERT INTO attachments (id, conversation_id, uploader_id, name, size, type, status, created_at, kept_at)
     VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?, ?)`,
  );
  const usedSince = db.prepare<[string, number], { n: number | null }>(
    // Refused uploads count too: their bytes were received all the same.
    'SELECT SUM(size) AS n FROM attachments WHERE uploader_id = ? AND created_at >= ?',
  );
  const setStatus = db.prepare<[string, string | null, string, string]>(
    'UPDATE attachments SET status = ?, error = ? WHERE id = ? AND status = ?',
  );
  const setHash = db.prepare<[string, string]>('UPDATE attachments SET sha256 = ? WHERE id = ?');
  const ready = db.prepare(
    `UPDATE attachments SET status = 'ready', type = ?, sha256 = ?, width = ?, height = ?, has_thumb = ?,
       kept_at = MAX(kept_at, ?) WHERE id = ? AND status = 'processing'`,
  );
  const readyOfHash = db.prepare<[string], Raw>(
    `SELECT ${COLUMNS} FROM attachments WHERE sha256 = ? AND status = 'ready' LIMIT 1`,
  );
  const attach = db.prepare<[string, string]>(
    'UPDATE attachments SET message_key = ? WHERE id = ? AND message_key IS NULL',
  );
  const remove = db.prepare<[string]>('DELETE FROM attachments WHERE id = ?');
  const unattachedBefore = db.prepare<[number, number], { id: string }>(
    'SELECT id FROM attachments WHERE message_key IS NULL AND kept_at < ? ORDER BY kept_at LIMIT ?',
  );
  const touch = db.prepare<[number, string]>(
    'UPDATE attachments SET kept_at = MAX(kept_at, ?) WHERE id = ? AND message_key IS NULL',
  );
  const touchSiblings = db.prepare<[number, string, string]>(
    `UPDATE attachments SET kept_at = MAX(kept_at, ?)
     WHERE uploader_id = ? AND conversation_id = ? AND message_key IS NULL`,
  );
  const orphans = db.prepare<[number], { sha256: string }>('SELECT sha256 FROM attachment_orphans LIMIT ?');
  const hashUsed = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM attachments WHERE sha256 = ?',
  );
  const dropOrphan = db.prepare<[string]>('DELETE FROM attachment_orphans WHERE sha256 = ?');
  const addOrphan = db.prepare<[string]>('INSERT OR IGNORE INTO attachment_orphans (sha256) VALUES (?)');
  const ofMessage = createMessageFiles(db);
  const stuck = db.prepare<[], { id: string }>("SELECT id FROM attachments WHERE status = 'processing'");
  const arriving = db.prepare<[], { id: string; size: number }>(
    "SELECT id, size FROM attachments WHERE status = 'uploading'",
  );

  return {
    get: (id: string): AttachmentRow | null => rowOf(get.get(id)),
    /** A new upload, before any of its bytes: it counts toward its uploader's day from now. */
    create(r: {
      id: string;
      conversationId: string;
      uploaderId: string;
      name: string;
      size: number;
      type: string;
      at: number;
    }): void {
      insert.run(r.id, r.conversationId, r.uploaderId, r.name, r.size, r.type, r.at, r.at);
    },
    /** Bytes a person has uploaded (or begun to) since `since`. */
    usedSince: (uploaderId: string, since: number): number => usedSince.get(uploaderId, since)?.n ?? 0,
    /** Moves an upload from `from` to `to`; false when it was not in `from` (cancelled, swept, done). */
    move(id: string, from: AttachmentStatus, to: AttachmentStatus, error: string | null = null): boolean {
      return setStatus.run(to, error, id, from).changes > 0;
    },
    /** Records the hash before the file is stored, so the file sweep leaves that file alone from now. */
    setHash: (id: string, sha256: string): void => void setHash.run(sha256, id),
    /** Processing found `p`; the unattached sweep's day counts from `at`, when it became ready. */
    markReady(id: string, p: Processed, at: number): boolean {
      return ready.run(p.type, p.sha256, p.width, p.height, p.hasThumb ? 1 : 0, at, id).changes > 0;
    },
    /** A ready attachment with the same bytes (its processing is reused: dedupe by hash). */
    readyOfHash: (sha256: string): AttachmentRow | null => rowOf(readyOfHash.get(sha256)),
    /** Ties the attachments to the message that references them; in the transaction that stores it. */
    attach(ids: readonly string[], messageKey: string): void {
      for (const id of ids) attach.run(messageKey, id);
    },
    remove: (id: string): boolean => remove.run(id).changes > 0,
    /** The uploader's device still has this upload in hand (it read or resumed it): the sweep waits a day
     * from `at`. Nothing for an upload already in a message. */
    touch: (id: string, at: number): void => void touch.run(at, id),
    /** The person is still uploading to this conversation: their files there not sent yet (most likely the
     * rest of the same message's, which the device no longer polls once ready) wait a day from `at`. */
    touchSiblings: (uploaderId: string, conversationId: string, at: number): void =>
      void touchSiblings.run(at, uploaderId, conversationId),
    /** Uploads no message has referenced, kept (made, ready or touched) last before `before` (at most
     * `limit`). */
    unattachedBefore: (before: number, limit: number): string[] =>
      unattachedBefore.all(before, limit).map((r) => r.id),
    /** Hashes whose last rows may have gone: candidates for deleting their files. */
    orphans: (limit: number): string[] => orphans.all(limit).map((r) => r.sha256),
    hashUsed: (sha256: string): boolean => (hashUsed.get(sha256)?.n ?? 0) > 0,
    dropOrphan: (sha256: string): void => void dropOrphan.run(sha256),
    /** A hash whose file may be unused (its upload was cancelled while it was being stored). */
    addOrphan: (sha256: string): void => void addOrphan.run(sha256),
    /** A message's files for a safeguarding lead: those stored or held, and records of those deleted. */
    ofMessage,
    /** Uploads whose processing a stop or crash interrupted. */
    processing: (): string[] => stuck.all().map((r) => r.id),
    /** Uploads still arriving (or whose last byte came just before a crash), with their sizes. */
    uploading: (): { id: string; size: number }[] => arriving.all(),
  };
}
