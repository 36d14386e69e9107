import { create, insertMultiple, load, save, search, type AnyOrama, type RawData } from '@orama/orama';
import { Charset, Index } from 'flexsearch';
import MiniSearch from 'minisearch';
import { createSearchIndex } from '../../../client/src/search/search-index.ts';
import type { CorpusMessage } from './corpus.ts';

/**
 * The three candidate libraries behind one shape, each set up as Commonroom would use it: case and accent
 * folding, prefix matching on what is being typed, the newest 50 results, the index serialised to strings
 * that go into IndexedDB as they are.
 */
export type Candidate = {
  build(messages: readonly CorpusMessage[]): void;
  /** Result count (at most 50) for one keystroke's query. */
  query(q: string): number;
  save(): string[];
  load(chunks: readonly string[]): void;
};

const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

function miniSearch(): Candidate {
  const options = { fields: ['text'], storeFields: [], processTerm: fold };
  let ms = new MiniSearch<CorpusMessage>(options);
  return {
    build: (messages) => ms.addAll(messages),
    query: (q) =>
      ms
        .search(q, { prefix: (t, i, terms) => i === terms.length - 1 && t.length >= 3, combineWith: 'AND' })
        .slice(0, 50).length,
    save: () => [JSON.stringify(ms)],
    load: (chunks) => {
      ms = MiniSearch.loadJSON(chunks[0] ?? '', options);
    },
  };
}

function flexSearch(): Candidate {
  const make = () => new Index({ tokenize: 'forward', encoder: Charset.Normalize });
  let index = make();
  return {
    build: (messages) => messages.forEach((m, i) => index.add(i, m.text)),
    query: (q) => index.search(q, { limit: 50 }).length,
    save: () => {
      const out: string[] = [];
      index.export((key, data) => {
        out.push(JSON.stringify([key, data]));
      });
      return out;
    },
    load: (chunks) => {
      index = make();
      for (const c of chunks) {
        const [key, data] = JSON.parse(c) as [string, string];
        index.import(key, data);
      }
    },
  };
}

function orama(): Candidate {
  const schema = { text: 'string', conversationId: 'string' } as const;
  const make = () => create({ schema, components: { tokenizer: { stemming: false } } });
  let db: AnyOrama = make();
  return {
    build: (messages) => {
      void insertMultiple(
        db,
        messages.map((m) => ({ id: m.id, text: fold(m.text), conversationId: m.conversationId })),
      );
    },
    query: (q) => {
      const r = search(db, { term: fold(q), limit: 50 }) as { hits: unknown[] };
      return r.hits.length;
    },
    save: () => [JSON.stringify(save(db))],
    load: (chunks) => {
      db = make();
      load(db, JSON.parse(chunks[0] ?? '{}') as RawData);
    },
  };
}

/**
 * What the app's worker holds (client/src/search): MiniSearch with Commonroom's terms, and the entry table
 * (filters, newest-first order and which version of each message is held, the feed's manifest).
 */
function commonroom(): Candidate {
  let index = createSearchIndex();
  return {
    build: (messages) => {
      for (const m of messages)
        index.upsert({
          conversationId: m.conversationId,
          key: m.id,
          authorId: m.authorId,
          ts: m.ts,
          parent: m.parent,
          text: m.text,
          sig: 0,
          segment: 0,
        });
    },
    query: (q) => index.search({ q }).length,
    save: () => {
      const saved = index.save();
      return [saved.json, saved.table];
    },
    load: (chunks) => {
      index = createSearchIndex({ json: chunks[0] ?? '', table: chunks[1] ?? '' });
    },
  };
}

export const CANDIDATES = { commonroom, minisearch: miniSearch, flexsearch: flexSearch, orama } as const;
export type CandidateName = keyof typeof CANDIDATES;
