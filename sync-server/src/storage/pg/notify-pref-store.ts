import { NotifyLevel } from '@commonroom/protocol';
import { z } from 'zod';
import type { AsyncNotifyPrefStore } from '../notify-prefs-async.ts';
import { type Chosen, DEFAULT_PREFS, type PersonPrefs, quietOf } from '../notify-prefs.ts';
import { createPerKeyQueue } from './per-key-queue.ts';
import type { PgPool } from './pool.ts';

/**
 * One person's rows, from one statement (one snapshot): their preferences row ('p') and their choices per
 * conversation ('c'). The quiet minutes are SMALLINT-sized INTEGERs, which node-postgres gives as numbers.
 */
const Row = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('p'),
    level: NotifyLevel,
    quiet_mode: z.enum(['workspace', 'off', 'own']),
    quiet_start: z.number().int().nullable(),
    quiet_end: z.number().int().nullable(),
  }),
  z.object({ t: z.literal('c'), conversation_id: z.string(), level: z.enum(['all', 'mentions', 'muted']) }),
]);

const PERSON = `
  SELECT 'p' AS t, NULL AS conversation_id, level, quiet_mode, quiet_start, quiet_end
    FROM notify_prefs WHERE user_id = $1
  UNION ALL
  SELECT 'c', conversation_id, level, NULL, NULL, NULL FROM conversation_notify WHERE user_id = $1`;

const EVERYONE = `
  SELECT user_id, 'p' AS t, NULL AS conversation_id, level, quiet_mode, quiet_start, quiet_end FROM notify_prefs
  UNION ALL
  SELECT user_id, 'c', conversation_id, level, NULL, NULL, NULL FROM conversation_notify`;

/**
 * Notification preferences on PostgreSQL (docs/SCALE-OUT.md §2, §3), for migration 7 of pg/migrations.ts,
 * held in memory whole as the SQLite store holds them (notify-prefs.ts): loaded at creation, and a person's
 * part re-read from the database after each write through this store and on `refresh` (never set from the
 * value written, so the memory is what committed). Re-reads of one person run one after another.
 *
 * `reload` reads everyone again in one statement: what the invalidation wiring calls once its listener
 * listens again, having possibly missed notifications (invalidation-wiring.ts). A reload and a person's
 * re-read can overlap, so each read is numbered when it starts and a person's memory only ever takes a
 * read that started after the one it holds: no older snapshot overwrites a newer one.
 */
export type PgNotifyPrefStore = AsyncNotifyPrefStore & { reload(): Promise<void> };

export async function createPgNotifyPrefStore(pool: PgPool): Promise<PgNotifyPrefStore> {
  const people = new Map<string, PersonPrefs>();
  /** Who has level 'all': consulted for messages nobody is mentioned in. */
  const everywhere = new Set<string>();
  /** conversation → person → their choice there; and person → the conversations they chose in. */
  const byConversation = new Map<string, Map<string, Chosen>>();
  const chosenBy = new Map<string, Set<string>>();

  const forget = (userId: string): void => {
    people.delete(userId);
    everywhere.delete(userId);
    for (const cid of chosenBy.get(userId) ?? []) {
      const m = byConversation.get(cid);
      m?.delete(userId);
      if (m?.size === 0) byConversation.delete(cid);
    }
    chosenBy.delete(userId);
  };
  const remember = (userId: string, rows: z.infer<typeof Row>[]): void => {
    forget(userId);
    for (const r of rows) {
      if (r.t === 'p') {
        people.set(userId, { level: r.level, quiet: quietOf(r) });
        if (r.level === 'all') everywhere.add(userId);
        continue;
      }
      let m = byConversation.get(r.conversation_id);
      if (!m) byConversation.set(r.conversation_id, (m = new Map()));
      m.set(userId, r.level);
      let mine = chosenBy.get(userId);
      if (!mine) chosenBy.set(userId, (mine = new Set()));
      mine.add(r.conversation_id);
    }
  };

  /** Reads numbered as they start; per person, the number of the read its memory came from. */
  let reads = 0;
  const readOf = new Map<string, number>();
  const take = (userId: string, read: number, rows: z.infer<typeof Row>[]): void => {
    if ((readOf.get(userId) ?? -1) > read) return;
    readOf.set(userId, read);
    remember(userId, rows);
  };

  const queue = createPerKeyQueue();
  const refresh = (userId: string): Promise<void> =>
    queue.run(userId, async () => {
      const read = reads++;
      const r = await pool.query(PERSON, [userId]);
      take(
        userId,
        read,
        r.rows.map((row) => Row.parse(row)),
      );
    });

  /** Everything, in one statement (one snapshot), grouped by person; people with no rows left forgotten. */
  const reload = async (): Promise<void> => {
    const read = reads++;
    const all = await pool.query(EVERYONE);
    const rowsOf = new Map<string, z.infer<typeof Row>[]>();
    for (const raw of all.rows as { user_id: unknown }[]) {
      const userId = z.string().parse(raw.user_id);
      const list = rowsOf.get(userId) ?? [];
      list.push(Row.parse(raw));
      rowsOf.set(userId, list);
    }
    for (const userId of new Set([...people.keys(), ...chosenBy.keys(), ...rowsOf.keys()]))
      take(userId, read, rowsOf.get(userId) ?? []);
  };
  await reload();

  return {
    of: (userId) => people.get(userId) ?? DEFAULT_PREFS,
    conversation: (userId, cid) => byConversation.get(cid)?.get(userId) ?? 'default',
    mayWantEvery: (cid) =>
      everywhere.size > 0 || [...(byConversation.get(cid)?.values() ?? [])].includes('all'),
    wantsEvery(userId, cid) {
      const here = byConversation.get(cid)?.get(userId);
      return here === undefined ? everywhere.has(userId) : here === 'all';
    },
    async put(userId, p) {
      const own = typeof p.quiet === 'object' ? p.quiet : null;
      await pool.query(
        `INSERT INTO notify_prefs (user_id, level, quiet_mode, quiet_start, quiet_end) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, quiet_mode = excluded.quiet_mode,
           quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end`,
        [userId, p.level, own ? 'own' : p.quiet, own?.start ?? null, own?.end ?? null],
      );
      await refresh(userId);
    },
    async setConversation(userId, cid, level) {
      if (level === 'default')
        await pool.query('DELETE FROM conversation_notify WHERE user_id = $1 AND conversation_id = $2', [
          userId,
          cid,
        ]);
      else
        await pool.query(
          `INSERT INTO conversation_notify (user_id, conversation_id, level) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, conversation_id) DO UPDATE SET level = excluded.level`,
          [userId, cid, level],
        );
      await refresh(userId);
    },
    refresh,
    reload,
  };
}
