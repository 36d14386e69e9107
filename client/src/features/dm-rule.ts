import { dmAllowed, dmRefusal, DmPolicy, type Role } from '@commonroom/protocol';

/**
 * The workspace's rule for students' direct messages (issue 18), as GET /api/workspace last said it, kept
 * on the device so the profile card knows it offline too. Only to not offer a DM the server would refuse:
 * the server decides. "Anyone" until heard, the server's default.
 */
const KEY = 'commonroom:student-dm-policy';

export function rememberDmPolicy(policy: unknown): void {
  const p = DmPolicy.safeParse(policy);
  if (p.success) localStorage.setItem(KEY, p.data);
}

function knownDmPolicy(): DmPolicy {
  const p = DmPolicy.safeParse(localStorage.getItem(KEY));
  return p.success ? p.data : 'anyone';
}

/** Why these two may not have a DM, in plain words, or null when the rule lets them. */
export function dmRefusedBetween(a: Role, b: Role): string | null {
  const policy = knownDmPolicy();
  return dmAllowed(policy, [a, b]) ? null : dmRefusal(policy);
}
