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
];
