import { z } from 'zod';
import type { AsyncMuteStore } from '../mutes-async.ts';
import { decidingMute, muteFromRaw, type MuteRow, stillActive } from '../mutes.ts';
import { newId } from '../ids.ts';
import { createPerKeyQueue } from './per-key-queue.ts';
import type { PgPool } from './pool.ts';
import type { CacheSwitch } from './read-cache.ts';

/** A `mutes` row; the BIGINT times come from node-postgres as strings. */
const Raw = z.object({
  id: z.string(),
  user_id: z.string(),
  conversation_id: z.string().nullable(),
  until_ts: z.coerce.number().int().nullable(),
  reason: z.string(),
  created_by: z.string().nullable(),
  created_at: z.coerce.number().int(),
  lifted_by: z.string().nullable(),
  lifted_at: z.coerce.number().int().nullable(),
});

const fromRaw = (raw: unknown): MuteRow => muteFromRaw(Raw.parse(raw));

const ACTIVE = 'lifted_at IS NULL AND (until_ts IS NULL OR until_ts > $1)';
const COLUMNS =
  'id, user_id, conversation_id, until_ts, reason, created_by, created_at, lifted_by, lifted_at';

/**
 * Mutes on PostgreSQL (docs/SCALE-OUT.md §2, §3), for the mutes migration of pg/migrations.ts. `effective`
 * is read synchronously on every write (mutes-async.ts), so it cannot read through: every active mute is
 * held in memory, loaded whole at creation (`reload`), and a person's part is read again after each write
 * through this store and on `drop` (the invalidation listener's call, payload `mutes:<user>`), never set
 * from the value written. Time only ends mutes, so the clock is checked on every read, as in SQLite.
 * Re-reads of one person run one after another, and reads are numbered as they start: a person's memory
 * only takes a read newer than the one it holds, so a reload and a re-read that overlap leave the newest.
 *
 * `caching(false)` (the listener lost its connection: other processes' mutes go unheard) cannot make a
 * synchronous read go to the database; instead each `effective` asks for a re-read of that person in the
 * background (one at a time per person), so a mute made elsewhere during the outage stops that person's
 * writes from their next write but one. That is a query per write while the outage lasts: the price of
 * not answering from a memory nobody keeps fresh. `caching(true)` stops it; the wiring then calls `reload`
 * (invalidation-wiring.ts). A background re-read that fails goes to `onReadFailed`.
 *
 * The listings (`get`, `activeOfUser`, `activeIn`: screens, not the write path) always ask the database.
 */
export type PgMuteStore = AsyncMuteStore & CacheSwitch & { reload(): Promise<void> };

export async function createPgMuteStore(
  pool: PgPool,
  now: () => number,
  d: { onReadFailed: (err: Error) => void },
): Promise<PgMuteStore> {
  /** Each person's mutes that were active when read; people with none are not kept. */
  const active = new Map<string, MuteRow[]>();
  let reads = 0;
  const readOf = new Map<string, number>();
  const take = (userId: string, read: number, rows: MuteRow[]): void => {
    if ((readOf.get(userId) ?? -1) > read) return;
    readOf.set(userId, read);
    if (rows.length > 0) active.set(userId, rows);
    else active.delete(userId);
  };

  const queue = createPerKeyQueue();
  const reread = (userId: string): Promise<void> =>
    queue.run(userId, async () => {
      const read = reads++;
      const r = await pool.query(
        `SELECT ${COLUMNS} FROM mutes WHERE user_id = $2 AND ${ACTIVE} ORDER BY created_at, id`,
        [now(), userId],
      );
      take(userId, read, r.rows.map(fromRaw));
    });

  const reload = async (): Promise<void> => {
    const read = reads++;
    const r = await pool.query(`SELECT ${COLUMNS} FROM mutes WHERE ${ACTIVE} ORDER BY created_at, id`, [
      now(),
    ]);
    const rowsOf = new Map<string, MuteRow[]>();
    for (const m of r.rows.map(fromRaw)) rowsOf.set(m.userId, [...(rowsOf.get(m.userId) ?? []), m]);
    for (const userId of new Set([...active.keys(), ...rowsOf.keys()]))
      take(userId, read, rowsOf.get(userId) ?? []);
  };
  await reload();

  let heard = true;
  const pending = new Set<string>();
  const rereadUnheard = (userId: string): void => {
    if (pending.has(userId)) return;
    pending.add(userId);
    void reread(userId)
      .catch((err: unknown) => d.onReadFailed(err instanceof Error ? err : new Error(String(err))))
      .finally(() => pending.delete(userId));
  };

  const listed = async (sql: string, params: unknown[]): Promise<MuteRow[]> =>
    (await pool.query(sql, params)).rows.map(fromRaw);

  return {
    async add(m) {
      const r = await pool.query(
        `INSERT INTO mutes (id, user_id, conversation_id, until_ts, reason, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [newId(), m.userId, m.conversationId, m.until, m.reason, m.createdBy, now()],
      );
      await reread(m.userId);
      return fromRaw(r.rows[0]);
    },
    async get(id) {
      const r = await pool.query(`SELECT ${COLUMNS} FROM mutes WHERE id = $1`, [id]);
      return r.rows.length > 0 ? fromRaw(r.rows[0]) : null;
    },
    async lift(id, by) {
      const r = await pool.query<{ user_id: string }>(
        'UPDATE mutes SET lifted_by = $1, lifted_at = $2 WHERE id = $3 AND lifted_at IS NULL RETURNING user_id',
        [by, now(), id],
      );
      const row = r.rows[0];
      if (!row) return false;
      await reread(row.user_id);
      return true;
    },
    activeOfUser: (userId) =>
      listed(`SELECT ${COLUMNS} FROM mutes WHERE user_id = $2 AND ${ACTIVE} ORDER BY created_at, id`, [
        now(),
        userId,
      ]),
    activeIn: (cid) =>
      listed(
        `SELECT ${COLUMNS} FROM mutes WHERE conversation_id = $2 AND ${ACTIVE} ORDER BY created_at, id`,
        [now(), cid],
      ),
    effective(userId, cid) {
      if (!heard) rereadUnheard(userId);
      return decidingMute(stillActive(active.get(userId) ?? [], now()), cid);
    },
    drop: reread,
    caching(on) {
      heard = on;
    },
    reload,
  };
}
