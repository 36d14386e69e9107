import { z } from 'zod';
import type { AsyncMessageStore, MessageRow, MessageRevision, RedactionDue } from '../messages-async.ts';
import type { PgClient, PgPool } from './pool.ts';

// BIGINT columns arrive as strings (node-postgres keeps all 64 bits); every value here is far below 2^53.
const big = z.coerce.number().int();

const Row = z.object({
  seq: big,
  text: z.string(),
  parent_key: z.string().nullable(),
  edited_at: big.nullable(),
  deleted_at: big.nullable(),
  removed_by: z.string().nullable(),
});
const Revision = z.object({
  kind: z.string(),
  previous_text: z.string(),
  new_text: z.string().nullable(),
  by_user: z.string(),
  at: big,
});
const Due = z.object({
  conversation_id: z.string(),
  author_id: z.string(),
  local_id: z.string(),
  seq: big,
  removed: z.boolean(),
});
const LocalId = z.object({ local_id: z.string() });
const AuthorId = z.object({ author_id: z.string() });
const MaxSeq = z.object({ s: big.nullable() });

const KEY = 'conversation_id = $1 AND author_id = $2 AND local_id = $3';

/**
 * The message projection on PostgreSQL (docs/SCALE-OUT.md §1–§3), for the projection's migration in
 * pg/migrations.ts: the SQLite store's rules (messages.ts), each write one statement on the commit's
 * transaction client, so a batch's projection costs one round trip per row written and commits or rolls
 * back with its documents.
 *
 * An edit, delete or removal reads the previous text with `FOR UPDATE` in the statement that keeps it as a
 * revision and changes the row: a second change of the same message waits for the first to commit and then
 * reads its text, so no revision loses a step and revision ids (drawn under the lock) follow commit order.
 */
export function createPgMessageStore(pool: PgPool): AsyncMessageStore<PgClient> {
  /** Keeps the previous text as a revision of `kind` and applies `set` ($4… after the key), if stored. */
  const change = async (
    tx: PgClient,
    key: [string, string, string],
    kind: 'edit' | 'delete' | 'removal',
    revision: { newText: string | null; by: string; at: number },
    set: { sql: string; values: unknown[] },
  ): Promise<void> => {
    const n = 4 + set.values.length;
    await tx.query(
      `WITH prev AS (SELECT text FROM messages WHERE ${KEY} FOR UPDATE),
       kept AS (
         INSERT INTO message_revisions
           (conversation_id, author_id, local_id, kind, previous_text, new_text, by_user, at)
         SELECT $1, $2, $3, $${n}::text, text, $${n + 1}::text, $${n + 2}::text, $${n + 3}::bigint FROM prev
       )
       UPDATE messages SET ${set.sql} WHERE ${KEY} AND EXISTS (SELECT 1 FROM prev)`,
      [...key, ...set.values, kind, revision.newText, revision.by, revision.at],
    );
  };

  return {
    async insert(tx, m) {
      await tx.query(
        `INSERT INTO messages (conversation_id, author_id, local_id, seq, parent_key, text, client_ts, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [m.conversationId, m.authorId, m.localId, m.seq, m.parentKey, m.text, m.clientTs, m.receivedAt],
      );
    },
    recordEdit: (tx, c, a, l, text, at) =>
      change(
        tx,
        [c, a, l],
        'edit',
        { newText: text, by: a, at },
        {
          sql: 'text = $4, edited_at = $5',
          values: [text, at],
        },
      ),
    recordDelete: (tx, c, a, l, at) =>
      change(tx, [c, a, l], 'delete', { newText: null, by: a, at }, { sql: 'deleted_at = $4', values: [at] }),
    recordRemoval: (tx, c, a, l, by, at) =>
      change(tx, [c, a, l], 'removal', { newText: null, by, at }, { sql: 'removed_by = $4', values: [by] }),
    async markRedacted(tx, c, a, localIds, at) {
      if (localIds.length === 0) return;
      await tx.query(
        'UPDATE messages SET redacted_at = $4 WHERE conversation_id = $1 AND author_id = $2 AND local_id = ANY($3::text[])',
        [c, a, [...localIds], at],
      );
    },
    async toRedact(limit): Promise<RedactionDue[]> {
      const r = await pool.query(
        `SELECT conversation_id, author_id, local_id, seq, removed_by IS NOT NULL AS removed
           FROM messages WHERE redacted_at IS NULL AND (deleted_at IS NOT NULL OR removed_by IS NOT NULL)
          LIMIT $1`,
        [limit],
      );
      return r.rows.map((raw) => {
        const d = Due.parse(raw);
        return {
          conversationId: d.conversation_id,
          authorId: d.author_id,
          localId: d.local_id,
          seq: d.seq,
          removed: d.removed,
        };
      });
    },
    async exists(c, a, l) {
      const r = await pool.query(`SELECT 1 FROM messages WHERE ${KEY}`, [c, a, l]);
      return r.rows.length > 0;
    },
    async get(c, a, l): Promise<MessageRow | undefined> {
      const r = await pool.query(
        `SELECT seq, text, parent_key, edited_at, deleted_at, removed_by FROM messages WHERE ${KEY}`,
        [c, a, l],
      );
      if (r.rows[0] === undefined) return undefined;
      const row = Row.parse(r.rows[0]);
      return {
        seq: row.seq,
        text: row.text,
        parentKey: row.parent_key,
        editedAt: row.edited_at,
        deletedAt: row.deleted_at,
        removedBy: row.removed_by,
      };
    },
    async revisions(c, a, l): Promise<MessageRevision[]> {
      const r = await pool.query(
        `SELECT kind, previous_text, new_text, by_user, at FROM message_revisions WHERE ${KEY} ORDER BY id`,
        [c, a, l],
      );
      return r.rows.map((raw) => {
        const v = Revision.parse(raw);
        return {
          kind: v.kind,
          previousText: v.previous_text,
          newText: v.new_text,
          byUser: v.by_user,
          at: v.at,
        };
      });
    },
    async idsBelow(c, a, seq) {
      const r = await pool.query(
        'SELECT local_id FROM messages WHERE conversation_id = $1 AND author_id = $2 AND seq < $3',
        [c, a, seq],
      );
      return r.rows.map((raw) => LocalId.parse(raw).local_id);
    },
    async threadPeople(c, parentKey) {
      const r = await pool.query(
        'SELECT DISTINCT author_id FROM messages WHERE conversation_id = $1 AND parent_key = $2',
        [c, parentKey],
      );
      const people = new Set(r.rows.map((raw) => AuthorId.parse(raw).author_id));
      // The key is `<author>:<local id>` (messages.ts): the parent's author is in the thread without replying.
      const parentAuthor = parentKey.split(':')[0];
      if (parentAuthor) people.add(parentAuthor);
      return [...people];
    },
    async lastSeq(c) {
      const r = await pool.query('SELECT MAX(seq) AS s FROM messages WHERE conversation_id = $1', [c]);
      return MaxSeq.parse(r.rows[0]).s ?? 0;
    },
  };
}
