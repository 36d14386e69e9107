import { seeded } from '@commonroom/testkit';
import { describe, expect, it } from 'vitest';
import { GENESIS, rowHash, type ChainRow } from '../src/storage/audit-chain.ts';
import type { AsyncAuditLog } from '../src/storage/audit-async.ts';

/**
 * The one conformance suite every AsyncAuditLog passes (the SQLite adapter on a real file, PostgreSQL on a
 * fresh database): docs/SCALE-OUT.md §3, issue 14 §6 (hash chain, append only) and issue 13 §5 (the viewer).
 * `make` gives a fresh database and its clock; `open` is another log instance on its own connection (pool),
 * as another process would have.
 */
export type AuditHarness = {
  /** Another log instance on its own connection: another process. */
  open: () => AsyncAuditLog;
  /** The first log's own connection (pool, or SQLite handle), for raw SQL the database must refuse. */
  sql: (statement: string) => Promise<void>;
  /** Drops the append-only triggers on the log through an admin connection: someone who works round them. */
  dropTriggers: () => Promise<void>;
  /** Every stored row in id order, with its hashes. */
  rows: () => Promise<ChainRow[]>;
  close: () => Promise<void>;
};

export type AuditLogMaker = (now: () => number) => Promise<AuditHarness>;

const T0 = 1_700_000_000_000;

/** The clock the stores read: fixed unless `ticking`, when each read is one millisecond on. */
type Clock = { t: number; ticking: boolean };

export function asyncAuditLogSuite(name: string, make: AuditLogMaker): void {
  const withLog = async (f: (h: AuditHarness, clock: Clock) => Promise<void>): Promise<void> => {
    const clock: Clock = { t: T0, ticking: false };
    const h = await make(() => (clock.ticking ? ++clock.t : clock.t));
    try {
      await f(h, clock);
    } finally {
      await h.close();
    }
  };

  /** Eight entries a second apart (entry n at T0 + n s), varied in actor, action and target. */
  const seed = async (log: AsyncAuditLog, clock: Clock): Promise<void> => {
    const entries: [string | null, string, string | null, Record<string, unknown>][] = [
      ['u-ada', 'user.created', 'u-bob', { role: 'student' }],
      ['u-ada', 'user.updated', 'u-bob', { displayName: 'Bob B' }],
      ['u-cy', 'channel.created', 'c-1', { name: 'maths' }],
      [null, 'retention.run', null, { removed: 3 }],
      ['u-bob', 'channel.updated', 'c-1', { topic: 'sums' }],
      ['u-ada', 'channel.created', 'c-2', { name: 'art' }],
      ['u-cy', 'user.created', 'u-dee', { role: 'tutor' }],
      ['u-bob', 'Zeta.action', null, {}],
    ];
    for (const [i, [actor, action, target, detail]] of entries.entries()) {
      clock.t = T0 + (i + 1) * 1000;
      await log.record(actor, action, target, detail);
    }
  };
  const ids = (entries: { id: number }[]): number[] => entries.map((e) => e.id);

  describe(`AsyncAuditLog conformance: ${name}`, () => {
    it('appends chain from GENESIS: each row hashes its content and the hash of the one before', () =>
      withLog(async (h, clock) => {
        const log = h.open();
        clock.t = T0;
        await log.record('u-ada', 'user.created', 'u-bob', { role: 'student', name: 'Zoë' });
        clock.t = T0 + 5;
        await log.record(null, 'retention.run', null);
        const rows = await h.rows();
        expect(rows.map((r) => r.id)).toEqual([1, 2]);
        // The first hash is pinned: the same content gives the same hash in every store, now and later.
        expect(rows[0]).toEqual({
          id: 1,
          at: T0,
          actor_id: 'u-ada',
          action: 'user.created',
          target: 'u-bob',
          detail: '{"role":"student","name":"Zoë"}',
          prev_hash: GENESIS,
          hash: '256da4f7db5889811deedf612e3a344753021d97eecc98e39689fa3240a9d2c2',
        });
        const second = rows[1];
        expect(second).toMatchObject({
          actor_id: null,
          target: null,
          detail: '{}',
          prev_hash: rows[0]?.hash,
        });
        if (second?.prev_hash) expect(second.hash).toBe(rowHash({ ...second, prev_hash: second.prev_hash }));
        expect(await log.verify()).toEqual({ ok: true, count: 2, head: second?.hash });
        expect(await log.list()).toEqual([
          { id: 2, at: T0 + 5, actorId: null, action: 'retention.run', target: null, detail: {} },
          {
            id: 1,
            at: T0,
            actorId: 'u-ada',
            action: 'user.created',
            target: 'u-bob',
            detail: { role: 'student', name: 'Zoë' },
          },
        ]);
      }));

    it('an empty log verifies, with GENESIS as its head', () =>
      withLog(async (h) => {
        expect(await h.open().verify()).toEqual({ ok: true, count: 0, head: GENESIS });
        expect(await h.open().actions()).toEqual([]);
      }));

    it('the viewer: newest first, by actor, action, target, time (end excluded) and together', () =>
      withLog(async (h, clock) => {
        const log = h.open();
        await seed(log, clock);
        expect(ids(await log.find({}, 100))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
        expect(ids(await log.find({ actorIds: ['u-ada', 'u-cy'] }, 100))).toEqual([7, 6, 3, 2, 1]);
        // A name search that matched nobody matches no entry (not every entry).
        expect(await log.find({ actorIds: [] }, 100)).toEqual([]);
        expect(ids(await log.find({ action: 'channel.created' }, 100))).toEqual([6, 3]);
        expect(ids(await log.find({ targets: ['c-1', 'u-dee'] }, 100))).toEqual([7, 5, 3]);
        expect(await log.find({ targets: [] }, 100)).toEqual([]);
        expect(ids(await log.find({ from: T0 + 3000, to: T0 + 6000 }, 100))).toEqual([5, 4, 3]);
        expect(ids(await log.find({ from: T0 + 7000 }, 100))).toEqual([8, 7]);
        expect(ids(await log.find({ to: T0 + 2000 }, 100))).toEqual([1]);
        expect(
          ids(
            await log.find({ actorIds: ['u-ada', 'u-bob'], action: 'channel.created', to: T0 + 9000 }, 100),
          ),
        ).toEqual([6]);
        expect(ids(await log.find({ targets: ['u-bob'], actorIds: ['u-cy'] }, 100))).toEqual([]);
        expect(ids(await log.find({}, 3))).toEqual([8, 7, 6]);
        expect(ids(await log.list(2))).toEqual([8, 7]);
        expect(ids(await log.list(200, 'user.created'))).toEqual([7, 1]);
        expect(await log.find({ action: 'retention.run' }, 10)).toEqual([
          {
            id: 4,
            at: T0 + 4000,
            actorId: null,
            action: 'retention.run',
            target: null,
            detail: { removed: 3 },
          },
        ]);
        // In byte order, as SQLite's BINARY collation (upper case first).
        expect(await log.actions()).toEqual([
          'Zeta.action',
          'channel.created',
          'channel.updated',
          'retention.run',
          'user.created',
          'user.updated',
        ]);
      }));

    it('the viewer: the cursor pages through a filter, each page after the last id shown', () =>
      withLog(async (h, clock) => {
        const log = h.open();
        await seed(log, clock);
        expect(ids(await log.find({ before: 6 }, 100))).toEqual([5, 4, 3, 2, 1]);
        expect(ids(await log.find({ actorIds: ['u-ada'], before: 6 }, 100))).toEqual([2, 1]);
        const filter = { actorIds: ['u-ada', 'u-bob', 'u-cy'] };
        const seen: number[][] = [];
        let before: number | undefined;
        for (;;) {
          const page = await log.find(before === undefined ? filter : { ...filter, before }, 3);
          if (page.length === 0) break;
          seen.push(ids(page));
          before = page.at(-1)?.id;
        }
        expect(seen).toEqual([[8, 7, 6], [5, 3, 2], [1]]);
        // The export's pages: the same keyset walk, ending without an empty page when the last is short.
        const pages: number[][] = [];
        for await (const page of log.pages(filter, 2)) pages.push(ids(page));
        expect(pages).toEqual([[8, 7], [6, 5], [3, 2], [1]]);
        const fromCursor: number[][] = [];
        for await (const page of log.pages({ before: 4 })) fromCursor.push(ids(page));
        expect(fromCursor).toEqual([[3, 2, 1]]);
        const exact: number[][] = [];
        for await (const page of log.pages({ action: 'user.created' }, 2)) exact.push(ids(page));
        expect(exact).toEqual([[7, 1]]);
      }));

    it('UPDATE, DELETE and a row without its hashes are refused by the database itself', () =>
      withLog(async (h, clock) => {
        await seed(h.open(), clock);
        await expect(h.sql(`UPDATE audit_log SET detail = '{"role":"admin"}' WHERE id = 1`)).rejects.toThrow(
          /append-only/,
        );
        await expect(h.sql('DELETE FROM audit_log WHERE id = 8')).rejects.toThrow(/append-only/);
        await expect(h.sql('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
        await expect(
          h.sql(`INSERT INTO audit_log (id, at, action, detail) VALUES (9, 0, 'forged', '{}')`),
        ).rejects.toThrow();
        expect(ids(await h.rows())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(await h.open().verify()).toMatchObject({ ok: true, count: 8 });
      }));

    it('the verifier names the first entry changed, removed, or cut off the end once the triggers are gone', () =>
      withLog(async (h, clock) => {
        const log = h.open();
        await seed(log, clock);
        await h.dropTriggers();
        await h.sql(`UPDATE audit_log SET detail = '{"role":"admin"}' WHERE id = 7`);
        expect(await log.verify()).toEqual({
          ok: false,
          count: 6,
          brokenAt: 7,
          reason: 'this entry was changed after it was written',
        });
        await h.sql('DELETE FROM audit_log WHERE id = 3');
        expect(await log.verify()).toMatchObject({
          ok: false,
          count: 2,
          brokenAt: 4,
          reason: /removed or inserted/,
        });
      }));

    it('entries cut off the end are noticed: the store remembers the highest id it gave out', () =>
      withLog(async (h, clock) => {
        const log = h.open();
        await seed(log, clock);
        await h.dropTriggers();
        await h.sql('DELETE FROM audit_log WHERE id > 6');
        expect(await log.verify()).toEqual({
          ok: false,
          count: 6,
          brokenAt: 6,
          reason: 'entries after this one were removed (the log had reached entry 8)',
        });
      }));

    it('two processes appending at once (seeded) make one valid chain with dense ids in commit order', () =>
      withLog(async (h, clock) => {
        const a = h.open();
        const b = h.open();
        const rand = seeded(21);
        const n = 120;
        clock.ticking = true;
        const sent = Array.from({ length: n }, (_, i) => ({
          by: rand() < 0.5 ? a : b,
          actor: `u-${Math.floor(rand() * 5)}`,
          detail: { i, pad: 'x'.repeat(Math.floor(rand() * 40)) },
        }));
        await Promise.all(sent.map((s) => s.by.record(s.actor, 'load.append', null, s.detail)));
        const rows = await h.rows();
        expect(rows.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        let prev = GENESIS;
        for (const r of rows) {
          expect(r.prev_hash).toBe(prev);
          prev = r.hash ?? '';
        }
        // Each append read the clock under the chain's lock: time never goes back along the ids.
        const times = rows.map((r) => r.at);
        expect(times).toEqual([...times].sort((x, y) => x - y));
        expect(new Set(rows.map((r) => r.detail))).toEqual(
          new Set(sent.map((s) => JSON.stringify(s.detail))),
        );
        expect(await a.verify()).toEqual({ ok: true, count: n, head: prev });
        expect(await b.verify()).toEqual({ ok: true, count: n, head: prev });
      }));
  });
}
