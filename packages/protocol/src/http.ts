// zod/mini: the same schemas as classic zod at a fraction of the size in the PWA's first screen.
import * as z from 'zod/mini';
import { LIMITS } from './limits.ts';
import { Role } from './roles.ts';

/** Request and response bodies of the HTTP API. The server parses requests with these; clients parse answers. */

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));
export const Email = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.email('not a valid email address'),
    z.maxLength(254, 'email addresses are at most 254 characters'),
  );
export const Username = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.regex(/^[a-z0-9._-]{2,40}$/, 'usernames are 2–40 letters, digits, dots, dashes or underscores'),
  );
export const DisplayName = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'a name is required'),
    z.maxLength(LIMITS.maxDisplayNameLength, 'that name is too long'),
  );
export const Password = z
  .string()
  .check(
    z.minLength(10, 'passwords need at least 10 characters'),
    z.maxLength(256, 'passwords are at most 256 characters'),
  );
export const ChannelName = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.regex(
      /^[a-z0-9][a-z0-9_-]{0,59}$/,
      'channel names are lowercase letters, digits, dashes or underscores',
    ),
  );
const Text = (max: number, what: string) =>
  z.string().check(z.trim(), z.maxLength(max, `${what} is at most ${max} characters`));

export const LoginRequest = z.object({
  /** Email address or username. */
  login: z
    .string()
    .check(z.trim(), z.minLength(1, 'enter your email or username'), z.maxLength(254, 'that is too long')),
  password: z
    .string()
    .check(z.minLength(1, 'enter your password'), z.maxLength(256, 'that password is too long')),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const SetupRequest = z.object({
  token: z.string().check(z.minLength(10, 'not a setup link'), z.maxLength(200, 'not a setup link')),
  email: Email,
  displayName: DisplayName,
  password: Password,
});

export const PublicUser = z.object({
  id: Id,
  displayName: z.string(),
  username: z.nullable(z.string()),
  role: Role,
  active: z.boolean(),
  /** From the person's profile (issue 13 §4); absent when not set, and in directories stored before it. */
  pronouns: z.optional(z.string()),
  /** A key of AVATAR_COLOURS; a key this version does not know shows the default colour. */
  avatarColour: z.optional(z.string()),
});
export type PublicUser = z.infer<typeof PublicUser>;

export const Me = z.extend(PublicUser, { email: z.nullable(z.string()) });
export type Me = z.infer<typeof Me>;

export const ChangeRoleRequest = z.object({ role: Role });
export const ChangePasswordRequest = z.object({
  currentPassword: z.string().check(z.maxLength(256, 'that password is too long')),
  newPassword: Password,
});

export const ImportResult = z.object({
  created: z.array(z.object({ line: z.number(), id: Id, displayName: z.string() })),
  errors: z.array(z.object({ line: z.number(), message: z.string() })),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const ConversationKind = z.enum(['public', 'private', 'announcement', 'dm']);
export type ConversationKind = z.infer<typeof ConversationKind>;

export const Conversation = z.object({
  id: Id,
  kind: ConversationKind,
  name: z.nullable(z.string()),
  description: z.string(),
  topic: z.string(),
  /** An emoji shown beside the name (the default channels have one). */
  icon: z.string(),
  archived: z.boolean(),
  memberCount: z.number(),
  isMember: z.boolean(),
  canPost: z.boolean(),
  canModerate: z.boolean(),
  /** For DMs: everyone in it. For channels: empty (ask /members). */
  dmMembers: z.array(PublicUser),
  /** The newest segment; documents of older segments load on demand. */
  segment: z.number(),
  /** Who may post (issue 13 §3): 'staff' in a channel an admin made staff only. Absent from older servers. */
  postPolicy: z.optional(z.enum(['everyone', 'staff'])),
  /**
   * A students' DM under supervision (issue 14 §4): the staff supervisor, a silent member who reads it, is
   * shown to the students ("Supervised by …") and is not one of `dmMembers` or `memberCount`. Null or
   * absent otherwise.
   */
  supervisor: z.optional(z.nullable(z.object({ id: Id, displayName: z.string() }))),
  /** The reader's own mute here (issue 14 §3), when one applies; absent from older servers. */
  muted: z.optional(
    z.object({
      until: z.nullable(z.number()),
      everywhere: z.boolean(),
      /** The banner's words, as the server's refusals word it: "You are muted in #maths until …". */
      message: z.string(),
    }),
  ),
  /** The reader's notification choice here (issue 15 §2, notify.ts); absent: follow their default. */
  notify: z.optional(z.enum(['all', 'mentions', 'muted'])),
});
export type Conversation = z.infer<typeof Conversation>;

export const CreateChannelRequest = z.object({
  name: ChannelName,
  kind: z.enum(['public', 'private', 'announcement']),
  description: z._default(Text(500, 'a description'), ''),
});

export const UpdateChannelRequest = z.object({
  description: z.optional(Text(500, 'a description')),
  topic: z.optional(Text(250, 'a topic')),
  archived: z.optional(z.boolean()),
});

const UserIds = (max: number) =>
  z.array(Id).check(z.minLength(1, 'choose at least one person'), z.maxLength(max, `at most ${max} people`));
export const OpenDmRequest = z.object({ userIds: UserIds(8) });
export const MembersRequest = z.object({ userIds: UserIds(500) });

/**
 * Whom students may message directly: anyone; anyone, but a DM whose people are all students has the
 * workspace's chosen staff supervisor in it as a silent member (issue 14 §4); staff only (students not each
 * other, no student in a group DM: student-to-student DMs are off); nobody (no DM has a student in it,
 * whoever opens it). auth/policy.ts `dmAllowed` is the one rule.
 */
export const DmPolicy = z.enum(['anyone', 'supervised', 'staff_only', 'nobody']);
export type DmPolicy = z.infer<typeof DmPolicy>;
export const WorkspaceName = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'a name is required'),
    z.maxLength(80, 'the name is at most 80 characters'),
  );
export const WorkspaceSettings = z.object({
  workspaceName: WorkspaceName,
  studentDmPolicy: DmPolicy,
  /**
   * The staff member who supervises students' DMs under 'supervised' (kept, unused, under the other
   * policies, so switching back offers the same person). Null when none was chosen.
   */
  dmSupervisorId: z.nullable(z.string()),
  /**
   * How long a sign-in lasts, in days (the SESSION_TTL_HOURS default until an admin sets one, so it may be
   * a fraction). New sessions get it; an existing session also ends once it is this old (a shorter length
   * applies at once; a longer one does not lengthen sessions already given out).
   */
  sessionLengthDays: z.number(),
  /** The largest file a person may attach, in MB (issue 17): refused when the upload starts. */
  attachmentMaxFileMb: z.number(),
  /** How much a person may upload in a day (the last 24 hours), in MB. */
  attachmentDailyMb: z.number(),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

/** Every HTTP error has this shape: a stable code for programs and a sentence for people. */
export const ApiError = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;

/** Answers the PWA reads whole (so the client needs no schema library of its own). */
export const OkReply = z.object({ ok: z.literal(true) });
export const MeReply = z.object({ user: Me });
