import { engineInternals } from '@commonroom/engine/testing';
import { createMemoryStorage, type Engine } from '@commonroom/engine';
import { authorRoots } from '@commonroom/model';
import { authorDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';

/**
 * The work of merging an update is bounded by counting before it is applied (docs/PROTOCOL.md P10): Yjs
 * walks the concurrent items at a place to put each new one there, so items from many client ids (or
 * many at one place) cost a walk each. Such an update was accepted and stored, blocking the server for
 * seconds, more with each one. The time itself is measured by `npm run bench -- --only=hostile`.
 */

/** Writes what a forger would: Yjs v1 update bytes, struct by struct. */
const bytes = {
  out: [] as number[],
  uint(n: number): void {
    while (n > 0x7f) {
      this.out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.out.push(n);
  },
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.uint(b.length);
    this.out.push(...b);
  },
  take(): Uint8Array {
    const u = new Uint8Array(this.out);
    this.out = [];
    return u;
  },
};

/**
 * Read-mark items (map `read`, key `key`, small integer values) as client `client` from clock `clock`,
 * every one placed right after `origin`, or as the key's first value when `origin` is null: concurrent
 * siblings, which no device writes but the format allows.
 */
function siblings(
  writers: { client: number; clock: number; count: number }[],
  origin: readonly [number, number] | null,
  key: string,
): Uint8Array {
  bytes.uint(writers.length);
  for (const w of writers) {
    bytes.uint(w.count);
    bytes.uint(w.client);
    bytes.uint(w.clock);
    for (let i = 0; i < w.count; i++) {
      if (origin) {
        bytes.out.push(8 | 0x80); // ContentAny, with an origin
        bytes.uint(origin[0]);
        bytes.uint(origin[1]);
      } else {
        bytes.out.push(8 | 0x20); // ContentAny, parent named, with a map key
        bytes.uint(1);
        bytes.str('read');
        bytes.str(key);
      }
      bytes.uint(1); // one value
      bytes.out.push(125); // varint
      bytes.uint(i % 64);
    }
  }
  bytes.uint(0); // no deletions
  return bytes.take();
}

/** A read mark on `key` written by each of `n` client ids that never saw each other's (~60 KB for 3,000). */
function manyClients(n: number, firstClient: number, key: string): Uint8Array {
  const ups: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Y.Doc();
    d.clientID = firstClient + i;
    authorRoots(d).read.set(key, 1 + i);
    ups.push(Y.encodeStateAsUpdate(d));
  }
  return Y.mergeUpdates(ups);
}

describe('the merge work of an update is bounded before it is applied (P10)', () => {
  let ts: TestServer;
  let admin: Engine;
  let general: ConversationId;
  let student: { id: string; email: string; password: string };
  let raw: RawClient;
  let doc: string;

  const rows = (): number =>
    (
      ts.server.db.prepare('SELECT COUNT(*) AS n FROM doc_updates WHERE doc = ?').get(doc) as {
        n: number;
      }
    ).n;
  /** Counts the times the server reads the document from storage (a reload replays what it reads). */
  let loads = 0;

  beforeAll(async () => {
    ts = await startServer({ limits: MANY_MESSAGES });
    admin = await loginAdmin(ts);
    student = await addUser(ts, admin, 'student', { name: 'Hostile', connect: false });
    general = channel(admin, 'general') as ConversationId;
    // Read marks name arrival positions that exist (P8): the crafted marks below go up to 64.
    await admin.open(general);
    for (let i = 0; i < 64; i++) await admin.send(general, `history ${i}`);
    await admin.settled();
    doc = authorDoc(general, student.id as UserId);
    raw = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
    const store = ts.server.internals.store;
    const load = store.load.bind(store);
    store.load = (name) => {
      if (name === doc) loads++;
      return load(name);
    };
  });
  afterAll(async () => {
    raw.close();
    await admin.logout().catch(() => undefined);
    await ts.destroy();
  });

  it('P10: read marks written as thousands of client ids at one key are refused, unstored, without a reload', async () => {
    const up = manyClients(3_000, 1_000, 'dev1');
    expect(up.length).toBeGreaterThan(50_000);
    expect(up.length).toBeLessThan(64 * 1024);
    const before = rows();
    expect(await raw.write(doc, up)).toEqual({ kind: 'reject', code: 'too-costly' });
    expect(rows()).toBe(before);
    const loadsAfterRefusal = loads;
    // Refused before it was applied: the document needs no reading again.
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(loadsAfterRefusal);
    expect(
      ts.server.internals.audit
        .list(100, 'write.refused')
        .some((e) => (e.detail as { code?: string }).code === 'too-costly'),
    ).toBe(true);
  });

  it('P10: two client ids writing thousands of concurrent items at one place are refused', async () => {
    const first = new Y.Doc();
    first.clientID = 77;
    authorRoots(first).read.set('dev2', 1);
    expect(await raw.write(doc, Y.encodeStateAsUpdate(first))).toEqual({ kind: 'ack' });
    const up = siblings(
      [
        { client: 5, clock: 0, count: 3_000 },
        { client: 9_000, clock: 0, count: 3_000 },
      ],
      [77, 0],
      'dev2',
    );
    expect(await raw.write(doc, up)).toEqual({ kind: 'reject', code: 'too-costly' });
  });

  it('P10: a place cannot grow past the bound over many updates: each accepted one stays cheap', async () => {
    // One client id per update, 20 siblings each: cheap alone, but each next one walks all before it,
    // and so would every later reading of the document.
    let refusedAt = 0;
    for (let round = 1; round <= 40 && refusedAt === 0; round++) {
      const up = siblings([{ client: 100 + round, clock: 0, count: 20 }], null, 'dev3');
      const answer = await raw.write(doc, up);
      if (answer.kind === 'reject') {
        expect(answer.code).toBe('too-costly');
        refusedAt = round;
      } else expect(answer).toEqual({ kind: 'ack' });
    }
    expect(refusedAt).toBe(2);
    // An honest read mark on another key is still accepted.
    const honest = new Y.Doc();
    Y.applyUpdate(honest, Y.encodeStateAsUpdate(new Y.Doc()));
    authorRoots(honest).read.set('phone', 3);
    expect(await raw.write(doc, Y.encodeStateAsUpdate(honest))).toEqual({ kind: 'ack' });
  });

  it('P10: an offline backlog written over 20 sessions (20 client ids) is sent within the bound, all of it', async () => {
    const writer = await addUser(ts, admin, 'student', { name: 'Offline writer', connect: false });
    const storage = createMemoryStorage();
    const first = makeEngine(ts.url, { storage });
    await first.init();
    await first.login(writer.email, writer.password);
    first.connect();
    await first.open(general);
    await first.settled();
    first.disconnect();
    // Each start of the app loads the documents into a new Y.Doc: a new Yjs client id per session.
    for (let k = 0; k < 20; k++) {
      const session = makeEngine(ts.url, { storage });
      await session.init();
      await session.open(general);
      await session.send(general, `offline ${k}`);
      await engineInternals(session).flushStorage();
    }
    const last = makeEngine(ts.url, { storage });
    await last.init();
    last.connect();
    await last.settled();
    const sent = texts(last, general).filter((t) => t.startsWith('offline '));
    expect(sent).toHaveLength(20);
    expect(last.status().waiting).toBe(0);
    // Never refused on the way: the engine keeps each frame within the server's bound on client ids.
    const costly = ts.server.internals.audit
      .list(500, 'write.refused')
      .filter((e) => e.actorId === writer.id && (e.detail as { code?: string }).code === 'too-costly');
    expect(costly).toEqual([]);
    last.disconnect();
  });

  it("P10, P12: a device's message that meets many of the person's own concurrent ones is sent again, not refused", async () => {
    const person = await addUser(ts, admin, 'student', { name: 'Two devices' });
    const laptop = person.engine;
    await laptop.open(general);
    await laptop.settled();
    const phone = makeEngine(ts.url);
    await phone.init();
    await phone.login(person.email, person.password);
    phone.connect();
    await phone.open(general);
    await phone.settled();
    laptop.disconnect();
    // Meanwhile the phone writes more at the end of the list than one update may walk past (32): each
    // message edited at once, so Yjs keeps them as separate items rather than one run.
    for (let i = 0; i < 40; i++) {
      const key = await phone.send(general, `phone ${i}`);
      await phone.edit(general, key.split(':')[1] ?? '', `phone ${i}, edited`);
    }
    await phone.settled();
    await laptop.send(general, 'from the laptop, written offline');
    laptop.connect();
    await laptop.settled();
    expect(texts(laptop, general)).toContain('from the laptop, written offline');
    expect(laptop.status().rejected).toBe(0);
    // The path was taken: refused once as too costly, then applied to the server's copy and accepted.
    const refusals = ts.server.internals.audit
      .list(500, 'write.refused')
      .filter((e) => e.actorId === person.id && (e.detail as { code?: string }).code === 'too-costly');
    expect(refusals.length).toBeGreaterThan(0);
    phone.disconnect();
    laptop.disconnect();
  });

  it("T12: a write refused on the document's rules reads nothing again: judged before it is applied", async () => {
    for (let i = 0; i < 10; i++) {
      const d = new Y.Doc();
      authorRoots(d).read.set(`tablet${i}`, 1);
      expect(await raw.write(doc, Y.encodeStateAsUpdate(d))).toEqual({ kind: 'ack' });
    }
    const rows = ts.server.internals.store.head(doc).count;
    expect(rows).toBeGreaterThan(10);
    const reloads = ts.server.internals.rooms.reloadCount();
    // Refused on its value (the document's rules), from what inspecting it reports: nothing was applied,
    // so nothing is read again from storage (it used to be, and stored compacted then).
    const bad = new Y.Doc();
    authorRoots(bad).read.set('laptop', -5);
    expect(await raw.write(doc, Y.encodeStateAsUpdate(bad))).toEqual({ kind: 'reject', code: 'bad-read' });
    await new Promise((r) => setImmediate(r));
    expect(ts.server.internals.rooms.reloadCount()).toBe(reloads);
    expect(ts.server.internals.store.head(doc).count).toBe(rows);
  });
});
