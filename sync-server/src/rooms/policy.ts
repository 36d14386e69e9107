import { isAdminRole, isStaffRole, type Role } from '@commonroom/protocol';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';

/**
 * Who may read and write what (docs/THREAT_MODEL.md). Every decision is made from the account, the
 * conversation and membership, looked up fresh for each subscribe and each write (T9).
 */
export type Actor = { id: string; role: Role };

export type Decision = { ok: true } | { ok: false; code: string; message: string };
const allow: Decision = { ok: true };
const deny = (code: string, message: string): Decision => ({ ok: false, code, message });

export type Policy = ReturnType<typeof createPolicy>;

export function createPolicy(conversations: ConversationStore) {
  const isMember = (c: ConversationRow, a: Actor): boolean => conversations.isMember(c.id, a.id);

  const canRead = (a: Actor, c: ConversationRow): Decision => {
    if (c.kind === 'public' || c.kind === 'announcement') return allow;
    if (isMember(c, a)) return allow;
    // A private channel or a DM is invisible to others: the same answer as for one that does not exist.
    return deny('not-found', 'no such conversation');
  };

  const canModerate = (a: Actor, c: ConversationRow): boolean => {
    if (c.kind === 'dm') return isMember(c, a);
    if (isAdminRole(a.role)) return c.kind !== 'private' || isMember(c, a);
    return isStaffRole(a.role) && isMember(c, a);
  };

  /** Posting messages (not read marks or reactions): membership, not archived, announcements for staff. */
  const canPost = (a: Actor, c: ConversationRow): Decision => {
    if (!isMember(c, a)) return deny('not-a-member', 'join the conversation to post in it');
    if (c.archived) return deny('archived', 'this conversation is archived');
    if (c.kind === 'announcement' && !isStaffRole(a.role))
      return deny(
        'announcement-only',
        'only tutors, teachers, staff and admins post in announcement channels',
      );
    return allow;
  };

  /** Writing to one's own author document at all (read marks, reactions): membership. */
  const canWriteOwn = (a: Actor, c: ConversationRow): Decision =>
    isMember(c, a) ? allow : deny('not-a-member', 'join the conversation first');

  return {
    canRead,
    canModerate,
    canPost,
    canWriteOwn,
    mayBroadcastMention: (a: Actor) => isStaffRole(a.role),
  };
}
