import MiniSearch, { type Options, type Query, type SearchResult } from 'minisearch';
import { createEntryTable, type EntryTable } from './entry-table.ts';
import { fold, hasLink, normaliseTerm, terms } from './normalise.ts';

/**
 * The device's search index over the messages it holds (issue 16; MiniSearch, chosen in docs/SEARCH.md).
 * Pure: no IndexedDB, no worker, so the rules are tested in Node. Each entry is one message's current text;
 * `sig` says which version of it is indexed, so the feed sends only what changed. The text itself is not
 * stored here: results carry ids, and the screen takes the words from the engine (never stale, never a
 * second copy).
 */

export type SearchDoc = {
  conversationId: string;
  key: string;
  authorId: string;
  ts: number;
  /** The thread's first message when this is a reply; null at the top level. */
  parent: string | null;
  text: string;
  /** A hash of what was indexed (feed.ts sigOf), so the feed sends only what changed. */
  sig: number;
  /** The segment holding the message (P13): the feed removes it only when that segment is loaded. */
  segment: number;
};

export type SearchQuery = {
  q: string;
  conversationId?: string;
  authorId?: string;
  /**
   * The time written on the message (its `ts`, the time the conversation shows), ms since the epoch: from
   * `after` (included) to `before` (excluded), as the server's filter (GET /api/search).
   */
  after?: number;
  before?: number;
  hasLink?: boolean;
  /** Only replies in threads. */
  inThreads?: boolean;
  sort?: 'newest' | 'best';
  limit?: number;
};

export type SearchHit = {
  conversationId: string;
  key: string;
  authorId: string;
  ts: number;
  parent: string | null;
  score: number;
  /** The indexed terms that matched (normalised), for marking the words (highlight.ts). */
  terms: string[];
  /** The segment holding it (P13): a hit in a segment not loaded loads that segment to be shown. */
  segment: number;
};

/** Conversation ids hold no spaces (they are generated ids): the two joined name a message in tests. */
export const docId = (conversationId: string, key: string): string => `${conversationId} ${key}`;

/** MiniSearch holds only terms; an entry's id is its slot in the entry table (entry-table.ts). */
const OPTIONS: Options = {
  idField: 'id',
  fields: ['text'],
  storeFields: [],
  tokenize: (text: string) => terms(text).filter((t) => !STOP_WORDS.has(t)),
  // A query's words are chosen in search() (a stop word being typed stays, as a prefix): not dropped again.
  searchOptions: { tokenize: (text: string) => terms(text) },
  // Terms come out of `tokenize` already normalised; typed queries go through the same function.
  processTerm: (t: string) => t,
  // Removals vacuum at once (remove() below): a removed message's words must not stay in the index.
  autoVacuum: false,
};

/**
 * Words in nearly every message (Lucene's English stop words): not indexed. They matched most of the index,
 * so a search learnt nothing from them, and their entries were about a quarter of the index's memory
 * (docs/SEARCH.md). The server's index keeps them; a search for them alone is the server's.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then there ' +
    'these they this to was will with'
  ).split(' '),
);

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** The index as saved: MiniSearch's JSON and the entry table's. */
export type SavedIndex = { json: string; table: string };

export function createSearchIndex(saved?: SavedIndex) {
  const ms: MiniSearch = saved ? MiniSearch.loadJSON(saved.json, OPTIONS) : new MiniSearch(OPTIONS);
  const table = createEntryTable();
  if (saved) table.load(saved.table);

  return {
    /** Adds a message or replaces its indexed version. */
    upsert(d: SearchDoc): void {
      const slot = table.put({ ...d, hasLink: hasLink(d.text) });
      if (ms.has(slot)) ms.discard(slot);
      ms.add({ id: slot, text: d.text });
    },
    /** Takes a message out; true when it was there. The caller vacuums (see `purge`). */
    remove(conversationId: string, key: string): boolean {
      const slot = table.remove(conversationId, key);
      if (slot === undefined) return false;
      if (ms.has(slot)) ms.discard(slot);
      return true;
    },
    /** Whether this message is held, and its version (feed.ts's sig). */
    has: (conversationId: string, key: string): boolean => table.slotOf(conversationId, key) !== undefined,
    keysOf: (conversationId: string): string[] => table.keysOf(conversationId),
    manifest: () => table.manifest(),
    /** Drops the terms of everything removed, so no removed word stays in memory or in what is saved. */
    purge: (): Promise<void> =>
      ms.dirtCount > 0 ? ms.vacuum({ batchSize: 100_000, batchWait: 0 }) : Promise.resolve(),
    get dirty(): boolean {
      return ms.dirtCount > 0;
    },
    size: (): number => ms.documentCount,
    search: (query: SearchQuery): SearchHit[] => search(ms, table, query),
    save: (): SavedIndex => ({ json: JSON.stringify(ms), table: JSON.stringify(table) }),
  };
}

export type SearchIndex = ReturnType<typeof createSearchIndex>;

/**
 * Words with the last one as a prefix (it is being typed); every word must match. A query with no words but
 * filters lists the newest messages that pass them.
 */
function search(ms: MiniSearch, table: EntryTable, query: SearchQuery): SearchHit[] {
  const all = query.q.split(/\s+/).flatMap((w) => terms(w));
  // Typed, yet nothing to look for ("!!!"): no results, not the newest messages. Only an empty query with
  // filters lists messages by the filters alone.
  if (all.length === 0 && query.q.trim() !== '') return [];
  const typing = !/\s$/.test(query.q);
  // Stop words are not indexed: a finished one asks nothing; the word being typed may still grow ("the" →
  // "theatre"), so it stays as a prefix.
  const words = all.filter(
    (w, i) => !STOP_WORDS.has(w) || (typing && i === all.length - 1 && w.length >= MIN_PREFIX),
  );
  // Only stop words ("to do"): every message would match; the device answers none, the server may.
  if (all.length > 0 && words.length === 0) return [];
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
  const filter = (r: SearchResult): boolean => passes(table, r.id as number, query);
  const q: Query = words.length === 0 ? MiniSearch.wildcard : lastWordTyped(words, query.q);
  const results = ms.search(q, { filter, combineWith: 'AND' });
  if (query.sort !== 'best') results.sort((a, b) => table.ts(b.id as number) - table.ts(a.id as number));
  return results.slice(0, limit).map((r) => {
    const slot = r.id as number;
    return {
      conversationId: table.conversationOf(slot),
      key: table.key(slot),
      authorId: table.author(slot),
      ts: table.ts(slot),
      parent: table.parent(slot),
      score: r.score,
      terms: r.terms,
      segment: table.segment(slot),
    };
  });
}

export const MIN_PREFIX = 3;

/**
 * Every word exact, except the last, which is a prefix while it is being typed (no space after it) and
 * has MIN_PREFIX letters or more. A word
 * half-way through its plural ("storie") is also tried without the ending, so the results do not vanish
 * for a keystroke between "stor" and "stories".
 */
function lastWordTyped(words: string[], raw: string): Query {
  const typing = !/\s$/.test(raw);
  const queries: Query[] = words.map((w, i) => {
    // Two letters as a prefix match a good part of every word there is: slow, and useless as results.
    if (!typing || i < words.length - 1 || w.length < MIN_PREFIX) return w;
    const folded = normaliseTerm(fold(raw.trim().split(/\s+/).pop() ?? w));
    const stem = folded.replace(/(ie|e)$/, '');
    const alts = [...new Set([w, folded, stem.length >= 3 ? stem : folded])];
    return { queries: alts, combineWith: 'OR', prefix: true };
  });
  return { queries, combineWith: 'AND' };
}

/** The filters, over the entry table. `after` is inclusive, `before` exclusive (as the server's). */
function passes(t: EntryTable, slot: number, q: SearchQuery): boolean {
  if (q.conversationId !== undefined && !t.inConversation(slot, q.conversationId)) return false;
  if (q.authorId !== undefined && !t.isAuthor(slot, q.authorId)) return false;
  if (q.after !== undefined && t.ts(slot) < q.after) return false;
  if (q.before !== undefined && t.ts(slot) >= q.before) return false;
  if (q.hasLink === true && !t.hasLink(slot)) return false;
  if (q.inThreads === true && !t.isReply(slot)) return false;
  return true;
}
