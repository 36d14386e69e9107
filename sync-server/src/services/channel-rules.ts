import { isAdminRole, isStaffRole, type Role } from '@commonroom/protocol';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';

/**
 * Which channels a person belongs in by rule: the defaults every role joins, the staff and admin channels
 * of their role, and the course channels of each of their cohorts. A cohort's course channels are the channel
 * whose name is the cohort (cohort `bio-l3` → #bio-l3) and every channel an admin bound to it (issue 13 §3), as CSV imports have always joined `channels/cohort/
 * course` names; a cohort with no such channel yet is kept on the person and joins nothing until one exists.
 * A course channel only for staff or admins is not joined by a person whose role is not.
 */

export type Entitlement = { ids: Set<string>; missing: string[]; refused: string[] };

/** Channels that only a role may be in: a person whose role no longer allows them leaves them. */
const restricted = (c: ConversationRow): boolean => c.staffOnly || c.adminOnly;
const allowed = (c: ConversationRow, role: Role): boolean =>
  (!c.staffOnly || isStaffRole(role)) && (!c.adminOnly || isAdminRole(role));

export type ChannelRules = ReturnType<typeof createChannelRules>;

export function createChannelRules(conversations: ConversationStore) {
  /** Looked up once per call site: an import of 20,000 rows reads the channel list once. */
  const index = () => {
    const all = conversations.channels().filter((c) => c.kind !== 'dm');
    const byCohort = new Map<string, ConversationRow[]>();
    for (const c of all) if (c.cohort) byCohort.set(c.cohort, [...(byCohort.get(c.cohort) ?? []), c]);
    return { all, byName: new Map(all.map((c) => [c.name ?? '', c])), byCohort };
  };
  type Index = ReturnType<typeof index>;

  const entitled = (role: Role, cohorts: readonly string[], ix: Index = index()): Entitlement => {
    const ids = new Set<string>();
    for (const c of ix.all)
      if (
        c.name === 'announcements' ||
        c.name === 'general' ||
        c.name === 'it-support' ||
        (c.staffOnly && isStaffRole(role)) ||
        (c.adminOnly && isAdminRole(role))
      )
        ids.add(c.id);
    const missing: string[] = [];
    const refused: string[] = [];
    for (const cohort of cohorts) {
      // The channel named for the cohort, and every channel an admin bound to it (issue 13 §3).
      const named = ix.byName.get(cohort);
      const courses = [...(named ? [named] : []), ...(ix.byCohort.get(cohort) ?? [])];
      if (courses.length === 0) missing.push(cohort);
      else {
        const fit = courses.filter((c) => allowed(c, role));
        if (fit.length === 0) refused.push(cohort);
        for (const c of fit) ids.add(c.id);
      }
    }
    return { ids, missing, refused };
  };

  return {
    index,
    entitled,
    /**
     * Moves a person's memberships from what one role and cohorts gave to what another gives: joins what
     * is new, leaves course channels of cohorts they left and restricted channels their role no longer
     * allows. Channels joined by hand (a private channel, a course channel outside their cohorts) stay.
     * A channel the person left, or was taken out of by a moderator or an admin, is not joined again
     * (`channel_departures`): a rule gives a place, it does not override the person's or a moderator's choice.
     * Call inside the transaction that changes the person; returns the channels they lost, to revoke after.
     */
    follow(
      userId: string,
      before: { role: Role; cohorts: readonly string[] },
      after: { role: Role; cohorts: readonly string[] },
      ix: Index = index(),
    ): { added: number; lost: string[] } {
      const was = entitled(before.role, before.cohorts, ix).ids;
      const now = entitled(after.role, after.cohorts, ix).ids;
      const left = conversations.departuresOf(userId);
      let added = 0;
      for (const id of now) if (!left.has(id) && conversations.addMember(id, userId)) added++;
      const lost: string[] = [];
      for (const c of ix.all) {
        if (now.has(c.id)) continue;
        const leave = was.has(c.id) || (restricted(c) && !allowed(c, after.role));
        if (leave && conversations.removeMember(c.id, userId)) lost.push(c.id);
      }
      return { added, lost };
    },
  };
}
