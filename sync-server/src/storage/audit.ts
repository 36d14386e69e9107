import type { Db } from './db.ts';

/** The safeguarding trail: admin actions, moderation, refused writes. Append only. */
export type AuditLog = ReturnType<typeof createAuditLog>;

export type AuditEntry = {
  at: number;
  actorId: string | null;
  action: string;
  target: string | null;
  detail: unknown;
};

export function createAuditLog(db: Db, now: () => number) {
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?)',
  );
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
      const rows = (
        action
          ? db.prepare('SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ?').all(action, limit)
          : db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit)
      ) as { at: number; actor_id: string | null; action: string; target: string | null; detail: string }[];
      return rows.map((r) => ({
        at: r.at,
        actorId: r.actor_id,
        action: r.action,
        target: r.target,
        detail: JSON.parse(r.detail) as unknown,
      }));
    },
  };
}
