// Safeguarding (issue 14 §1, §2, §5, §6): report a concern, the leads' queue, keyword alerts, monitoring.
import * as z from 'zod/mini';

import { MessageFileInfo } from './retention.ts';
import { ITEM_STATUSES, REPORT_REASONS } from './safeguarding-labels.ts';

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));

export const ReportReason = z.enum(REPORT_REASONS);
export type ReportReason = z.infer<typeof ReportReason>;

/**
 * A report of one message. `id` is made by the reporter's device when the report is written (also
 * offline) and makes the POST idempotent: a device that sends it again after a lost answer files nothing
 * twice.
 */
export const ReportRequest = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a valid report id')),
  conversationId: Id,
  authorId: Id,
  localId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid message id')),
  reason: ReportReason,
  detail: z._default(
    z.string().check(z.trim(), z.maxLength(1000, 'the details are at most 1000 characters')),
    '',
  ),
});
export type ReportRequest = z.infer<typeof ReportRequest>;

export const ItemStatus = z.enum(ITEM_STATUSES);
export type ItemStatus = z.infer<typeof ItemStatus>;

/** A change of an item's status (closing needs an outcome) or assignee (null: nobody). */
export const ItemPatch = z.object({
  status: z.optional(ItemStatus),
  outcome: z.optional(z.string().check(z.trim(), z.maxLength(500, 'the outcome is at most 500 characters'))),
  assigneeId: z.optional(z.nullable(Id)),
});
export const NoteRequest = z.object({
  text: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'write the note first'),
      z.maxLength(4000, 'a note is at most 4000 characters'),
    ),
});
/** A lead removes the reported message for everyone (issue 14 §3): the reason is kept with the removal. */
export const RemoveRequest = z.object({
  reason: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'say why it is removed'),
      z.maxLength(500, 'a reason is at most 500 characters'),
    ),
});
export const KEYWORD_MAX = 500;
export const KeywordsRequest = z.object({
  phrases: z
    .array(
      z
        .string()
        .check(
          z.trim(),
          z.minLength(1, 'a phrase is empty'),
          z.maxLength(100, 'a phrase is at most 100 characters'),
        ),
    )
    .check(z.maxLength(KEYWORD_MAX, `at most ${KEYWORD_MAX} phrases`)),
});
/**
 * A page's cursor (keyset paging, issue 14 follow-up): the position of the last row of the page before,
 * opaque to the app, which only sends back the `nextCursor` it was given.
 */
export const PageCursor = z.string().check(z.regex(/^[0-9]{1,16}$/, 'not a valid page'));
export const MonitorRequest = z.object({
  /** Absent: the newest messages. A transcript's `nextCursor`: the messages before those. */
  cursor: z.optional(PageCursor),
  reason: z
    .string()
    .check(
      z.trim(),
      z.minLength(10, 'say why you are opening this conversation (at least 10 characters)'),
      z.maxLength(1000, 'the reason is at most 1000 characters'),
    ),
});
export const LeadRequest = z.object({ lead: z.boolean() });

export const ItemKind = z.enum(['report', 'keyword']);

/** One line of the queue. */
export const QueueItem = z.object({
  id: z.number(),
  kind: ItemKind,
  status: ItemStatus,
  outcome: z.nullable(z.string()),
  assigneeId: z.nullable(z.string()),
  assigneeName: z.nullable(z.string()),
  conversationId: z.string(),
  conversationName: z.string(),
  authorId: z.string(),
  authorName: z.string(),
  localId: z.string(),
  /** Report reasons, or the keyword phrases matched. */
  reasons: z.array(z.string()),
  reporterCount: z.number(),
  excerpt: z.string(),
  /** When the message was written on its device (`ts`) and when the server received it. */
  writtenAt: z.nullable(z.number()),
  receivedAt: z.nullable(z.number()),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type QueueItem = z.infer<typeof QueueItem>;
/** A page of the queue, newest first; `nextCursor` reads the next (older) page, null after the last. */
export const QueuePage = z.object({ items: z.array(QueueItem), nextCursor: z.nullable(z.string()) });

export const TranscriptMessage = z.object({
  authorId: z.string(),
  authorName: z.string(),
  localId: z.string(),
  seq: z.number(),
  text: z.string(),
  writtenAt: z.number(),
  receivedAt: z.number(),
  editedAt: z.nullable(z.number()),
  deleted: z.boolean(),
  removed: z.boolean(),
  /** Its text is no longer kept (retention): an empty `text` alone may be a message of files only. */
  purged: z.optional(z.boolean()),
  /** Its files, those kept for an open case and the records of those deleted too (migration 21). */
  files: z.optional(z.array(MessageFileInfo)),
});
export type TranscriptMessage = z.infer<typeof TranscriptMessage>;

export const ItemDetail = z.object({
  item: QueueItem,
  message: z.nullable(TranscriptMessage),
  context: z.array(TranscriptMessage),
  revisions: z.array(
    z.object({ kind: z.string(), previousText: z.string(), newText: z.nullable(z.string()), at: z.number() }),
  ),
  reporters: z.array(
    z.object({ id: z.string(), name: z.string(), reason: z.string(), detail: z.string(), at: z.number() }),
  ),
  people: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })),
  notes: z.array(z.object({ id: z.number(), authorName: z.string(), text: z.string(), at: z.number() })),
});
export type ItemDetail = z.infer<typeof ItemDetail>;

/**
 * For the app's way in: whether this person is a lead, how many items are open, and the newest item (a
 * lead's app tells them when a newer one arrives: issue 14 §2 "a new report notifies the leads").
 */
export const SafeguardingSummary = z.object({
  lead: z.boolean(),
  open: z.number(),
  latest: z.nullable(z.object({ id: z.number(), kind: ItemKind })),
});
export const ReportReply = z.object({ ok: z.literal(true), itemId: z.number() });
export const KeywordList = z.object({ phrases: z.array(z.string()) });
export const LeadReply = z.object({ lead: z.boolean() });
export const MonitorConversation = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  members: z.number(),
});
export const MonitorList = z.object({ conversations: z.array(MonitorConversation) });
export type MonitorList = z.infer<typeof MonitorList>;
export const Transcript = z.object({
  conversation: MonitorConversation,
  /** One page, oldest first; `nextCursor` reads the page of messages before it, null at the first. */
  messages: z.array(TranscriptMessage),
  nextCursor: z.nullable(z.string()),
  audited: z.boolean(),
});
export type Transcript = z.infer<typeof Transcript>;
