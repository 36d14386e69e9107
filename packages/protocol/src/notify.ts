// zod/mini, as http.ts: read by the server, the profile page and the admin settings, which load later.
import * as z from 'zod/mini';

/**
 * Notification preferences (issue 15 §2): how much a person is pushed, when not (quiet hours), and per
 * conversation. Not to be confused with a safeguarding mute (mutes.ts), which stops someone posting: the
 * per-conversation choice here is named `notify`, and "muted" in it means "no notifications from here".
 */

/** The person's level: every message in their conversations, mentions and DMs (the default), or nothing. */
export const NotifyLevel = z.enum(['all', 'mentions', 'nothing']);
export type NotifyLevel = z.infer<typeof NotifyLevel>;

/** One conversation's choice; `default` (stored as no row) follows the person's level. */
export const ConversationNotify = z.enum(['default', 'all', 'mentions', 'muted']);
export type ConversationNotify = z.infer<typeof ConversationNotify>;
export const ConversationNotifyRequest = z.object({ notify: ConversationNotify });
export type ConversationNotifyRequest = z.infer<typeof ConversationNotifyRequest>;

const DAY_MINUTES = 1440;
const Minute = z.number().check(z.int(), z.gte(0), z.lt(DAY_MINUTES, 'a time of day is before 24:00'));

/**
 * A daily window in minutes after midnight, the workspace's clock. `start > end` crosses midnight
 * (22:00–07:00 is 1320–420); the same start and end would be empty or the whole day, so is refused.
 */
export const QuietWindow = z
  .object({ start: Minute, end: Minute })
  .check(z.refine((w) => w.start !== w.end, 'quiet hours start and end at different times'));
export type QuietWindow = z.infer<typeof QuietWindow>;

/** An IANA zone the runtime knows ("Europe/London"). */
export const TimeZone = z.string().check(
  z.maxLength(64),
  z.refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not a time zone this server knows'),
);

/**
 * The workspace's quiet hours, set by admins: one window for students (22:00–07:00 unless changed), one for
 * staff (none unless set), both on the workspace's clock.
 */
export const WorkspaceQuietHours = z.object({
  timeZone: TimeZone,
  students: z.nullable(QuietWindow),
  staff: z.nullable(QuietWindow),
});
export type WorkspaceQuietHours = z.infer<typeof WorkspaceQuietHours>;
export const DEFAULT_QUIET_HOURS: WorkspaceQuietHours = {
  timeZone: 'Europe/London',
  students: { start: 22 * 60, end: 7 * 60 },
  staff: null,
};

/** A person's own quiet hours: the workspace's, none (not for students when the workspace has some), or a window. */
export const OwnQuiet = z.union([z.literal('workspace'), z.literal('off'), QuietWindow]);
export type OwnQuiet = z.infer<typeof OwnQuiet>;

export const NotifyPrefsPatch = z.object({ level: z.optional(NotifyLevel), quiet: z.optional(OwnQuiet) });
export type NotifyPrefsPatch = z.infer<typeof NotifyPrefsPatch>;

/** GET/PATCH /api/me/notifications: the person's choices and what they come to. */
export const NotifyPrefsReply = z.object({
  level: NotifyLevel,
  quiet: OwnQuiet,
  /** The workspace's window for this person's role (null: none), and its clock. */
  workspace: z.nullable(QuietWindow),
  timeZone: z.string(),
  /** Whether the person may turn quiet hours off or widen them (staff, or no workspace window). */
  mayWiden: z.boolean(),
  /** The quiet hours in force for them. */
  effective: z.nullable(QuietWindow),
});
export type NotifyPrefsReply = z.infer<typeof NotifyPrefsReply>;

const span = (w: QuietWindow): number => (w.end - w.start + DAY_MINUTES) % DAY_MINUTES;

/** Whether minute `m` of the day falls in the window (start included, end not). */
export const inWindow = (w: QuietWindow, m: number): boolean =>
  (m - w.start + DAY_MINUTES) % DAY_MINUTES < span(w);

/** Whether `inner` lies wholly inside `outer` (a narrower window), midnight crossings included. */
export const windowInside = (inner: QuietWindow, outer: QuietWindow): boolean =>
  ((inner.start - outer.start + DAY_MINUTES) % DAY_MINUTES) + span(inner) <= span(outer);

/**
 * The quiet hours in force for a person: the workspace's unless they chose otherwise. Someone who may not
 * widen them (a student under a workspace window) keeps the workspace's when their own is not inside it
 * (the admin may since have changed it) or when they asked for none.
 */
export function effectiveQuiet(own: OwnQuiet, workspace: QuietWindow | null, mayWiden: boolean) {
  if (own === 'workspace') return workspace;
  if (own === 'off') return mayWiden ? null : workspace;
  return mayWiden || workspace === null || windowInside(own, workspace) ? own : workspace;
}

const clocks = new Map<string, Intl.DateTimeFormat>();
/** The minute of the day at `ts` on the clock of `timeZone`. */
export function minuteOfDay(ts: number, timeZone: string): number {
  let f = clocks.get(timeZone);
  if (!f)
    clocks.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hour: 'numeric',
        minute: 'numeric',
        hourCycle: 'h23',
      })),
    );
  let h = 0;
  let min = 0;
  for (const p of f.formatToParts(ts)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') min = Number(p.value);
  }
  return h * 60 + min;
}

/** "22:00" for minute 1320. */
export const clockText = (m: number): string =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Minute of the day from "22:00" (an <input type="time">'s value), or null. */
export function parseClock(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}
