/**
 * Migrations 19 to 21 (issue 17: attachments, and their files as safeguarding evidence), in their own file
 * for length only: they are `MIGRATIONS`' next entries (migrations.ts), append only like the rest. The next
 * migration is appended to this list, or to a new file of its own spread after it.
 */
export const ATTACHMENT_MIGRATIONS: readonly string[] = [
  // 19 (issue 17, attachments): one row per upload, made when the upload is created (so the day's quota counts
  // uploads still arriving) and kept until its message goes. `type` is the type sniffed from the bytes, never
  // the device's guess; `sha256` names the stored file (content-addressed, several rows may share one);
  // `message_key` (author:local) is set in the commit that stores the message referencing it. A message
  // deleted, removed or redacted takes its attachments' rows with it (the trigger, in the same transaction),
  // and a row's going leaves its hash in `attachment_orphans` for the file sweep (files/attachments.ts)
  // to delete the file once no row uses it.
  `
  CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    uploader_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    type TEXT NOT NULL,
    sha256 TEXT,
    width INTEGER,
    height INTEGER,
    has_thumb INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('uploading','processing','ready','refused')),
    error TEXT,
    created_at INTEGER NOT NULL,
    message_key TEXT
  ) WITHOUT ROWID;
  CREATE INDEX attachments_uploader ON attachments(uploader_id, created_at);
  CREATE INDEX attachments_message ON attachments(conversation_id, message_key);
  CREATE INDEX attachments_sha ON attachments(sha256);
  CREATE INDEX attachments_unattached ON attachments(created_at) WHERE message_key IS NULL;
  CREATE TABLE attachment_orphans (sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TRIGGER attachments_gone AFTER DELETE ON attachments WHEN OLD.sha256 IS NOT NULL
  BEGIN
    INSERT OR IGNORE INTO attachment_orphans (sha256) VALUES (OLD.sha256);
  END;
  CREATE TRIGGER attachments_of_gone_message
    AFTER UPDATE OF deleted_at, removed_by, redacted_at, purged_at ON messages
    WHEN NEW.deleted_at IS NOT NULL OR NEW.removed_by IS NOT NULL OR NEW.redacted_at IS NOT NULL OR NEW.purged_at IS NOT NULL
  BEGIN
    DELETE FROM attachments
      WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id;
  END;
  `,
  // 20 (issue 17 review): the sweep of uploads no message took is timed from `kept_at`, not `created_at`: set
  // when the row is made, moved on when its upload becomes ready and whenever its uploader's device reads
  // it or resumes it, so a file ready on Friday in a message whose other file is still uploading on Monday
  // is not taken away under it.
  `
  ALTER TABLE attachments ADD COLUMN kept_at INTEGER NOT NULL DEFAULT 0;
  UPDATE attachments SET kept_at = created_at;
  DROP INDEX attachments_unattached;
  CREATE INDEX attachments_unattached ON attachments(kept_at) WHERE message_key IS NULL;
  `,
  // 21 (issue 17, safeguarding): what a gone message's files were, and the files of a message in an open case.
  // A message deleted or removed takes its files from everyone (issue 17); a lead reviewing it must still
  // see that a file was there and which (name, size, type and SHA-256, which police and the IWF match
  // against): `attachment_records`, kept as long as the message's text is (retention's purge takes both;
  // when it went is the message's revision).
  // A message with an open safeguarding case (a report or a keyword alert) keeps its files' rows and bytes
  // while the case is open, `held`: served to safeguarding leads only, never to members (the text of a
  // removed message is kept for review the same way); the case's closing lets them go to the file sweep.
  // The safeguarding store's purge (`purged_at`, its own period) takes the records, and the files only of
  // a message already gone: a live message's files leave with its redaction (the channel's or DMs' period),
  // as its words do; migration 19's trigger took them at the purge too, which deleted live photos.
  `
  CREATE TABLE attachment_records (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    message_key TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    type TEXT NOT NULL,
    sha256 TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX attachment_records_message ON attachment_records(conversation_id, message_key);
  ALTER TABLE attachments ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
  DROP TRIGGER attachments_of_gone_message;
  CREATE TRIGGER attachments_of_gone_message
    AFTER UPDATE OF deleted_at, removed_by, redacted_at ON messages
    WHEN NEW.deleted_at IS NOT NULL OR NEW.removed_by IS NOT NULL OR NEW.redacted_at IS NOT NULL
  BEGIN
    INSERT OR IGNORE INTO attachment_records
      (id, conversation_id, message_key, name, size, type, sha256)
      SELECT id, conversation_id, message_key, name, size, type, sha256
        FROM attachments
       WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id
         AND status = 'ready' AND sha256 IS NOT NULL AND NEW.purged_at IS NULL;
    UPDATE attachments SET held = 1
     WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id
       AND EXISTS (SELECT 1 FROM safeguarding_items i WHERE i.conversation_id = NEW.conversation_id
                     AND i.author_id = NEW.author_id AND i.local_id = NEW.local_id AND i.status != 'closed');
    DELETE FROM attachments
     WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id
       AND held = 0;
  END;
  CREATE TRIGGER attachments_of_purged_message
    AFTER UPDATE OF purged_at ON messages WHEN NEW.purged_at IS NOT NULL
  BEGIN
    DELETE FROM attachments
     WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id
       AND (NEW.deleted_at IS NOT NULL OR NEW.removed_by IS NOT NULL OR NEW.redacted_at IS NOT NULL);
    DELETE FROM attachment_records
     WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id;
  END;
  CREATE TRIGGER attachments_released
    AFTER UPDATE OF status ON safeguarding_items WHEN NEW.status = 'closed'
  BEGIN
    DELETE FROM attachments
     WHERE conversation_id = NEW.conversation_id AND message_key = NEW.author_id || ':' || NEW.local_id
       AND held = 1
       AND NOT EXISTS (SELECT 1 FROM safeguarding_items i WHERE i.conversation_id = NEW.conversation_id
                         AND i.author_id = NEW.author_id AND i.local_id = NEW.local_id
                         AND i.status != 'closed');
  END;
  `,
];
