import { isStaffRole, type DmPolicy, type NoticeKind } from '@commonroom/protocol';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import type { UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';

export type DmSupervision = ReturnType<typeof createDmSupervision>;

/**
 * Supervised student-to-student DMs (issue 14 §4). Under the 'supervised' DM policy, every DM whose people
 * are all students has the chosen staff supervisor in it as a silent member: a real member, so the ordinary
 * read rules and sync give them the DM (auth/policy.ts keeps them from posting or reacting), recorded on
 * the conversation (`supervisor_id`) so they are told apart from its people. `apply` brings every DM that
 * exists into line when the policy or the supervisor changes (add the new one, take out the old one, whose
 * devices drop the DM); `forNewDm` says who joins a DM being opened.
 */
export function createDmSupervision(d: {
  db: Db;
  conversations: ConversationStore;
  users: UserStore;
  audit: AuditLog;
  settings: () => { studentDmPolicy: DmPolicy; dmSupervisorId: string | null };
  revokeConversation: (conversationId: string, userId: string, reason: string) => void;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
}) {
  /** The supervisor now in force, or null (another policy, or a supervisor no longer active staff). */
  const current = (): string | null => {
    const s = d.settings();
    if (s.studentDmPolicy !== 'supervised' || s.dmSupervisorId === null) return null;
    const u = d.users.get(s.dmSupervisorId);
    return u && u.active && isStaffRole(u.role) ? u.id : null;
  };

  /** A DM's own people (its supervisor apart) are all students. */
  const studentsOnly = (people: readonly string[]): boolean =>
    people.length > 0 && people.every((id) => !isStaffRole(d.users.get(id)?.role ?? 'student'));

  /** The audit detail for a supervisor: the id, and the name as it was then (the viewer shows the name). */
  const who = (id: string) => ({ supervisorId: id, supervisor: d.users.get(id)?.displayName ?? null });

  const peopleOf = (c: ConversationRow): string[] =>
    d.conversations.members(c.id).filter((id) => id !== c.supervisorId);

  const api = {
    current,
    who,
    /** Who supervises a DM being opened by these people, or null. */
    forNewDm: (people: readonly string[]): string | null => {
      const s = current();
      return s !== null && studentsOnly(people) ? s : null;
    },

    /**
     * Checks a settings change before it is written: 'supervised' needs a supervisor who is active staff.
     */
    check(next: { studentDmPolicy: DmPolicy; dmSupervisorId: string | null }): void {
      if (next.studentDmPolicy !== 'supervised') return;
      if (next.dmSupervisorId === null)
        throw new AppError(
          400,
          'supervisor-required',
          'Choose the staff member who supervises students’ DMs.',
        );
      const u = d.users.get(next.dmSupervisorId);
      if (!u || !u.active)
        throw new AppError(400, 'no-such-user', 'That person does not have an active account.');
      if (!isStaffRole(u.role))
        throw new AppError(
          400,
          'supervisor-not-staff',
          `${u.displayName} is a student: choose a member of staff.`,
        );
    },

    /**
     * People changed (a role, an account (de)activated): a DM may have become students-only or stopped
     * being so, or the supervisor may no longer serve. Under 'supervised' every DM is brought into line;
     * under any other policy there is nothing to follow (a supervisor is only there under 'supervised').
     */
    peopleChanged(actorId: string | null): void {
      if (d.settings().studentDmPolicy === 'supervised') api.apply(actorId);
    },

    /**
     * Every existing DM into line with the policy now in force, in one transaction, each change audited
     * against the DM. Returns how many DMs gained and lost a supervisor.
     */
    apply(actorId: string | null): { added: number; removed: number } {
      const want = current();
      const told = new Set<string>();
      const revoked: { conversationId: string; userId: string }[] = [];
      let added = 0;
      let removed = 0;
      d.db.transaction(() => {
        for (const c of d.conversations.dms()) {
          const people = peopleOf(c);
          const target = want !== null && studentsOnly(people) && !people.includes(want) ? want : null;
          if (target === c.supervisorId) continue;
          if (c.supervisorId !== null) {
            d.conversations.removeMember(c.id, c.supervisorId);
            d.audit.record(actorId, 'dm.supervisor-removed', c.id, who(c.supervisorId));
            revoked.push({ conversationId: c.id, userId: c.supervisorId });
            told.add(c.supervisorId);
            removed++;
          }
          if (target !== null) {
            d.conversations.addMember(c.id, target);
            d.audit.record(actorId, 'dm.supervisor-added', c.id, who(target));
            told.add(target);
            added++;
          }
          d.conversations.setSupervisor(c.id, target);
          for (const p of people) told.add(p);
        }
      })();
      // After the commit: a supervisor taken out has the DM's content dropped from their devices.
      for (const r of revoked)
        d.revokeConversation(r.conversationId, r.userId, 'you no longer supervise this conversation');
      if (told.size > 0) d.notify([...told], 'conversations-changed', {});
      return { added, removed };
    },
  };
  return api;
}
