import { isAdminRole, isStaffRole, type Role } from './roles.ts';

/**
 * The plain rules and words of muting (issue 14 §3), apart from the schemas in mutes.ts: the first screen
 * (composer banner, message menu) needs these few functions and none of the schemas, which stay in the
 * lazy chunks and the server.
 */

/** How long a mute lasts: the periods the menus offer, or until someone lifts it. */
export const MUTE_DURATIONS = {
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 7 * 86_400_000,
  lifted: null,
} as const;

/** "until Mon 7 Dec, 15:00" (the college's UK clock) or "until a moderator lifts it". */
export function muteEnds(until: number | null, timeZone = 'Europe/London'): string {
  if (until === null) return 'until a moderator lifts it';
  const when = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(until);
  return `until ${when}`;
}

/**
 * The words a refused write and the composer banner use, so the two agree: "you are muted in #maths until
 * Mon 7 Dec, 15:00". `channelName` is where the person tried to write (null in a DM). Times are the college's
 * (UK) clock: the server words the refusal without knowing the device's zone.
 */
export function mutedWords(
  channelName: string | null,
  mute: { until: number | null; everywhere: boolean },
  timeZone = 'Europe/London',
): string {
  const where = channelName === null ? 'in this conversation' : `in #${channelName}`;
  const scope = mute.everywhere ? `${where} (and every other channel)` : where;
  return `you are muted ${scope} ${muteEnds(mute.until, timeZone)}`;
}

/**
 * Whose words a person may mute, by role (the channel or "everywhere" is decided apart): admins mute anyone
 * but admins; other staff (in channels they moderate) mute students; students nobody. A tutor cannot
 * silence a colleague. The server and the menus use this one rule.
 */
export function mayMute(actor: Role, target: Role): boolean {
  if (isAdminRole(target)) return false;
  if (isAdminRole(actor)) return true;
  return isStaffRole(actor) && !isStaffRole(target);
}
