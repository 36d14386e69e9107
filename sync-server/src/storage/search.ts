import type { Db } from './db.ts';

/**
 * Server search's one query (issue 16, docs/THREAT_MODEL.md T18) over the FTS5 index of migration 16. Who
 * may see what is decided inside the SQL: a hit's conversation must have the asker as a member (channels
 * and DMs alike, a DM's silent supervisor included, as auth/policy.ts reads them), or be the public or
 * announcement channel the search is limited to (everyone may read those, members or not). Deleted, removed,
 * redacted and retention-blanked messages are out of the index and, again, out of the WHERE clause.
 * `match` must be an FTS5 expression built by the service from the person's words, never their own syntax.
 */
export type SearchStore = ReturnType<typeof createSearchStore>;

export type SearchFilter = {
  userId: string;
  /** The FTS5 MATCH expression (services/search.ts builds it). */
  match: string;
  conversationId: string | null;
  authorId: string | null;
  /** Received at or after, and before (excluded), in ms. */
  after: number | null;
  before: number | null;
  threadsOnly: boolean;
  linksOnly: boolean;
};

export type SearchRow = {
  rowid: number;
  conversationId: string;
  authorId: string;
  localId: string;
  seq: number;
  parentKey: string | null;
  sentAt: number;
  receivedAt: number;
  edited: number;
  snippet: string;
};

/** Snippet length in words: a phone's two lines of context around the match. */
const SNIPPET_WORDS = 24;

/**
 * Best match ranks this many of the newest readable matches: relevance among recent history, at a bounded
 * cost (ranking all of a common word's matches took 170 ms at 1M messages; BENCHMARKS.md). Older matches are
 * still found newest first, or with a date range.
 */
export const BEST_WINDOW = 2_000;

const COLUMNS = `
  SELECT m.rowid AS rowid, m.conversation_id AS conversationId, m.author_id AS authorId,
         m.local_id AS localId, m.seq, m.parent_key AS parentKey, m.client_ts AS sentAt,
         m.received_at AS receivedAt, m.edited_at IS NOT NULL AS edited,
         snippet(message_search, 0, @open, @close, '…', ${SNIPPET_WORDS}) AS snippet`;

/** The readable matches: the membership rule and the filters, in the statement itself (T18). */
const READABLE = `
    FROM message_search CROSS JOIN messages m ON m.rowid = message_search.rowid
   WHERE message_search MATCH @match
     AND m.deleted_at IS NULL AND m.removed_by IS NULL AND m.redacted_at IS NULL AND m.purged_at IS NULL
     AND (EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = m.conversation_id AND mb.user_id = @me)
          OR (m.conversation_id = @conversation AND EXISTS (SELECT 1 FROM conversations c
                WHERE c.id = m.conversation_id AND c.kind IN ('public', 'announcement'))))
     AND (@conversation IS NULL OR m.conversation_id = @conversation)
     AND (@author IS NULL OR m.author_id = @author)
     AND (@after IS NULL OR m.received_at >= @after)
     AND (@before IS NULL OR m.received_at < @before)
     AND (@threads = 0 OR m.parent_key IS NOT NULL)
     AND (@links = 0 OR m.text LIKE '%http://%' OR m.text LIKE '%https://%' OR m.text LIKE '%www.%')`;

type Params = {
  me: string;
  match: string;
  conversation: string | null;
  author: string | null;
  after: number | null;
  before: number | null;
  threads: number;
  links: number;
  open: string;
  close: string;
  limit: number;
};

export function createSearchStore(db: Db) {
  // Newest first walks the index backwards by rowid (the order messages were stored) and stops at the page:
  // the cost follows the page and how much of the matches the person may read, not the number of matches.
  const newest = db.prepare<[Params & { below: number }], SearchRow>(
    `${COLUMNS} ${READABLE} AND message_search.rowid < @below
     ORDER BY message_search.rowid DESC LIMIT @limit`,
  );
  // Best match: the newest BEST_WINDOW readable matches ranked by bm25 (words in the text count more than
  // emoji), newest first among equals, pages by offset; snippets are made for the page only.
  const best = db.prepare<[Params & { offset: number }], SearchRow>(
    `WITH ranked AS (
       SELECT message_search.rowid AS id, bm25(message_search, 1.0, 0.5) AS score ${READABLE}
       ORDER BY message_search.rowid DESC LIMIT ${BEST_WINDOW}
     ), page AS (
       SELECT id, score FROM ranked ORDER BY score, id DESC LIMIT @limit OFFSET @offset
     )
     ${COLUMNS}
       FROM page CROSS JOIN message_search ON message_search.rowid = page.id
            CROSS JOIN messages m ON m.rowid = page.id
      WHERE message_search MATCH @match
      ORDER BY page.score, page.id DESC`,
  );
  const params = (f: SearchFilter, marks: { open: string; close: string }, limit: number): Params => ({
    me: f.userId,
    match: f.match,
    conversation: f.conversationId,
    author: f.authorId,
    after: f.after,
    before: f.before,
    threads: f.threadsOnly ? 1 : 0,
    links: f.linksOnly ? 1 : 0,
    open: marks.open,
    close: marks.close,
    limit,
  });
  return {
    /** Up to `limit` hits stored before `belowRowid` (null: from the newest), newest first. */
    newest(
      f: SearchFilter,
      marks: { open: string; close: string },
      limit: number,
      belowRowid: number | null,
    ) {
      return newest.all({ ...params(f, marks, limit), below: belowRowid ?? Number.MAX_SAFE_INTEGER });
    },
    /** Up to `limit` hits after the first `offset`, best match first. */
    best(f: SearchFilter, marks: { open: string; close: string }, limit: number, offset: number) {
      return best.all({ ...params(f, marks, limit), offset });
    },
  };
}
