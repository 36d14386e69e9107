import { GENESIS, rowHash, verifyAuditChainAsync, type ChainReport, type ChainRow } from './audit-chain.ts';
import type { Db } from './db.ts';

/**
 * The safeguarding trail: admin actions, moderation, refused writes. Append only and hash-chained
 * (issue 14 §6, audit-chain.ts): every row is written with the hash of the row before it.
 */
export type AuditLog = ReturnType<typeof createAuditLog>;

export type AuditEntry = {
  id: number;
  at: number;
  actorId: string | null;
  action: string;
  target: string | null;
  detail: unknown;
};

/**
 * The audit log viewer's filters (issue 13 §5). `actorIds` is the people a name search matched (an empty
 * list matches nothing); `from`/`to` are epoch milliseconds, `to` excluded; `before` is the keyset cursor,
 * the id of the last entry already shown (ids only grow, so newest first is `id DESC`).
 */
export type AuditFilter = {
  actorIds?: readonly string[];
  action?: string;
  /** Any of these stored targets (a name search's people, a channel, the text itself). */
  targets?: readonly string[];
  from?: number;
  to?: number;
  before?: number;
};

type Raw = {
  id: number;
  at: number;
  actor_id: string | null;
  action: string;
  target: string | null;
  detail: string;
};

const fromRaw = (r: Raw): AuditEntry => ({
  id: r.id,
  at: r.at,
  actorId: r.actor_id,
  action: r.action,
  target: r.target,
  detail: JSON.parse(r.detail) as unknown,
});

/**
 * The most actors a filter names (and targets, two more: a channel and the text itself). SQLite's limit on
 * bound parameters is far above this; a name search matching more is too broad anyway. Shared with the
 * PostgreSQL log (pg/audit-log.ts), so both answer the same filter alike.
 */
export const MAX_ACTORS = 500;

export function createAuditLog(db: Db, now: () => number) {
  sealLegacy(db);
  const insert = db.prepare(
    'INSERT INTO audit_log (id, at, actor_id, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // The chain's end, read afresh for every entry, inside the entry's own transaction. Not kept in memory:
  // `record` is often called inside a larger transaction (opening a DM, a role change) that may still roll
  // back, and a remembered hash of a row that never committed would fork the chain. The read is one seek to
  // the end of the primary key. The id is chosen here (it is hashed), after both the last row and the
  // AUTOINCREMENT counter, so ids keep growing as before.
  const last = db.prepare<[], { id: number; hash: string | null; seq: number | null }>(
    `SELECT id, hash, (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log') AS seq
       FROM audit_log ORDER BY id DESC LIMIT 1`,
  );
  const append = db.transaction(
    (actorId: string | null, action: string, target: string | null, detail: string): void => {
      const end = last.get();
      const id = Math.max(end?.id ?? 0, end?.seq ?? 0) + 1;
      const prev = end?.hash ?? GENESIS;
      const row = { id, at: now(), actor_id: actorId, action, target, detail, prev_hash: prev };
      insert.run(id, row.at, actorId, action, target, detail, prev, rowHash(row));
    },
  );

  /** WHERE clause and arguments for a filter: fixed SQL text, values only as parameters. */
  const where = (f: AuditFilter): { sql: string; args: (string | number)[] } => {
    const parts: string[] = [];
    const args: (string | number)[] = [];
    if (f.actorIds !== undefined) {
      const ids = f.actorIds.slice(0, MAX_ACTORS);
      if (ids.length === 0) parts.push('0');
      else {
        parts.push(`actor_id IN (${ids.map(() => '?').join(',')})`);
        args.push(...ids);
      }
    }
    if (f.action !== undefined) {
      parts.push('action = ?');
      args.push(f.action);
    }
    if (f.targets !== undefined) {
      const targets = f.targets.slice(0, MAX_ACTORS + 2);
      if (targets.length === 0) parts.push('0');
      else {
        parts.push(`target IN (${targets.map(() => '?').join(',')})`);
        args.push(...targets);
      }
    }
    if (f.from !== undefined) {
      parts.push('at >= ?');
      args.push(f.from);
    }
    if (f.to !== undefined) {
      parts.push('at < ?');
      args.push(f.to);
    }
    if (f.before !== undefined) {
      parts.push('id < ?');
      args.push(f.before);
    }
    return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args };
  };

  /** Newest first, at most `limit` entries matching the filter. */
  const find = (f: AuditFilter, limit: number): AuditEntry[] => {
    const w = where(f);
    return db
      .prepare<(string | number)[], Raw>(`SELECT * FROM audit_log ${w.sql} ORDER BY id DESC LIMIT ?`)
      .all(...w.args, limit)
      .map(fromRaw);
  };

  return {
    record(
      actorId: string | null,
      action: string,
      target: string | null,
      detail: Record<string, unknown> = {},
    ): void {
      append(actorId, action, target, JSON.stringify(detail));
    },
    list(limit = 200, action?: string): AuditEntry[] {
      return find(action === undefined ? {} : { action }, limit);
    },
    find,
    /**
     * Every entry matching the filter, newest first, a page of `size` at a time (the CSV export streams
     * them). Each page is one finished query: no statement stays open across the stream's pauses, which
     * would block every write on this connection.
     */
    *pages(f: AuditFilter, size = 500): Generator<AuditEntry[]> {
      let before = f.before;
      for (;;) {
        const page = find(before === undefined ? f : { ...f, before }, size);
        if (page.length === 0) return;
        yield page;
        if (page.length < size) return;
        before = page[page.length - 1]?.id;
      }
    },
    /** Checks the whole hash chain (GET /api/admin/audit/verify, `npm run audit:verify`). */
    verify: (): Promise<ChainReport> => verifyAuditChainAsync(db),
    /** The actions that occur in the log, for the viewer's action filter. */
    actions(): string[] {
      return db
        .prepare<[], { action: string }>('SELECT DISTINCT action FROM audit_log ORDER BY action')
        .all()
        .map((r) => r.action);
    },
  };
}

/**
 * Hashes the entries written before the chain existed (migration 9 adds the columns; SQL cannot hash), in id
 * order, once, at start-up. Only rows before the first hashed one are sealed: a hashless row after it was not
 * written by this server (the insert trigger refuses one) and is left for `verify` to report, not laundered.
 */
function sealLegacy(db: Db): void {
  const firstHashed = db
    .prepare<[], { id: number }>('SELECT MIN(id) AS id FROM audit_log WHERE hash IS NOT NULL')
    .get()?.id;
  const legacy = db
    .prepare<[number], Omit<ChainRow, 'prev_hash' | 'hash'>>(
      'SELECT id, at, actor_id, action, target, detail FROM audit_log WHERE hash IS NULL AND id < ? ORDER BY id',
    )
    .all(firstHashed ?? Number.MAX_SAFE_INTEGER);
  if (legacy.length === 0) return;
  const seal = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?');
  db.transaction(() => {
    let prev = GENESIS;
    for (const r of legacy) {
      const hash = rowHash({ ...r, prev_hash: prev });
      seal.run(prev, hash, r.id);
      prev = hash;
    }
  })();
}
