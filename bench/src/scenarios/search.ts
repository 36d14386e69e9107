import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSearchService, createSearchStore, openDatabase } from '@commonroom/sync-server';
import { seeded } from '@commonroom/testkit';

/**
 * Commonroom only (issue 16): server search at 1M stored messages. The rows are written straight into a real
 * SQLite file through the server's own schema (migrations, so the search index's triggers index each
 * message as the server would), in large transactions: going through sockets would take hours and measure
 * the sync path, not search. `conversations` conversations (a tenth private channels, two fifths DMs, the
 * rest public), `people` people, each conversation with `membersPer` random members; the asking person is
 * a member of `mine` of them (a realistic college timetable). Message texts are 6–20 words drawn from a
 * Zipf vocabulary (s = 1) of 5,000 words with real words placed at chosen ranks: "deadline" (rank 100,
 * about 1 in 80 messages), "class" (rank 5, about 1 in 5), "portfolio" (rank 2,000, about 1 in 2,000).
 * Then the server's search service (the SQL, the snippet, the answer built, HTTP aside) answers the asking
 * person, on a freshly opened connection: `runs` times each query after 3 warm-ups, median and p95.
 */
export type SearchResult = {
  storedMessages: number;
  conversations: number;
  readableConversations: number;
  fillSeconds: number;
  dbMB: number;
  indexMB: number;
  newestMedianMs: number;
  newestP95Ms: number;
  newestCpuMedianMs: number;
  newestCpuP95Ms: number;
  commonMedianMs: number;
  commonP95Ms: number;
  rareMedianMs: number;
  rareP95Ms: number;
  typingMedianMs: number;
  typingP95Ms: number;
  bestMedianMs: number;
  bestP95Ms: number;
  hits: Record<string, number>;
};

const VOCABULARY = 5_000;
const PLACED: Record<number, string> = { 4: 'class', 99: 'deadline', 1999: 'portfolio' };
const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'san', 'vo', 'rel', 'din', 'pa', 'qu', 'ost', 'ne', 'bri', 'hal'];

/** The vocabulary, by rank: pseudo-words of syllables, with the placed real words. */
function vocabulary(): string[] {
  const words: string[] = [];
  for (let i = 0; i < VOCABULARY; i++) {
    let w = '';
    let n = i + 1;
    while (n > 0) {
      w += SYLLABLES[n % SYLLABLES.length] ?? '';
      n = Math.floor(n / SYLLABLES.length);
    }
    words.push(PLACED[i] ?? w);
  }
  return words;
}

/** Draws a rank from Zipf(1) over the vocabulary by its cumulative weights. */
function zipf(random: () => number): () => number {
  const cum: number[] = [];
  let sum = 0;
  for (let r = 1; r <= VOCABULARY; r++) cum.push((sum += 1 / r));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] ?? NaN;
const round = (x: number): number => Math.round(x * 100) / 100;

type Plan = {
  messages: number;
  conversations: number;
  people: number;
  membersPer: number;
  mine: number;
  runs: number;
};

/** Conversations, people and memberships; returns each conversation's members. */
function fillPeople(db: ReturnType<typeof openDatabase>, plan: Plan, random: () => number): string[][] {
  const me = 'u0';
  const addUser = db.prepare(
    `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
     VALUES (?, ?, ?, 'student', 'x', 0, 0)`,
  );
  const addConversation = db.prepare(
    'INSERT INTO conversations (id, kind, name, created_at) VALUES (?, ?, ?, 0)',
  );
  const addMember = db.prepare('INSERT OR IGNORE INTO members VALUES (?, ?, 0)');
  const members: string[][] = [];
  // The asking person's conversations: `mine` drawn at random, so of every kind in proportion.
  const mine = new Set<number>();
  while (mine.size < plan.mine) mine.add(Math.floor(random() * plan.conversations));
  db.transaction(() => {
    for (let u = 0; u < plan.people; u++) addUser.run(`u${u}`, `u${u}@college.test`, `Person ${u}`);
    for (let c = 0; c < plan.conversations; c++) {
      const kind = c % 10 === 0 ? 'private' : c % 5 < 2 ? 'dm' : 'public';
      addConversation.run(`c${c}`, kind, kind === 'dm' ? null : `channel-${c}`);
      const size = kind === 'dm' ? 2 : plan.membersPer;
      const set = new Set<string>();
      if (mine.has(c)) set.add(me);
      while (set.size < size) set.add(`u${1 + Math.floor(random() * (plan.people - 1))}`);
      for (const u of set) addMember.run(`c${c}`, u);
      members.push([...set]);
    }
  })();
  return members;
}

function fillMessages(
  db: ReturnType<typeof openDatabase>,
  plan: Plan,
  members: string[][],
  random: () => number,
): void {
  const words = vocabulary();
  const rank = zipf(random);
  const insert = db.prepare(
    `INSERT INTO messages (conversation_id, author_id, local_id, seq, parent_key, text, client_ts, received_at)
     VALUES (?, ?, ?, ?, NULL, ?, ?, ?)`,
  );
  const seqs = new Array<number>(plan.conversations).fill(0);
  const t0 = Date.UTC(2025, 8, 1);
  const batch = 50_000;
  for (let start = 0; start < plan.messages; start += batch)
    db.transaction(() => {
      for (let i = start; i < Math.min(plan.messages, start + batch); i++) {
        const c = Math.floor(random() * plan.conversations);
        const people = members[c] ?? [];
        const author = people[Math.floor(random() * people.length)] ?? 'u1';
        const n = 6 + Math.floor(random() * 15);
        const text: string[] = [];
        for (let w = 0; w < n; w++) text.push(words[rank()] ?? '');
        const seq = (seqs[c] = (seqs[c] ?? 0) + 1);
        const at = t0 + i * 30_000;
        insert.run(`c${c}`, author, `m${i}`, seq, text.join(' '), at, at);
      }
    })();
}

/** Fills `file` as the figure does (exported for trying query plans on a kept file); the fill's seconds. */
export function fillSearchDatabase(file: string, plan: Plan): number {
  const random = seeded(16);
  const db = openDatabase(file);
  const t = performance.now();
  const members = fillPeople(db, plan, random);
  fillMessages(db, plan, members, random);
  db.close();
  return (performance.now() - t) / 1000;
}

export function searchRun(plan: Plan): SearchResult {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-bench-search-'));
  try {
    const file = join(dir, 'commonroom.sqlite');
    const fillSeconds = fillSearchDatabase(file, plan);
    let db = openDatabase(file);
    const indexBytes =
      db.prepare<[], { b: number | null }>('SELECT SUM(length(block)) AS b FROM message_search_data').get()
        ?.b ?? 0;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const dbMB = statSync(file).size / 1024 ** 2;

    // A fresh connection, as a restarted server would have (the file itself is in the OS cache).
    db = openDatabase(file);
    const search = createSearchService({ store: createSearchStore(db) });
    const readable = db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM members WHERE user_id = 'u0'")
      .get()?.n;
    const hits: Record<string, number> = {};
    // Wall time, and this process's CPU time over the same call: on a shared machine the wall time's tail is
    // mostly waiting for a core, which the CPU time leaves out.
    const time = (q: string, order: 'newest' | 'best' = 'newest') => {
      const ms: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < plan.runs + 3; i++) {
        const c = process.cpuUsage();
        const s = performance.now();
        const r = search.search('u0', { q, order, limit: '50' });
        const took = performance.now() - s;
        const used = process.cpuUsage(c);
        if (i >= 3) {
          ms.push(took);
          cpu.push((used.user + used.system) / 1000);
        }
        hits[`${q.trim()} (${order})`] = r.hits.length;
      }
      return {
        median: round(median(ms)),
        p95: round(p95(ms)),
        cpuMedian: round(median(cpu)),
        cpuP95: round(p95(cpu)),
      };
    };
    const newest = time('deadline ');
    const common = time('class ');
    const rare = time('portfolio ');
    const typing = time('deadl');
    const best = time('deadline ', 'best');
    db.close();
    return {
      storedMessages: plan.messages,
      conversations: plan.conversations,
      readableConversations: readable ?? 0,
      fillSeconds: Math.round(fillSeconds),
      dbMB: Math.round(dbMB),
      indexMB: Math.round(indexBytes / 1024 ** 2),
      newestMedianMs: newest.median,
      newestP95Ms: newest.p95,
      newestCpuMedianMs: newest.cpuMedian,
      newestCpuP95Ms: newest.cpuP95,
      commonMedianMs: common.median,
      commonP95Ms: common.p95,
      rareMedianMs: rare.median,
      rareP95Ms: rare.p95,
      typingMedianMs: typing.median,
      typingP95Ms: typing.p95,
      bestMedianMs: best.median,
      bestP95Ms: best.p95,
      hits,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
