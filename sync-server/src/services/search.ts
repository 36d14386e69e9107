import { randomBytes } from 'node:crypto';
import { SEARCH_LIMITS, type SearchHit, type SearchQuery, type SearchReply } from '@commonroom/protocol';
import { emojiWords, withoutEmoji } from '../storage/search-marks.ts';
import type { SearchFilter, SearchRow, SearchStore } from '../storage/search.ts';
import { AppError } from './errors.ts';

/**
 * Server search (issue 16): the person's words become an FTS5 expression built here, each word a quoted
 * phrase (so `"`, `*`, `NEAR(`, `AND`, `-` and `:` are only characters, never syntax), the last word also a
 * prefix while it is being typed, emoji looked for in the index's emoji column. Who may read what is the
 * store's SQL (storage/search.ts); this file only shapes the question and the answer.
 */
export type SearchService = ReturnType<typeof createSearchService>;

/** A word worth searching for: it has a letter or a digit (unicode61 drops the rest). */
const WORDLIKE = /[\p{L}\p{N}]/u;

/** An FTS5 string: double quotes doubled, the whole quoted. */
const phrase = (word: string): string => `"${word.replaceAll('"', '""')}"`;

/** The MATCH expression for what the person typed, or a clear 400. */
export function matchExpression(q: string): string {
  // Control characters (NUL above all) end an FTS5 string early, whatever the quoting: as spaces they
  // separate words, which is what a person meant if they typed one at all.
  // eslint-disable-next-line no-control-regex -- the point is to match control characters
  const text = q.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (text.length > SEARCH_LIMITS.maxQueryChars)
    throw new AppError(
      400,
      'search-too-long',
      `Searches are at most ${SEARCH_LIMITS.maxQueryChars} characters. Try fewer words.`,
    );
  const words = withoutEmoji(text)
    .split(/\s+/)
    .filter((w) => WORDLIKE.test(w));
  const emoji = [
    ...new Set(
      emojiWords(text)
        .split(' ')
        .filter((w) => w !== ''),
    ),
  ];
  if (words.length + emoji.length > SEARCH_LIMITS.maxWords)
    throw new AppError(
      400,
      'search-too-many-words',
      `Search for at most ${SEARCH_LIMITS.maxWords} words at a time.`,
    );
  if (words.length + emoji.length === 0)
    throw new AppError(400, 'search-empty', 'Type a word to search for.');
  // Still typing the last word (no space after it): it also matches as the start of a longer one. One letter
  // alone would match most of the index, so a prefix needs two.
  const typing = !/\s$/.test(q) && words.length > 0 && !/\p{Extended_Pictographic}$/u.test(text);
  const parts = words.map(
    (w, i) =>
      `text : ${i === words.length - 1 && typing && [...w].length >= 2 ? `${phrase(w)}*` : phrase(w)}`,
  );
  for (const e of emoji) parts.push(`marks : ${phrase(e)}`);
  return parts.join(' AND ');
}

/** A snippet marked with `marks` as parts; emoji the search asked for are marked too (their own column). */
function snippetParts(s: string, marks: { open: string; close: string }, emoji: readonly string[]) {
  const parts: { text: string; match: boolean }[] = [];
  const push = (text: string, match: boolean): void => {
    if (text === '') return;
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += text;
    else parts.push({ text, match });
  };
  for (const [i, chunk] of s.split(marks.open).entries()) {
    const [hit, rest] = i === 0 ? ['', chunk] : splitOnce(chunk, marks.close);
    push(hit, true);
    if (emoji.length === 0) push(rest, false);
    else for (const piece of rest.split(/(\p{Extended_Pictographic})/u)) push(piece, emoji.includes(piece));
  }
  return parts;
}

const splitOnce = (s: string, sep: string): [string, string] => {
  const at = s.indexOf(sep);
  return at < 0 ? [s, ''] : [s.slice(0, at), s.slice(at + sep.length)];
};

const flag = (v: string | undefined): boolean => v === '1' || v === 'true';
const millis = (v: string | undefined): number | null => (v === undefined ? null : Number(v));

export function createSearchService(d: { store: SearchStore }) {
  return {
    search(userId: string, q: SearchQuery): SearchReply {
      const match = matchExpression(q.q);
      const order = q.order ?? 'newest';
      const limit = q.limit === undefined ? SEARCH_LIMITS.defaultHits : Number(q.limit);
      if (limit < 1 || limit > SEARCH_LIMITS.maxHits)
        throw new AppError(400, 'bad-search', `Ask for 1 to ${SEARCH_LIMITS.maxHits} results at a time.`);
      const cursor = q.cursor === undefined ? null : Number(q.cursor.slice(2));
      if (q.cursor !== undefined && q.cursor[0] !== order[0])
        throw new AppError(400, 'bad-cursor', 'That cursor belongs to a search in another order.');
      const filter: SearchFilter = {
        userId,
        match,
        conversationId: q.conversationId ?? null,
        authorId: q.authorId ?? null,
        after: millis(q.after),
        before: millis(q.before),
        threadsOnly: flag(q.threads),
        linksOnly: flag(q.links),
      };
      // Marks no message can contain: a fresh random tag each search, so text cannot fake a highlight.
      const tag = randomBytes(6).toString('hex');
      const marks = { open: `\u0001${tag}[`, close: `]${tag}\u0001` };
      // One more than asked: whether there are more is known without a second query.
      const { rows, floor } =
        order === 'newest'
          ? d.store.newest(filter, marks, limit + 1, cursor)
          : { rows: d.store.best(filter, marks, limit + 1, cursor ?? 0), floor: null };
      const page = rows.slice(0, limit);
      const emoji = [...(q.q.match(/\p{Extended_Pictographic}/gu) ?? [])];
      const hits = page.map((r) => hitOf(r, snippetParts(r.snippet, marks, emoji)));
      const last = page[page.length - 1];
      if (rows.length > limit && last)
        return {
          hits,
          more: true,
          cursor: order === 'newest' ? `n.${last.rowid}` : `b.${(cursor ?? 0) + limit}`,
        };
      // Newest first stopped at its window (storage/search.ts SCAN_WINDOW) with the page not full: more may
      // exist below it, and the next page starts there.
      if (floor !== null && floor > 1) return { hits, more: true, cursor: `n.${floor}` };
      return { hits, more: false, cursor: null };
    },
  };
}

const hitOf = (r: SearchRow, snippet: SearchHit['snippet']): SearchHit => ({
  conversationId: r.conversationId,
  authorId: r.authorId,
  localId: r.localId,
  key: `${r.authorId}:${r.localId}`,
  parentKey: r.parentKey,
  seq: r.seq,
  sentAt: r.sentAt,
  receivedAt: r.receivedAt,
  edited: r.edited === 1,
  snippet,
});
