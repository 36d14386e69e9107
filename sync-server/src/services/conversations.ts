import {
  isAdminRole,
  isStaffRole,
  mutedWords,
  type Conversation,
  type ConversationNotify,
  type DmPolicy,
  type Role,
  type NoticeKind,
} from '@commonroom/protocol';
import { dmAllowed, dmRefusal, mayBelong, type Actor, type Policy } from '../auth/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { UserStore } from '../storage/users.ts';
import type { DmSupervision } from './dm-supervision.ts';
import { AppError } from './errors.ts';

/** Channels and DMs: listing what a person may see, joining, leaving, membership, DMs under the DM policy. */

export type ConversationService = ReturnType<typeof createConversationService>;

export function createConversationService(d: {
  db: Db;
  conversations: ConversationStore;
  users: UserStore;
  policy: Policy;
  audit: AuditLog;
  dmPolicy: () => DmPolicy;
  supervision: DmSupervision;
  revokeConversation: (conversationId: string, userId: string, reason: string) => void;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
  /** The reader's own mute in a conversation, shown at their composer (issue 14 §3). */
  muteOf?: (userId: string, conversationId: string) => { until: number | null; everywhere: boolean } | null;
  /** The reader's notification choice in a conversation (issue 15 §2), 'default' when none. */
  notifyOf?: (userId: string, conversationId: string) => ConversationNotify;
}) {
  const { conversations, users, policy } = d;

  const describe = (a: Actor, c: ConversationRow): Conversation => {
    const member = conversations.isMember(c.id, a.id);
    // A DM's supervisor is a member but not one of its people (issue 14 §4): not in the title or the count.
    const memberIds =
      c.kind === 'dm' ? conversations.members(c.id).filter((id) => id !== c.supervisorId) : [];
    const supervisor = c.supervisorId === null ? undefined : users.get(c.supervisorId);
    const mute = c.kind === 'dm' ? null : (d.muteOf?.(a.id, c.id) ?? null);
    const notify = d.notifyOf?.(a.id, c.id) ?? 'default';
    return {
      id: c.id,
      kind: c.kind,
      name: c.name,
      description: c.description,
      topic: c.topic,
      icon: c.icon,
      archived: c.archived,
      memberCount: conversations.memberCount(c.id) - (supervisor ? 1 : 0),
      isMember: member,
      canPost: policy.canPost(a, c).ok,
      canModerate: policy.canModerate(a, c),
      dmMembers: memberIds.flatMap((id) => {
        const u = users.get(id);
        return u
          ? [{ id: u.id, displayName: u.displayName, username: u.username, role: u.role, active: u.active }]
          : [];
      }),
      segment: c.segment,
      postPolicy: c.kind === 'announcement' ? 'staff' : c.postPolicy,
      supervisor: supervisor ? { id: supervisor.id, displayName: supervisor.displayName } : null,
      ...(mute
        ? {
            muted: {
              ...mute,
              message: mutedWords(c.kind === 'dm' ? null : c.name, mute).replace(/^you/, 'You'),
            },
          }
        : {}),
      ...(notify === 'default' ? {} : { notify }),
    };
  };

  /** Visible means readable: a private channel or DM one is not in answers 404, as if it did not exist. */
  const visible = (a: Actor, id: string): ConversationRow => {
    const c = conversations.get(id);
    if (!c || !policy.canRead(a, c).ok)
      throw new AppError(404, 'no-such-conversation', 'That conversation does not exist.');
    return c;
  };

  /** Changing the conversation or its membership (T4; in a DM only its staff, issue 12 D16). */
  const mustManage = (a: Actor, c: ConversationRow): void => {
    if (!policy.canManage(a, c))
      throw new AppError(403, 'not-a-moderator', 'Only moderators of this channel can do that.');
  };

  /**
   * Who may not leave, or be taken out of, a conversation: one rule for POST /leave and for DELETE of a
   * membership, so neither route is a way round the other (issue 12 D16).
   */
  const mustBeAbleToLeave = (c: ConversationRow, userId: string): void => {
    if (c.kind === 'dm' && c.supervisorId === userId)
      throw new AppError(
        400,
        'supervisor-cannot-leave',
        'You supervise this conversation for the college and cannot leave it; an admin can choose another supervisor in Settings.',
      );
    if (c.kind === 'dm')
      throw new AppError(400, 'cannot-leave-dm', 'You cannot leave a direct message; close it instead.');
    if (c.name === 'announcements')
      throw new AppError(400, 'cannot-leave', 'Everyone stays in #announcements.');
  };

  /** Staff-only and admin-only channels take only the roles they are for, however someone is added. */
  const mustBelong = (role: Role, c: ConversationRow): void => {
    if (!mayBelong(role, c))
      throw new AppError(
        400,
        'channel-not-allowed',
        `#${c.name ?? 'this channel'} is for ${c.adminOnly ? 'admins' : 'staff'} only.`,
      );
  };

  return {
    describe,
    list: (a: Actor): Conversation[] => conversations.visibleTo(a.id).map((c) => describe(a, c)),
    get: (a: Actor, id: string): Conversation => describe(a, visible(a, id)),

    create(
      a: Actor,
      req: { name: string; kind: 'public' | 'private' | 'announcement'; description: string },
    ): Conversation {
      if (!isStaffRole(a.role))
        throw new AppError(403, 'staff-only', 'Only tutors, teachers, staff and admins can create channels.');
      if (req.kind === 'announcement' && !isAdminRole(a.role))
        throw new AppError(403, 'admin-only', 'Only admins can create announcement channels.');
      if (conversations.byName(req.name))
        throw new AppError(409, 'name-taken', `#${req.name} already exists.`);
      const id = newId();
      d.db.transaction(() => {
        conversations.create({
          id,
          kind: req.kind,
          name: req.name,
          description: req.description,
          createdBy: a.id,
        });
        conversations.addMember(id, a.id);
        d.audit.record(a.id, 'channel.created', id, { name: req.name, kind: req.kind });
      })();
      return describe(a, visible(a, id));
    },

    update(
      a: Actor,
      id: string,
      patch: { description?: string; topic?: string; archived?: boolean },
    ): Conversation {
      const c = visible(a, id);
      mustManage(a, c);
      conversations.update(id, patch);
      d.audit.record(a.id, 'channel.updated', id, patch);
      d.notify(conversations.members(id), 'conversation-changed', { id });
      return describe(a, visible(a, id));
    },

    join(a: Actor, id: string): Conversation {
      const c = visible(a, id);
      if (c.kind !== 'public' && c.kind !== 'announcement')
        throw new AppError(403, 'invite-only', 'This conversation is invite only: ask a member to add you.');
      mustBelong(a.role, c);
      conversations.addMember(id, a.id);
      return describe(a, c);
    },

    leave(a: Actor, id: string): void {
      const c = visible(a, id);
      mustBeAbleToLeave(c, a.id);
      if (conversations.departMember(id, a.id) && c.kind === 'private')
        d.revokeConversation(id, a.id, 'you left this channel');
    },

    members(a: Actor, id: string) {
      const c = visible(a, id);
      return conversations.members(id).flatMap((uid) => {
        if (uid === c.supervisorId) return [];
        const u = users.get(uid);
        return u
          ? [{ id: u.id, displayName: u.displayName, username: u.username, role: u.role, active: u.active }]
          : [];
      });
    },

    addMembers(a: Actor, id: string, userIds: string[]): void {
      const c = visible(a, id);
      if (c.kind === 'dm')
        throw new AppError(400, 'dm-fixed', 'Start a new conversation to include more people.');
      mustManage(a, c);
      d.db.transaction(() => {
        for (const uid of userIds) {
          const u = users.get(uid);
          if (!u || !u.active) throw new AppError(400, 'no-such-user', `There is no active account ${uid}.`);
          mustBelong(u.role, c);
          conversations.addMember(id, uid);
        }
        d.audit.record(a.id, 'channel.members-added', id, { userIds });
      })();
      d.notify(userIds, 'conversations-changed', {});
    },

    removeMember(a: Actor, id: string, userId: string): void {
      const c = visible(a, id);
      if (c.kind === 'dm' && c.supervisorId === userId) mustBeAbleToLeave(c, userId);
      if (c.kind === 'dm')
        throw new AppError(400, 'dm-fixed', 'People cannot be removed from a direct message.');
      if (userId !== a.id) mustManage(a, c);
      mustBeAbleToLeave(c, userId);
      if (conversations.departMember(id, userId)) {
        d.audit.record(a.id, 'channel.member-removed', id, { userId });
        if (c.kind === 'private') d.revokeConversation(id, userId, 'you were removed from this channel');
        d.notify([userId], 'conversations-changed', {});
      }
    },

    /** Opens (or finds) the DM between the caller and `userIds`, under the students' DM policy. */
    openDm(a: Actor, userIds: string[]): Conversation {
      const everyone = [...new Set([a.id, ...userIds])].sort();
      if (everyone.length < 2) throw new AppError(400, 'dm-self', 'Choose someone to message.');
      const people = everyone.map((id) => {
        const u = users.get(id);
        if (!u || !u.active)
          throw new AppError(404, 'no-such-user', 'That person does not have an active account.');
        return u;
      });
      // Safeguarding: the workspace's DM policy (issue 13 §4), read now, so a change applies to the next DM.
      const dmPolicy = d.dmPolicy();
      if (
        !dmAllowed(
          dmPolicy,
          people.map((u) => u.role),
        )
      )
        throw new AppError(403, 'dm-policy', dmRefusal(dmPolicy));
      const key = everyone.join(',');
      const existing = conversations.byDmKey(key);
      if (existing) return describe(a, existing);
      const id = newId();
      // Students among themselves, under supervision: the supervisor is in it from the start (issue 14 §4).
      const supervisor = d.supervision.forNewDm(everyone);
      d.db.transaction(() => {
        conversations.create({ id, kind: 'dm', name: null, dmKey: key, createdBy: a.id });
        for (const u of everyone) conversations.addMember(id, u);
        // Names as they were, beside the ids: the log reads as people, also after an account is renamed.
        d.audit.record(a.id, 'dm.opened', id, {
          memberIds: everyone,
          members: people.map((u) => u.displayName),
        });
        if (supervisor !== null) {
          conversations.addMember(id, supervisor);
          conversations.setSupervisor(id, supervisor);
          d.audit.record(a.id, 'dm.supervisor-added', id, d.supervision.who(supervisor));
        }
      })();
      d.notify(
        [...everyone, ...(supervisor === null ? [] : [supervisor])].filter((u) => u !== a.id),
        'conversations-changed',
        {},
      );
      return describe(a, visible(a, id));
    },
  };
}
