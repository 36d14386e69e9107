import type { ConversationStore } from '../storage/conversations.ts';

/**
 * Whose presence a person's devices hear (issue 15 §3, PROTOCOL.md P9): the people they share a
 * conversation with, counting only conversations of at most `maxMembers` members (every DM and group DM,
 * a class, a tutor group, a team). A whole-college channel of thousands would make everyone everyone's
 * audience, and a presence change a broadcast to the college; its members' dots are not worth that.
 * The relation is symmetric: those who hear a person are the people that person hears.
 */
export function createPresenceCircle(conversations: ConversationStore, maxMembers: number) {
  return {
    of(userId: string): Set<string> {
      const out = new Set<string>([userId]);
      for (const c of conversations.conversationsOf(userId)) {
        const members = conversations.memberSet(c);
        if (members.size > maxMembers) continue;
        for (const m of members) out.add(m);
      }
      return out;
    },
  };
}

export type PresenceCircle = ReturnType<typeof createPresenceCircle>;
