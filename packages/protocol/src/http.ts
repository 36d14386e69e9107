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
const DisplayName = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'a name is required'),
    z.maxLength(LIMITS.maxDisplayNameLength, 'that name is too long'),
  );
const Password = z
  .string()
  .check(
    z.minLength(10, 'passwords need at least 10 characters'),
    z.maxLength(256, 'passwords are at most 256 characters'),
  );
const ChannelName = z
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
});
export type PublicUser = z.infer<typeof PublicUser>;

export const Me = z.extend(PublicUser, { email: z.nullable(z.string()) });
export type Me = z.infer<typeof Me>;

/**
 * A cohort (course group) such as bio-l3: the same shape as a channel name, because a cohort's course channel
 * is the channel of the same name (sync-server/src/services/cohorts.ts).
 */
export const Cohort = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.regex(/^[a-z0-9][a-z0-9_-]{0,59}$/, 'cohorts are lowercase letters, digits, dashes or underscores'),
  );
export const Cohorts = z.array(Cohort).check(z.maxLength(50, 'at most 50 cohorts'));

export const CreateUserRequest = z
  .object({
    displayName: DisplayName,
    email: z.optional(Email),
    username: z.optional(Username),
    role: Role,
    /** The first password; leave it out and set `link` to have a one-time set-password link made instead. */
    password: z.optional(Password),
    link: z.optional(z.boolean()),
    /** Course channels to join, by name (e.g. level3-adult-care); kept as cohorts too. */
    channels: z.optional(z.array(ChannelName).check(z.maxLength(50, 'at most 50 channels'))),
    /** Cohorts (courses): the person joins the course channel of each that has one. */
    cohorts: z.optional(Cohorts),
  })
  .check(
    z.refine((u) => u.email !== undefined || u.username !== undefined, 'give an email address or a username'),
    z.refine(
      (u) => u.password !== undefined || u.link === true,
      'give a password or ask for a one-time link',
    ),
  );
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** A one-time set-password link, shown once: the token travels in the address's fragment, never to a log. */
export const PasswordLink = z.object({ path: z.string(), expiresAt: z.number() });
export type PasswordLink = z.infer<typeof PasswordLink>;

export const ChangeRoleRequest = z.object({ role: Role });
export const ResetPasswordRequest = z.union([
  z.object({ password: Password }),
  z.object({ link: z.literal(true) }),
]);
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequest>;
export const ResetPasswordReply = z.object({ ok: z.literal(true), link: z.optional(PasswordLink) });
/** Name and cohorts of a person (PATCH /api/admin/users/:id); the channels follow the cohorts. */
export const UpdatePersonRequest = z.object({
  displayName: z.optional(DisplayName),
  cohorts: z.optional(Cohorts),
});
export type UpdatePersonRequest = z.infer<typeof UpdatePersonRequest>;

const LinkToken = z.string().check(z.regex(/^[A-Za-z0-9_-]{20,100}$/, 'not a set-password link'));
/** Before the form: is this link still good, and whose is it (the name only). */
export const SetPasswordCheck = z.object({ token: LinkToken });
export const SetPasswordState = z.object({
  state: z.enum(['valid', 'used', 'expired', 'invalid']),
  displayName: z.optional(z.string()),
});
export type SetPasswordState = z.infer<typeof SetPasswordState>;
export const SetPasswordRequest = z.object({ token: LinkToken, password: Password });
/** The login to sign in with, now that the password is set. */
export const SetPasswordReply = z.object({ login: z.string() });
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

export const DmPolicy = z.enum(['anyone', 'staff_only']);
export type DmPolicy = z.infer<typeof DmPolicy>;
export const WorkspaceSettings = z.object({
  workspaceName: z
    .string()
    .check(z.minLength(1, 'a name is required'), z.maxLength(80, 'at most 80 characters')),
  studentDmPolicy: DmPolicy,
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

/** Every HTTP error has this shape: a stable code for programs and a sentence for people. */
export const ApiError = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;

/** A person as the admin console's People table shows them (GET /api/admin/users with a query). */
export const AdminUser = z.extend(Me, {
  /** Cohorts (courses), comma-separated, or null. */
  cohort: z.nullable(z.string()),
  createdAt: z.number(),
  /** Connected now (presence, P9). */
  online: z.boolean(),
  /** Last connected or active, as far as this server has seen since it started (presence is not stored). */
  lastSeenAt: z.nullable(z.number()),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const ADMIN_USER_SORTS = ['name', 'login', 'role', 'status', 'created'] as const;

/** The People table's query: search, filters, sort and a page (the cursor is where the page starts). */
export const AdminUserQuery = z.object({
  query: z.optional(z.string().check(z.maxLength(200))),
  role: z.optional(Role),
  status: z.optional(z.enum(['active', 'deactivated'])),
  sort: z.optional(z.enum(ADMIN_USER_SORTS)),
  dir: z.optional(z.enum(['asc', 'desc'])),
  cohort: z.optional(Cohort),
  /** Opaque: where the page starts (after the last row of the page before), from `nextCursor`. */
  cursor: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,800}$/))),
  limit: z.optional(z.string().check(z.regex(/^\d{1,3}$/))),
});
export type AdminUserQuery = z.infer<typeof AdminUserQuery>;

export const AdminUserPage = z.object({
  users: z.array(AdminUser),
  /** How many match the search and filters in all. */
  total: z.number(),
  /** The cursor of the next page, or null on the last. */
  nextCursor: z.nullable(z.string()),
});
export type AdminUserPage = z.infer<typeof AdminUserPage>;

/** Answers the PWA reads whole (so the client needs no schema library of its own). */
export const OkReply = z.object({ ok: z.literal(true) });
export const MeReply = z.object({ user: Me });
export const AdminUserReply = z.object({ user: AdminUser });

export const CreateUserReply = z.object({ user: Me, link: z.optional(PasswordLink) });
export type CreateUserReply = z.infer<typeof CreateUserReply>;

/** Every cohort anyone is in, with how many people, and its course channel if one exists. */
export const CohortList = z.object({
  cohorts: z.array(z.object({ name: z.string(), people: z.number(), channel: z.nullable(z.string()) })),
});
export type CohortList = z.infer<typeof CohortList>;

export const ImportVerdict = z.enum(['new', 'update', 'unchanged', 'error']);
export type ImportVerdict = z.infer<typeof ImportVerdict>;
/** One row of a roster file as the import would treat it, before anything is written. */
export const ImportRow = z.object({
  line: z.number(),
  verdict: ImportVerdict,
  name: z.string(),
  login: z.string(),
  role: z.string(),
  cohorts: z.array(z.string()),
  /** What would change (update) or why not (error), in words. */
  notes: z.array(z.string()),
});
export type ImportRow = z.infer<typeof ImportRow>;
export const ImportCounts = z.object({
  new: z.number(),
  update: z.number(),
  unchanged: z.number(),
  error: z.number(),
});
export type ImportCounts = z.infer<typeof ImportCounts>;
export const ImportPreview = z.object({
  rows: z.array(ImportRow),
  counts: ImportCounts,
  /** Names the verdicts: the import refuses to run when the accounts changed since this preview. */
  digest: z.string(),
});
export type ImportPreview = z.infer<typeof ImportPreview>;
export const ImportOutcome = z.object({
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  errors: z.number(),
  /** One-time set-password links for the people created, when asked for: shown once. */
  links: z.array(z.object({ name: z.string(), login: z.string(), path: z.string() })),
  expiresAt: z.nullable(z.number()),
});
export type ImportOutcome = z.infer<typeof ImportOutcome>;
