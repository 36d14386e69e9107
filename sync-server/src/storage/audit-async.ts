import type { ChainReport } from './audit-chain.ts';
import type { AuditEntry, AuditFilter, AuditLog } from './audit.ts';
import { liftSync } from './lift-sync.ts';

/**
 * The safeguarding audit trail with the operations of `AuditLog` (audit.ts), returning Promises: what
 * PostgreSQL (storage/pg/audit-log.ts) can offer (docs/SCALE-OUT.md §2, §3). The rules are the same: append
 * only (the database refuses UPDATE and DELETE), each entry hash-chained to the one before with the same
 * hash (audit-chain.ts `rowHash`), ids that only grow, the viewer's filters newest first with the id of the
 * last entry shown as the cursor, and a verifier that names the first entry that does not fit. One
 * conformance suite (test/audit-async.suite.ts) runs against every implementation.
 */
export interface AsyncAuditLog {
  /** Appends one entry to the chain; resolves once it is committed. */
  record(
    actorId: string | null,
    action: string,
    target: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void>;
  /** The newest `limit` entries (200 unless said), of one action if given. */
  list(limit?: number, action?: string): Promise<AuditEntry[]>;
  /** Newest first, at most `limit` entries matching the filter (the viewer's page). */
  find(f: AuditFilter, limit: number): Promise<AuditEntry[]>;
  /** Every entry matching the filter, newest first, a page of `size` at a time (the CSV export). */
  pages(f: AuditFilter, size?: number): AsyncGenerator<AuditEntry[]>;
  /** Checks the whole hash chain. */
  verify(): Promise<ChainReport>;
  /** The actions that occur in the log, in byte order, for the viewer's action filter. */
  actions(): Promise<string[]>;
}

/** Default page size of the export, as the SQLite log's `pages`. */
export const EXPORT_PAGE = 500;

/**
 * `pages` from `find`: keyset paging on the id, each page one finished query, so nothing stays open across
 * the export stream's pauses (on PostgreSQL no connection is held while a slow reader reads).
 */
export async function* pagesOf(
  find: (f: AuditFilter, limit: number) => Promise<AuditEntry[]>,
  f: AuditFilter,
  size: number,
): AsyncGenerator<AuditEntry[]> {
  let before = f.before;
  for (;;) {
    const page = await find(before === undefined ? f : { ...f, before }, size);
    if (page.length === 0) return;
    yield page;
    if (page.length < size) return;
    before = page[page.length - 1]?.id;
  }
}

/** The synchronous SQLite log behind the async interface. */
export function adaptSqliteAuditLog(log: AuditLog): AsyncAuditLog {
  const find = (f: AuditFilter, limit: number) => liftSync(() => log.find(f, limit));
  return {
    record: (actorId, action, target, detail) => liftSync(() => log.record(actorId, action, target, detail)),
    list: (limit, action) => liftSync(() => log.list(limit, action)),
    find,
    pages: (f, size = EXPORT_PAGE) => pagesOf(find, f, size),
    verify: () => log.verify(),
    actions: () => liftSync(() => log.actions()),
  };
}
