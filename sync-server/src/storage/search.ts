import type { Db } from './db.ts';

/**
 * Server search's one query (issue 16, docs/THREAT_MODEL.md T19) over the FTS5 index of migration 18. Who
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
  /**
   * Written at or after, and before (excluded), in ms: the message's own time (client_ts), the time its
   * conversation shows and the device's index filters on, so both halves of a search agree.
   */
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

/**
 * Newest first reads at most this many of the words' matches per answer, newest first, before the filters
 * and the membership test pick the page from them. A rare filter (one person, an old week, a link) over a
 * common word once read every match in the index (a hundred thousand at 1M messages) to fill a page or find
 * there is none; now an answer stops at the window and says more may exist below it (`floor`), and the
 * next page starts there.
 */
export const SCAN_WINDOW = 5_000;

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

/** The readable matches: the membership rule and the filters, in the statement itself (T19). */
const READABLE = `
    FROM message_search CROSS JOIN messages m ON m.rowid = message_search.rowid
   WHERE message_search MATCH @match
     AND m.deleted_at IS NULL AND m.removed_by IS NULL AND m.redacted_at IS NULL AND m.purged_at IS NULL
     AND (EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = m.conversation_id AND mb.user_id = @me)
          OR (m.conversation_id = @conversation AND EXISTS (SELECT 1 FROM conversations c
                WHERE c.id = m.conversation_id AND c.kind IN ('public', 'announcement'))))
     AND (@conversation IS NULL OR m.conversation_id = @conversation)
     AND (@author IS NULL OR m.author_id = @author)
     AND (@after IS NULL OR m.client_ts >= @after)
     AND (@before IS NULL OR m.client_ts < @before)
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

/**
 * Most conversations whose ids narrow a search inside FTS5. Beyond it (an admin in every channel) the search
 * is not narrowed there: the statement's membership test alone decides, at the cost of reading every match.
 */
const MAX_NARROWED = 200;

/** A conversation id as the `conv` word migration 18 indexes ('c' and the id's bytes in hex). */
const convWord = (id: string): string => `"c${Buffer.from(id, 'utf8').toString('hex').toUpperCase()}"`;

export function createSearchStore(db: Db, opts: { scanWindow?: number } = {}) {
  const scanWindow = opts.scanWindow ?? SCAN_WINDOW;
  const mine = db.prepare<[string, number], { id: string }>(
    'SELECT conversation_id AS id FROM members WHERE user_id = ? LIMIT ?',
  );
  /**
   * The person's words narrowed, inside FTS5, to the conversations the search may look in: the one it is
   * limited to, or (`all`) the person's own. Only a speed-up: it lets FTS5 skip other conversations' matches
   * without reading their rows; whether a hit may be read is the statement's membership test (T19), which
   * stays. Null when nothing can be read at all. Newest first narrows only to one conversation: it stops at
   * the page anyway, and an OR of twenty conversations made a rare word's search twice as slow at 1M
   * messages; best match reads every match in its window, and narrowed it took a third of the CPU time.
   */
  const narrowed = (f: SearchFilter, all: boolean): string | null => {
    if (f.conversationId !== null) return `(${f.match}) AND conv : ${convWord(f.conversationId)}`;
    if (!all) return f.match;
    const ids = mine.all(f.userId, MAX_NARROWED + 1).map((r) => r.id);
    if (ids.length === 0) return null;
    if (ids.length > MAX_NARROWED) return f.match;
    return `(${f.match}) AND conv : (${ids.map(convWord).join(' OR ')})`;
  };
  // Newest first walks the index backwards by rowid (the order messages were stored) and stops at the page
  // or at the window's floor, whichever first: first the window (the rowid of the `scan`-th newest match
  // below the cursor, and whether there were that many: ids only, from FTS5's own lists), then the page
  // inside it, filters and membership in the statement. The cost follows the window, never the number of
  // matches.
  //
  // The window counts only matches the person may read: its floor comes back as the next cursor, and a floor
  // counted over everyone's messages would tell, cursor by cursor, whether a DM one is not in holds a word
  // (review of issue 16). Narrowed inside FTS5 to the conversations readable (ids only, still cheap); for
  // someone in more than MAX_NARROWED conversations, by the membership test on each match instead.
  const window = db.prepare<[{ match: string; below: number; scan: number }], { floor: number; n: number }>(
    `SELECT coalesce(min(id), 0) AS floor, count(*) AS n FROM (
       SELECT rowid AS id FROM message_search WHERE message_search MATCH @match AND rowid < @below
        ORDER BY rowid DESC LIMIT @scan)`,
  );
  const memberWindow = db.prepare<
    [{ match: string; below: number; scan: number; me: string }],
    { floor: number; n: number }
  >(
    `SELECT coalesce(min(id), 0) AS floor, count(*) AS n FROM (
       SELECT message_search.rowid AS id FROM message_search CROSS JOIN messages m ON m.rowid = message_search.rowid
        WHERE message_search MATCH @match AND message_search.rowid < @below
          AND EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = m.conversation_id AND mb.user_id = @me)
        ORDER BY message_search.rowid DESC LIMIT @scan)`,
  );
  const readable = db.prepare<[string, string], { ok: number }>(
    `SELECT 1 AS ok FROM conversations c WHERE c.id = ? AND (c.kind IN ('public', 'announcement')
       OR EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = c.id AND mb.user_id = ?))`,
  );
  /** The window over what the person may read (see above); null when they may read nothing asked for. */
  const readableWindow = (f: SearchFilter, below: number): { floor: number; n: number } | null => {
    if (f.conversationId !== null) {
      if (!readable.get(f.conversationId, f.userId)) return null;
      return window.get({ match: narrowed(f, false) ?? f.match, below, scan: scanWindow }) ?? null;
    }
    const ids = mine.all(f.userId, MAX_NARROWED + 1).map((r) => r.id);
    if (ids.length === 0) return null;
    if (ids.length > MAX_NARROWED)
      return memberWindow.get({ match: f.match, below, scan: scanWindow, me: f.userId }) ?? null;
    const match = `(${f.match}) AND conv : (${ids.map(convWord).join(' OR ')})`;
    return window.get({ match, below, scan: scanWindow }) ?? null;
  };
  const newest = db.prepare<[Params & { below: number; floor: number }], SearchRow>(
    `${COLUMNS} ${READABLE} AND message_search.rowid < @below AND message_search.rowid >= @floor
     ORDER BY message_search.rowid DESC LIMIT @limit`,
  );
  // Best match: the newest BEST_WINDOW readable matches ranked by bm25 (words in the text count more than
  // emoji), newest first among equals, pages by offset. Ranked first by rowid and score alone; the page's
  // rows and snippets are then read in one pass over the page's rowid range (a lookup by rowid per hit made
  // FTS5 start the whole expression again for each).
  const ranked = db.prepare<[Params], { id: number; score: number }>(
    `SELECT message_search.rowid AS id, bm25(message_search, 1.0, 0.5, 0.0) AS score ${READABLE}
     ORDER BY message_search.rowid DESC LIMIT ${BEST_WINDOW}`,
  );
  const rows = db.prepare<[Params & { lo: number; hi: number; ids: string }], SearchRow>(
    `${COLUMNS} ${READABLE} AND message_search.rowid BETWEEN @lo AND @hi
       AND +message_search.rowid IN (SELECT value FROM json_each(@ids))`,
  );
  const params = (
    f: SearchFilter,
    match: string,
    marks: { open: string; close: string },
    limit: number,
  ): Params => ({
    me: f.userId,
    match,
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
    /**
     * Up to `limit` hits stored before `belowRowid` (null: from the newest), newest first, from the newest
     * SCAN_WINDOW matches there. `floor` is where the window stopped when it was full: more may exist
     * below it, though fewer than `limit` (even none) passed the filters; null when every match was read.
     */
    newest(
      f: SearchFilter,
      marks: { open: string; close: string },
      limit: number,
      belowRowid: number | null,
    ): { rows: SearchRow[]; floor: number | null } {
      const match = narrowed(f, false);
      if (match === null) return { rows: [], floor: null };
      const below = belowRowid ?? Number.MAX_SAFE_INTEGER;
      const w = readableWindow(f, below);
      if (w === null) return { rows: [], floor: null };
      const full = w.n >= scanWindow;
      const rows = newest.all({ ...params(f, match, marks, limit), below, floor: full ? w.floor : 0 });
      return { rows, floor: full ? w.floor : null };
    },
    /** Up to `limit` hits after the first `offset`, best match first. */
    best(f: SearchFilter, marks: { open: string; close: string }, limit: number, offset: number) {
      const match = narrowed(f, true);
      if (match === null) return [];
      const p = params(f, match, marks, limit);
      const page = ranked
        .all(p)
        .sort((a, b) => a.score - b.score || b.id - a.id)
        .slice(offset, offset + limit);
      if (page.length === 0) return [];
      const order = new Map(page.map((r, i) => [r.id, i]));
      const ids = page.map((r) => r.id);
      return rows
        .all({ ...p, lo: Math.min(...ids), hi: Math.max(...ids), ids: JSON.stringify(ids) })
        .sort((a, b) => (order.get(a.rowid) ?? 0) - (order.get(b.rowid) ?? 0));
    },
  };
}
