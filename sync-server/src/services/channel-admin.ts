import type {
  AdminAddMembersReply,
  AdminChannel,
  AdminChannelMember,
  AdminUpdateChannelRequest,
  ChannelKind,
  PostPolicy,
  NoticeKind,
} from '@commonroom/protocol';
import { mayBelong, type Actor } from '../auth/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { CohortStore } from '../storage/cohorts.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';

/**
 * The admin console's channels (issue 13 §3). Its caller is an admin (the route checks): it manages every
 * channel's metadata and membership, private ones included, but reads no messages: reading stays with the
 * sync policy, which lets an admin into a private channel only as a member. So an admin may not make
 * themselves a member of a private channel here (a member adds them, in the open).
 */
export type ChannelAdmin = ReturnType<typeof createChannelAdmin>;

/** Channels everyone joins by name on account creation (accounts.ts): renaming one would orphan that. */
const FIXED_NAMES = new Set(['announcements', 'general', 'it-support']);

export function createChannelAdmin(d: {
  db: Db;
  conversations: ConversationStore;
  users: UserStore;
  cohorts: CohortStore;
  audit: AuditLog;
  revokeConversation: (conversationId: string, userId: string, reason: string) => void;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
}) {
  const { conversations, users } = d;

  const toAdmin = (c: ConversationRow, count: number): AdminChannel => ({
    id: c.id,
    name: c.name ?? '',
    kind: c.kind as ChannelKind,
    description: c.description,
    topic: c.topic,
    icon: c.icon,
    archived: c.archived,
    cohort: c.cohort,
    postPolicy: c.kind === 'announcement' ? 'staff' : c.postPolicy,
    staffOnly: c.staffOnly,
    adminOnly: c.adminOnly,
    memberCount: count,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
  });

  const mustGet = (id: string): ConversationRow => {
    const c = conversations.get(id);
    if (!c || c.kind === 'dm') throw new AppError(404, 'no-such-channel', 'That channel does not exist.');
    return c;
  };

  const nameFree = (name: string, except?: string): void => {
    const other = conversations.byName(name);
    if (other && other.id !== except) throw new AppError(409, 'name-taken', `#${name} already exists.`);
  };

  /**
   * Adds people to a channel, inside the caller's transaction: who joined, who was already in, and who
   * cannot be (no active account, or a staff-only channel and a student) with the reason in words.
   */
  const addPeople = (actor: Actor, c: ConversationRow, ids: readonly string[]) => {
    const added: string[] = [];
    let already = 0;
    const skipped: AdminAddMembersReply['skipped'] = [];
    for (const uid of new Set(ids)) {
      const u = users.get(uid);
      if (!u || !u.active) {
        skipped.push({ id: uid, displayName: u?.displayName ?? uid, reason: 'has no active account' });
        continue;
      }
      if (uid === actor.id && c.kind === 'private' && !conversations.isMember(c.id, uid)) {
        skipped.push({
          id: uid,
          displayName: u.displayName,
          reason: 'admins cannot add themselves to a private channel: ask one of its members',
        });
        continue;
      }
      if (!mayBelong(u.role, c)) {
        skipped.push({
          id: uid,
          displayName: u.displayName,
          reason: `#${c.name ?? ''} is for ${c.adminOnly ? 'admins' : 'staff'} only`,
        });
        continue;
      }
      if (conversations.addMember(c.id, uid)) added.push(uid);
      else already++;
    }
    return { added, already, skipped };
  };

  const get = (id: string): AdminChannel => {
    const c = mustGet(id);
    return toAdmin(c, conversations.memberCount(c.id));
  };

  return {
    list(q: { query?: string; kind?: ChannelKind; archived?: 'yes' | 'no' }): AdminChannel[] {
      const counts = conversations.memberCounts();
      const text = q.query?.trim().toLowerCase() ?? '';
      return conversations
        .channels()
        .filter(
          (c) =>
            (text === '' ||
              (c.name ?? '').includes(text) ||
              c.description.toLowerCase().includes(text) ||
              (c.cohort ?? '').includes(text)) &&
            (q.kind === undefined || c.kind === q.kind) &&
            (q.archived === undefined || c.archived === (q.archived === 'yes')),
        )
        .map((c) => toAdmin(c, counts.get(c.id) ?? 0));
    },

    get,

    create(
      actor: Actor,
      req: {
        name: string;
        kind: ChannelKind;
        description: string;
        topic: string;
        cohort?: string | null | undefined;
        postPolicy: PostPolicy;
      },
    ): { channel: AdminChannel; added: number } {
      nameFree(req.name);
      const id = newId();
      const cohort = req.cohort ?? null;
      const postPolicy: PostPolicy = req.kind === 'announcement' ? 'staff' : req.postPolicy;
      let added: string[] = [];
      d.db.transaction(() => {
        conversations.create({
          id,
          kind: req.kind,
          name: req.name,
          description: req.description,
          topic: req.topic,
          cohort,
          postPolicy,
          createdBy: actor.id,
        });
        // The creator is in it, as when anyone creates a channel (and so may post the first message).
        conversations.addMember(id, actor.id);
        const row = mustGet(id);
        if (cohort !== null) added = addPeople(actor, row, d.cohorts.people(cohort)).added;
        d.audit.record(actor.id, 'channel.created', id, {
          name: req.name,
          kind: req.kind,
          cohort,
          postPolicy,
          members: added.length,
        });
      })();
      // The creator's other devices too: the channel is theirs to post in.
      d.notify([actor.id, ...added], 'conversations-changed', {});
      return { channel: toAdmin(mustGet(id), conversations.memberCount(id)), added: added.length };
    },

    update(
      actor: Actor,
      id: string,
      patch: AdminUpdateChannelRequest,
    ): { channel: AdminChannel; added: number } {
      const c = mustGet(id);
      if (patch.name !== undefined && patch.name !== c.name) {
        if (FIXED_NAMES.has(c.name ?? ''))
          throw new AppError(
            400,
            'fixed-name',
            `#${c.name ?? ''} keeps its name: everyone joins it by name.`,
          );
        nameFree(patch.name, id);
      }
      if (patch.postPolicy === 'everyone' && c.kind === 'announcement')
        throw new AppError(400, 'announcement-staff-only', 'Only staff post in announcement channels.');
      // Only what changes is written and audited, each field as from → to.
      const before: Record<string, unknown> = { ...c };
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const [k, v] of Object.entries(patch))
        if (v !== undefined && before[k] !== v) changes[k] = { from: before[k], to: v };
      if (Object.keys(changes).length === 0) return { channel: get(id), added: 0 };
      let added: string[] = [];
      d.db.transaction(() => {
        conversations.update(
          id,
          Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
        );
        const { archived, ...rest } = changes;
        if (archived)
          d.audit.record(actor.id, archived.to ? 'channel.archived' : 'channel.unarchived', id, {});
        if (Object.keys(rest).length > 0) d.audit.record(actor.id, 'channel.updated', id, rest);
        // Binding to a cohort brings its people in now (unbinding takes no one out: they may talk on).
        const cohort = changes.cohort?.to;
        if (typeof cohort === 'string') {
          added = addPeople(actor, mustGet(id), d.cohorts.people(cohort)).added;
          d.audit.record(actor.id, 'channel.members-added', id, { cohort, userIds: added });
        }
      })();
      d.notify(conversations.members(id), 'conversation-changed', { id });
      d.notify(added, 'conversations-changed', {});
      return { channel: get(id), added: added.length };
    },

    members(id: string): AdminChannelMember[] {
      mustGet(id);
      return conversations.membersJoined(id).flatMap(({ userId, joinedAt }) => {
        const u = users.get(userId);
        return u
          ? [
              {
                id: u.id,
                displayName: u.displayName,
                username: u.username,
                role: u.role,
                active: u.active,
                joinedAt,
              },
            ]
          : [];
      });
    },

    addMembers(
      actor: Actor,
      id: string,
      req: { userIds: string[]; cohort?: string | undefined },
    ): AdminAddMembersReply {
      const c = mustGet(id);
      const ids = [...req.userIds, ...(req.cohort !== undefined ? d.cohorts.people(req.cohort) : [])];
      if (req.cohort !== undefined && ids.length === req.userIds.length)
        throw new AppError(400, 'empty-cohort', `No active people are in the cohort ${req.cohort}.`);
      let out = { added: [] as string[], already: 0, skipped: [] as AdminAddMembersReply['skipped'] };
      d.db.transaction(() => {
        out = addPeople(actor, c, ids);
        d.audit.record(actor.id, 'channel.members-added', id, {
          userIds: out.added,
          ...(req.cohort !== undefined ? { cohort: req.cohort } : {}),
        });
      })();
      d.notify(out.added, 'conversations-changed', {});
      return { added: out.added.length, already: out.already, skipped: out.skipped };
    },

    removeMember(actor: Actor, id: string, userId: string): void {
      const c = mustGet(id);
      if (c.name === 'announcements')
        throw new AppError(400, 'cannot-leave', 'Everyone stays in #announcements.');
      if (!conversations.departMember(id, userId))
        throw new AppError(404, 'not-a-member', 'That person is not in this channel.');
      d.audit.record(actor.id, 'channel.member-removed', id, { userId });
      // A private channel's documents stop reaching their devices now (public ones stay readable to all).
      if (c.kind === 'private') d.revokeConversation(id, userId, 'you were removed from this channel');
      d.notify([userId], 'conversations-changed', {});
    },
  };
}
