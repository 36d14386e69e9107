import { LIMITS } from '@commonroom/protocol';
import * as z from 'zod/mini';

/**
 * The plain values stored in each document's root types, as runtime schemas. The server parses every value
 * a client inserts with these before the update is stored (docs/THREAT_MODEL.md T3).
 */

const ID = /^[A-Za-z0-9_-]{1,40}$/;
export const LocalId = z.string().check(z.regex(ID, 'not a valid id'));
/** A message's key within a conversation: `${authorId}:${localId}`. The author part comes from the document. */
export const MessageKey = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,40}$/, 'not a message key'));
export type MessageKey = z.infer<typeof MessageKey>;
const Timestamp = z
  .number()
  .check(
    z.int('a time is a whole number'),
    z.minimum(0, 'a time is not negative'),
    z.maximum(8_640_000_000_000_000, 'that time is out of range'),
  );
export const Emoji = z
  .string()
  .check(
    z.minLength(1, 'no emoji'),
    z.maxLength(32, 'that emoji is too long'),
    z.regex(/^\S+$/, 'an emoji has no spaces'),
  );
const Text = z
  .string()
  .check(z.maxLength(LIMITS.maxMessageChars, `messages are at most ${LIMITS.maxMessageChars} characters`));

/**
 * A file attached to a message (issue 17): the attachment's id on the server and what a reader needs to show
 * it before fetching anything. The server checks each reference when the message is stored (the upload is
 * complete, its uploader is the message's author, it was uploaded to this conversation); the name, size and
 * type here are the author's words and are shown, never trusted (the server serves its own metadata).
 */
export const FileRef = z.strictObject({
  id: LocalId,
  name: z
    .string()
    .check(z.minLength(1, 'a file needs a name'), z.maxLength(255, 'a file name is at most 255 characters')),
  size: z.number().check(z.int('a size is a whole number'), z.minimum(0, 'a size is not negative')),
  type: z
    .string()
    .check(z.minLength(1, 'a file needs a type'), z.maxLength(100, 'a file type is at most 100 characters')),
  /** Pixel size of an image, for laying out its thumbnail before it loads. */
  w: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
  h: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
});
export type FileRef = z.infer<typeof FileRef>;
/** At most this many files on one message (Slack allows 10). */
export const MAX_FILES_PER_MESSAGE = 10;

export const MessageRecord = z
  .strictObject({
    id: LocalId,
    text: Text,
    ts: Timestamp,
    /** Thread parent, by message key. */
    parent: z.optional(MessageKey),
    /** A thread reply also shown in the channel. */
    alsoChannel: z.optional(z.boolean()),
    /** Attached files (issue 17); the text is then a caption and may be empty. */
    files: z.optional(
      z
        .array(FileRef)
        .check(
          z.minLength(1, 'an empty file list is left out'),
          z.maxLength(MAX_FILES_PER_MESSAGE, `at most ${MAX_FILES_PER_MESSAGE} files per message`),
        ),
    ),
  })
  .check(z.refine((m) => m.text.trim().length > 0 || (m.files?.length ?? 0) > 0, 'message text is empty'));
export type MessageRecord = z.infer<typeof MessageRecord>;

export const EditRecord = z.strictObject({ text: Text, ts: Timestamp });
export type EditRecord = z.infer<typeof EditRecord>;

export const ModRecord = z.strictObject({
  by: LocalId,
  ts: Timestamp,
  reason: z.optional(z.string().check(z.maxLength(500, 'a reason is at most 500 characters'))),
});
export type ModRecord = z.infer<typeof ModRecord>;

export const IndexEntry = z.tuple([LocalId, LocalId]);

/**
 * Why a message's content was taken out of its author's document (issue 14 §3, PROTOCOL P16): deleted by
 * its author, removed by a moderator, or past the conversation's retention period (§7).
 */
export type GoneWhy = 'deleted' | 'removed' | 'expired';

/**
 * The server's tombstone for a message whose content it took out of the author's document: what a reader
 * needs to keep its place (a thread's placeholder, "message deleted" above replies) and nothing it said.
 * Written only by the server, in the segment's index document.
 */
export type GoneRecord = { ts: number; why: GoneWhy; parent?: string; alsoChannel?: boolean };

export const DeviceId = z.string().check(z.regex(ID, 'not a valid device id'));
export const ReadSeq = z
  .number()
  .check(z.int('a read mark is a whole number'), z.minimum(0, 'a read mark is not negative'));
export { Timestamp };

/**
 * A message's arrival position is `segment · SEGMENT_STRIDE + place in that segment's index`, so positions
 * keep growing across segments. Segments roll over long before a million messages.
 */
export const SEGMENT_STRIDE = 1_000_000;

/** Root type names per document kind. Anything else in an update is refused (see scanUpdate). */
export const AUTHOR_ROOTS = new Set(['msgs', 'edits', 'del', 'react', 'read', 'readAt']);
export const MOD_ROOTS = new Set(['pins', 'removed']);
export const IDX_ROOTS = new Set(['order', 'authors', 'gone']);

export function messageKey(authorId: string, localId: string): MessageKey {
  return `${authorId}:${localId}`;
}

export function splitMessageKey(key: string): { authorId: string; localId: string } {
  const i = key.indexOf(':');
  return { authorId: key.slice(0, i), localId: key.slice(i + 1) };
}

/** Reactions are keyed `${messageKey} ${emoji}` in the reacting user's own document. */
export function reactionKey(key: MessageKey, emoji: string): string {
  return `${key} ${emoji}`;
}

export function splitReactionKey(k: string): { key: string; emoji: string } | null {
  const i = k.indexOf(' ');
  if (i < 0) return null;
  return { key: k.slice(0, i), emoji: k.slice(i + 1) };
}
