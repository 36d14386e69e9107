// zod/mini, as http.ts: these schemas are read by the lazy admin chunk, never by the first screen.
import * as z from 'zod/mini';
import { PublicUser } from './http.ts';

/**
 * The admin console's Channels screens (issue 13 §3): GET/POST/PATCH /api/admin/channels… A channel here is
 * its metadata only: an admin sees every channel, private ones too, but never their messages through these
 * routes (the sync policy decides reading, and it is unchanged).
 */

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));

/** The same rule as CreateChannelRequest's name: what slugifyChannelName produces. */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,59}$/;
const ChannelName = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.regex(CHANNEL_NAME_PATTERN, 'channel names are lowercase letters, digits, dashes or underscores'),
  );

/** A cohort (course) as people carry it in their comma list: "biology-l3". */
export const ChannelCohort = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.regex(
      /^[a-z0-9][a-z0-9_.-]{0,59}$/,
      'cohorts are lowercase letters, digits, dots, dashes or underscores',
    ),
  );

/** Who may post: everyone who is a member, or staff only (announcement channels are always staff only). */
export const PostPolicy = z.enum(['everyone', 'staff']);
export type PostPolicy = z.infer<typeof PostPolicy>;

export const ChannelKind = z.enum(['public', 'private', 'announcement']);
export type ChannelKind = z.infer<typeof ChannelKind>;

export const AdminChannel = z.object({
  id: Id,
  name: z.string(),
  kind: ChannelKind,
  description: z.string(),
  topic: z.string(),
  icon: z.string(),
  archived: z.boolean(),
  /** The cohort whose people join this channel, or null for a channel not bound to a course. */
  cohort: z.nullable(z.string()),
  postPolicy: PostPolicy,
  /** Default channels that only staff, or only admins, belong to. */
  staffOnly: z.boolean(),
  adminOnly: z.boolean(),
  memberCount: z.number(),
  createdAt: z.number(),
  createdBy: z.nullable(z.string()),
});
export type AdminChannel = z.infer<typeof AdminChannel>;

export const AdminChannelQuery = z.object({
  query: z.optional(z.string().check(z.maxLength(100))),
  kind: z.optional(ChannelKind),
  archived: z.optional(z.enum(['yes', 'no'])),
});

export const AdminChannelList = z.object({ channels: z.array(AdminChannel) });
export const AdminChannelReply = z.object({ channel: AdminChannel });

const Text = (max: number, what: string) =>
  z.string().check(z.trim(), z.maxLength(max, `${what} is at most ${max} characters`));

export const AdminCreateChannelRequest = z.object({
  name: ChannelName,
  kind: ChannelKind,
  description: z._default(Text(500, 'a description'), ''),
  topic: z._default(Text(250, 'a topic'), ''),
  cohort: z.optional(z.nullable(ChannelCohort)),
  postPolicy: z._default(PostPolicy, 'everyone'),
});
export type AdminCreateChannelRequest = z.input<typeof AdminCreateChannelRequest>;

export const AdminUpdateChannelRequest = z.object({
  name: z.optional(ChannelName),
  description: z.optional(Text(500, 'a description')),
  topic: z.optional(Text(250, 'a topic')),
  archived: z.optional(z.boolean()),
  cohort: z.optional(z.nullable(ChannelCohort)),
  postPolicy: z.optional(PostPolicy),
});
export type AdminUpdateChannelRequest = z.infer<typeof AdminUpdateChannelRequest>;

/** Add people by id, a whole cohort, or both; at least one of them. */
export const AdminAddMembersRequest = z
  .object({
    userIds: z._default(z.array(Id).check(z.maxLength(500, 'at most 500 people at a time')), []),
    cohort: z.optional(ChannelCohort),
  })
  .check(z.refine((r) => r.userIds.length > 0 || r.cohort !== undefined, 'choose people or a cohort to add'));
export type AdminAddMembersRequest = z.input<typeof AdminAddMembersRequest>;

export const AdminChannelMember = z.extend(PublicUser, { joinedAt: z.number() });
export type AdminChannelMember = z.infer<typeof AdminChannelMember>;
export const AdminChannelMembers = z.object({ members: z.array(AdminChannelMember) });
/** What adding did: who joined now, and who was already in (or could not be, with why). */
export const AdminAddMembersReply = z.object({
  added: z.number(),
  already: z.number(),
  skipped: z.array(z.object({ id: Id, displayName: z.string(), reason: z.string() })),
});
export type AdminAddMembersReply = z.infer<typeof AdminAddMembersReply>;

/** Every cohort that active people carry, with how many carry it (for "add a whole cohort" and binding). */
export const ChannelCohortList = z.object({
  cohorts: z.array(z.object({ cohort: z.string(), people: z.number() })),
});
export type ChannelCohortList = z.infer<typeof ChannelCohortList>;

/**
 * A channel name as typed turned into one that is valid ("Biology L3" → "biology-l3"): lowercase, accents
 * dropped, anything else a single dash, no dash first, at most 60 characters. Applied as the person types,
 * so a name is never refused after submit. A trailing dash is kept while typing (the next word follows it)
 * and trimmed by `final`.
 */
export function slugifyChannelName(typed: string, final = false): string {
  const s = typed
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    // Apostrophes and quotes are dropped, not made dashes: "Year 1's trip" is "year-1s-trip".
    .replace(/['’‘"`]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 60);
  return final ? s.replace(/[-_]+$/, '') : s;
}
