/**
 * Numbered migrations: append only. Each runs once, in its own transaction. Never edit one that has shipped;
 * add the next. `sync-server/test/golden.test.ts` loads a database made by the first version and migrates it.
 */
import { ATTACHMENT_MIGRATIONS } from './migrations-attachments.ts';

export const MIGRATIONS: readonly string[] = [
  // 1: accounts, sessions, conversations, documents, the message projection, audit.
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE COLLATE NOCASE,
    username TEXT UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('student','tutor','teacher','staff','admin','super_admin')),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    cohort TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (email IS NOT NULL OR username IS NOT NULL)
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('public','private','announcement','dm')),
    name TEXT UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    icon TEXT NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0,
    dm_key TEXT UNIQUE,
    staff_only INTEGER NOT NULL DEFAULT 0,
    admin_only INTEGER NOT NULL DEFAULT 0,
    segment INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_user ON members(user_id);
  CREATE TABLE doc_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX doc_updates_doc ON doc_updates(doc, id);
  CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    local_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    parent_key TEXT,
    text TEXT NOT NULL,
    client_ts INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    edited_at INTEGER,
    deleted_at INTEGER,
    removed_by TEXT,
    PRIMARY KEY (conversation_id, author_id, local_id)
  );
  CREATE UNIQUE INDEX messages_seq ON messages(conversation_id, seq);
  CREATE TABLE message_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    local_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('edit','delete','removal')),
    previous_text TEXT NOT NULL,
    new_text TEXT,
    by_user TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX message_revisions_msg ON message_revisions(conversation_id, author_id, local_id);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX audit_log_at ON audit_log(at);
  `,
  // 2: the actions each user's updates carried, so a device that re-applies one is refused (P14).
  `
  CREATE TABLE applied_actions (
    user_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (user_id, action_id)
  ) WITHOUT ROWID;
  CREATE INDEX applied_actions_at ON applied_actions(at);
  `,
  // 3: the state vector of each compacted document, so one loaded from its compacted state alone can answer
  // a subscription before (or without) replaying it (doc-store.ts `load`).
  `
  CREATE TABLE doc_heads (
    doc TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL,
    state_vector BLOB NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: who owns each Yjs client id seen in a shared document: a writer using another's id would have the
  // owner's next change ignored as already held (docs/THREAT_MODEL.md T13, doc-clients.ts).
  `
  CREATE TABLE doc_clients (
    doc TEXT NOT NULL,
    client_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (doc, client_id)
  ) WITHOUT ROWID;
  `,
  // 5: why a session ended (T10). A revoked session is kept, marked, so a device that was offline for days
  // learns on its next contact whether to wipe itself (deactivation, sign out everywhere) or only sign in.
  `
  ALTER TABLE sessions ADD COLUMN revoked_reason TEXT;
  ALTER TABLE sessions ADD COLUMN revoked_at INTEGER;
  `,
  // 6 (issue 13 §3, admin Channels): a channel bound to a cohort (its people join it) and who may post in
  // it (announcement channels are staff only whatever this says).
  `
  ALTER TABLE conversations ADD COLUMN cohort TEXT;
  ALTER TABLE conversations ADD COLUMN post_policy TEXT NOT NULL DEFAULT 'everyone'
    CHECK (post_policy IN ('everyone','staff'));
  `,
  // 7 (issue 13 §4/§5, settings, profile and audit viewer): a person's pronouns and avatar colour (the
  // profile page), and indexes for the audit log viewer's filters by actor, action and target, newest
  // first (without them a rare match walks the whole log to fill a page).
  `
  ALTER TABLE users ADD COLUMN pronouns TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN avatar_colour TEXT;
  CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
  CREATE INDEX audit_log_action ON audit_log(action, id);
  CREATE INDEX audit_log_target ON audit_log(target, id);
  `,
  // 8 (issue 13 §2 People, helper i13a): one-time set-password links (only a hash of each token is kept), and
  // indexes so the People table's first page and its sorts read in order instead of sorting 20,000 rows.
  `
  CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    replaced_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX password_links_user ON password_links(user_id);
  CREATE INDEX users_name ON users(display_name COLLATE NOCASE, id);
  CREATE INDEX users_login ON users(COALESCE(email, username) COLLATE NOCASE, id);
  CREATE INDEX users_created ON users(created_at, id);
  CREATE INDEX users_role_name ON users(role, display_name COLLATE NOCASE, id);
  `,
  // 9 (issue 14 §6 and §4, helper i14c): the audit log becomes tamper-evident and append-only, and a DM
  // may have a silent supervisor. Each audit row carries the hash of the one before it and its own
  // (storage/audit-chain.ts); rows older than this migration are hashed, in id order, when the server next
  // starts (`sealLegacy` in storage/audit.ts: SQL has no SHA-256). The triggers refuse a row without its
  // hashes and any UPDATE or DELETE, except the one-time filling of a legacy row's hashes, content unchanged.
  `
  ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
  ALTER TABLE audit_log ADD COLUMN hash TEXT;
  CREATE TRIGGER audit_log_hashed BEFORE INSERT ON audit_log WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL
  BEGIN SELECT RAISE(ABORT, 'audit_log rows are written with their hashes'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  WHEN NOT (OLD.hash IS NULL AND OLD.prev_hash IS NULL AND NEW.id = OLD.id AND NEW.at = OLD.at
    AND NEW.actor_id IS OLD.actor_id AND NEW.action = OLD.action AND NEW.target IS OLD.target
    AND NEW.detail = OLD.detail)
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  ALTER TABLE conversations ADD COLUMN supervisor_id TEXT REFERENCES users(id) ON DELETE SET NULL;
  `,
  // 10 (issue 14 §1 §2 §5 §6, safeguarding, helper i14a): who is a safeguarding lead; the leads' queue of
  // reports and keyword alerts (one report item per message, its reporters beside it), append-only notes,
  // and the keyword list.
  `
  CREATE TABLE safeguarding_leads (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    granted_by TEXT,
    granted_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE safeguarding_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('report','keyword')),
    conversation_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    local_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','in_review','closed')),
    outcome TEXT,
    assignee_id TEXT,
    matched TEXT NOT NULL DEFAULT '[]',
    excerpt TEXT NOT NULL DEFAULT '',
    written_at INTEGER,
    received_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX safeguarding_items_report ON safeguarding_items(conversation_id, author_id, local_id)
    WHERE kind = 'report';
  CREATE INDEX safeguarding_items_status ON safeguarding_items(status, id);
  CREATE TABLE safeguarding_reporters (
    item_id INTEGER NOT NULL REFERENCES safeguarding_items(id),
    reporter_id TEXT NOT NULL,
    report_id TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL,
    PRIMARY KEY (item_id, reporter_id)
  );
  CREATE TABLE safeguarding_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES safeguarding_items(id),
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX safeguarding_notes_item ON safeguarding_notes(item_id, id);
  CREATE TRIGGER safeguarding_notes_no_update BEFORE UPDATE ON safeguarding_notes
    BEGIN SELECT RAISE(ABORT, 'safeguarding notes are append-only'); END;
  CREATE TRIGGER safeguarding_notes_no_delete BEFORE DELETE ON safeguarding_notes
    BEGIN SELECT RAISE(ABORT, 'safeguarding notes are append-only'); END;
  CREATE TABLE safeguarding_keywords (
    phrase TEXT PRIMARY KEY COLLATE NOCASE,
    added_by TEXT,
    added_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 11 (issue 14 §3 mute, helper i14b): a person muted in one channel (conversation_id) or everywhere (NULL),
  // until a time or until lifted (until_ts NULL). Kept after lifting or expiry: who muted whom, when, is a
  // safeguarding record. Looked up on every write of new messages, edits and reactions, by user.
  `
  CREATE TABLE mutes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
    until_ts INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at INTEGER NOT NULL,
    lifted_by TEXT,
    lifted_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX mutes_user ON mutes(user_id, lifted_at);
  CREATE INDEX mutes_conversation ON mutes(conversation_id, lifted_at);
  `,
  // 12 (issue 14 §3): when the server took a message's content out of its author's document (P16). Deleted
  // and removed messages not yet redacted (a database from before, or a crash between) are found by the
  // partial index at start and redacted then.
  `
  ALTER TABLE messages ADD COLUMN redacted_at INTEGER;
  CREATE INDEX messages_to_redact ON messages(conversation_id, seq)
    WHERE redacted_at IS NULL AND (deleted_at IS NOT NULL OR removed_by IS NOT NULL);
  `,
  // 13 (issue 13 follow-up, helper h14x): channels a person left, or was taken out of by a moderator or an
  // admin, so that a later role or cohort change does not put them back in (channel-rules.ts `follow`).
  // Joining again, or being added by someone, removes the row.
  `
  CREATE TABLE channel_departures (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    left_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
  ) WITHOUT ROWID;
  `,
  // 14 (issue 14 §7 retention, helper h14r): `purged_at` marks a message whose text the safeguarding store no
  // longer keeps (blanked by retention, the row kept for ids and order), so exports and transcripts can say
  // so instead of showing an empty message. Indexes let the hourly job walk expired rows by age instead of
  // reading every message. Notes may now be deleted once their case is gone (retention removes closed cases
  // past the safeguarding store's period, the case first, in a transaction with deferred foreign keys);
  // while the case exists they stay append-only.
  `
  ALTER TABLE messages ADD COLUMN purged_at INTEGER;
  CREATE INDEX messages_received ON messages(received_at, conversation_id, seq);
  CREATE INDEX message_revisions_at ON message_revisions(at);
  CREATE INDEX safeguarding_items_message ON safeguarding_items(conversation_id, author_id, local_id, status);
  CREATE INDEX safeguarding_items_closed ON safeguarding_items(status, updated_at);
  DROP TRIGGER safeguarding_notes_no_delete;
  CREATE TRIGGER safeguarding_notes_no_delete BEFORE DELETE ON safeguarding_notes
    WHEN EXISTS (SELECT 1 FROM safeguarding_items WHERE id = OLD.item_id)
    BEGIN SELECT RAISE(ABORT, 'safeguarding notes are append-only while their case exists'); END;
  `,
  // 15 (issue 15 §1): Web Push subscriptions, one per device (the browser's endpoint), tied to the session
  // that made it: signing out, a session revoked or expired, or a person deleted takes their devices' pushes
  // with it (the foreign keys cascade; deactivation revokes sessions, and the sender skips revoked ones).
  // Threads by parent: a reply's push goes to the people in its thread.
  `
  CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);
  CREATE INDEX push_subscriptions_session ON push_subscriptions(token_hash);
  CREATE INDEX messages_thread ON messages(conversation_id, parent_key) WHERE parent_key IS NOT NULL;
  `,
  // 16 (issue 15 §2): notification preferences. A person's level and own quiet hours (`quiet_start` and
  // `quiet_end` minutes of the day, both set for their own window; mode 'workspace' or 'off' otherwise), and
  // per conversation a level other than "follow my default" (which is no row). Not the safeguarding `mutes`.
  `
  CREATE TABLE notify_prefs (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'nothing')),
    quiet_mode TEXT NOT NULL CHECK (quiet_mode IN ('workspace', 'off', 'own')),
    quiet_start INTEGER,
    quiet_end INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE conversation_notify (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'muted')),
    PRIMARY KEY (user_id, conversation_id)
  ) WITHOUT ROWID;
  `,
  // 17 (issue 15 §3): what a person chose of their presence (do not disturb, a custom status until a time),
  // written only when they change it, and when they were last seen, written when their last device
  // disconnects: never per heartbeat. Pushes read DND from here, so it holds while they are offline and
  // across restarts.
  `
  CREATE TABLE presence_status (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    dnd INTEGER NOT NULL DEFAULT 0,
    emoji TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    until INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  `,
  // 18 (issue 16, server search): an FTS5 index over the messages people can still read, kept in
  // the same transaction as the message by triggers: a new message enters it; an edit replaces its words; a
  // delete, a moderator's removal, a redaction (retention's expiry) or retention blanking the text takes it
  // out. External content: the words are indexed, the text is read from `messages` through a view (no second
  // copy of every message). The view's `marks` column is the message's emoji as words (search_marks,
  // storage/search-marks.ts): unicode61 drops emoji. `conv` is the conversation id as one word (hex), so a
  // search is narrowed to the person's conversations inside FTS5 (storage/search.ts). Case and accent
  // folding, English stemming, and prefix indexes of 2 and 3 characters for typing. The index is by `messages` rowid: nothing may VACUUM this
  // database without rebuilding it (messages has no INTEGER PRIMARY KEY, so VACUUM may renumber rows).
  // Existing messages are indexed here, the live ones only (a plain 'rebuild' would index deleted ones too).
  `
  CREATE VIEW message_search_source AS
    SELECT rowid AS id, text, search_marks(text) AS marks, 'c' || hex(conversation_id) AS conv FROM messages;
  CREATE VIRTUAL TABLE message_search USING fts5(
    text, marks, conv, content='message_search_source', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'
  );
  CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN NEW.deleted_at IS NULL AND NEW.removed_by IS NULL AND NEW.redacted_at IS NULL AND NEW.purged_at IS NULL AND NEW.text != ''
  BEGIN
    INSERT INTO message_search (rowid, text, marks, conv) VALUES (NEW.rowid, NEW.text, search_marks(NEW.text), 'c' || hex(NEW.conversation_id));
  END;
  CREATE TRIGGER message_search_update
    AFTER UPDATE OF text, deleted_at, removed_by, redacted_at, purged_at, conversation_id ON messages
  BEGIN
    INSERT INTO message_search (message_search, rowid, text, marks, conv)
      SELECT 'delete', OLD.rowid, OLD.text, search_marks(OLD.text), 'c' || hex(OLD.conversation_id)
      WHERE OLD.deleted_at IS NULL AND OLD.removed_by IS NULL AND OLD.redacted_at IS NULL AND OLD.purged_at IS NULL AND OLD.text != '';
    INSERT INTO message_search (rowid, text, marks, conv)
      SELECT NEW.rowid, NEW.text, search_marks(NEW.text), 'c' || hex(NEW.conversation_id)
      WHERE NEW.deleted_at IS NULL AND NEW.removed_by IS NULL AND NEW.redacted_at IS NULL AND NEW.purged_at IS NULL AND NEW.text != '';
  END;
  CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN OLD.deleted_at IS NULL AND OLD.removed_by IS NULL AND OLD.redacted_at IS NULL AND OLD.purged_at IS NULL AND OLD.text != ''
  BEGIN
    INSERT INTO message_search (message_search, rowid, text, marks, conv)
      VALUES ('delete', OLD.rowid, OLD.text, search_marks(OLD.text), 'c' || hex(OLD.conversation_id));
  END;
  INSERT INTO message_search (rowid, text, marks, conv)
    SELECT m.rowid, m.text, search_marks(m.text), 'c' || hex(m.conversation_id) FROM messages m
    WHERE m.deleted_at IS NULL AND m.removed_by IS NULL AND m.redacted_at IS NULL AND m.purged_at IS NULL AND m.text != '';
  `,
  ...ATTACHMENT_MIGRATIONS,
];
