import type { DmPolicy } from './http.ts';
import { isStaffRole, type Role } from './roles.ts';

/**
 * The students' DM policy for a set of people, the one rule for opening a DM and for writing in one: under
 * `staff_only` students may message staff and staff students, but students not each other (safeguarding),
 * and no student is in a group DM; under `nobody` no DM has a student in it, whoever opens it. Shared: the
 * server enforces it, the app uses it only to not offer what would be refused.
 */
export function dmAllowed(policy: DmPolicy, roles: readonly Role[]): boolean {
  // Supervised: any DM, students' own ones with the supervisor in them (services/dm-supervision.ts).
  if (policy === 'anyone' || policy === 'supervised') return true;
  const students = roles.filter((r) => !isStaffRole(r)).length;
  if (policy === 'nobody') return students === 0;
  return students === 0 || (students === 1 && roles.length === 2);
}

/** What a refused DM says, by the policy that refused it. */
export function dmRefusal(policy: DmPolicy): string {
  return policy === 'nobody'
    ? 'Direct messages with students are turned off at this college.'
    : 'Students can only send direct messages to staff at this college.';
}
