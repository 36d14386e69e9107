/**
 * The PostgreSQL schema, one entry per version (the index + 1 is the version). Never edit an entry that
 * has shipped: add one. The tables mirror SQLite's (storage/migrations.ts) where they hold the same data;
 * docs/SCALE-OUT.md §3 says where and why they differ.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the update log. Ids are per document (doc_seqs), given under that document's row lock, so they
  // increase in commit order: a replica that has seen id n catches up with `id > n` and misses nothing.
  `
  CREATE TABLE doc_seqs (
    doc TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
  );
  CREATE TABLE doc_updates (
    doc TEXT NOT NULL,
    id BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (doc, id)
  );
  -- A compacted document's state (the row with id last_id) and its state vector.
  CREATE TABLE doc_heads (
    doc TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    state_vector BYTEA NOT NULL
  );
  `,
  // 2: single-writer leases (scale/lease.ts): the fencing token a holder's commits must still match.
  `
  CREATE TABLE leases (
    scope TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL
  );
  `,
  // 3: sessions (storage/pg/session-store.ts), as SQLite's after its migrations: by token hash, with the
  // revocation reason kept to tell the device (T10). No foreign key to users: accounts are not in
  // PostgreSQL yet (docs/SCALE-OUT.md §3); it comes with their migration, deleting a user's sessions with it.
  `
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_reason TEXT,
    revoked_at BIGINT
  );
  CREATE INDEX sessions_user ON sessions (user_id);
  `,
  // 4: accounts and workspace settings (storage/pg/user-store.ts, settings-store.ts), as SQLite's after its
  // migrations. Text columns compare byte by byte (COLLATE "C") whatever the server's locale, as SQLite's do,
  // and lower() under "C" folds ASCII only, like SQLite's NOCASE: so a login is unique and found ASCII case
  // aside, and names sort as the SQLite store sorts them. Sessions now reference their account, deleting
  // with it as SQLite's cascade does.
  `
  CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT COLLATE "C",
    username TEXT COLLATE "C",
    display_name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL
      CHECK (role IN ('student','tutor','teacher','staff','admin','super_admin')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    cohort TEXT COLLATE "C",
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    pronouns TEXT NOT NULL DEFAULT '',
    avatar_colour TEXT,
    CHECK (email IS NOT NULL OR username IS NOT NULL)
  );
  CREATE UNIQUE INDEX users_email ON users (lower(email));
  CREATE UNIQUE INDEX users_username ON users (lower(username));
  CREATE INDEX users_name ON users (lower(display_name), id);
  CREATE INDEX users_login ON users (lower(COALESCE(email, username)), id);
  CREATE INDEX users_created ON users (created_at, id);
  CREATE INDEX users_role_name ON users (role, lower(display_name), id);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  ALTER TABLE sessions ADD CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
  `,
  // 5: conversations, members and channel departures (storage/pg/conversation-store.ts), as SQLite's after
  // its migrations. Ids and names compare byte by byte (COLLATE "C"), so channels sort as in SQLite.
  `
  CREATE TABLE conversations (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('public','private','announcement','dm')),
    name TEXT COLLATE "C" UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    icon TEXT NOT NULL DEFAULT '',
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    dm_key TEXT COLLATE "C" UNIQUE,
    staff_only BOOLEAN NOT NULL DEFAULT FALSE,
    admin_only BOOLEAN NOT NULL DEFAULT FALSE,
    segment INTEGER NOT NULL DEFAULT 0,
    cohort TEXT COLLATE "C",
    post_policy TEXT NOT NULL DEFAULT 'everyone' CHECK (post_policy IN ('everyone','staff')),
    created_by TEXT,
    created_at BIGINT NOT NULL,
    supervisor_id TEXT REFERENCES users (id) ON DELETE SET NULL
  );
  CREATE TABLE members (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_user ON members (user_id, joined_at);
  CREATE TABLE channel_departures (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    left_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
  );
  `,
  // 6: Web Push subscriptions (storage/pg/push-subscription-store.ts), as SQLite's: one per endpoint, tied to
  // the session that registered it, so signing out, a purged session or a deleted person takes it along.
  `
  CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
  CREATE INDEX push_subscriptions_session ON push_subscriptions (token_hash);
  `,
  // 7: notification preferences (storage/pg/notify-pref-store.ts), as SQLite's: a person's level and own
  // quiet hours, and per conversation a level other than "follow my default" (which is no row).
  `
  CREATE TABLE notify_prefs (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'nothing')),
    quiet_mode TEXT NOT NULL CHECK (quiet_mode IN ('workspace', 'off', 'own')),
    quiet_start INTEGER,
    quiet_end INTEGER
  );
  CREATE TABLE conversation_notify (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'muted')),
    PRIMARY KEY (user_id, conversation_id)
  );
  CREATE INDEX conversation_notify_conversation ON conversation_notify (conversation_id);
  `,
  // 8: cache invalidation (docs/SCALE-OUT.md §2, storage/pg/invalidation-listener.ts). Every write to a
  // table behind a per-process cache sends NOTIFY cr_invalidate '<kind>:<id>' from a trigger, so no write
  // path can forget it, and from inside the writing transaction, so it is delivered only after COMMIT and
  // never for a rollback. Kinds, by the cache they feed: users:<id> (a user row and the directory),
  // conversations:<id> (the row, the channel list and the member set: members rows notify it too, cascaded
  // deletes included), settings, notify:<user> (notify_prefs and conversation_notify). Channel departures,
  // sessions and push subscriptions are not cached. pg_notify refuses a payload of 8000 bytes or more, which
  // would fail the write itself: an id too long for a payload (no id is near it) sends `all` instead, for
  // which a listener drops everything. Identical payloads in one transaction are sent once (PostgreSQL).
  `
  CREATE FUNCTION cr_invalidate(kind TEXT, id TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
  BEGIN
    IF id IS NULL THEN
      PERFORM pg_notify('cr_invalidate', kind);
    ELSIF octet_length(id) > 1000 THEN
      PERFORM pg_notify('cr_invalidate', 'all');
    ELSE
      PERFORM pg_notify('cr_invalidate', kind || ':' || id);
    END IF;
  END $$;
  -- A row trigger's arguments: the kind, and the column holding the id (none for settings). Both the old
  -- and the new row's id, so an update that moved a row (none does today) invalidates both places.
  CREATE FUNCTION cr_invalidate_row() RETURNS TRIGGER LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_NARGS < 2 THEN
      PERFORM cr_invalidate(TG_ARGV[0], NULL);
      RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN PERFORM cr_invalidate(TG_ARGV[0], to_jsonb(OLD) ->> TG_ARGV[1]); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM cr_invalidate(TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[1]); END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER users_invalidate AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('users', 'id');
  CREATE TRIGGER conversations_invalidate AFTER INSERT OR UPDATE OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('conversations', 'id');
  CREATE TRIGGER members_invalidate AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('conversations', 'conversation_id');
  -- One notification per statement: the whole table is one cache entry.
  CREATE TRIGGER settings_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION cr_invalidate_row('settings');
  CREATE TRIGGER notify_prefs_invalidate AFTER INSERT OR UPDATE OR DELETE ON notify_prefs
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('notify', 'user_id');
  CREATE TRIGGER conversation_notify_invalidate AFTER INSERT OR UPDATE OR DELETE ON conversation_notify
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('notify', 'user_id');
  `,
  // 9: the safeguarding audit trail (storage/pg/audit-log.ts), as SQLite's after its migrations 1, 7 and 9:
  // the same columns, `detail` as the exact JSON text written (text, not jsonb, which would re-serialise it
  // and change every hash), the viewer's indexes. One row holds the chain's head (the last id and hash):
  // each append locks it FOR UPDATE, so appends from every process form one chain, and it remembers the
  // highest id given out, as SQLite's AUTOINCREMENT counter does, so entries cut off the end are noticed.
  // Triggers refuse UPDATE, DELETE and TRUNCATE of the log, and any change of the head but the next append.
  `
  CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT COLLATE "C",
    action TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C",
    detail TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
  CREATE INDEX audit_log_action ON audit_log (action, id);
  CREATE INDEX audit_log_target ON audit_log (target, id);
  CREATE TABLE audit_chain_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    id BIGINT NOT NULL,
    hash TEXT NOT NULL
  );
  INSERT INTO audit_chain_head (id, hash) VALUES (0, '${'0'.repeat(64)}'); -- GENESIS, audit-chain.ts
  CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
  END $$;
  CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
  CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
  CREATE FUNCTION audit_chain_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' AND NEW.one AND NEW.id = OLD.id + 1 THEN RETURN NEW; END IF;
    RAISE EXCEPTION 'audit_chain_head only moves on to the next entry (% refused)', TG_OP;
  END $$;
  CREATE TRIGGER audit_chain_head_no_change BEFORE UPDATE OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_advance();
  CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_advance();
  `,
  // 10: the message projection, applied actions and doc clients (storage/pg/message-store.ts,
  // applied-action-store.ts, doc-client-store.ts), as SQLite's after its migrations (the search index aside:
  // docs/SCALE-OUT.md §1). Written in the document store's commit transaction. Ids compare byte by byte
  // (COLLATE "C") as in SQLite. Yjs client ids are unsigned 32-bit: BIGINT, since INTEGER stops at 2^31 - 1.
  // Revisions are numbered by an identity column; one message's are written under its row lock
  // (message-store.ts), so their numbers follow commit order and `ORDER BY id` is their order. No foreign
  // keys, as in SQLite: the projection keeps a message whose conversation or author is gone.
  `
  CREATE TABLE messages (
    conversation_id TEXT COLLATE "C" NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL,
    local_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    parent_key TEXT COLLATE "C",
    text TEXT NOT NULL,
    client_ts BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    removed_by TEXT COLLATE "C",
    redacted_at BIGINT,
    purged_at BIGINT,
    PRIMARY KEY (conversation_id, author_id, local_id)
  );
  CREATE UNIQUE INDEX messages_seq ON messages (conversation_id, seq);
  CREATE INDEX messages_to_redact ON messages (conversation_id, seq)
    WHERE redacted_at IS NULL AND (deleted_at IS NOT NULL OR removed_by IS NOT NULL);
  CREATE INDEX messages_received ON messages (received_at, conversation_id, seq);
  CREATE INDEX messages_thread ON messages (conversation_id, parent_key) WHERE parent_key IS NOT NULL;
  CREATE TABLE message_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL,
    local_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('edit','delete','removal')),
    previous_text TEXT NOT NULL,
    new_text TEXT,
    by_user TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE INDEX message_revisions_msg ON message_revisions (conversation_id, author_id, local_id);
  CREATE INDEX message_revisions_at ON message_revisions (at);
  CREATE TABLE applied_actions (
    user_id TEXT COLLATE "C" NOT NULL,
    action_id TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_id, action_id)
  );
  CREATE INDEX applied_actions_at ON applied_actions (at);
  CREATE TABLE doc_clients (
    doc TEXT COLLATE "C" NOT NULL,
    client_id BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (doc, client_id)
  );
  `,
  // 11: mutes (storage/pg/mute-store.ts), as SQLite's: rows stay after lifting or expiry as the record. Every
  // process holds the active ones in memory (the write path asks them synchronously), so a write notifies
  // mutes:<user> through migration 8's cr_invalidate, and the other processes read that person again.
  `
  CREATE TABLE mutes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
    until_ts BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at BIGINT NOT NULL,
    lifted_by TEXT,
    lifted_at BIGINT
  );
  CREATE INDEX mutes_user ON mutes (user_id, lifted_at);
  CREATE INDEX mutes_conversation ON mutes (conversation_id, lifted_at);
  CREATE TRIGGER mutes_invalidate AFTER INSERT OR UPDATE OR DELETE ON mutes
    FOR EACH ROW EXECUTE FUNCTION cr_invalidate_row('mutes', 'user_id');
  `,
  // 12: presence choices and last seen (storage/pg/presence-status-store.ts), as SQLite's: one row per person,
  // written when they choose and when their last device leaves. Not cached, so no trigger.
  `
  CREATE TABLE presence_status (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    dnd BOOLEAN NOT NULL DEFAULT FALSE,
    emoji TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    until BIGINT NOT NULL DEFAULT 0,
    last_seen BIGINT NOT NULL DEFAULT 0
  );
  `,
  // 13: set-password links (storage/pg/password-link-store.ts), as SQLite's: only the token's SHA-256 is kept;
  // a link is used once (an atomic UPDATE … WHERE used_at IS NULL) and only while it is the person's newest.
  `
  CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    replaced_at BIGINT
  );
  CREATE INDEX password_links_user ON password_links (user_id);
  `,
  // 14: the first-admin setup tokens (storage/pg/setup-token-store.ts), as SQLite's: the token's SHA-256, used
  // once by an atomic UPDATE … WHERE used_at IS NULL, which decides which of two racing setups creates the
  // first admin.
  `
  CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  `,
];
