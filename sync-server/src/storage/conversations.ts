import type { ConversationKind } from '@commonroom/protocol';
import type { Db } from './db.ts';

export type ConversationRow = {
  id: string;
  kind: ConversationKind;
  name: string | null;
  description: string;
  topic: string;
  icon: string;
  archived: boolean;
  dmKey: string | null;
  /** Default membership: tutors, teachers, staff and admins join it on account creation. */
  staffOnly: boolean;
  /** Default membership: admins join it on account creation. */
  adminOnly: boolean;
  segment: number;
  /** The cohort whose people join this channel (issue 13 §3), or null. */
  cohort: string | null;
  /** Who may post: 'staff' makes it staff only (announcement channels are so whatever this says). */
  postPolicy: 'everyone' | 'staff';
  createdAt: number;
  createdBy: string | null;
  /** A students' DM's silent staff supervisor (issue 14 §4), or null. */
  supervisorId: string | null;
};

type Raw = Omit<
  ConversationRow,
  'archived' | 'dmKey' | 'staffOnly' | 'adminOnly' | 'postPolicy' | 'createdAt' | 'createdBy' | 'supervisorId'
> & {
  supervisor_id: string | null;
  archived: number;
  dm_key: string | null;
  staff_only: number;
  admin_only: number;
  post_policy: 'everyone' | 'staff';
  created_at: number;
  created_by: string | null;
};

const fromRaw = (r: Raw): ConversationRow => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  description: r.description,
  topic: r.topic,
  icon: r.icon,
  archived: r.archived === 1,
  dmKey: r.dm_key,
  staffOnly: r.staff_only === 1,
  adminOnly: r.admin_only === 1,
  segment: r.segment,
  cohort: r.cohort,
  postPolicy: r.post_policy,
  createdAt: r.created_at,
  createdBy: r.created_by,
  supervisorId: r.supervisor_id,
});

export type ConversationStore = ReturnType<typeof createConversationStore>;

/** A new conversation: what `create` takes (the rest starts at its default). */
export type NewConversation = {
  id: string;
  kind: ConversationKind;
  name: string | null;
  description?: string;
  topic?: string;
  icon?: string;
  dmKey?: string | null;
  staffOnly?: boolean;
  adminOnly?: boolean;
  cohort?: string | null;
  postPolicy?: 'everyone' | 'staff';
  createdBy: string | null;
};

/** What `update` may change: only the fields given. */
export type ConversationPatch = {
  name?: string;
  description?: string;
  topic?: string;
  archived?: boolean;
  cohort?: string | null;
  postPolicy?: 'everyone' | 'staff';
};

export function createConversationStore(db: Db, now: () => number) {
  const byId = db.prepare<[string], Raw>('SELECT * FROM conversations WHERE id = ?');
  const byName = db.prepare<[string], Raw>('SELECT * FROM conversations WHERE name = ?');
  const byDmKey = db.prepare<[string], Raw>('SELECT * FROM conversations WHERE dm_key = ?');
  const membersOf = db.prepare<[string], { user_id: string }>(
    'SELECT user_id FROM members WHERE conversation_id = ? ORDER BY joined_at, user_id',
  );
  const insert = db.prepare(
    `INSERT INTO conversations (id, kind, name, description, topic, icon, dm_key, staff_only, admin_only, cohort, post_policy, created_by, created_at)
     VALUES (@id, @kind, @name, @description, @topic, @icon, @dmKey, @staffOnly, @adminOnly, @cohort, @postPolicy, @createdBy, @t)`,
  );
  const addMember = db.prepare(
    'INSERT OR IGNORE INTO members (conversation_id, user_id, joined_at) VALUES (?, ?, ?)',
  );
  const removeMember = db.prepare('DELETE FROM members WHERE conversation_id = ? AND user_id = ?');
  const recordDeparture = db.prepare(
    `INSERT INTO channel_departures (conversation_id, user_id, left_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET left_at = excluded.left_at`,
  );
  const forgetDeparture = db.prepare(
    'DELETE FROM channel_departures WHERE conversation_id = ? AND user_id = ?',
  );
  const departuresOf = db.prepare<[string], { conversation_id: string }>(
    'SELECT conversation_id FROM channel_departures WHERE user_id = ?',
  );
  const all = db.prepare<[], Raw>("SELECT * FROM conversations WHERE kind != 'dm' ORDER BY name");
  const ofUser = db.prepare<[string], { conversation_id: string }>(
    'SELECT conversation_id FROM members WHERE user_id = ?',
  );
  const counts = db.prepare<[], { conversation_id: string; n: number }>(
    'SELECT conversation_id, COUNT(*) AS n FROM members GROUP BY conversation_id',
  );
  const joinedOf = db.prepare<[string], { user_id: string; joined_at: number }>(
    'SELECT user_id, joined_at FROM members WHERE conversation_id = ? ORDER BY joined_at, user_id',
  );

  /**
   * Rows and member sets by conversation id, read on every subscribe and write (several times per write:
   * under load these queries were the largest cost after socket writes, BENCHMARKS.md). Every write goes
   * through this store and drops what it touches (dropping, not updating, so a rolled-back transaction
   * leaves nothing stale), and nothing read inside a transaction is kept.
   */
  const rows = new Map<string, ConversationRow | null>();
  const memberSets = new Map<string, ReadonlySet<string>>();
  const MAX_CACHED = 20_000;
  const keep = <V>(m: Map<string, V>, k: string, v: V): V => {
    if (db.inTransaction) return v;
    if (m.size >= MAX_CACHED) m.clear();
    m.set(k, v);
    return v;
  };
  const membersSet = (conversationId: string): ReadonlySet<string> =>
    memberSets.get(conversationId) ??
    keep(memberSets, conversationId, new Set(membersOf.all(conversationId).map((r) => r.user_id)));
  /**
   * Every channel (all but DMs) by name, as GET /api/conversations starts from on every reconnect: a
   * query over all conversations per request was a twentieth of the server's work in a reconnect storm.
   */
  let channelRows: readonly ConversationRow[] | null = null;
  const channelList = (): readonly ConversationRow[] => {
    if (channelRows) return channelRows;
    const list = all.all().map(fromRaw);
    if (!db.inTransaction) channelRows = list;
    return list;
  };
  const drop = (id: string): void => {
    rows.delete(id);
    channelRows = null;
  };

  const get = (id: string): ConversationRow | null => {
    const hit = rows.get(id);
    if (hit !== undefined) return hit;
    const r = byId.get(id);
    return keep(rows, id, r ? fromRaw(r) : null);
  };

  return {
    get,
    /**
     * Forgets what is kept of the conversation (row, members) and the channel list: for a write this
     * process did not make, once it is committed (docs/SCALE-OUT.md §2). This store's own writes drop already.
     */
    drop(id: string): void {
      drop(id);
      memberSets.delete(id);
    },
    byName(name: string): ConversationRow | null {
      const r = byName.get(name);
      return r ? fromRaw(r) : null;
    },
    byDmKey(key: string): ConversationRow | null {
      const r = byDmKey.get(key);
      return r ? fromRaw(r) : null;
    },
    /** Public and announcement channels, then the private channels and DMs the user is in. */
    visibleTo(userId: string): ConversationRow[] {
      const mine = ofUser.all(userId).map((r) => r.conversation_id);
      const member = new Set(mine);
      const channels = channelList();
      const out = channels.filter(
        (c) => c.kind === 'public' || c.kind === 'announcement' || member.has(c.id),
      );
      // DMs after the channels, in the order they were opened (the order their members joined).
      const isChannel = new Set(channels.map((c) => c.id));
      for (const id of mine) {
        if (isChannel.has(id)) continue;
        const c = get(id);
        if (c?.kind === 'dm') out.push(c);
      }
      return out;
    },
    channels(): ConversationRow[] {
      return [...channelList()];
    },
    conversationsOf(userId: string): string[] {
      return ofUser.all(userId).map((r) => r.conversation_id);
    },
    create(c: NewConversation): void {
      drop(c.id);
      insert.run({
        id: c.id,
        kind: c.kind,
        name: c.name,
        description: c.description ?? '',
        topic: c.topic ?? '',
        icon: c.icon ?? '',
        dmKey: c.dmKey ?? null,
        staffOnly: c.staffOnly === true ? 1 : 0,
        adminOnly: c.adminOnly === true ? 1 : 0,
        cohort: c.cohort ?? null,
        postPolicy: c.postPolicy ?? 'everyone',
        createdBy: c.createdBy,
        t: now(),
      });
    },
    update(id: string, patch: ConversationPatch): void {
      drop(id);
      if (patch.name !== undefined)
        db.prepare('UPDATE conversations SET name = ? WHERE id = ?').run(patch.name, id);
      if (patch.cohort !== undefined)
        db.prepare('UPDATE conversations SET cohort = ? WHERE id = ?').run(patch.cohort, id);
      if (patch.postPolicy !== undefined)
        db.prepare('UPDATE conversations SET post_policy = ? WHERE id = ?').run(patch.postPolicy, id);
      if (patch.description !== undefined)
        db.prepare('UPDATE conversations SET description = ? WHERE id = ?').run(patch.description, id);
      if (patch.topic !== undefined)
        db.prepare('UPDATE conversations SET topic = ? WHERE id = ?').run(patch.topic, id);
      if (patch.archived !== undefined)
        db.prepare('UPDATE conversations SET archived = ? WHERE id = ?').run(patch.archived ? 1 : 0, id);
    },
    /** Every DM (the supervision of students' DMs is applied to those that exist, issue 14 §4). */
    dms(): ConversationRow[] {
      return db
        .prepare<[], Raw>("SELECT * FROM conversations WHERE kind = 'dm' ORDER BY created_at, id")
        .all()
        .map(fromRaw);
    },
    setSupervisor(conversationId: string, userId: string | null): void {
      drop(conversationId);
      db.prepare('UPDATE conversations SET supervisor_id = ? WHERE id = ?').run(userId, conversationId);
    },
    /** Moves to the next segment; a no-op when another commit already did. */
    advanceSegment(conversationId: string, from: number, to: number): void {
      drop(conversationId);
      db.prepare('UPDATE conversations SET segment = ? WHERE id = ? AND segment = ?').run(
        to,
        conversationId,
        from,
      );
    },
    isMember(conversationId: string, userId: string): boolean {
      return membersSet(conversationId).has(userId);
    },
    /** In the order they joined. */
    members(conversationId: string): string[] {
      return membersOf.all(conversationId).map((r) => r.user_id);
    },
    /** The members, from the cache the membership checks use (pushes read it once per stored message). */
    memberSet(conversationId: string): ReadonlySet<string> {
      return membersSet(conversationId);
    },
    memberCount(conversationId: string): number {
      return membersSet(conversationId).size;
    },
    /** Every conversation's member count in one query (the admin Channels table). */
    memberCounts(): Map<string, number> {
      return new Map(counts.all().map((r) => [r.conversation_id, r.n]));
    },
    /** Members with when they joined, in that order. */
    membersJoined(conversationId: string): { userId: string; joinedAt: number }[] {
      return joinedOf.all(conversationId).map((r) => ({ userId: r.user_id, joinedAt: r.joined_at }));
    },
    /** Channels bound to a cohort (issue 13 §3): people of that cohort join them. */
    boundTo(cohort: string): ConversationRow[] {
      const k = cohort.trim().toLowerCase();
      return channelList().filter((c) => c.cohort === k);
    },
    /** Adds a member; whoever is added (or joins) is in again, so an earlier departure is forgotten. */
    addMember(conversationId: string, userId: string): boolean {
      memberSets.delete(conversationId);
      const added = addMember.run(conversationId, userId, now()).changes > 0;
      if (added) forgetDeparture.run(conversationId, userId);
      return added;
    },
    /** Takes a member out by rule (a role or cohort change, a supervisor replaced): nothing is recorded. */
    removeMember(conversationId: string, userId: string): boolean {
      memberSets.delete(conversationId);
      return removeMember.run(conversationId, userId).changes > 0;
    },
    /**
     * A person left, or a moderator or admin took them out: recorded, so a later role or cohort change does
     * not put them back in (channel-rules.ts `follow`).
     */
    departMember: db.transaction((conversationId: string, userId: string): boolean => {
      memberSets.delete(conversationId);
      if (removeMember.run(conversationId, userId).changes === 0) return false;
      recordDeparture.run(conversationId, userId, now());
      return true;
    }),
    /** The channels a person left or was taken out of, and has not been added to since. */
    departuresOf: (userId: string): Set<string> =>
      new Set(departuresOf.all(userId).map((r) => r.conversation_id)),
  };
}
