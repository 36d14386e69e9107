import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import { Me } from '@commonroom/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADMIN, channel, eventually, makeEngine, seeded, texts } from './harness.ts';
import { ServerProcess, freePort } from './server-process.ts';

/**
 * kill -9 durability (docs/PROTOCOL.md P4): the real server runs as a child process; clients send while it is
 * killed with SIGKILL at seeded-random moments. After every kill the SQLite file passes integrity_check and
 * holds every message a client saw acknowledged; after the restart a fresh device sees them all; at the end
 * every message ever sent is there exactly once.
 */

const CYCLES = 20;
const SEED = 0xc0ffee;
const MESSAGES_PER_CLIENT_PER_CYCLE = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fails with a name instead of hanging until the test's own timeout. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Sent = { conv: string; localId: string; text: string };
type Client = { name: string; engine: Engine; id: string; convs: string[]; sent: Sent[]; acked: Set<string> };

const UserReply = z.object({ user: Me });

/** What the database file holds now, read beside (or after) the server: integrity, and the message rows. */
function inspectDatabase(file: string): { integrity: unknown; rows: Set<string>; count: number } {
  const db = new Database(file, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const rows = db
      .prepare<[], { conversation_id: string; author_id: string; local_id: string; text: string }>(
        'SELECT conversation_id, author_id, local_id, text FROM messages',
      )
      .all();
    return {
      integrity,
      rows: new Set(rows.map((r) => rowKey(r.conversation_id, r.author_id, r.local_id, r.text))),
      count: rows.length,
    };
  } finally {
    db.close();
  }
}

const rowKey = (conv: string, author: string, localId: string, text: string): string =>
  `${conv}\u0000${author}\u0000${localId}\u0000${text}`;

/** Every message the client sent whose outbox entry is gone: the server acknowledged it (after its commit). */
function recordAcks(c: Client): void {
  const waiting = new Set(
    c.engine.outbox().flatMap((e) => (e.kind === 'send' ? [e.payload.id as string] : [])),
  );
  for (const m of c.sent) if (!waiting.has(m.localId)) c.acked.add(m.localId);
}

describe('durability: kill -9 while clients send (P4)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'commonroom-kill9-'));
  const dbFile = join(dataDir, 'commonroom.sqlite');
  let server: ServerProcess | null = null;
  const engines: Engine[] = [];

  afterAll(async () => {
    for (const e of engines) e.disconnect();
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new device logged in as `email`: sees what the server has, nothing from the senders' memory. */
  const freshDevice = async (email: string, password: string, convs: string[]): Promise<Engine> => {
    const e = makeEngine((server as ServerProcess).url);
    engines.push(e);
    await e.init();
    await e.login(email, password);
    e.connect();
    for (const c of convs) await e.open(c);
    await within(e.settled(), 20_000, `a new device for ${email} syncing`);
    return e;
  };

  it(
    `keeps every acknowledged message through ${CYCLES} kill -9 restarts, and delivers the rest exactly once`,
    { timeout: 170_000 },
    async () => {
      // The test entry: the real server with the message and handshake allowances lifted (10 messages in
      // ~125 ms per writer per cycle is faster than a person; the allowances have their own tests).
      const srv = new ServerProcess(await freePort(), dataDir, 'sync-server/test/test-server-main.ts');
      server = srv;
      await srv.start();

      const admin = makeEngine(srv.url);
      await admin.init();
      await admin.login(ADMIN.email, ADMIN.password);

      const accounts: { name: string; email: string; password: string; id: string }[] = [];
      for (const [i, role] of (['student', 'student', 'tutor'] as const).entries()) {
        const email = `durable${i}@college.test`;
        const password = `durable-password-${i}`;
        const { user } = await admin.api.request('POST', '/api/admin/users', UserReply, {
          displayName: `Durable ${i}`,
          email,
          role,
          password,
        });
        accounts.push({ name: `u${i}`, email, password, id: user.id });
      }

      const clients: Client[] = [];
      for (const [i, a] of accounts.entries()) {
        const engine = makeEngine(srv.url, { seed: SEED + i + 1 });
        engines.push(engine);
        await engine.init();
        await engine.login(a.email, a.password);
        engine.connect();
        await engine.settled();
        clients.push({ name: a.name, engine, id: a.id, convs: [], sent: [], acked: new Set() });
      }
      const [c0, c1] = clients as [Client, Client, Client];
      const general = channel(c0.engine, 'general');
      const dm = (await c0.engine.openDm([c1.id])).id;
      await c1.engine.refreshConversations();
      for (const c of clients) {
        c.convs = c === c0 || c === c1 ? [general, dm] : [general];
        for (const conv of c.convs) await c.engine.open(conv);
        await c.engine.settled();
      }
      const observer = accounts[0] as (typeof accounts)[number];

      const rnd = seeded(SEED);
      const sendBurst = async (
        c: Client,
        cycle: number,
        gaps: number[],
        dmChoices: boolean[],
      ): Promise<void> => {
        for (const [i, gap] of gaps.entries()) {
          const conv = c.convs.length > 1 && dmChoices[i] ? dm : general;
          const text = `${c.name} cycle ${cycle} message ${i}`;
          const key = await c.engine.send(conv, text);
          c.sent.push({ conv, localId: key.slice(key.indexOf(':') + 1), text });
          await sleep(gap);
        }
      };

      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        // Everyone is connected (some may still be resending what the last kill left unacknowledged).
        await eventually(
          () => expect(clients.map((c) => c.engine.status().connection)).toEqual(clients.map(() => 'online')),
          20_000,
        );

        // Draw every random choice of the cycle up front, so the seed fixes them whatever the timing.
        const plans = clients.map(() => ({
          gaps: Array.from({ length: MESSAGES_PER_CLIENT_PER_CYCLE }, () => Math.floor(rnd() * 25)),
          dmChoices: Array.from({ length: MESSAGES_PER_CLIENT_PER_CYCLE }, () => rnd() < 0.3),
        }));
        const killAfterMs = Math.floor(rnd() * 160);

        const bursts = clients.map((c, i) =>
          sendBurst(c, cycle, plans[i]?.gaps ?? [], plans[i]?.dmChoices ?? []),
        );
        await sleep(killAfterMs);
        await srv.kill();
        await Promise.all(bursts);
        // Acknowledgements already on the wire may still arrive; take the record once every socket is closed.
        await eventually(
          () =>
            expect(clients.map((c) => c.engine.status().connection).filter((s) => s === 'online')).toEqual(
              [],
            ),
          10_000,
        );
        await sleep(20);
        for (const c of clients) recordAcks(c);
        if (process.env.DURABILITY_DEBUG) {
          const total = clients.reduce((n, c) => n + c.sent.length, 0);
          const acked = clients.reduce((n, c) => n + c.acked.size, 0);
          const inDb = inspectDatabase(dbFile).count;
          console.log(
            `cycle ${cycle} kill@${killAfterMs}ms sent=${total} acked=${acked} inDb=${inDb} unacked=${total - acked}`,
          );
        }

        // The file as the crash left it: sound, and holding every acknowledged message.
        const crashed = inspectDatabase(dbFile);
        expect(crashed.integrity, `integrity_check after kill ${cycle}`).toBe('ok');
        for (const c of clients)
          for (const m of c.sent)
            if (c.acked.has(m.localId))
              expect(
                crashed.rows.has(rowKey(m.conv, c.id, m.localId, m.text)),
                `kill ${cycle}: acknowledged "${m.text}" lost`,
              ).toBe(true);

        await srv.start();

        // After the restart: still in the table, and a new device sees every acknowledged message.
        const restarted = inspectDatabase(dbFile);
        expect(restarted.integrity).toBe('ok');
        const fresh = await freshDevice(observer.email, observer.password, [general, dm]);
        const seen = new Map([general, dm].map((conv) => [conv, new Set(texts(fresh, conv))]));
        for (const c of clients)
          for (const m of c.sent) {
            if (!c.acked.has(m.localId)) continue;
            expect(
              restarted.rows.has(rowKey(m.conv, c.id, m.localId, m.text)),
              `restart ${cycle}: "${m.text}" missing from messages`,
            ).toBe(true);
            expect(
              seen.get(m.conv)?.has(m.text),
              `restart ${cycle}: a new device does not see "${m.text}"`,
            ).toBe(true);
          }
        fresh.disconnect();
      }

      // Every client delivers what it still holds; nothing is refused.
      await Promise.all(
        clients.map((c) => within(c.engine.settled(), 30_000, `${c.name} delivering its outbox`)),
      );
      for (const c of clients) {
        expect(c.engine.status().rejected, `${c.name} has refused actions`).toBe(0);
        expect(c.engine.outbox()).toEqual([]);
        recordAcks(c);
        expect(c.acked.size).toBe(c.sent.length);
      }

      const all = clients.flatMap((c) => c.sent.map((m) => ({ ...m, author: c.id })));
      expect(all.length).toBe(CYCLES * MESSAGES_PER_CLIENT_PER_CYCLE * clients.length);
      const final = inspectDatabase(dbFile);
      expect(final.integrity).toBe('ok');
      expect(final.count).toBe(all.length);
      expect(final.rows.size).toBe(all.length);
      for (const m of all)
        expect(
          final.rows.has(rowKey(m.conv, m.author, m.localId, m.text)),
          `"${m.text}" missing at the end`,
        ).toBe(true);

      // Exactly once, as a new device reads the conversations.
      const fresh = await freshDevice(observer.email, observer.password, [general, dm]);
      for (const conv of [general, dm]) {
        const expected = all.filter((m) => m.conv === conv).map((m) => m.text);
        expect([...texts(fresh, conv)].sort()).toEqual([...expected].sort());
      }
      fresh.disconnect();
    },
  );
});
