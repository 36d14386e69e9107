// zod/mini, as http.ts: read by the server and the device's lazily loaded search; the first screen needs none.
import * as z from 'zod/mini';

/**
 * Server search (issue 16, docs/PROTOCOL.md "Search"): GET /api/search over the messages the asking person
 * may read now, for history their device does not hold. The device merges these hits with its own index's,
 * without duplicates, by `conversationId` and `key`.
 */
export const SEARCH_LIMITS = {
  /** Characters of `q`, after trimming. */
  maxQueryChars: 200,
  /** Words of `q` (emoji count as words). */
  maxWords: 12,
  /** Hits in one answer. */
  maxHits: 50,
  defaultHits: 20,
} as const;

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));
const Millis = z.string().check(z.regex(/^\d{1,15}$/, 'not a time (milliseconds since the epoch)'));
const Flag = z.enum(['1', 'true', '0', 'false']);

/** Newest first (the order the server stored them), or best match (FTS5 bm25, then newest). */
export const SearchOrder = z.enum(['newest', 'best']);
export type SearchOrder = z.infer<typeof SearchOrder>;

/**
 * The query string of GET /api/search, as the URL carries it (all strings). `q` is the person's words, never
 * a query language: every word is searched as a word (quotes, `*`, `NEAR(`, `AND`, `-`, `:` are only
 * characters); the last word also matches as a prefix (typing). `after` and `before` are epoch milliseconds
 * of the time written on the message (`sentAt`, the time a conversation shows beside it; the device's own
 * index filters on the same), `before` excluded. `cursor` is the `cursor` of the previous answer, opaque.
 */
export const SearchQuery = z.object({
  // Length and word limits are checked by the server with their own words (SEARCH_LIMITS); this bound only
  // keeps an absurd URL from being parsed further.
  q: z.string().check(z.maxLength(20_000)),
  conversationId: z.optional(Id),
  authorId: z.optional(Id),
  after: z.optional(Millis),
  before: z.optional(Millis),
  /** Only replies in threads. */
  threads: z.optional(Flag),
  /** Only messages with a link (http://, https:// or www.). */
  links: z.optional(Flag),
  order: z.optional(SearchOrder),
  limit: z.optional(z.string().check(z.regex(/^\d{1,2}$/, 'not a number from 1 to 50'))),
  cursor: z.optional(z.string().check(z.regex(/^[nb]\.\d{1,15}$/, 'not a cursor from this server'))),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/**
 * A snippet as parts: `match` parts are the words that matched (to be marked), the rest plain text. Text,
 * never HTML: render each part as a text node. Cut ends carry '…'.
 */
export const SnippetPart = z.object({ text: z.string(), match: z.boolean() });
export type SnippetPart = z.infer<typeof SnippetPart>;

export const SearchHit = z.object({
  conversationId: Id,
  authorId: Id,
  localId: z.string(),
  /** `authorId:localId`, the message's key in the conversation (as a thread's parentKey names it). */
  key: z.string(),
  /** The thread's parent message key when this is a reply, else null. */
  parentKey: z.nullable(z.string()),
  /** The message's place in its conversation (the server's arrival order there). */
  seq: z.number(),
  /** When the author's device wrote it, and when the server received it (ms since the epoch). */
  sentAt: z.number(),
  receivedAt: z.number(),
  edited: z.boolean(),
  snippet: z.array(SnippetPart),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchReply = z.object({
  hits: z.array(SearchHit),
  /**
   * Whether more hits may follow; pass `cursor` to get them. Newest first reads a bounded window of the
   * matches per answer, so it may say so with fewer hits than asked, even none (a rare filter over a common
   * word): the next answer goes on below.
   */
  more: z.boolean(),
  cursor: z.nullable(z.string()),
});
export type SearchReply = z.infer<typeof SearchReply>;
