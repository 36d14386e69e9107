// The admin console's bodies (issue 13): apart from http.ts so the PWA's first screen does not carry them.
// Its own module, used only by lazily loaded code: the bundler drops a side-effect-free module nobody imports,
// but not a zod schema inside a module that is imported (zod's constructors are not marked pure).
import * as z from 'zod/mini';
import { ChannelName, DisplayName, Email, Me, Password, Username } from './http.ts';
import { Role } from './roles.ts';

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

/** A new password, or `link: true` for a one-time set-password link (one of the two). */
export const ResetPasswordRequest = z
  .object({ password: z.optional(Password), link: z.optional(z.literal(true)) })
  .check(
    z.refine(
      (r) => (r.password === undefined) !== (r.link === undefined),
      'give a new password or ask for a one-time link',
    ),
  );
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

/** A person as the admin console's People table shows them (GET /api/admin/users with a query). */
export const AdminUser = z.extend(Me, {
  /** Cohorts (courses), comma-separated, or null. */
  cohort: z.nullable(z.string()),
  createdAt: z.number(),
  /** Connected now (presence, P9). */
  online: z.boolean(),
  /** When they last disconnected (stored since issue 15), or connected if online now; null if never seen. */
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
