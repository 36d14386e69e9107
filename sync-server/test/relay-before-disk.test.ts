import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import { authorRoots, idxRoots } from '@commonroom/model';
import { Me, SYNC_UPDATE, authorDoc, idxDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { z } from 'zod';
import { ADMIN, channel, eventually, makeEngine, seeded, texts } from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';
import { ServerProcess, freePort } from './server-process.ts';

/**
 * Relaying before the disk (docs/PROTOCOL.md, P4, P5 and the section of that name): a reader gets a
 * device's update once it has committed, before the fsync that lets the writer be acknowledged. These kill
 * the real server with SIGKILL at the instant a reader receives a relay (from the reader's socket handler,
 * so the writer's acknowledgement is usually still on its way) and check the cases the argument names:
 * - case 1: everything a reader was relayed is stored after the restart, though its writer's device is
 *   gone (a fresh device each round, so nothing is ever sent again): a fresh device shows it all;
 * - case 3: the index is written after each restart under Yjs client ids never used before, and a reader
 *   that held the index across every kill shows the same order as a fresh device;
 * - nothing the server wrote (index places) reached the reader before it was durable: every index entry
 *   the reader was relayed is in the database.
 */

const ROUNDS = 6;
const MESSAGES_PER_ROUND = 12;
const SEED = 0x5eed20;
const UserReply = z.object({ user: Me });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('relaying before the disk: kill -9 the instant a reader is relayed (P5)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'commonroom-relay-kill-'));
  let server: ServerProcess | null = null;
  const engines: Engine[] = [];
  const raws: RawClient[] = [];

  afterAll(async () => {
    for (const e of engines) e.disconnect();
    for (const r of raws) r.close();
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `loses nothing relayed over ${ROUNDS} kills with the writer's device gone, and writes the index under new client ids`,
    { timeout: 150_000 },
    async () => {
      const srv = new ServerProcess(await freePort(), dataDir, 'sync-server/test/test-server-main.ts');
      server = srv;
      await srv.start();
      const admin = makeEngine(srv.url);
      engines.push(admin);
      await admin.init();
      await admin.login(ADMIN.email, ADMIN.password);
      const people: Record<'writer' | 'reader', { email: string; password: string; id: string }> = {
        writer: { email: 'relay-writer@college.test', password: 'relay-writer-pw-1', id: '' },
        reader: { email: 'relay-reader@college.test', password: 'relay-reader-pw-1', id: '' },
      };
      for (const [name, p] of Object.entries(people)) {
        const { user } = await admin.api.request('POST', '/api/admin/users', UserReply, {
          displayName: `Relay ${name}`,
          email: p.email,
          role: 'tutor',
          password: p.password,
        });
        p.id = user.id;
      }
      // The reader's own device, kept across every kill: it reconnects by itself each time.
      const readerDevice = makeEngine(srv.url, { seed: SEED + 1 });
      engines.push(readerDevice);
      await readerDevice.init();
      await readerDevice.login(people.reader.email, people.reader.password);
      readerDevice.connect();
      await readerDevice.settled();
      const general = channel(readerDevice, 'general') as ConversationId;
      await readerDevice.open(general);
      await readerDevice.settled();

      const writerDocName = authorDoc(general, people.writer.id as UserId);
      const idxName = idxDoc(general);
      const rnd = seeded(SEED);
      /** Every message text the raw reader was relayed, and the client ids the index was written under. */
      const relayedTexts = new Set<string>();
      const relayedPlaces: string[] = [];
      const idxClientsByRound: Set<number>[] = [];
      let relayedBeforeAck = 0;

      for (let round = 1; round <= ROUNDS; round++) {
        if (round > 1) await srv.start();
        // A reader socket that sees frames the instant they are decoded.
        const raw = await connectRaw(
          srv.url,
          await login(srv.url, people.reader.email, people.reader.password),
        );
        raws.push(raw);
        const writerCopy = await raw.fetchDoc(writerDocName);
        const idxCopy = await raw.fetchDoc(idxName);
        if (!(writerCopy instanceof Y.Doc) || !(idxCopy instanceof Y.Doc)) throw new Error('no copies');
        const idxClients = new Set<number>();
        idxClientsByRound.push(idxClients);

        let killAt = Number.POSITIVE_INFINITY;
        let killed = false;
        raw.onFrame = (f) => {
          if (f.type !== 'sync' || f.syncType !== SYNC_UPDATE) return;
          if (f.doc === idxName) {
            for (const s of Y.decodeUpdate(f.payload).structs) idxClients.add(s.id.client);
            Y.applyUpdate(idxCopy, f.payload);
            return;
          }
          if (f.doc !== writerDocName) return;
          Y.applyUpdate(writerCopy, f.payload);
          // Counted in messages, not frames: a writer with several waiting sends them merged.
          const relayedThisRound = authorRoots(writerCopy)
            .msgs.toArray()
            .filter((m) => m.text.startsWith(`round ${round} message `)).length;
          if (!killed && relayedThisRound >= killAt) {
            killed = true;
            srv.child?.kill('SIGKILL');
            // Still waiting for its acknowledgement: relayed before the disk held it (informational).
            if (writer.outbox().length > 0) relayedBeforeAck++;
          }
        };

        // A new device for the writer each round: what it does not get acknowledged is never sent again.
        const writer = makeEngine(srv.url, { seed: SEED + 100 + round });
        engines.push(writer);
        await writer.init();
        await writer.login(people.writer.email, people.writer.password);
        writer.connect();
        await writer.open(general);
        await writer.settled();

        // One message settled first, so this process has written (and relayed) index places before the kill.
        const settledFirst = `round ${round} settled`;
        await writer.send(general, settledFirst);
        await writer.settled();
        await eventually(() => {
          expect(idxClients.size).toBeGreaterThan(0);
          expect(
            authorRoots(writerCopy)
              .msgs.toArray()
              .map((m) => m.text),
          ).toContain(settledFirst);
        }, 10_000);

        killAt = 1 + Math.floor(rnd() * (MESSAGES_PER_ROUND - 2));
        const gaps = Array.from({ length: MESSAGES_PER_ROUND }, () => Math.floor(rnd() * 8));
        const sending = (async () => {
          for (const [i, gap] of gaps.entries()) {
            await writer.send(general, `round ${round} message ${i}`);
            await sleep(gap);
          }
        })();
        await eventually(() => expect(killed).toBe(true), 20_000);
        await srv.kill();
        await sending;
        writer.disconnect();
        raw.close();
        for (const m of authorRoots(writerCopy).msgs.toArray()) relayedTexts.add(m.text);
        for (const [author, id] of idxRoots(idxCopy).order.toArray()) relayedPlaces.push(`${author}:${id}`);
      }

      await srv.start();
      // Case 1: a fresh device shows every message any reader was relayed, none sent again by its writer.
      const fresh = makeEngine(srv.url, { seed: SEED + 2 });
      engines.push(fresh);
      await fresh.init();
      await fresh.login(people.reader.email, people.reader.password);
      fresh.connect();
      await fresh.open(general);
      await fresh.settled();
      const shown = new Set(texts(fresh, general));
      expect([...relayedTexts].filter((t) => !shown.has(t))).toEqual([]);
      expect(relayedTexts.size).toBeGreaterThanOrEqual(ROUNDS);

      // Every index place relayed is stored (the server's writes leave only once durable).
      const db = new Database(join(dataDir, 'commonroom.sqlite'), { readonly: true });
      try {
        const stored = db
          .prepare<[string], { data: Buffer }>('SELECT data FROM doc_updates WHERE doc = ? ORDER BY id')
          .all(idxName);
        const idx = new Y.Doc();
        for (const r of stored) Y.applyUpdate(idx, new Uint8Array(r.data));
        const places = new Set(
          idxRoots(idx)
            .order.toArray()
            .map(([a, id]) => `${a}:${id}`),
        );
        expect(relayedPlaces.filter((p) => !places.has(p))).toEqual([]);
      } finally {
        db.close();
      }

      // Case 3: each process wrote the index under client ids no earlier process used.
      for (const [i, ids] of idxClientsByRound.entries()) {
        expect(ids.size, `round ${i + 1} relayed index places`).toBeGreaterThan(0);
        for (const earlier of idxClientsByRound.slice(0, i))
          expect(
            [...ids].filter((c) => earlier.has(c)),
            `round ${i + 1} reused an index client id`,
          ).toEqual([]);
      }
      // The reader that held the index across every kill shows the fresh device's order.
      await eventually(() => expect(texts(readerDevice, general)).toEqual(texts(fresh, general)), 20_000);
      if (process.env.RELAY_DEBUG)
        console.log(`relayed before the writer's acknowledgement in ${relayedBeforeAck} of ${ROUNDS} rounds`);
    },
  );
});
