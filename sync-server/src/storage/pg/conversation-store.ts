import { ConversationKind } from '@commonroom/protocol';
import { z } from 'zod';
import type { AsyncConversationStore, ConversationPatch } from '../conversations-async.ts';
import type { ConversationRow } from '../conversations.ts';
import { inTransaction, type PgPool } from './pool.ts';
import { type CacheSwitch, createReadCache, writeDropping } from './read-cache.ts';

/** A stored row: BIGINT columns come back from node-postgres as strings, so they are parsed here. */
const Raw = z.object({
  id: z.string(),
  kind: ConversationKind,
  name: z.string().nullable(),
  description: z.string(),
  topic: z.string(),
  icon: z.string(),
  archived: z.boolean(),
  dm_key: z.string().nullable(),
  staff_only: z.boolean(),
  admin_only: z.boolean(),
  segment: z.number().int(),
  cohort: z.string().nullable(),
  post_policy: z.enum(['everyone', 'staff']),
  created_at: z.coerce.number().int(),
  created_by: z.string().nullable(),
  supervisor_id: z.string().nullable(),
});

const fromRaw = (raw: unknown): ConversationRow => {
  const r = Raw.parse(raw);
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    description: r.description,
    topic: r.topic,
    icon: r.icon,
    archived: r.archived,
    dmKey: r.dm_key,
    staffOnly: r.staff_only,
    adminOnly: r.admin_only,
    segment: r.segment,
    cohort: r.cohort,
    postPolicy: r.post_policy,
    createdAt: r.created_at,
    createdBy: r.created_by,
    supervisorId: r.supervisor_id,
  };
};

const COLUMNS = `id, kind, name, description, topic, icon, archived, dm_key, staff_only, admin_only, segment,
  cohort, post_policy, created_at, created_by, supervisor_id`;

/** The columns `update` may set, by patch field (fixed strings, never built from input). */
const PATCHABLE: Record<keyof ConversationPatch, string> = {
  name: 'name',
  description: 'description',
  topic: 'topic',
  archived: 'archived',
  cohort: 'cohort',
  postPolicy: 'post_policy',
};

const Member = z.object({ user_id: z.string(), joined_at: z.coerce.number().int() });
const Id = z.object({ conversation_id: z.string() });
const Count = z.object({ conversation_id: z.string(), n: z.coerce.number().int() });

/**
 * Conversations, members and departures on PostgreSQL (docs/SCALE-OUT.md §2, §3, §4), for migration 5 of
 * pg/migrations.ts: the same rules as the SQLite store (conversations.ts). Rows, member sets and the channel
 * list are kept per process, dropped on every write through this store and by `drop` for writes of others.
 * Joining and departing are one transaction each, so a departure and the membership never disagree.
 * `advanceSegment` is a compare-and-set in one statement: two processes moving the same conversation from
 * the same segment move it once (the owner's lease, §4.1, makes them one writer anyway). `caching` is the
 * invalidation wiring's switch (invalidation-wiring.ts).
 */
export type PgConversationStore = AsyncConversationStore & CacheSwitch;

export function createPgConversationStore(pool: PgPool, now: () => number): PgConversationStore {
  const rows = createReadCache<ConversationRow | null>(20_000);
  const memberSets = createReadCache<ReadonlySet<string>>(20_000);
  const channelRows = createReadCache<readonly ConversationRow[]>(1);
  const dropRow = (id: string): void => {
    rows.drop(id);
    channelRows.clear();
  };
  const one = async (where: string, arg: string): Promise<ConversationRow | null> => {
    const r = await pool.query(`SELECT ${COLUMNS} FROM conversations WHERE ${where} = $1`, [arg]);
    return r.rows[0] === undefined ? null : fromRaw(r.rows[0]);
  };
  const get = (id: string): Promise<ConversationRow | null> => rows.through(id, () => one('id', id));
  const channelList = (): Promise<readonly ConversationRow[]> =>
    channelRows.through('', async () =>
      (await pool.query(`SELECT ${COLUMNS} FROM conversations WHERE kind <> 'dm' ORDER BY name`)).rows.map(
        fromRaw,
      ),
    );
  const joined = async (cid: string): Promise<{ userId: string; joinedAt: number }[]> =>
    (
      await pool.query(
        'SELECT user_id, joined_at FROM members WHERE conversation_id = $1 ORDER BY joined_at, user_id',
        [cid],
      )
    ).rows
      .map((r) => Member.parse(r))
      .map((m) => ({ userId: m.user_id, joinedAt: m.joined_at }));
  const memberSet = (cid: string): Promise<ReadonlySet<string>> =>
    memberSets.through(cid, async () => new Set((await joined(cid)).map((m) => m.userId)));
  /** In the order they joined (ties by id), as the SQLite store's index gives them. */
  const conversationsOf = async (userId: string): Promise<string[]> =>
    (
      await pool.query(
        'SELECT conversation_id FROM members WHERE user_id = $1 ORDER BY joined_at, conversation_id',
        [userId],
      )
    ).rows.map((r) => Id.parse(r).conversation_id);
  /** A membership write: the member set dropped around it (the row and channel list do not change). */
  const membership = <T>(cid: string, write: () => Promise<T>): Promise<T> =>
    writeDropping(() => memberSets.drop(cid), write);
  const updateRow = (id: string, set: string, args: unknown[]): Promise<void> =>
    writeDropping(
      () => dropRow(id),
      async () => {
        await pool.query(`UPDATE conversations SET ${set}`, [id, ...args]);
      },
    );
  return {
    get,
    byName: (name) => one('name', name),
    byDmKey: (key) => one('dm_key', key),
    async visibleTo(userId) {
      const mine = await conversationsOf(userId);
      const member = new Set(mine);
      const channels = await channelList();
      const out = channels.filter(
        (c) => c.kind === 'public' || c.kind === 'announcement' || member.has(c.id),
      );
      // DMs after the channels, in the order they were opened (the order their members joined).
      const isChannel = new Set(channels.map((c) => c.id));
      const dms = await Promise.all(mine.filter((id) => !isChannel.has(id)).map(get));
      for (const c of dms) if (c?.kind === 'dm') out.push(c);
      return out;
    },
    channels: async () => [...(await channelList())],
    conversationsOf,
    create: (c) =>
      writeDropping(
        () => dropRow(c.id),
        async () => {
          await pool.query(
            `INSERT INTO conversations (id, kind, name, description, topic, icon, dm_key, staff_only,
               admin_only, cohort, post_policy, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            [
              c.id,
              c.kind,
              c.name,
              c.description ?? '',
              c.topic ?? '',
              c.icon ?? '',
              c.dmKey ?? null,
              c.staffOnly === true,
              c.adminOnly === true,
              c.cohort ?? null,
              c.postPolicy ?? 'everyone',
              c.createdBy,
              now(),
            ],
          );
        },
      ),
    async update(id, patch) {
      const sets: string[] = [];
      const args: unknown[] = [];
      for (const [field, column] of Object.entries(PATCHABLE)) {
        const value = patch[field as keyof ConversationPatch];
        if (value === undefined) continue;
        args.push(value);
        sets.push(`${column} = $${args.length + 1}`);
      }
      // One statement for the whole patch (SQLite's store runs one per field, inside the caller's transaction).
      if (sets.length > 0) await updateRow(id, `${sets.join(', ')} WHERE id = $1`, args);
      else dropRow(id);
    },
    async dms() {
      const r = await pool.query(
        `SELECT ${COLUMNS} FROM conversations WHERE kind = 'dm' ORDER BY created_at, id`,
      );
      return r.rows.map(fromRaw);
    },
    setSupervisor: (cid, userId) => updateRow(cid, 'supervisor_id = $2 WHERE id = $1', [userId]),
    advanceSegment: (cid, from, to) =>
      updateRow(cid, 'segment = $3 WHERE id = $1 AND segment = $2', [from, to]),
    isMember: async (cid, userId) => (await memberSet(cid)).has(userId),
    members: async (cid) => (await joined(cid)).map((m) => m.userId),
    memberSet,
    memberCount: async (cid) => (await memberSet(cid)).size,
    async memberCounts() {
      const r = await pool.query(
        'SELECT conversation_id, COUNT(*) AS n FROM members GROUP BY conversation_id',
      );
      return new Map(r.rows.map((row) => Count.parse(row)).map((c) => [c.conversation_id, c.n]));
    },
    membersJoined: joined,
    async boundTo(cohort) {
      const k = cohort.trim().toLowerCase();
      return (await channelList()).filter((c) => c.cohort === k);
    },
    addMember: (cid, userId) =>
      membership(cid, () =>
        inTransaction(pool, async (tx) => {
          const added = await tx.query(
            `INSERT INTO members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING`,
            [cid, userId, now()],
          );
          if (added.rowCount === 0) return false;
          await tx.query('DELETE FROM channel_departures WHERE conversation_id = $1 AND user_id = $2', [
            cid,
            userId,
          ]);
          return true;
        }),
      ),
    removeMember: (cid, userId) =>
      membership(cid, async () => {
        const r = await pool.query('DELETE FROM members WHERE conversation_id = $1 AND user_id = $2', [
          cid,
          userId,
        ]);
        return (r.rowCount ?? 0) > 0;
      }),
    departMember: (cid, userId) =>
      membership(cid, () =>
        inTransaction(pool, async (tx) => {
          const r = await tx.query('DELETE FROM members WHERE conversation_id = $1 AND user_id = $2', [
            cid,
            userId,
          ]);
          if ((r.rowCount ?? 0) === 0) return false;
          await tx.query(
            `INSERT INTO channel_departures (conversation_id, user_id, left_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, conversation_id) DO UPDATE SET left_at = excluded.left_at`,
            [cid, userId, now()],
          );
          return true;
        }),
      ),
    async departuresOf(userId) {
      const r = await pool.query('SELECT conversation_id FROM channel_departures WHERE user_id = $1', [
        userId,
      ]);
      return new Set(r.rows.map((row) => Id.parse(row).conversation_id));
    },
    drop(id) {
      dropRow(id);
      memberSets.drop(id);
    },
    caching(on) {
      rows.caching(on);
      memberSets.caching(on);
      channelRows.caching(on);
    },
  };
}
