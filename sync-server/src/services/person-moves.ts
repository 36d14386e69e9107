import type { Role, NoticeKind } from '@commonroom/protocol';
import type { ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { joinCohorts, type UserStore } from '../storage/users.ts';
import { createChannelRules, type ChannelRules } from './channel-rules.ts';

/** A person's role and cohorts: what decides the channels they belong in by rule (channel-rules.ts). */
export type Placement = { role: Role; cohorts: readonly string[] };

/** Moves one person from `before` to `after`; `ix` is the channel list read once for a whole import. */
export type Move = (
  userId: string,
  before: Placement,
  after: Placement,
  ix?: ReturnType<ChannelRules['index']>,
) => void;

export type PersonMoves = ReturnType<typeof createPersonMoves>;

/**
 * The one way a person's role or cohorts change, whoever changes them (the People screen's role and cohort
 * fields, a CSV roster import): the new values are written, their channels follow (joined, left, a channel
 * they left not joined again), and after the commit the channels they lost stop reaching their devices,
 * they are told, and, when a role changed, supervised DMs are brought into line (issue 14 §4: a student
 * made staff leaves the students-only DMs' supervision, a staff member made student gains it). Before this
 * existed the import skipped the last step, so a DM could stay unsupervised after a roster re-roled someone.
 */
export function createPersonMoves(d: {
  db: Db;
  users: UserStore;
  conversations: ConversationStore;
  revokeConversation: (conversationId: string, userId: string, reason: string) => void;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
  /** After a committed role change: supervised DMs follow the people now in them (dm-supervision.ts). */
  rolesChanged: (actorId: string) => void;
}) {
  const rules = createChannelRules(d.conversations);
  return {
    rules,
    /**
     * Runs `inside` in one transaction, giving it `move` for each person to move, then does what the moves
     * need once committed. Whatever `inside` throws rolls every move back and nothing is told.
     */
    run<T>(actorId: string, inside: (move: Move) => T): T {
      const lost: { userId: string; conversationId: string; why: string }[] = [];
      const moved = new Set<string>();
      let rolesChanged = false;
      const move: Move = (userId, before, after, ix) => {
        const roleChanged = before.role !== after.role;
        if (roleChanged) {
          d.users.setRole(userId, after.role);
          rolesChanged = true;
        }
        if (joinCohorts(after.cohorts) !== joinCohorts(before.cohorts))
          d.users.setCohorts(userId, [...after.cohorts]);
        const why = roleChanged
          ? 'your role no longer includes this channel'
          : 'you are no longer in this course';
        for (const c of rules.follow(userId, before, after, ix).lost)
          lost.push({ userId, conversationId: c, why });
        moved.add(userId);
      };
      const result = d.db.transaction(() => inside(move))();
      for (const l of lost) d.revokeConversation(l.conversationId, l.userId, l.why);
      if (moved.size > 0) d.notify([...moved], 'conversations-changed', {});
      if (rolesChanged) d.rolesChanged(actorId);
      return result;
    },
  };
}
