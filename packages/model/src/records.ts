import { LIMITS } from '@commonroom/protocol';
import { z } from 'zod';

/**
 * The plain values stored in each document's root types, as runtime schemas. The server parses every value
 * a client inserts with these before the update is stored (docs/THREAT_MODEL.md T3).
 */

export const LocalId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
/** A message's key within a conversation: `${authorId}:${localId}`. The author part comes from the document. */
export const MessageKey = z.string().regex(/^[A-Za-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,40}$/);
export type MessageKey = z.infer<typeof MessageKey>;
const Timestamp = z.number().int().nonnegative().max(8_640_000_000_000_000);
export const Emoji = z.string().min(1).max(32).regex(/^\S+$/);

export const MessageRecord = z
  .object({
    id: LocalId,
    text: z.string().max(LIMITS.maxMessageChars),
    ts: Timestamp,
    /** Thread parent, by message key. */
    parent: MessageKey.optional(),
    /** A thread reply also shown in the channel. */
    alsoChannel: z.boolean().optional(),
  })
  .strict()
  .refine((m) => m.text.trim().length > 0, { message: 'message text is empty' });
export type MessageRecord = z.infer<typeof MessageRecord>;

export const EditRecord = z.object({ text: z.string().max(LIMITS.maxMessageChars), ts: Timestamp }).strict();
export type EditRecord = z.infer<typeof EditRecord>;

export const ModRecord = z.object({ by: LocalId, ts: Timestamp, reason: z.string().max(500).optional() }).strict();
export type ModRecord = z.infer<typeof ModRecord>;

export const IndexEntry = z.tuple([LocalId, LocalId]);

export const DeviceId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
export const ReadSeq = z.number().int().nonnegative();
export { Timestamp };

/**
 * A message's arrival position is `segment · SEGMENT_STRIDE + place in that segment's index`, so positions
 * keep growing across segments. Segments roll over long before a million messages.
 */
export const SEGMENT_STRIDE = 1_000_000;

/** Root type names per document kind. Anything else in an update is refused (see scanUpdate). */
export const AUTHOR_ROOTS = new Set(['msgs', 'edits', 'del', 'react', 'read']);
export const MOD_ROOTS = new Set(['pins', 'removed']);
export const IDX_ROOTS = new Set(['order', 'authors']);

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

/** @channel and @here, as written in message text. */
export const BROADCAST_MENTION = /(^|[^\w@])@(channel|here|everyone)\b/i;
