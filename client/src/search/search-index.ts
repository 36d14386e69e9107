import MiniSearch, { type Options, type Query, type SearchResult } from 'minisearch';
import { fold, normaliseTerm, terms } from './normalise.ts';

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
  /** A short hash of what was indexed (feed.ts); kept in the worker's manifest, not in the index. */
  sig: string;
};

export type SearchQuery = {
  q: string;
  conversationId?: string;
  authorId?: string;
  /** Milliseconds since the epoch, inclusive. */
  from?: number;
  to?: number;
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
};

/** What each entry keeps beside its terms, in one-letter names: 100,000 of them are saved and loaded. */
type Stored = { a: string; t: number; p?: string; l?: 1 };

/** Conversation ids hold no spaces (they are generated ids), so the first space splits the two again. */
export const docId = (conversationId: string, key: string): string => `${conversationId} ${key}`;

const OPTIONS: Options = {
  idField: 'id',
  fields: ['text'],
  storeFields: ['a', 't', 'p', 'l'],
  tokenize: (text: string) => terms(text),
  // Terms come out of `tokenize` already normalised; typed queries go through the same function.
  processTerm: (t: string) => t,
  // Removals vacuum at once (remove() below): a removed message's words must not stay in the index.
  autoVacuum: false,
};

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export function createSearchIndex(json?: string) {
  const ms: MiniSearch = json ? MiniSearch.loadJSON(json, OPTIONS) : new MiniSearch(OPTIONS);
  const withLink = (text: string) => /\bhttps?:\/\//i.test(text);
  // Each message arrives with its own copy of its author's id (postMessage copies strings): one shared copy
  // per person keeps 100,000 entries from holding 100,000 copies of a few hundred ids.
  const people = new Map<string, string>();
  const intern = (id: string): string => {
    const known = people.get(id);
    if (known !== undefined) return known;
    people.set(id, id);
    return id;
  };

  const toDoc = (d: SearchDoc) => ({
    id: docId(d.conversationId, d.key),
    text: d.text,
    a: intern(d.authorId),
    t: d.ts,
    ...(d.parent !== null ? { p: d.parent } : {}),
    ...(withLink(d.text) ? { l: 1 } : {}),
  });

  return {
    /** Adds a message or replaces its indexed version. */
    upsert(d: SearchDoc): void {
      const doc = toDoc(d);
      if (ms.has(doc.id)) ms.discard(doc.id);
      ms.add(doc);
    },
    /** Takes a message out; true when it was there. The caller vacuums (see `purge`). */
    remove(conversationId: string, key: string): boolean {
      const id = docId(conversationId, key);
      if (!ms.has(id)) return false;
      ms.discard(id);
      return true;
    },
    /** Drops the terms of everything removed, so no removed word stays in memory or in what is saved. */
    purge: (): Promise<void> =>
      ms.dirtCount > 0 ? ms.vacuum({ batchSize: 100_000, batchWait: 0 }) : Promise.resolve(),
    get dirty(): boolean {
      return ms.dirtCount > 0;
    },
    size: (): number => ms.documentCount,
    search: (query: SearchQuery): SearchHit[] => search(ms, query),
    toJSON: (): string => JSON.stringify(ms),
  };
}

export type SearchIndex = ReturnType<typeof createSearchIndex>;

/**
 * Words with the last one as a prefix (it is being typed); every word must match. A query with no words but
 * filters lists the newest messages that pass them.
 */
function search(ms: MiniSearch, query: SearchQuery): SearchHit[] {
  const words = query.q.split(/\s+/).flatMap((w) => terms(w));
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
  const filter = (r: SearchResult): boolean => passes(r as unknown as Stored & { id: string }, query);
  const q: Query = words.length === 0 ? MiniSearch.wildcard : lastWordTyped(words, query.q);
  const results = ms.search(q, { filter, combineWith: 'AND' });
  if (query.sort !== 'best') results.sort((a, b) => (b.t as number) - (a.t as number));
  return results.slice(0, limit).map((r) => {
    const id = r.id as string;
    const cut = id.indexOf(' ');
    return {
      conversationId: id.slice(0, cut),
      key: id.slice(cut + 1),
      authorId: r.a as string,
      ts: r.t as number,
      parent: (r.p as string | undefined) ?? null,
      score: r.score,
      terms: r.terms,
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

function passes(r: Stored & { id: string }, q: SearchQuery): boolean {
  if (q.conversationId !== undefined && !r.id.startsWith(`${q.conversationId} `)) return false;
  if (q.authorId !== undefined && r.a !== q.authorId) return false;
  if (q.from !== undefined && r.t < q.from) return false;
  if (q.to !== undefined && r.t > q.to) return false;
  if (q.hasLink === true && r.l !== 1) return false;
  if (q.inThreads === true && r.p === undefined) return false;
  return true;
}
