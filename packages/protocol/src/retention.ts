// Retention and export (issue 14 §7): the retention settings, and the leads' exports of a case, a person's
// messages or a conversation. Apart from http.ts (the first screen): used by the admin and safeguarding
// areas, which load later.
import * as z from 'zod/mini';

/** Retention periods an admin may choose, in whole days (ten years at most: longer is "keep forever"). */
export const RETENTION_DAYS = { min: 1, max: 3650 } as const;

/**
 * How long content is kept, per kind, in days; null keeps it forever (the default). Channels: public,
 * private and announcement channels. DMs: direct messages. The safeguarding store: the server's own copy of
 * messages and their earlier texts (edits, deletions, removals), and closed cases. Pinned messages and
 * messages in an open case are kept whatever these say.
 */
export const RetentionSettings = z.object({
  channelsDays: z.nullable(z.number()),
  dmsDays: z.nullable(z.number()),
  safeguardingDays: z.nullable(z.number()),
});
export type RetentionSettings = z.infer<typeof RetentionSettings>;

const Days = z.nullable(
  z
    .number()
    .check(
      z.int('a retention period is a whole number of days'),
      z.gte(RETENTION_DAYS.min, `keep content at least ${RETENTION_DAYS.min} day`),
      z.lte(RETENTION_DAYS.max, `a retention period is at most ${RETENTION_DAYS.max} days`),
    ),
);
/** PATCH /api/admin/retention: any of the periods; null is "keep forever". Each change is audited. */
export const RetentionPatch = z.object({
  channelsDays: z.optional(Days),
  dmsDays: z.optional(Days),
  safeguardingDays: z.optional(Days),
});
export type RetentionPatch = z.infer<typeof RetentionPatch>;

/** The version of the export files' shape (docs/THREAT_MODEL.md T16). Bumped when a field changes meaning. */
export const EXPORT_VERSION = 1;
export const EXPORT_FORMATS = ['json', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));

/**
 * POST /api/safeguarding/exports: what to export (a case by its number, a person or a conversation by id),
 * as what, and why (written to the audit log). A flat subject, not a discriminated union: that would add
 * zod's union code to the chunk the first screen shares with the lazy areas.
 */
export const ExportRequest = z.object({
  subject: z.object({
    kind: z.enum(['case', 'person', 'conversation']),
    id: Id,
  }),
  format: z.enum(EXPORT_FORMATS),
  reason: z
    .string()
    .check(
      z.trim(),
      z.minLength(10, 'say why you are exporting this (at least 10 characters)'),
      z.maxLength(1000, 'the reason is at most 1000 characters'),
    ),
});
export type ExportRequest = z.infer<typeof ExportRequest>;
export type ExportSubject = ExportRequest['subject'];

const Person = z.object({ id: z.string(), name: z.string() });

/**
 * A message's file as a safeguarding lead sees it (issue 17, migration 21): `stored` (members see it),
 * `held` (its message went while a case on it is open: kept for the leads only) or `deleted` (only this
 * record is left: the name, size, type and SHA-256 the police and the IWF can match against).
 */
export const MessageFileInfo = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  type: z.string(),
  sha256: z.string(),
  state: z.enum(['stored', 'held', 'deleted']),
  hasThumb: z.boolean(),
});
export type MessageFileInfo = z.infer<typeof MessageFileInfo>;

/** One message as exported: its current text, what happened to it, and every earlier text. */
export const ExportMessage = z.object({
  conversationId: z.string(),
  conversationName: z.string(),
  authorId: z.string(),
  authorName: z.string(),
  localId: z.string(),
  /** Its place in the conversation (arrival order). */
  seq: z.number(),
  /** `author:localId` of the thread's first message, for a reply. */
  parentKey: z.nullable(z.string()),
  text: z.string(),
  writtenAt: z.number(),
  receivedAt: z.number(),
  editedAt: z.nullable(z.number()),
  deletedAt: z.nullable(z.number()),
  removedBy: z.nullable(Person),
  /** Taken off every device by retention (its text may still be here, in the safeguarding store). */
  redactedAt: z.nullable(z.number()),
  /** The safeguarding store's copy was removed by retention: `text` and the revisions are gone. */
  purgedAt: z.nullable(z.number()),
  revisions: z.array(
    z.object({
      kind: z.string(),
      previousText: z.string(),
      newText: z.nullable(z.string()),
      by: Person,
      at: z.number(),
    }),
  ),
  /** Absent in exports made before files were recorded. */
  files: z.optional(z.array(MessageFileInfo)),
});
export type ExportMessage = z.infer<typeof ExportMessage>;

const Header = {
  version: z.literal(EXPORT_VERSION),
  college: z.string(),
  exportedBy: Person,
  exportedAt: z.number(),
  reason: z.string(),
  /** More messages matched than an export holds (EXPORT_MAX_MESSAGES): the oldest are included. */
  truncated: z.boolean(),
};

export const CaseExport = z.object({
  ...Header,
  kind: z.literal('case'),
  case: z.object({
    id: z.number(),
    type: z.enum(['report', 'keyword']),
    status: z.string(),
    outcome: z.nullable(z.string()),
    assignee: z.nullable(Person),
    matched: z.array(z.string()),
    excerpt: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
    reporters: z.array(
      z.object({ id: z.string(), name: z.string(), reason: z.string(), detail: z.string(), at: z.number() }),
    ),
    /** What was done to the case, from the audit log: status, outcome and assignee changes, notes, views. */
    history: z.array(
      z.object({ at: z.number(), by: z.nullable(Person), action: z.string(), detail: z.unknown() }),
    ),
    notes: z.array(z.object({ at: z.number(), by: Person, text: z.string() })),
  }),
  conversation: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
  message: z.nullable(ExportMessage),
  /** The messages either side of it, in order, the message included. */
  context: z.array(ExportMessage),
});
export type CaseExport = z.infer<typeof CaseExport>;

export const PersonExport = z.object({
  ...Header,
  kind: z.literal('person'),
  person: z.object({ id: z.string(), name: z.string(), role: z.string() }),
  /** Every message they wrote, in every conversation, oldest first. */
  messages: z.array(ExportMessage),
});
export type PersonExport = z.infer<typeof PersonExport>;

export const ConversationExport = z.object({
  ...Header,
  kind: z.literal('conversation'),
  conversation: z.object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    members: z.array(Person),
  }),
  /** In conversation order. */
  messages: z.array(ExportMessage),
});
export type ConversationExport = z.infer<typeof ConversationExport>;

export type AnyExport = CaseExport | PersonExport | ConversationExport;

/** The most messages one export holds (a person's whole history, a busy channel's). */
export const EXPORT_MAX_MESSAGES = 20_000;
