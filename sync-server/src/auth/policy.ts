import {
  dmAllowed,
  dmRefusal,
  isAdminRole,
  isStaffRole,
  mutedWords,
  type DmPolicy,
  type Role,
  type RefusalCode,
} from '@commonroom/protocol';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';

// The DM rule lives in the protocol package, so the app offers only DMs the server would open.
export { dmAllowed, dmRefusal };

/**
 * Who may read and write what (docs/THREAT_MODEL.md). Every decision is made from the account, the
 * conversation and membership, looked up fresh for each subscribe and each write (T9).
 */
export type Actor = { id: string; role: Role };

export type Decision = { ok: true } | { ok: false; code: RefusalCode; message: string };
const allow: Decision = { ok: true };
const deny = (code: RefusalCode, message: string): Decision => ({ ok: false, code, message });

export type Policy = ReturnType<typeof createPolicy>;

/**
 * The one answer for a conversation one may not see, whether it is hidden (a private channel or DM one is
 * not in), missing, or asked for at a segment it has not reached: the same words everywhere (P2, T9), so
 * the answer tells nothing about which.
 */
export const NO_SUCH_CONVERSATION = {
  ok: false,
  code: 'not-found',
  message: 'no such conversation',
} as const satisfies Decision;

/** Channels a role may belong to at all (staff-only and admin-only channels). */
export function mayBelong(role: Role, c: ConversationRow): boolean {
  if (c.adminOnly && !isAdminRole(role)) return false;
  if (c.staffOnly && !isStaffRole(role)) return false;
  return true;
}

export function createPolicy(
  conversations: ConversationStore,
  d: {
    dmPolicy: () => DmPolicy;
    roleOf: (userId: string) => Role | null;
    /** The mute that applies to this person here now, if any (issue 14 §3; storage/mutes.ts). */
    muteOf?: (userId: string, conversationId: string) => { until: number | null; everywhere: boolean } | null;
  },
) {
  const isMember = (c: ConversationRow, a: Actor): boolean => conversations.isMember(c.id, a.id);

  /**
   * A student's DM that the DM policy no longer allows (it was opened before the policy changed): it stays
   * readable, but takes nothing new from the student (T9, issue 12 D15). Looked up on every write, so a
   * policy change applies at once.
   */
  const dmRefused = (a: Actor, c: ConversationRow): Decision => {
    if (c.kind !== 'dm' || isStaffRole(a.role)) return allow;
    const policy = d.dmPolicy();
    if (policy === 'anyone') return allow;
    const roles = conversations.members(c.id).map((id) => d.roleOf(id) ?? 'student');
    return dmAllowed(policy, roles) ? allow : deny('dm-policy', dmRefusal(policy));
  };

  /**
   * A students' DM's supervisor reads it (as a member) but is silent (issue 14 §4): no messages, no
   * reactions, nothing the students would see as theirs. Read marks are kept (their own unread counts) and
   * the app leaves them out of "Seen".
   */
  const supervising = (a: Actor, c: ConversationRow): Decision =>
    c.supervisorId === a.id
      ? deny(
          'supervisor-silent',
          'You supervise this conversation: you can read it, not post or react in it.',
        )
      : allow;

  const canRead = (a: Actor, c: ConversationRow): Decision => {
    if (c.kind === 'public' || c.kind === 'announcement') return allow;
    if (isMember(c, a)) return allow;
    // A private channel or a DM is invisible to others: the same answer as for one that does not exist.
    return NO_SUCH_CONVERSATION;
  };

  /**
   * Pins and removals (T4). In a DM that is membership, for what the DM policy still allows; not its silent
   * supervisor (issue 14 §4), whose pin the students would see.
   */
  const canModerate = (a: Actor, c: ConversationRow): boolean => {
    if (c.kind === 'dm') return isMember(c, a) && c.supervisorId !== a.id && dmRefused(a, c).ok;
    if (isAdminRole(a.role)) return c.kind !== 'private' || isMember(c, a);
    return isStaffRole(a.role) && isMember(c, a);
  };

  /**
   * Changing a conversation itself (topic, description, archiving) and its membership. In a channel, its
   * moderators; a DM's people pin, but only staff among them archive it (issue 12 D16): a student could
   * otherwise silence a tutor's DM.
   */
  const canManage = (a: Actor, c: ConversationRow): boolean =>
    c.kind === 'dm' ? isStaffRole(a.role) && isMember(c, a) && c.supervisorId !== a.id : canModerate(a, c);

  /**
   * Posting messages (not read marks or reactions): membership, not archived, announcements and staff-only
   * channels for staff.
   */
  const canPost = (a: Actor, c: ConversationRow): Decision => {
    if (!isMember(c, a)) return deny('not-a-member', 'join the conversation to post in it');
    if (c.archived) return deny('archived', 'this conversation is archived');
    if (c.kind === 'announcement' && !isStaffRole(a.role))
      return deny(
        'announcement-only',
        'only tutors, teachers, staff and admins post in announcement channels',
      );
    // A channel an admin set to "staff only" (issue 13 §3): students read and react, staff post.
    if (c.postPolicy === 'staff' && !isStaffRole(a.role))
      return deny('staff-only-posting', 'only tutors, teachers, staff and admins post in this channel');
    const silent = supervising(a, c);
    return silent.ok ? dmRefused(a, c) : silent;
  };

  /** Writing to one's own author document at all (read marks): membership. */
  const canWriteOwn = (a: Actor, c: ConversationRow): Decision =>
    isMember(c, a) ? allow : deny('not-a-member', 'join the conversation first');

  /** Reactions: membership (students react in announcement channels too), under the DM policy. */
  const canReact = (a: Actor, c: ConversationRow): Decision => {
    const own = canWriteOwn(a, c);
    if (!own.ok) return own;
    const silent = supervising(a, c);
    return silent.ok ? dmRefused(a, c) : silent;
  };

  /**
   * New messages, edits and reactions in a channel from a person muted there (or everywhere) are refused
   * (issue 14 §3, T14), with words saying
   * where and until when; deleting their own messages stays allowed. Looked up on every such write, so a
   * mute, its lifting and its expiry apply at once, also to what a device queued offline before it knew.
   */
  const notMuted = (a: Actor, c: ConversationRow): Decision => {
    // Mutes are for channels: a muted student can still write to a tutor in a DM (a disclosure must never
    // meet a closed door), and the DM policy already decides who students may message.
    if (c.kind === 'dm') return allow;
    const m = d.muteOf?.(a.id, c.id) ?? null;
    return m ? deny('muted', mutedWords(c.name, m)) : allow;
  };

  return {
    notMuted,
    canRead,
    canModerate,
    canManage,
    canPost,
    canWriteOwn,
    canReact,
    mayBroadcastMention: (a: Actor) => isStaffRole(a.role),
  };
}
