import type { Db } from './db.ts';

/** The safeguarding trail: admin actions, moderation, refused writes. Append only. */
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

/** SQLite's limit on bound parameters is far above this; a name search matching more is too broad anyway. */
const MAX_ACTORS = 500;

export function createAuditLog(db: Db, now: () => number) {
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?)',
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
      insert.run(now(), actorId, action, target, JSON.stringify(detail));
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
    /** The actions that occur in the log, for the viewer's action filter. */
    actions(): string[] {
      return db
        .prepare<[], { action: string }>('SELECT DISTINCT action FROM audit_log ORDER BY action')
        .all()
        .map((r) => r.action);
    },
  };
}
