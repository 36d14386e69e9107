import {
  MUTE_DURATIONS,
  isAdminRole,
  isStaffRole,
  mayMute,
  type Mute,
  type MuteRequest,
  type NoticeKind,
} from '@commonroom/protocol';
import type { Actor, Policy } from '../auth/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { MuteRow, MuteStore } from '../storage/mutes.ts';
import type { UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';

/**
 * Muting people (issue 14 §3). Who may: a channel's moderators (policy.canModerate: its staff, and admins)
 * mute students in that channel; admins mute anyone but admins, in a channel or everywhere. Students never.
 * Every mute and lifting is audited and told to the person's open devices (a `mute-changed` notice: their
 * app reads its conversations again and shows the banner). The sync policy enforces it (policy.notMuted).
 */

export type MuteService = ReturnType<typeof createMuteService>;

export function createMuteService(d: {
  mutes: MuteStore;
  conversations: ConversationStore;
  users: UserStore;
  policy: Policy;
  audit: AuditLog;
  now: () => number;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
}) {
  const { mutes, conversations, users, policy, audit } = d;

  const channel = (id: string): ConversationRow => {
    const c = conversations.get(id);
    if (!c || c.kind === 'dm')
      throw new AppError(404, 'no-such-conversation', 'That channel does not exist.');
    return c;
  };

  /** May `a` mute or lift a mute in this scope (a channel, or everywhere when null)? */
  const mayAct = (a: Actor, scope: ConversationRow | null): boolean => {
    if (isAdminRole(a.role)) return true;
    return scope !== null && isStaffRole(a.role) && policy.canModerate(a, scope);
  };

  const describe = (m: MuteRow): Mute => ({
    id: m.id,
    userId: m.userId,
    conversationId: m.conversationId,
    conversationName: m.conversationId === null ? null : (conversations.get(m.conversationId)?.name ?? null),
    until: m.until,
    reason: m.reason,
    createdBy: m.createdBy,
    createdAt: m.createdAt,
  });

  return {
    mute(a: Actor, req: MuteRequest): Mute {
      const scope = req.conversationId === null ? null : channel(req.conversationId);
      if (!mayAct(a, scope))
        throw new AppError(
          403,
          'not-a-moderator',
          scope === null
            ? 'Only admins can mute someone everywhere.'
            : "Only this channel's moderators can mute people in it.",
        );
      const target = users.get(req.userId);
      if (!target || !target.active) throw new AppError(404, 'no-such-person', 'That person does not exist.');
      if (target.id === a.id) throw new AppError(400, 'cannot-mute-self', 'You cannot mute yourself.');
      // Staff are muted only by an admin, and admins by nobody: a tutor cannot silence a colleague.
      if (!mayMute(a.role, target.role))
        throw new AppError(403, 'cannot-mute', `${target.displayName} cannot be muted by you.`);
      const span = MUTE_DURATIONS[req.duration];
      const row = mutes.add({
        userId: target.id,
        conversationId: scope?.id ?? null,
        until: span === null ? null : d.now() + span,
        reason: req.reason,
        createdBy: a.id,
      });
      audit.record(a.id, 'person.muted', target.id, {
        conversationId: row.conversationId,
        until: row.until,
        reason: row.reason,
        muteId: row.id,
      });
      d.notify([target.id], 'mute-changed', { conversationId: row.conversationId });
      return describe(row);
    },

    lift(a: Actor, id: string): void {
      const m = mutes.get(id);
      if (!m || m.liftedAt !== null) throw new AppError(404, 'no-such-mute', 'That mute was already lifted.');
      const scope = m.conversationId === null ? null : conversations.get(m.conversationId);
      if (!mayAct(a, scope))
        throw new AppError(
          403,
          'not-a-moderator',
          'Only a moderator of that channel or an admin can lift it.',
        );
      mutes.lift(id, a.id);
      audit.record(a.id, 'person.unmuted', m.userId, { conversationId: m.conversationId, muteId: id });
      d.notify([m.userId], 'mute-changed', { conversationId: m.conversationId });
    },

    /** Active mutes in a channel (its moderators) or of a person (admins, and the person themselves). */
    list(a: Actor, q: { conversationId?: string | undefined; userId?: string | undefined }): Mute[] {
      if (q.conversationId !== undefined) {
        const scope = channel(q.conversationId);
        if (!mayAct(a, scope))
          throw new AppError(403, 'not-a-moderator', "Only this channel's moderators see its mutes.");
        return mutes.activeIn(scope.id).map(describe);
      }
      const userId = q.userId ?? a.id;
      if (userId !== a.id && !isAdminRole(a.role))
        throw new AppError(403, 'admin-only', "Only admins see another person's mutes.");
      return mutes.activeOfUser(userId).map(describe);
    },
  };
}
