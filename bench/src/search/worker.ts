import { keystrokes, makeCorpus, TYPED_QUERIES } from './corpus.ts';
import { CANDIDATES, type Candidate, type CandidateName } from './libraries.ts';

/**
 * Runs in a dedicated Worker of the bench page (bundled by esbuild): builds one library's index over the
 * seeded corpus, times each keystroke's query, stores the index in IndexedDB; or, in a fresh worker, loads
 * it back and times that. The bench is compiled without the DOM library, hence the few structural types.
 */

type Req = { cmd: 'build' | 'load'; lib: CandidateName; count: number };
type IdbRequest<T> = {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
};
type Store = { put(v: unknown, k: string): IdbRequest<unknown>; get(k: string): IdbRequest<unknown> };
type Db = {
  createObjectStore(n: string): void;
  transaction(n: string, mode?: string): { objectStore(n: string): Store; oncomplete: (() => void) | null };
};
type Scope = {
  indexedDB: { open(name: string, v: number): IdbRequest<Db> & { onupgradeneeded: (() => void) | null } };
  postMessage(m: unknown): void;
  onmessage: ((e: { data: Req }) => void) | null;
  keep?: Candidate;
};
const scope = globalThis as unknown as Scope;

const done = <T>(r: IdbRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new Error(String(r.error)));
  });

async function openDb(): Promise<Db> {
  const r = scope.indexedDB.open('search-bench', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('kv');
  return done(r);
}

const p = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const ms = (x: number): number => Math.round(x * 10) / 10;

async function build(lib: CandidateName, count: number) {
  const index = CANDIDATES[lib]();
  let corpus = makeCorpus(count);
  const t0 = performance.now();
  index.build(corpus);
  const buildMs = performance.now() - t0;
  corpus = [];
  const keys = keystrokes(TYPED_QUERIES);
  const times: number[] = [];
  const hits: number[] = [];
  for (let round = 0; round < 3; round++)
    for (const k of keys) {
      const t = performance.now();
      hits.push(index.query(k));
      times.push(performance.now() - t);
    }
  const t1 = performance.now();
  const chunks = index.save();
  const serialiseMs = performance.now() - t1;
  const db = await openDb();
  const tx = db.transaction('kv', 'readwrite');
  tx.objectStore('kv').put(chunks, lib);
  await new Promise<void>((resolve) => (tx.oncomplete = () => resolve()));
  const storeMs = performance.now() - t1;
  const bytes = chunks.reduce((n, c) => n + new TextEncoder().encode(c).length, 0);
  scope.keep = index;
  return {
    buildMs: ms(buildMs),
    queryP50Ms: ms(p(times, 0.5)),
    queryP95Ms: ms(p(times, 0.95)),
    queryMaxMs: ms(Math.max(...times)),
    keystrokes: keys.length,
    hitsOnFirstRound: hits.slice(0, keys.length).reduce((a, b) => a + b, 0),
    serialiseMs: ms(serialiseMs),
    saveMs: ms(storeMs),
    persistedMB: Math.round((bytes / 1048576) * 10) / 10,
  };
}

async function loadBack(lib: CandidateName) {
  const index = CANDIDATES[lib]();
  const t0 = performance.now();
  const db = await openDb();
  const chunks = (await done(db.transaction('kv').objectStore('kv').get(lib))) as string[];
  const readMs = performance.now() - t0;
  index.load(chunks);
  const loadMs = performance.now() - t0;
  const hits = keystrokes(TYPED_QUERIES).reduce((n, k) => n + index.query(k), 0);
  scope.keep = index;
  return { readMs: ms(readMs), loadMs: ms(loadMs), hitsAfterLoad: hits };
}

scope.onmessage = (e) => {
  const { cmd, lib, count } = e.data;
  (cmd === 'build' ? build(lib, count) : loadBack(lib)).then(
    (r) => scope.postMessage({ ok: r }),
    (err: unknown) => scope.postMessage({ error: err instanceof Error ? err.stack : String(err) }),
  );
};
