import * as z from 'zod/mini';
import { AVATAR_COLOUR_KEYS, type AvatarColour } from './avatars.ts';
import { DmPolicy, WorkspaceName } from './http.ts';
import { LIMITS } from './limits.ts';

/**
 * Workspace settings changes, the profile page and the audit log viewer (issue 13 §4, §5): request and
 * answer schemas. Apart from http.ts, whose every schema is in the first screen's JavaScript: these are
 * used by the admin area and the profile page, which load later.
 */

export const DM_POLICY_LABELS: Record<DmPolicy, string> = {
  anyone: 'Anyone',
  supervised: 'Anyone, with supervision',
  staff_only: 'Staff only',
  nobody: 'Nobody',
};
/** Session lengths an admin may choose, in whole days. */
export const SESSION_DAYS = { min: 1, max: 90 } as const;
/** The attachment limits an admin may choose, in MB (issue 17). */
export const ATTACHMENT_MB = { file: { min: 1, max: 1024 }, daily: { min: 1, max: 10_240 } } as const;
/** The attachment limits until an admin chooses others. */
export const DEFAULT_ATTACHMENT_MB = { file: 25, daily: 200 } as const;
/** PATCH /api/admin/settings: any of the settings; each changed one is audited with its old and new value. */
export const WorkspaceSettingsPatch = z.object({
  workspaceName: z.optional(WorkspaceName),
  studentDmPolicy: z.optional(DmPolicy),
  /** Required (here or already saved) when the policy is 'supervised': an active staff member. */
  dmSupervisorId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(64)))),
  sessionLengthDays: z.optional(
    z
      .number()
      .check(
        z.int('the session length is a whole number of days'),
        z.gte(SESSION_DAYS.min, `a session lasts at least ${SESSION_DAYS.min} day`),
        z.lte(SESSION_DAYS.max, `a session lasts at most ${SESSION_DAYS.max} days`),
      ),
  ),
  attachmentMaxFileMb: z.optional(
    z
      .number()
      .check(
        z.int('the file size limit is a whole number of MB'),
        z.gte(ATTACHMENT_MB.file.min, `files may be at least ${ATTACHMENT_MB.file.min} MB`),
        z.lte(ATTACHMENT_MB.file.max, `files may be at most ${ATTACHMENT_MB.file.max} MB`),
      ),
  ),
  attachmentDailyMb: z.optional(
    z
      .number()
      .check(
        z.int('the daily allowance is a whole number of MB'),
        z.gte(ATTACHMENT_MB.daily.min, `the daily allowance is at least ${ATTACHMENT_MB.daily.min} MB`),
        z.lte(ATTACHMENT_MB.daily.max, `the daily allowance is at most ${ATTACHMENT_MB.daily.max} MB`),
      ),
  ),
});
export type WorkspaceSettingsPatch = z.infer<typeof WorkspaceSettingsPatch>;

/** GET /api/admin/settings/supervisors: the active staff an admin may choose as the DM supervisor. */
export const DmSupervisorChoices = z.object({
  people: z.array(z.object({ id: z.string(), displayName: z.string(), role: z.string() })),
});
export type DmSupervisorChoices = z.infer<typeof DmSupervisorChoices>;

/** PATCH /api/profile: one's own name, pronouns and avatar colour. */
export const ProfileUpdate = z.object({
  displayName: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'a name is required'),
        z.maxLength(LIMITS.maxDisplayNameLength, 'that name is too long'),
      ),
  ),
  /** Free text ("she/her", "they/them"); empty clears them. */
  pronouns: z.optional(z.string().check(z.trim(), z.maxLength(30, 'pronouns are at most 30 characters'))),
  avatarColour: z.optional(z.enum(AVATAR_COLOUR_KEYS as [AvatarColour, ...AvatarColour[]])),
});
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

const Millis = z.string().check(z.regex(/^\d{1,15}$/, 'not a time'));

/**
 * GET /api/admin/audit and /api/admin/audit.csv: filters and a keyset page. `actor` and `target` are searched
 * like the People table (a name, email or username; a target may also be a channel name or a stored id);
 * `from` and `to` are epoch milliseconds, `to` excluded (the browser turns the local days chosen into
 * them); `before` is the id of the last entry of the previous page.
 */
export const AuditQuery = z.object({
  actor: z.optional(z.string().check(z.maxLength(200))),
  action: z.optional(z.string().check(z.regex(/^[a-z][a-z0-9.-]{0,60}$/, 'not an action'))),
  target: z.optional(z.string().check(z.maxLength(200))),
  from: z.optional(Millis),
  to: z.optional(Millis),
  before: z.optional(z.string().check(z.regex(/^\d{1,15}$/))),
  limit: z.optional(z.string().check(z.regex(/^\d{1,4}$/))),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditRow = z.object({
  id: z.number(),
  at: z.number(),
  actorId: z.nullable(z.string()),
  /** The actor's display name now, or null for the system or an account that no longer exists. */
  actorName: z.nullable(z.string()),
  action: z.string(),
  target: z.nullable(z.string()),
  /** The target's name when it is a person or a channel, else null (the target is shown as stored). */
  targetName: z.nullable(z.string()),
  detail: z.unknown(),
});
export type AuditRow = z.infer<typeof AuditRow>;

export const AuditPage = z.object({
  entries: z.array(AuditRow),
  /** The `before` of the next (older) page, or null on the last. */
  nextBefore: z.nullable(z.string()),
});
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditActions = z.object({ actions: z.array(z.string()) });

/**
 * GET /api/admin/audit/verify: the hash chain checked end to end (issue 14 §6). `head` is the newest entry's
 * hash, worth noting down elsewhere: a log later cut short or rewritten from some point on no longer ends in
 * it. `brokenAt` is the id of the first entry that does not fit.
 */
export const AuditVerifyReply = z.union([
  z.object({ ok: z.literal(true), count: z.number(), head: z.string() }),
  z.object({ ok: z.literal(false), count: z.number(), brokenAt: z.number(), reason: z.string() }),
]);
export type AuditVerifyReply = z.infer<typeof AuditVerifyReply>;

/** Plain words for the actions the server records; an action not listed here is shown by `auditLabel`. */
export const AUDIT_ACTION_LABELS: Readonly<Record<string, string>> = {
  login: 'Signed in',
  'login.failed': 'Failed sign-in',
  'password.changed': 'Changed own password',
  'password.change-failed': 'Wrong current password',
  'profile.updated': 'Updated own profile',
  'user.created': 'Added a person',
  'user.updated': 'Changed a person’s details',
  'users.imported': 'Imported people',
  'user.role-changed': 'Changed a role',
  'user.deactivated': 'Deactivated a person',
  'user.reactivated': 'Reactivated a person',
  'user.password-reset': 'Reset a password',
  'user.signed-out-everywhere': 'Signed out everywhere',
  'settings.changed': 'Changed workspace settings',
  'audit.exported': 'Exported the audit log',
  'audit.verified': 'Checked the audit chain',
  'dm.supervisor-added': 'Added a DM supervisor',
  'dm.supervisor-removed': 'Removed a DM supervisor',
  'channel.created': 'Created a channel',
  'channel.updated': 'Changed a channel',
  'channel.members-added': 'Added channel members',
  'channel.member-removed': 'Removed a channel member',
  'dm.opened': 'Opened a direct message',
  'message.removed': 'Removed a message',
  'write.refused': 'Refused a write',
  'socket.malformed': 'Malformed data from a device',
  // Safeguarding (issue 14).
  'safeguarding.lead_granted': 'Made a safeguarding lead',
  'safeguarding.lead_removed': 'Removed a safeguarding lead',
  'safeguarding.item_updated': 'Updated a safeguarding item',
  'safeguarding.item_viewed': 'Viewed a safeguarding item',
  'safeguarding.file_viewed': 'Opened a file under review',
  'safeguarding.note_added': 'Added a safeguarding note',
  'safeguarding.keywords_changed': 'Changed safeguarding keywords',
  'safeguarding.conversation_opened': 'Opened a conversation to monitor',
  'safeguarding.message_removed': 'Removed a reported message',
  // Retention and export (issue 14 §7).
  'safeguarding.exported': 'Exported safeguarding records',
  'retention.changed': 'Changed retention periods',
  'retention.run': 'Removed expired content',
};

/** The plain words for an action: the known label, or the stored name made readable ("user.x-y" → "User x y"). */
export function auditLabel(action: string): string {
  const known = AUDIT_ACTION_LABELS[action];
  if (known) return known;
  const words = action.replace(/[.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Who did it, when no account did: a failed sign-in with a login that has no account came from someone
 * unknown; anything else without an actor was the server itself (first start, a refused socket).
 */
export const noActorLabel = (action: string): string =>
  action.startsWith('login') ? 'Unknown person' : 'System';
