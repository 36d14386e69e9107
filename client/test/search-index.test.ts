// The device search's rules in Node: normalisation, queries and filters, and how the saved index follows
// changes (fake-indexeddb stands in for IndexedDB here; search-offline.test.ts runs it all in Chromium).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { COMPACT_AFTER, createSearchCore, type Later } from '../src/search/search-core.ts';
import { createSearchIndex, type SearchDoc } from '../src/search/search-index.ts';
import { singular, terms } from '../src/search/normalise.ts';
import { openSearchStore } from '../src/search/search-store.ts';

const doc = (key: string, text: string, more: Partial<SearchDoc> = {}): SearchDoc => ({
  conversationId: 'c1',
  key,
  authorId: 'u1',
  ts: Number(key.replace(/\D/g, '')) || 1,
  parent: null,
  text,
  sig: text.length,
  segment: 0,
  ...more,
});
const keys = (hits: { key: string }[]) => hits.map((h) => h.key);

describe('normalisation', () => {
  it('folds case and accents, plurals and possessives; keeps emoji and @names as terms', () => {
    expect(terms('Chloé’s CAFÉ deadlines 🎉 @Zoë!')).toEqual(['chloe', 'cafe', 'deadline', '🎉', 'zoe']);
    expect(['classes', 'stories', 'boxes', 'bus', 'this', 'news', 'essays'].map(singular)).toEqual([
      'class',
      'story',
      'box',
      'bus',
      'this',
      'new',
      'essay',
    ]);
    expect(terms('see https://moodle.example.ac.uk/x?id=4')).toContain('moodle');
  });
});

describe('the index', () => {
  const index = createSearchIndex();
  index.upsert(doc('m1', 'The essay deadline is Friday'));
  index.upsert(doc('m2', 'Café trip with Chloé 🎉', { authorId: 'u2' }));
  index.upsert(doc('m3', 'Deadlines moved, see https://moodle.example/x', { conversationId: 'c2' }));
  index.upsert(doc('m4', 'Reply: which deadline?', { parent: 'm1' }));

  it('matches every prefix as it is typed, newest first', () => {
    for (const typed of ['de', 'dea', 'dead', 'deadl', 'deadline', 'deadlines'])
      expect(keys(index.search({ q: typed })), typed).toEqual(typed.length < 3 ? [] : ['m4', 'm3', 'm1']);
    expect(keys(index.search({ q: 'essay dead' }))).toEqual(['m1']);
    // A finished word (space typed after it) is no longer a prefix.
    expect(keys(index.search({ q: 'dead ' }))).toEqual([]);
  });

  it('a search of punctuation alone finds nothing (not the newest messages); emoji alone still search', () => {
    for (const q of ['!!!', '?', ' - : ( ) ', '...'])
      expect(index.search({ q }), JSON.stringify(q)).toEqual([]);
    expect(keys(index.search({ q: '!!! 🎉' }))).toEqual(['m2']);
    // No words at all, with filters: the filters alone, newest first.
    expect(keys(index.search({ q: '', authorId: 'u2' }))).toEqual(['m2']);
  });

  it('finds accented words, names and emoji whichever way they are typed', () => {
    expect(keys(index.search({ q: 'cafe' }))).toEqual(['m2']);
    expect(keys(index.search({ q: 'CHLOÉ' }))).toEqual(['m2']);
    expect(keys(index.search({ q: '🎉' }))).toEqual(['m2']);
  });

  it('applies filters: conversation, person, dates, links, threads', () => {
    expect(keys(index.search({ q: 'deadline', conversationId: 'c2' }))).toEqual(['m3']);
    expect(keys(index.search({ q: '', authorId: 'u2' }))).toEqual(['m2']);
    expect(keys(index.search({ q: 'deadline', after: 2, before: 4 }))).toEqual(['m3']);
    expect(keys(index.search({ q: 'deadline', after: 1, before: 3 }))).toEqual(['m1']);
    expect(keys(index.search({ q: 'deadline', after: 4 }))).toEqual(['m4']);
    expect(keys(index.search({ q: 'deadline', hasLink: true }))).toEqual(['m3']);
    expect(keys(index.search({ q: 'deadline', inThreads: true }))).toEqual(['m4']);
  });

  it('says which words matched and orders by match on request', () => {
    const [hit] = index.search({ q: 'essay deadl', sort: 'best' });
    expect(hit?.terms.sort()).toEqual(['deadline', 'essay']);
    expect(hit).toMatchObject({ conversationId: 'c1', key: 'm1' });
  });
});

/** Timers run by hand: a test says when the quiet moment a compaction waits for has come. */
function manualLater() {
  const due = new Set<() => void>();
  const later: Later = (work) => {
    due.add(work);
    return () => due.delete(work);
  };
  return {
    later,
    pending: (): number => due.size,
    runAll: (): void => {
      const now = [...due];
      due.clear();
      for (const w of now) w();
    },
  };
}

describe('the saved index', () => {
  let n = 0;
  const fresh = async () => {
    const store = await openSearchStore();
    await store.clear();
    const timers = manualLater();
    return { store, timers, core: createSearchCore(store, { now: () => ++n, later: timers.later }) };
  };
  const batch = (b: Partial<Parameters<ReturnType<typeof createSearchCore>['apply']>[0]>) => ({
    upsert: [],
    remove: [],
    dropConversations: [],
    ...b,
  });

  it('a start loads the snapshot and the journal: nothing is rebuilt', async () => {
    const { core } = await fresh();
    await core.open();
    await core.apply(batch({ upsert: [doc('m1', 'revision notes'), doc('m2', 'mock exam')] }));
    await core.apply(batch({ upsert: [doc('m3', 'revision timetable')] }));
    const again = createSearchCore(await openSearchStore());
    const opened = await again.open();
    expect(opened).toMatchObject({ documents: 3, journalReplayed: 2 });
    expect(opened.manifest).toEqual([
      [
        'c1',
        [
          ['m1', 'revision notes'.length, 0],
          ['m2', 'mock exam'.length, 0],
          ['m3', 'revision timetable'.length, 0],
        ],
      ],
    ]);
    expect(keys(await again.search({ q: 'revis' }))).toEqual(['m3', 'm1']);
  });

  it('a first sync of a long history is saved as a snapshot, not left in the journal to replay', async () => {
    const { core, store } = await fresh();
    await core.open();
    const history = Array.from({ length: COMPACT_AFTER.messages }, (_, i) => doc(`m${i + 1}`, `note ${i}`));
    await core.apply(batch({ upsert: history }));
    const saved = await store.load();
    expect(saved.journal).toEqual([]);
    expect(JSON.parse(saved.snapshot?.table ?? '{}')).toMatchObject({
      key: history.map((d) => d.key),
    });
  });

  it('deleted, removed and edited-away words leave the index; what is saved loses them once batches pause', async () => {
    const { core, store, timers } = await fresh();
    await core.open();
    await core.apply(
      batch({ upsert: [doc('m1', 'my address is 12 Larkspur Road'), doc('m2', 'secret plan')] }),
    );
    await core.apply(batch({ upsert: [doc('m1', 'sorry, wrong chat')] }));
    await core.apply(batch({ remove: [['c1', 'm2']] }));
    expect(await core.search({ q: 'larkspur' })).toEqual([]);
    expect(await core.search({ q: 'secret' })).toEqual([]);
    expect(keys(await core.search({ q: 'wrong' }))).toEqual(['m1']);
    // Gone from memory at once.
    expect(core.serialised()).not.toMatch(/larkspur|secret/i);
    // The removal asked for a compaction once batches pause; when it has run, gone from the disk.
    expect(timers.pending()).toBe(1);
    timers.runAll();
    await core.search({ q: '' });
    const saved = await store.load();
    expect(saved.journal).toEqual([]);
    expect(JSON.stringify(saved)).not.toMatch(/larkspur|secret/i);
  });

  it('removed words left on disk by a page closed before its compaction are taken off at the next start', async () => {
    const { core, store } = await fresh();
    await core.open();
    await core.apply(batch({ upsert: [doc('m1', 'secret plan'), doc('m2', 'open plan')] }));
    await core.apply(batch({ remove: [['c1', 'm1']] }));
    expect(JSON.stringify(await store.load())).toMatch(/secret/);
    const again = createSearchCore(await openSearchStore(), { later: manualLater().later });
    expect(await again.open()).toMatchObject({ documents: 1 });
    expect(JSON.stringify(await store.load())).not.toMatch(/secret/);
    expect(keys(await again.search({ q: 'plan' }))).toEqual(['m2']);
  });

  it('a removal stored again after a failed save still takes the text off the disk', async () => {
    const { store, timers } = await fresh();
    let failNext = false;
    const flaky: typeof store = {
      ...store,
      append: (b) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('disk full'));
        }
        return store.append(b);
      },
    };
    const core = createSearchCore(flaky, { now: () => ++n, later: timers.later });
    await core.open();
    await core.apply(batch({ upsert: [doc('m1', 'secret plan'), doc('m2', 'open plan')] }));
    failNext = true;
    const removal = batch({ remove: [['c1', 'm1']] });
    await expect(core.apply(removal)).rejects.toThrow('disk full');
    // The feed stores the batch again (feed.ts): m1 is already out of memory by then.
    await core.apply(removal);
    expect(timers.pending()).toBe(1);
    timers.runAll();
    await core.search({ q: '' });
    expect(JSON.stringify(await store.load())).not.toMatch(/secret/);
  });

  it('one edit writes about its own size: a journal entry, not the whole snapshot again', async () => {
    const { store, timers } = await fresh();
    const written: { what: 'journal' | 'snapshot'; bytes: number }[] = [];
    const counted: typeof store = {
      ...store,
      append: (b) => {
        written.push({ what: 'journal', bytes: JSON.stringify(b).length });
        return store.append(b);
      },
      compact: (s) => {
        written.push({ what: 'snapshot', bytes: s.json.length + s.table.length });
        return store.compact(s);
      },
    };
    const counting = createSearchCore(counted, { later: timers.later });
    await counting.open();
    // A history big enough to be compacted into a snapshot at once (COMPACT_AFTER).
    const history = Array.from({ length: COMPACT_AFTER.messages }, (_, i) =>
      doc(`m${i + 1}`, `week ${i % 40} revision notes for unit ${i} of the course`),
    );
    await counting.apply(batch({ upsert: history }));
    const snapshot = written.at(-1);
    expect(snapshot?.what).toBe('snapshot');
    written.length = 0;

    const edit = doc('m7', 'week 6 revision notes, corrected: unit 7 moved to Friday');
    await counting.apply(batch({ upsert: [edit] }));
    expect(written).toEqual([{ what: 'journal', bytes: JSON.stringify(batch({ upsert: [edit] })).length }]);
    expect(written[0]?.bytes).toBeLessThan((snapshot?.bytes ?? 0) / 1000);
    expect(timers.pending()).toBe(0);
    expect(keys(await counting.search({ q: 'corrected' }))).toEqual(['m7']);
    // A start replays it from the journal.
    const again = createSearchCore(await openSearchStore(), { later: manualLater().later });
    expect(await again.open()).toMatchObject({ documents: COMPACT_AFTER.messages, journalReplayed: 1 });
    expect(keys(await again.search({ q: 'corrected' }))).toEqual(['m7']);
  });

  it('a conversation left takes all its entries with it', async () => {
    const { core, store, timers } = await fresh();
    await core.open();
    await core.apply(
      batch({
        upsert: [doc('m1', 'staff room gossip', { conversationId: 'private' }), doc('m2', 'room change')],
      }),
    );
    await core.apply(batch({ dropConversations: ['private'] }));
    expect(keys(await core.search({ q: 'room' }))).toEqual(['m2']);
    timers.runAll();
    await core.search({ q: '' });
    expect(JSON.stringify(await store.load())).not.toMatch(/gossip|"private"/);
  });
});

describe('the entry table and stop words', () => {
  it('reuses a removed message’s slot without mixing the two up, before and after saving', () => {
    const index = createSearchIndex();
    index.upsert(doc('m1', 'first essay', { authorId: 'u1' }));
    index.upsert(doc('m2', 'second essay', { authorId: 'u2', parent: 'm1' }));
    expect(index.remove('c1', 'm1')).toBe(true);
    index.upsert(doc('m3', 'third essay', { authorId: 'u3', conversationId: 'c2' }));
    const check = (ix: ReturnType<typeof createSearchIndex>) => {
      expect(ix.search({ q: 'essay' }).map((h) => [h.conversationId, h.key, h.authorId, h.parent])).toEqual([
        ['c2', 'm3', 'u3', null],
        ['c1', 'm2', 'u2', 'm1'],
      ]);
      expect(ix.search({ q: 'first' })).toEqual([]);
      expect(ix.has('c1', 'm1')).toBe(false);
      expect(ix.manifest().sort(([a], [b]) => (a < b ? -1 : 1))).toEqual([
        ['c1', [['m2', 'second essay'.length, 0]]],
        ['c2', [['m3', 'third essay'.length, 0]]],
      ]);
    };
    check(index);
    check(createSearchIndex(index.save()));
  });

  it('does not index stop words, yet a stop word being typed still grows into a word', () => {
    const index = createSearchIndex();
    index.upsert(doc('m1', 'The theatre trip is on'));
    index.upsert(doc('m2', 'Notes for the test'));
    expect(index.search({ q: 'the ' })).toEqual([]);
    expect(keys(index.search({ q: 'the' }))).toEqual(['m1']);
    expect(keys(index.search({ q: 'notes for the tes' }))).toEqual(['m2']);
    expect(JSON.stringify(index.save())).not.toMatch(/"the"|"for"/);
  });
});

describe('an older format on disk', () => {
  it('a snapshot saved by an older build is emptied on upgrade, not misread', async () => {
    // The earlier tests' database goes (their connections close on versionchange), then version 1 is made:
    // its snapshot held a manifest of string versions, its ids were strings.
    await new Promise<void>((resolve, reject) => {
      const del = indexedDB.deleteDatabase('commonroom-search');
      del.onsuccess = () => resolve();
      del.onerror = () => reject(del.error ?? new Error('delete failed'));
    });
    const old = indexedDB.open('commonroom-search', 1);
    await new Promise<void>((resolve, reject) => {
      old.onupgradeneeded = () => {
        old.result.createObjectStore('snapshot');
        old.result.createObjectStore('journal', { autoIncrement: true });
      };
      old.onsuccess = () => resolve();
      old.onerror = () => reject(old.error ?? new Error('open failed'));
    });
    const tx = old.result.transaction(['snapshot', 'journal'], 'readwrite');
    tx.objectStore('snapshot').put({ json: '{}', manifest: [['c1', [['m1', 'abc']]]] }, 'index');
    tx.objectStore('journal').add({ upsert: [], remove: [['c1', 'm1']], dropConversations: [] });
    await new Promise<void>((resolve) => (tx.oncomplete = () => resolve()));
    old.result.close();
    const store = await openSearchStore();
    expect(await store.load()).toEqual({ snapshot: null, journal: [] });
    const opened = await createSearchCore(store).open();
    expect(opened).toMatchObject({ documents: 0, manifest: [] });
    store.close();
  });
});
