import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { Role } from './roles.ts';

/** Request and response bodies of the HTTP API. The server parses requests with these; clients parse answers. */

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id');
const Email = z.string().trim().toLowerCase().email('not a valid email address').max(254);
const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{2,40}$/, 'usernames are 2–40 letters, digits, dots, dashes or underscores');
const DisplayName = z.string().trim().min(1, 'a name is required').max(LIMITS.maxDisplayNameLength);
const Password = z
  .string()
  .min(10, 'passwords need at least 10 characters')
  .max(256, 'passwords are at most 256 characters');
const ChannelName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{0,59}$/, 'channel names are lowercase letters, digits, dashes or underscores');

export const LoginRequest = z.object({
  /** Email address or username. */
  login: z.string().trim().min(1, 'enter your email or username').max(254),
  password: z.string().min(1, 'enter your password').max(256),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const SetupRequest = z.object({
  token: z.string().min(10).max(200),
  email: Email,
  displayName: DisplayName,
  password: Password,
});

export const PublicUser = z.object({
  id: Id,
  displayName: z.string(),
  username: z.string().nullable(),
  role: Role,
  active: z.boolean(),
});
export type PublicUser = z.infer<typeof PublicUser>;

export const Me = PublicUser.extend({ email: z.string().nullable() });
export type Me = z.infer<typeof Me>;

export const CreateUserRequest = z
  .object({
    displayName: DisplayName,
    email: Email.optional(),
    username: Username.optional(),
    role: Role,
    password: Password,
    /** Course channels to join, by name (e.g. level3-adult-care). */
    channels: z.array(ChannelName).max(50).optional(),
  })
  .refine((u) => u.email !== undefined || u.username !== undefined, {
    message: 'give an email address or a username',
  });
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

export const ChangeRoleRequest = z.object({ role: Role });
export const ResetPasswordRequest = z.object({ password: Password });
export const ChangePasswordRequest = z.object({ currentPassword: z.string().max(256), newPassword: Password });

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
  name: z.string().nullable(),
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
  description: z.string().trim().max(500).default(''),
});

export const UpdateChannelRequest = z.object({
  description: z.string().trim().max(500).optional(),
  topic: z.string().trim().max(250).optional(),
  archived: z.boolean().optional(),
});

export const OpenDmRequest = z.object({ userIds: z.array(Id).min(1).max(8) });
export const MembersRequest = z.object({ userIds: z.array(Id).min(1).max(500) });

export const DmPolicy = z.enum(['anyone', 'staff_only']);
export type DmPolicy = z.infer<typeof DmPolicy>;
export const WorkspaceSettings = z.object({ workspaceName: z.string().min(1).max(80), studentDmPolicy: DmPolicy });
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

/** Every HTTP error has this shape: a stable code for programs and a sentence for people. */
export const ApiError = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;
