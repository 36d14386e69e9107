import { SearchReply, type SearchHit } from '@commonroom/protocol';
import type { Engine } from '@commonroom/engine';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { openDatabase } from '../src/storage/db.ts';
import { MIGRATIONS } from '../src/storage/migrations.ts';
import { registerSearchFunctions } from '../src/storage/search-marks.ts';
import { createSearchStore } from '../src/storage/search.ts';
import { createSearchService, matchExpression } from '../src/services/search.ts';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';

/**
 * Server search (issue 16, THREAT_MODEL T19): a real server on loopback, a real SQLite file, real accounts
 * writing through real WebSockets, and GET /api/search asked as each person.
 */
const DAY = 86_400_000;
type Person = Awaited<ReturnType<typeof addUser>>;

/** GET /api/search as `e`: the status and the parsed answer (a SearchReply, or an error). */
async function ask(ts: TestServer, e: Engine, params: Record<string, string>) {
  const res = await fetch(`${ts.url}/api/search?${new URLSearchParams(params).toString()}`, {
    headers: { cookie: e.api.cookie() ?? '' },
  });
  const body: unknown = await res.json();
  return { status: res.status, body, headers: res.headers };
}

/** The hits' plain texts (snippet parts joined), for `e` searching `q` (200 expected). */
async function found(ts: TestServer, e: Engine, q: string, more: Record<string, string> = {}) {
  const r = await ask(ts, e, { q, ...more });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return SearchReply.parse(r.body).hits.map(textOf);
}
const textOf = (h: SearchHit): string => h.snippet.map((p) => p.text).join('');
const marked = (h: SearchHit): string[] => h.snippet.filter((p) => p.match).map((p) => p.text);

describe('server search (issue 16, T19)', () => {
  let ts: TestServer;
  let admin: Engine;
  let amy: Person; // student
  let ben: Person; // student
  let cat: Person; // student
  let tia: Person; // tutor
  let general: string;
  let clock = Date.UTC(2026, 5, 1);
  const local = (key: string): string => key.split(':')[1] ?? '';

  beforeAll(async () => {
    ts = await startServer({
      env: { SESSION_TTL_HOURS: String(24 * 365) },
      now: () => clock,
      limits: { searchBurst: 10_000 },
    });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy Jones' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben Student' });
    cat = await addUser(ts, admin, 'student', { name: 'Cat Student' });
    tia = await addUser(ts, admin, 'tutor', { name: 'Tia Tutor' });
    general = channel(amy.engine, 'general');
  });
  afterAll(async () => {
    for (const p of [amy, ben, cat, tia]) p.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });
  const settle = async () => {
    for (const p of [amy, ben, cat, tia]) await p.engine.settled();
  };
  const failures = () => ts.logs.filter((l) => l.msg === 'request failed');

  it('folds case and accents, stems English, matches the word being typed, and finds emoji and @names', async () => {
    await ben.engine.send(general, 'The Deadlines for the Café essays are on Friday 🎉');
    await ben.engine.send(general, 'thanks @amy.jones for the notes 👍🏽');
    await settle();
    const deadline = 'The Deadlines for the Café essays are on Friday 🎉';
    expect(await found(ts, amy.engine, 'deadline ')).toEqual([deadline]);
    expect(await found(ts, amy.engine, 'CAFE essay ')).toEqual([deadline]);
    expect(await found(ts, amy.engine, 'dead')).toEqual([deadline]);
    expect(await found(ts, amy.engine, 'fri')).toEqual([deadline]);
    // A finished word (a space after it) is a word, not a start.
    expect(await found(ts, amy.engine, 'dead ')).toEqual([]);
    expect(await found(ts, amy.engine, '🎉')).toEqual([deadline]);
    // A skin tone is the same emoji.
    expect(await found(ts, amy.engine, '👍')).toEqual(['thanks @amy.jones for the notes 👍🏽']);
    expect(await found(ts, amy.engine, '@amy.jones')).toEqual(['thanks @amy.jones for the notes 👍🏽']);
    expect(await found(ts, amy.engine, 'notes 👍')).toEqual(['thanks @amy.jones for the notes 👍🏽']);
    const [hit] = SearchReply.parse((await ask(ts, amy.engine, { q: 'cafe deadline 🎉' })).body).hits;
    expect(hit && marked(hit)).toEqual(['Deadlines', 'Café', '🎉']);
    expect(hit).toMatchObject({ conversationId: general, authorId: ben.id, parentKey: null, edited: false });
    expect(hit?.key).toBe(`${ben.id}:${hit?.localId}`);
    expect((await ask(ts, amy.engine, { q: 'cafe' })).headers.get('cache-control')).toBe('no-store');
  });

  it('FTS5 syntax in what people type is only characters: results or a clear 400, never a 500', async () => {
    await ben.engine.send(general, 'homework "quoted" near the AND gate: minus-one');
    await settle();
    const ok = [
      '"homework',
      'homework"',
      '"quoted"',
      'homework*',
      '*homework',
      'NEAR(homework, gate)',
      'NEAR(',
      'homework AND gate',
      'homework OR nothing',
      'NOT homework',
      '-homework',
      'minus-one',
      'text:homework',
      'marks:homework',
      '{text}: homework',
      '^homework',
      '(homework',
      "homework'); DROP TABLE messages; --",
      'homework \u0000 gate',
      // Inside a word, a control character ended the FTS5 string early: a 500 (found in review).
      'home\u0000work',
      'home\u0001work\u007f',
    ];
    for (const q of ok) {
      const r = await ask(ts, amy.engine, { q });
      expect(r.status, `${q}: ${JSON.stringify(r.body)}`).toBe(200);
      SearchReply.parse(r.body);
    }
    // The words themselves are found whatever surrounds them.
    expect(await found(ts, amy.engine, '"homework')).toHaveLength(1);
    expect(await found(ts, amy.engine, 'NEAR(homework')).toEqual([]);
    expect(await found(ts, amy.engine, 'near homework')).toHaveLength(1);
    expect(await found(ts, amy.engine, 'homework AND gate')).toHaveLength(1);
    expect(await found(ts, amy.engine, '-homework')).toHaveLength(1);
    const bad: [Record<string, string>, string][] = [
      [{ q: 'x'.repeat(10_240) }, 'search-too-long'],
      [{ q: `homework ${'y'.repeat(200)}` }, 'search-too-long'],
      [{ q: Array.from({ length: 13 }, (_, i) => `w${i}`).join(' ') }, 'search-too-many-words'],
      [{ q: '*' }, 'search-empty'],
      [{ q: '"" - : ( )' }, 'search-empty'],
      [{ q: '   ' }, 'search-empty'],
      [{}, 'bad-search'],
      [{ q: 'homework', limit: '51' }, 'bad-search'],
      [{ q: 'homework', limit: '0' }, 'bad-search'],
      [{ q: 'homework', limit: 'lots' }, 'bad-search'],
      [{ q: 'homework', cursor: 'n.1 OR 1=1' }, 'bad-search'],
      [{ q: 'homework', cursor: 'b.3' }, 'bad-cursor'],
      [{ q: 'homework', order: 'random' }, 'bad-search'],
      [{ q: 'homework', after: 'yesterday' }, 'bad-search'],
      [{ q: 'homework', conversationId: "general' --" }, 'bad-search'],
    ];
    for (const [params, code] of bad) {
      const r = await ask(ts, amy.engine, params);
      expect(r.status, JSON.stringify(params).slice(0, 80)).toBe(400);
      expect(r.body).toMatchObject({ error: code, message: expect.any(String) as string });
    }
    expect(failures()).toEqual([]);
  });

  it('a private channel and another pair’s DM are never in anyone else’s results, filter or not', async () => {
    const priv = await tia.engine.createChannel('zebra-club', 'private');
    await tia.engine.api.request('POST', `/api/conversations/${priv.id}/members`, z.unknown(), {
      userIds: [amy.id],
    });
    await tia.engine.send(priv.id, 'zebra crossing plans for Tuesday');
    const dm = await ben.engine.openDm([cat.id]);
    await ben.engine.send(dm.id, 'the quokka secret stays between us');
    await settle();
    expect(await found(ts, amy.engine, 'zebra')).toEqual(['zebra crossing plans for Tuesday']);
    expect(await found(ts, tia.engine, 'zebra')).toHaveLength(1);
    for (const p of [ben, cat]) {
      expect(await found(ts, p.engine, 'zebra')).toEqual([]);
      expect(await found(ts, p.engine, 'zebra', { conversationId: priv.id })).toEqual([]);
    }
    expect(await found(ts, cat.engine, 'quokka')).toHaveLength(1);
    for (const p of [amy, tia]) {
      expect(await found(ts, p.engine, 'quokka')).toEqual([]);
      expect(await found(ts, p.engine, 'quokka', { conversationId: dm.id })).toEqual([]);
      expect(await found(ts, p.engine, 'quokka', { authorId: ben.id, order: 'best' })).toEqual([]);
    }
    // The admin is no member of either: an admin's search is a person's search.
    expect(await found(ts, admin, 'zebra')).toEqual([]);
    expect(await found(ts, admin, 'quokka')).toEqual([]);

    // After leaving, the private channel's messages leave Amy's results.
    await amy.engine.leave(priv.id);
    expect(await found(ts, amy.engine, 'zebra')).toEqual([]);
    expect(await found(ts, amy.engine, 'zebra', { conversationId: priv.id })).toEqual([]);
  });

  it('a DM’s supervisor finds its messages while the policy has them supervise it, and not after', async () => {
    const patch = (body: unknown) => admin.api.request('PATCH', '/api/admin/settings', z.unknown(), body);
    await patch({ studentDmPolicy: 'supervised', dmSupervisorId: tia.id });
    expect(await found(ts, tia.engine, 'quokka')).toEqual(['the quokka secret stays between us']);
    await patch({ studentDmPolicy: 'anyone' });
    expect(await found(ts, tia.engine, 'quokka')).toEqual([]);
    expect(await found(ts, cat.engine, 'quokka')).toHaveLength(1);
  });

  it('a public channel one has left is searched only when the search is limited to it', async () => {
    await tia.engine.send(general, 'the okapi talk is in room 4');
    await settle();
    await cat.engine.leave(general);
    expect(await found(ts, cat.engine, 'okapi')).toEqual([]);
    expect(await found(ts, cat.engine, 'okapi', { conversationId: general })).toEqual([
      'the okapi talk is in room 4',
    ]);
    await cat.engine.join(general);
  });

  it('a deleted and a removed message are gone; an edit changes what is found', async () => {
    const gone = await ben.engine.send(general, 'the wombat message I regret');
    const rude = await ben.engine.send(general, 'the capybara message a tutor removes');
    const typo = await ben.engine.send(general, 'meet at the libary');
    await settle();
    expect(await found(ts, amy.engine, 'wombat')).toHaveLength(1);
    expect(await found(ts, amy.engine, 'capybara')).toHaveLength(1);
    expect(await found(ts, amy.engine, 'libary')).toHaveLength(1);
    await ben.engine.delete(general, local(gone));
    await tia.engine.remove(general, rude, 'unkind');
    await ben.engine.edit(general, local(typo), 'meet at the library');
    await settle();
    expect(await found(ts, amy.engine, 'wombat')).toEqual([]);
    expect(await found(ts, amy.engine, 'capybara')).toEqual([]);
    expect(await found(ts, ben.engine, 'wombat')).toEqual([]);
    expect(await found(ts, tia.engine, 'capybara')).toEqual([]);
    expect(await found(ts, amy.engine, 'libary ')).toEqual([]);
    const hits = SearchReply.parse((await ask(ts, amy.engine, { q: 'library' })).body).hits;
    expect(hits.map(textOf)).toEqual(['meet at the library']);
    expect(hits[0]?.edited).toBe(true);
  });

  it('filters by conversation, person, time, threads and links; pages newest first and by best match', async () => {
    const parent = await amy.engine.send(general, 'pangolin facts thread');
    await settle();
    // The time filter is on the time written on the message (sentAt, from the author's device clock).
    const [first] = SearchReply.parse((await ask(ts, amy.engine, { q: 'pangolin' })).body).hits;
    const from = first?.sentAt ?? 0;
    while (Date.now() <= from) await new Promise((r) => setTimeout(r, 1));
    await ben.engine.send(general, 'pangolin reply', { parent });
    await tia.engine.send(general, 'pangolin guide at https://example.org/pangolin');
    const dm = await amy.engine.openDm([tia.id]);
    await tia.engine.send(dm.id, 'pangolin pangolin pangolin homework');
    await settle();
    const all = await found(ts, amy.engine, 'pangolin');
    expect(all).toHaveLength(4);
    expect(await found(ts, amy.engine, 'pangolin', { conversationId: dm.id })).toHaveLength(1);
    expect(await found(ts, amy.engine, 'pangolin', { authorId: ben.id })).toEqual(['pangolin reply']);
    expect(await found(ts, amy.engine, 'pangolin', { threads: '1' })).toEqual(['pangolin reply']);
    expect(await found(ts, amy.engine, 'pangolin', { links: 'true' })).toEqual([
      'pangolin guide at https://example.org/pangolin',
    ]);
    expect(await found(ts, amy.engine, 'pangolin', { before: String(from + 1) })).toEqual([
      'pangolin facts thread',
    ]);
    expect(await found(ts, amy.engine, 'pangolin', { after: String(from + 1) })).toHaveLength(3);
    const reply = SearchReply.parse((await ask(ts, amy.engine, { q: 'pangolin', threads: '1' })).body);
    expect(reply.hits[0]?.parentKey).toBe(parent);

    for (const order of ['newest', 'best'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await ask(ts, amy.engine, {
          q: 'pangolin',
          order,
          limit: '3',
          ...(cursor === null ? {} : { cursor }),
        });
        const page = SearchReply.parse(r.body);
        seen.push(...page.hits.map((h) => h.key));
        expect(page.more).toBe(page.cursor !== null);
        cursor = page.cursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(2);
      expect(new Set(seen).size).toBe(4);
    }
    // Best match: the message saying it three times first.
    expect((await found(ts, amy.engine, 'pangolin', { order: 'best' }))[0]).toBe(
      'pangolin pangolin pangolin homework',
    );
  });

  it('the date filter uses the time written on the message, not when the server received it', async () => {
    // A tutor's laptop wrote this offline three days ago and synced just now: it shows, and is found, as
    // written three days ago, as the device's own index finds it.
    const written = clock - 3 * DAY;
    const laptop = await addUser(ts, admin, 'tutor', { name: 'Lee Laptop', now: () => written });
    try {
      const dm = await laptop.engine.openDm([amy.id]);
      await laptop.engine.send(dm.id, 'the quokka report is marked');
      await laptop.engine.settled();
      const [hit] = SearchReply.parse((await ask(ts, amy.engine, { q: 'quokka' })).body).hits;
      expect(hit?.sentAt).toBe(written);
      expect(hit?.receivedAt).toBe(clock);
      const day = (t: number) => ({ after: String(t - (t % DAY)), before: String(t - (t % DAY) + DAY) });
      expect(await found(ts, amy.engine, 'quokka', day(written))).toEqual(['the quokka report is marked']);
      expect(await found(ts, amy.engine, 'quokka', day(clock))).toEqual([]);
    } finally {
      laptop.engine.disconnect();
    }
  });

  it('messages past the retention period leave the results when the job takes them out (T16)', async () => {
    await ben.engine.send(general, 'the axolotl tank needs cleaning');
    await settle();
    expect(await found(ts, amy.engine, 'axolotl')).toHaveLength(1);
    await admin.api.request('PATCH', '/api/admin/retention', z.unknown(), { channelsDays: 30 });
    clock += 31 * DAY;
    await ts.server.internals.retention.run();
    expect(await found(ts, amy.engine, 'axolotl')).toEqual([]);
    expect(await found(ts, amy.engine, 'deadline')).toEqual([]);
    // The DM's messages have their own period, unset: still found.
    expect(await found(ts, amy.engine, 'pangolin')).toEqual(['pangolin pangolin pangolin homework']);
    expect(failures()).toEqual([]);
  });
});

describe('server search limits', () => {
  it('a person over their search allowance is told to wait (429, Retry-After); others are not', async () => {
    const ts = await startServer({ limits: { searchBurst: 3, searchesPerSecond: 0.01 } });
    try {
      const admin = await loginAdmin(ts);
      const amy = await addUser(ts, admin, 'student', { connect: false });
      for (let i = 0; i < 3; i++) expect((await ask(ts, amy.engine, { q: 'anything' })).status).toBe(200);
      const over = await ask(ts, amy.engine, { q: 'anything' });
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ error: 'slow-down' });
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await ask(ts, admin, { q: 'anything' })).status).toBe(200);
      admin.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});

describe('the search index in SQLite', () => {
  it('T19: the window that bounds newest first counts only what the asker may read, so its cursor tells nothing of a DM they are not in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'commonroom-search-window-private-'));
    try {
      const db = openDatabase(join(dir, 'window.sqlite'));
      db.exec(`INSERT INTO conversations (id, kind, name, created_at) VALUES ('c1', 'public', 'c1', 0);
        INSERT INTO conversations (id, kind, name, created_at) VALUES ('dm', 'dm', NULL, 0);
        INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
          VALUES ('u1', 'u1@college.test', 'U', 'student', 'x', 0, 0),
                 ('u2', 'u2@college.test', 'V', 'student', 'x', 0, 0),
                 ('u3', 'u3@college.test', 'W', 'student', 'x', 0, 0);
        INSERT INTO members VALUES ('c1', 'u1', 0), ('dm', 'u2', 0), ('dm', 'u3', 0);`);
      const add = db.prepare(
        `INSERT INTO messages (conversation_id, author_id, local_id, seq, text, client_ts, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      // The channel's and the DM's messages alternate, each with the word.
      db.transaction(() => {
        for (let i = 0; i < 10; i++) {
          add.run('c1', 'u1', `c${i}`, i + 1, `homework channel ${i}`, i, i);
          add.run('dm', 'u2', `d${i}`, i + 1, `homework private ${i}`, i, i);
        }
      })();
      const service = createSearchService({ store: createSearchStore(db, { scanWindow: 3 }) });
      const channelRowids = db
        .prepare<[], { id: number }>(
          "SELECT rowid AS id FROM messages WHERE conversation_id = 'c1' ORDER BY rowid DESC",
        )
        .all()
        .map((r) => r.id);
      // A filter nothing passes: the answer is the window's floor alone, counted over the channel only.
      const none = { q: 'homework', authorId: 'u3', limit: '5' };
      const first = service.search('u1', none);
      expect(first).toEqual({ hits: [], more: true, cursor: `n.${channelRowids[2]}` });
      // Naming the DM (not readable) answers nothing at all, and no cursor.
      expect(service.search('u1', { q: 'homework', conversationId: 'dm', limit: '5' })).toEqual({
        hits: [],
        more: false,
        cursor: null,
      });
      // Cursors set one apart around a DM message answer alike (the reviewer's probe): no difference tells.
      const dmRow =
        db.prepare<[], { id: number }>("SELECT rowid AS id FROM messages WHERE local_id = 'd5'").get()?.id ??
        0;
      const at = (r: number) => service.search('u1', { ...none, cursor: `n.${r}` }).cursor;
      const step = (r: number) => Number((at(r) ?? 'n.0').slice(2));
      expect(step(dmRow + 1) - step(dmRow)).toBe(0);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('newest first with a rare filter over a common word reads a bounded window per answer, says more may exist, and goes on below it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'commonroom-search-window-'));
    try {
      const db = openDatabase(join(dir, 'window.sqlite'));
      db.exec(`INSERT INTO conversations (id, kind, name, created_at) VALUES ('c1', 'public', 'c1', 0);
        INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
          VALUES ('u1', 'u1@college.test', 'U', 'student', 'x', 0, 0),
                 ('u2', 'u2@college.test', 'V', 'student', 'x', 0, 0);
        INSERT INTO members VALUES ('c1', 'u1', 0), ('c1', 'u2', 0);`);
      const add = db.prepare(
        `INSERT INTO messages (conversation_id, author_id, local_id, seq, text, client_ts, received_at)
           VALUES ('c1', ?, ?, ?, ?, ?, ?)`,
      );
      // u2 wrote once, long ago; u1 wrote the common word 12,000 times since.
      const N = 12_000;
      db.transaction(() => {
        add.run('u2', 'old', 1, 'homework from long ago', 1, 1);
        for (let i = 0; i < N; i++) add.run('u1', `m${i}`, i + 2, `homework number ${i}`, i + 2, i + 2);
      })();
      const window = 1_000;
      const service = createSearchService({ store: createSearchStore(db, { scanWindow: window }) });
      const fromU2 = { q: 'homework', authorId: 'u2', limit: '20' };
      // The first answer read the newest `window` matches only: none is u2's, so no hits, but more may
      // exist, and its cursor is the window's floor (the 1,000th newest match), not the end of the index.
      const first = service.search('u1', fromU2);
      expect(first).toEqual({ hits: [], more: true, cursor: expect.stringMatching(/^n\.\d+$/) });
      const rowids = db
        .prepare<[], { id: number }>(
          "SELECT rowid AS id FROM message_search WHERE message_search MATCH 'homework' ORDER BY rowid DESC",
        )
        .all()
        .map((r) => r.id);
      expect(first.cursor).toBe(`n.${rowids[window - 1]}`);
      // Following the cursors reaches it, each answer bounded by the window (13 windows hold 12,001 matches).
      let reply = first;
      const pages: number[] = [];
      while (reply.more && reply.cursor) {
        reply = service.search('u1', { ...fromU2, cursor: reply.cursor });
        pages.push(reply.hits.length);
      }
      expect(pages).toEqual([...Array.from({ length: 11 }, () => 0), 1]);
      expect(reply.hits.map((h) => h.localId)).toEqual(['old']);
      // A filter every match passes fills its page from the window as before, with an exact cursor.
      const mine = service.search('u1', { q: 'homework', authorId: 'u1', limit: '20' });
      expect(mine.hits).toHaveLength(20);
      expect(mine.cursor).toBe(`n.${rowids[19]}`);
      // The window's own query reads FTS5's list of ids, newest first, and stops at the window.
      const plan = db
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT rowid FROM message_search WHERE message_search MATCH 'homework'
             AND rowid < 99999999 ORDER BY rowid DESC LIMIT 1000`,
        )
        .all()
        .map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/VIRTUAL TABLE INDEX/);
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indexes the live messages of a database from before it, none of the gone ones, and only readable ones are found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'commonroom-search-migrate-'));
    try {
      const file = join(dir, 'old.sqlite');
      const mine = MIGRATIONS.findIndex((m) => m.includes('CREATE VIRTUAL TABLE message_search'));
      const old = new Database(file);
      registerSearchFunctions(old);
      old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      for (const [i, sql] of MIGRATIONS.slice(0, mine).entries()) {
        old.exec(sql);
        old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(i + 1);
      }
      old.exec(`INSERT INTO conversations (id, kind, name, created_at) VALUES ('c1', 'public', 'c1', 0);
        INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
          VALUES ('u1', 'u1@college.test', 'U', 'student', 'x', 0, 0);
        INSERT INTO members VALUES ('c1', 'u1', 0);`);
      const add = old.prepare(
        `INSERT INTO messages (conversation_id, author_id, local_id, seq, text, client_ts, received_at,
           deleted_at, removed_by, redacted_at, purged_at) VALUES ('c1', 'u1', ?, ?, ?, 0, 0, ?, ?, ?, ?)`,
      );
      add.run('a', 1, 'the walrus is live 🐙', null, null, null, null);
      add.run('b', 2, 'the walrus was deleted', 5, null, 5, null);
      add.run('c', 3, 'the walrus was removed', null, 'u2', null, null);
      add.run('d', 4, 'the walrus expired', null, null, 5, null);
      add.run('e', 5, '', null, null, 5, 6);
      old.close();

      const db = openDatabase(file);
      const store = createSearchStore(db);
      const search = (q: string) =>
        store
          .newest(
            {
              userId: 'u1',
              match: matchExpression(q),
              conversationId: null,
              authorId: null,
              after: null,
              before: null,
              threadsOnly: false,
              linksOnly: false,
            },
            { open: '[', close: ']' },
            50,
            null,
          )
          .rows.map((r) => r.snippet);
      expect(search('walrus')).toEqual(['the [walrus] is live 🐙']);
      expect(search('🐙')).toHaveLength(1);

      // Another person's private channel, written after the migration: never found by u1, whether the
      // search is narrowed to u1's conversations inside FTS5 or (past 200 of them) left to the membership
      // test of the statement alone.
      db.exec(`INSERT INTO conversations (id, kind, name, created_at) VALUES ('c2', 'private', 'c2', 0);
        INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
          VALUES ('u2', 'u2@college.test', 'V', 'student', 'x', 0, 0);
        INSERT INTO members VALUES ('c2', 'u2', 0);
        INSERT INTO messages (conversation_id, author_id, local_id, seq, text, client_ts, received_at)
          VALUES ('c2', 'u2', 'z', 1, 'the walrus in private', 0, 0);`);
      expect(search('walrus')).toEqual(['the [walrus] is live 🐙']);
      const addChannel = db.prepare(
        "INSERT INTO conversations (id, kind, name, created_at) VALUES (?, 'public', ?, 0)",
      );
      const member = db.prepare("INSERT INTO members VALUES (?, 'u1', 0)");
      for (let i = 0; i < 201; i++) {
        addChannel.run(`many${i}`, `many${i}`);
        member.run(`many${i}`);
      }
      expect(search('walrus')).toEqual(['the [walrus] is live 🐙']);
      db.exec("INSERT INTO members VALUES ('c2', 'u1', 0)");
      expect(search('walrus')).toEqual(['the [walrus] in private', 'the [walrus] is live 🐙']);
      // FTS5's own check of the index's structure (not against its content view, which has the gone rows).
      db.exec("INSERT INTO message_search (message_search) VALUES ('integrity-check')");
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
