import { createHash } from 'node:crypto';
import type { Db } from './db.ts';

/**
 * The audit log's hash chain (issue 14 §6). Each row's `hash` is SHA-256 over a canonical encoding of its
 * content and the hash of the row before it, so changing, inserting or removing any row breaks every link
 * after it; `verifyAuditChain` walks the log and names the first row that does not fit. The triggers of
 * migration 9 refuse UPDATE and DELETE through SQL; the chain catches whoever works round them (someone
 * with the file who drops the triggers).
 */

/** The `prev_hash` of the first row. */
export const GENESIS = '0'.repeat(64);

export type ChainRow = {
  id: number;
  at: number;
  actor_id: string | null;
  action: string;
  target: string | null;
  /** The detail exactly as stored (its JSON text), so re-serialising can never change a hash. */
  detail: string;
  prev_hash: string | null;
  hash: string | null;
};

/**
 * A JSON array of the fields in a fixed order: unambiguous (no field can run into the next, unlike
 * concatenation), and the same bytes in any JavaScript engine for the same values.
 */
export function canonical(r: Omit<ChainRow, 'hash'> & { prev_hash: string }): string {
  return JSON.stringify([r.id, r.at, r.actor_id, r.action, r.target, r.detail, r.prev_hash]);
}

export const rowHash = (r: Omit<ChainRow, 'hash'> & { prev_hash: string }): string =>
  createHash('sha256').update(canonical(r), 'utf8').digest('hex');

export type ChainReport =
  | {
      ok: true;
      /** Rows checked. */
      count: number;
      /** The last row's hash: write it down elsewhere, and a later truncation of the log shows. */
      head: string;
    }
  | {
      ok: false;
      count: number;
      /** The first row that does not fit the chain (or the last row, for a log cut short). */
      brokenAt: number;
      reason: string;
    };

/** Rows checked between two pauses of the server's event loop (about 10 ms of hashing). */
const BATCH = 2_000;

/**
 * The walk's rule, whatever store the rows come from (SQLite here, PostgreSQL in pg/audit-log.ts): rows are
 * fed in id order; `next` answers the report for the first row that does not fit, else null; `end` the
 * report once every row is fed. `highWater` is the highest id the store remembers giving out when the walk
 * began (SQLite's AUTOINCREMENT counter, PostgreSQL's chain head): rows cut off the end leave every
 * remaining link intact, but the store still remembers their ids.
 */
export function createChainCheck(highWater: number | undefined) {
  let prev = GENESIS;
  let count = 0;
  let lastId = 0;
  return {
    get lastId(): number {
      return lastId;
    },
    next(r: ChainRow): ChainReport | null {
      const broken = (reason: string): ChainReport => ({ ok: false, count, brokenAt: r.id, reason });
      if (r.hash === null || r.prev_hash === null)
        return broken('this entry has no hash: start the server once to seal entries made before the chain');
      if (r.prev_hash !== prev)
        return broken('this entry does not follow the one before it: an entry was removed or inserted here');
      if (rowHash({ ...r, prev_hash: r.prev_hash }) !== r.hash)
        return broken('this entry was changed after it was written');
      prev = r.hash;
      lastId = r.id;
      count += 1;
      return null;
    },
    end(): ChainReport {
      if (highWater !== undefined && highWater > lastId)
        return {
          ok: false,
          count,
          brokenAt: lastId,
          reason: `entries after this one were removed (the log had reached entry ${highWater})`,
        };
      return { ok: true, count, head: prev };
    },
  };
}

/**
 * Walks the whole log in id order, a batch of rows per step (each batch one finished query, so no statement
 * stays open across a pause and memory stays flat); yields between batches, and returns the report. The
 * high-water mark is SQLite's AUTOINCREMENT counter as it was when the walk began. Entries written while the
 * walk runs are checked too.
 */
export function* auditChainSteps(db: Db, batch = BATCH): Generator<void, ChainReport> {
  const seq = db
    .prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")
    .get()?.seq;
  const page = db.prepare<[number, number], ChainRow>(
    'SELECT id, at, actor_id, action, target, detail, prev_hash, hash FROM audit_log WHERE id > ? ORDER BY id LIMIT ?',
  );
  const check = createChainCheck(seq);
  for (;;) {
    const rows = page.all(check.lastId, batch);
    for (const r of rows) {
      const broken = check.next(r);
      if (broken !== null) return broken;
    }
    if (rows.length < batch) break;
    yield;
  }
  return check.end();
}

/**
 * The same walk over rows read asynchronously: `page(after, limit)` gives at most `limit` rows with ids
 * above `after`, in id order, each page one finished query. Each page's await is the event loop's turn.
 */
export async function verifyAuditRows(
  source: { highWater: number | undefined; page: (after: number, limit: number) => Promise<ChainRow[]> },
  batch = BATCH,
): Promise<ChainReport> {
  const check = createChainCheck(source.highWater);
  for (;;) {
    const rows = await source.page(check.lastId, batch);
    for (const r of rows) {
      const broken = check.next(r);
      if (broken !== null) return broken;
    }
    if (rows.length < batch) return check.end();
  }
}

/** The whole check at once (`npm run audit:verify`, tests). */
export function verifyAuditChain(db: Db, batch = BATCH): ChainReport {
  const steps = auditChainSteps(db, batch);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The check inside the running server: the event loop gets a turn between batches, so checking a log of
 * millions of entries does not stall every socket for seconds.
 */
export async function verifyAuditChainAsync(db: Db, batch = BATCH): Promise<ChainReport> {
  const steps = auditChainSteps(db, batch);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((res) => setImmediate(res));
  }
}
