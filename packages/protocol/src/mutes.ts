// zod/mini, as http.ts: the first screen reads `Conversation.muted`; the admin chunk reads the rest.
import * as z from 'zod/mini';
import { isAdminRole, isStaffRole, type Role } from './roles.ts';

/**
 * Muting a person (issue 14 §3): a moderator of a channel mutes someone there, an admin in one channel or
 * everywhere, for a period or until lifted. The server refuses their new messages, edits and reactions in
 * that scope (`muted`), those queued offline before the mute reached their device included.
 */

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));

/** How long a mute lasts: the periods the menus offer, or until someone lifts it. */
export const MUTE_DURATIONS = {
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 7 * 86_400_000,
  lifted: null,
} as const;
export const MuteDuration = z.enum(['1h', '1d', '1w', 'lifted']);
export type MuteDuration = z.infer<typeof MuteDuration>;

export const MuteRequest = z.object({
  userId: Id,
  /** The channel; null mutes everywhere (admins only). */
  conversationId: z.nullable(Id),
  duration: MuteDuration,
  reason: z._default(z.string().check(z.trim(), z.maxLength(500, 'a reason is at most 500 characters')), ''),
});
export type MuteRequest = z.infer<typeof MuteRequest>;

export const Mute = z.object({
  id: Id,
  userId: Id,
  conversationId: z.nullable(Id),
  /** `#name` of the channel, null when everywhere. */
  conversationName: z.nullable(z.string()),
  /** When it ends by itself (ms since the epoch); null until lifted. */
  until: z.nullable(z.number()),
  reason: z.string(),
  createdBy: z.nullable(Id),
  createdAt: z.number(),
});
export type Mute = z.infer<typeof Mute>;

export const MuteList = z.object({ mutes: z.array(Mute) });
export const MuteReply = z.object({ mute: Mute });

/** What a person's own conversation says about their mute there (the composer's banner). */
export const MuteState = z.object({ until: z.nullable(z.number()), everywhere: z.boolean() });
export type MuteState = z.infer<typeof MuteState>;

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
  const scope = mute.everywhere ? `${where} (and everywhere else)` : where;
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
