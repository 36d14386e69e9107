import { z } from 'zod';
import { type ChainReport, type ChainRow, rowHash, verifyAuditRows } from '../audit-chain.ts';
import { type AsyncAuditLog, EXPORT_PAGE, pagesOf } from '../audit-async.ts';
import { type AuditEntry, type AuditFilter, MAX_ACTORS } from '../audit.ts';
import { inTransaction, type PgClient, type PgPool } from './pool.ts';

/** A stored row: BIGINT columns come back from node-postgres as strings, so they are parsed here. */
const Raw = z.object({
  id: z.coerce.number().int().positive(),
  at: z.coerce.number().int(),
  actor_id: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});

const Head = z.object({ id: z.coerce.number().int().nonnegative(), hash: z.string() });

const COLUMNS = 'id, at, actor_id, action, target, detail, prev_hash, hash';

const toEntry = (r: z.infer<typeof Raw>): AuditEntry => ({
  id: r.id,
  at: r.at,
  actorId: r.actor_id,
  action: r.action,
  target: r.target,
  detail: JSON.parse(r.detail) as unknown,
});

/** WHERE clause and arguments for a filter: fixed SQL text, values only as parameters (as audit.ts). */
function where(f: AuditFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown): string => {
    args.push(v);
    return `$${args.length}`;
  };
  // `= ANY` of an empty array is false: an empty list matches nothing, as in SQLite.
  if (f.actorIds !== undefined) parts.push(`actor_id = ANY(${arg(f.actorIds.slice(0, MAX_ACTORS))}::text[])`);
  if (f.action !== undefined) parts.push(`action = ${arg(f.action)}`);
  if (f.targets !== undefined) parts.push(`target = ANY(${arg(f.targets.slice(0, MAX_ACTORS + 2))}::text[])`);
  if (f.from !== undefined) parts.push(`at >= ${arg(f.from)}`);
  if (f.to !== undefined) parts.push(`at < ${arg(f.to)}`);
  if (f.before !== undefined) parts.push(`id < ${arg(f.before)}`);
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export type PgAuditLog = AsyncAuditLog & {
  /**
   * Appends inside a transaction the caller holds (an entry that must commit or roll back with the change it
   * records, as the SQLite log's `record` inside a larger transaction). The chain head stays locked until
   * that transaction ends, so keep it short: every other append waits for it.
   */
  recordIn(
    tx: PgClient,
    actorId: string | null,
    action: string,
    target: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void>;
};

/**
 * The audit log on PostgreSQL (docs/SCALE-OUT.md §3), for migration 9 of pg/migrations.ts: the SQLite log's
 * rules and hashes (audit.ts, audit-chain.ts). Several processes append to ONE chain: each append locks the
 * chain head row (`SELECT … FOR UPDATE`) in its transaction, reads the last id and hash from it, writes
 * id + 1 linked to that hash and moves the head on. So appends run one at a time across processes, ids are
 * dense and increase in commit order, and a rolled-back append leaves neither a row nor a gap. Nothing is
 * kept in memory: an append that rolls back must not leave a remembered hash behind (audit.ts says why).
 */
export function createPgAuditLog(pool: PgPool, now: () => number): PgAuditLog {
  const recordIn: PgAuditLog['recordIn'] = async (tx, actorId, action, target, detail = {}) => {
    const head = Head.parse(
      (await tx.query('SELECT id, hash FROM audit_chain_head WHERE one FOR UPDATE')).rows[0],
    );
    // The time is read under the lock, so within one process it never goes back along the chain; across
    // machines it is each one's clock, so a skew can (the verifier checks links, not times).
    const row = {
      id: head.id + 1,
      at: now(),
      actor_id: actorId,
      action,
      target,
      detail: JSON.stringify(detail),
      prev_hash: head.hash,
    };
    const hash = rowHash(row);
    // One round trip for both writes: the row, and the head moved on to it (its trigger allows only +1).
    await tx.query(
      `WITH entry AS (
         INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, hash
       )
       UPDATE audit_chain_head SET id = entry.id, hash = entry.hash FROM entry WHERE one`,
      [row.id, row.at, actorId, action, target, row.detail, row.prev_hash, hash],
    );
  };

  const find = async (f: AuditFilter, limit: number): Promise<AuditEntry[]> => {
    const w = where(f);
    const r = await pool.query(
      `SELECT ${COLUMNS} FROM audit_log ${w.sql} ORDER BY id DESC LIMIT $${w.args.length + 1}`,
      [...w.args, limit],
    );
    return r.rows.map((row) => toEntry(Raw.parse(row)));
  };

  const verify = async (): Promise<ChainReport> => {
    // The head as the walk begins: entries appended during the walk are checked too, but only those up to
    // here must be present.
    const head = Head.parse((await pool.query('SELECT id, hash FROM audit_chain_head WHERE one')).rows[0]);
    return verifyAuditRows({
      highWater: head.id,
      page: async (after, limit): Promise<ChainRow[]> => {
        const r = await pool.query(`SELECT ${COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, [
          after,
          limit,
        ]);
        return r.rows.map((row) => Raw.parse(row));
      },
    });
  };

  return {
    recordIn,
    record: (actorId, action, target, detail) =>
      inTransaction(pool, (tx) => recordIn(tx, actorId, action, target, detail)),
    list: (limit = 200, action) => find(action === undefined ? {} : { action }, limit),
    find,
    pages: (f, size = EXPORT_PAGE) => pagesOf(find, f, size),
    verify,
    async actions() {
      const r = await pool.query('SELECT DISTINCT action FROM audit_log ORDER BY action');
      return r.rows.map((row) => z.object({ action: z.string() }).parse(row).action);
    },
  };
}
