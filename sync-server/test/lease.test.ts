import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLeases, LeaseLostError, type Lease, type Leases } from '../src/scale/lease.ts';
import { createPgDocStore } from '../src/storage/pg/doc-store.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool, type PgPool } from '../src/storage/pg/pool.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from './pg-test-db.ts';

/**
 * Single-writer leases with fencing (docs/SCALE-OUT.md §4.1): two "processes" (each its own pools and
 * lease connection) race for one document's lease, and the stored log shows they never both wrote.
 */
const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the lease tests: ${reachable.why}`);

type Proc = { name: string; pool: PgPool; leases: Leases; lost: string[][]; errors: unknown[] };

describe.skipIf(!reachable.ok)('single-writer leases on PostgreSQL', () => {
  let db: TestDatabase;
  let procs: Proc[] = [];
  const proc = (name: string): Proc => {
    const errors: unknown[] = [];
    const pool = createPgPool(db.url, { max: 4, onError: (e) => errors.push(e) });
    const p: Proc = {
      name,
      pool,
      errors,
      lost: [],
      leases: createLeases({ pool, holder: name, onError: (e) => errors.push(e) }),
    };
    p.leases.onLost((scopes) => p.lost.push(scopes));
    procs.push(p);
    return p;
  };
  /** The backend pid holding `p`'s lease connection (its advisory locks). */
  const leasePid = async (p: Proc, admin: PgPool): Promise<number> => {
    const r = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1`,
      [0x6372],
    );
    const pids = r.rows.map((x) => x.pid);
    if (pids.length !== 1) throw new Error(`expected one lease holder for ${p.name}, found ${pids.length}`);
    return pids[0] ?? 0;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    procs = [];
    const pool = createPgPool(db.url, { max: 1, onError: () => undefined });
    await migratePg(pool, PG_MIGRATIONS);
    await pool.end();
  });
  afterEach(async () => {
    try {
      for (const p of procs) await p.leases.close();
      await Promise.all(procs.map((p) => p.pool.end()));
    } finally {
      await db.drop();
    }
  });

  it('one holder at a time; a release lets the other in with a new token; the old token is refused', async () => {
    const [a, b] = [proc('A'), proc('B')];
    for (let round = 0; round < 10; round++) {
      const [la, lb] = await Promise.all([a.leases.acquire('idx:c1'), b.leases.acquire('idx:c1')]);
      // Exactly one of the two racing acquirers wins each round.
      expect([la, lb].filter((l) => l !== null)).toHaveLength(1);
      const [winner, lease] = la ? [a, la] : [b, lb as Lease];
      expect(lease.token).toBe(2 * round + 1);
      await winner.leases.release(lease);
      // Released: its token moved on, so a commit fenced by it is refused even if a writer kept it.
      await expect(
        createPgDocStore(winner.pool).appendBatch([{ doc: 'd', data: new Uint8Array([round]) }], (tx) =>
          winner.leases.fence(tx, lease),
        ),
      ).rejects.toBeInstanceOf(LeaseLostError);
    }
    // Leases on other scopes are independent.
    expect(await a.leases.acquire('idx:c1')).not.toBeNull();
    expect(await b.leases.acquire('idx:c2')).not.toBeNull();
    expect(await b.leases.acquire('idx:c1')).toBeNull();
    expect(a.errors.concat(b.errors)).toEqual([]);
  });

  it('a holder whose connection dies loses the lease; the other takes it over and the two never both write', async () => {
    const [a, b] = [proc('A'), proc('B')];
    const admin = createPgPool(db.url, { max: 1, onError: () => undefined });
    try {
      const doc = 'c/c1/0/idx';
      const writer = (p: Proc) => {
        const store = createPgDocStore(p.pool);
        let n = 0;
        /** Writes one fenced batch tagged [writer, n]; false once the lease is refused. */
        return async (lease: Lease): Promise<boolean> => {
          const data = new Uint8Array([p.name.charCodeAt(0), n++]);
          try {
            await store.appendBatch([{ doc, data }], (tx) => p.leases.fence(tx, lease));
            return true;
          } catch (err) {
            if (err instanceof LeaseLostError) return false;
            throw err;
          }
        };
      };
      const [writeA, writeB] = [writer(a), writer(b)];
      const leaseA = await a.leases.acquire(doc);
      if (!leaseA) throw new Error('A should get the free lease');
      expect(await b.leases.acquire(doc)).toBeNull();
      for (let i = 0; i < 5; i++) expect(await writeA(leaseA)).toBe(true);

      // A's lease connection dies (a partition, PostgreSQL ending it) while A keeps writing as if it held.
      let aWrites = true;
      const aLoop = (async () => {
        while (aWrites && (await writeA(leaseA)));
      })();
      await admin.query('SELECT pg_terminate_backend($1)', [await leasePid(a, admin)]);
      // B keeps trying until PostgreSQL has freed A's lock, then writes under its own, newer token.
      let leaseB: Lease | null = null;
      for (let i = 0; i < 500 && !leaseB; i++) {
        leaseB = await b.leases.acquire(doc);
        if (!leaseB) await new Promise((r) => setTimeout(r, 10));
      }
      if (!leaseB) throw new Error('B never got the lease A lost');
      expect(leaseB.token).toBeGreaterThan(leaseA.token);
      for (let i = 0; i < 5; i++) expect(await writeB(leaseB)).toBe(true);
      aWrites = false;
      await aLoop;
      // A heard of the loss and no longer counts itself the holder; its stale lease is refused in the commit.
      for (let i = 0; i < 500 && a.lost.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(a.lost).toEqual([[doc]]);
      expect(a.leases.holds(leaseA)).toBe(false);
      expect(await writeA(leaseA)).toBe(false);

      // The log: every A row before every B row, ids dense, nothing interleaved.
      const rows = await admin.query<{ id: string; data: Buffer }>(
        'SELECT id, data FROM doc_updates WHERE doc = $1 ORDER BY id',
        [doc],
      );
      const who = rows.rows.map((r) => String.fromCharCode(r.data[0] ?? 0)).join('');
      expect(who).toMatch(/^A{5,}B{5}$/);
      expect(rows.rows.map((r) => Number(r.id))).toEqual(rows.rows.map((_, i) => i + 1));
      // The terminated connection's error was heard (not thrown), and nothing else went wrong.
      expect(b.errors).toEqual([]);
      expect(a.errors.map((e) => String(e))).toEqual([expect.stringContaining('terminating connection')]);
    } finally {
      await admin.end();
    }
  });

  it('an old holder that has not noticed its loss is refused in the commit: the fence, not its own belief', async () => {
    const a = proc('A');
    const admin = createPgPool(db.url, { max: 2, onError: () => undefined });
    try {
      const leaseA = await a.leases.acquire('idx:c9');
      if (!leaseA) throw new Error('A should get the free lease');
      const store = createPgDocStore(a.pool);
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      // A's commit has passed its fence and is still open…
      const inFlight = store.appendBatch([{ doc: 'x', data: new Uint8Array([1]) }], async (tx) => {
        await a.leases.fence(tx, leaseA);
        entered();
        await gate;
      });
      await inside;
      // …when a new holder moves the token on (what acquire does once the advisory lock is free; done
      // here directly, so A's process is sure not to have heard of it). The bump waits for A's commit.
      let bumped = false;
      const bump = admin
        .query("UPDATE leases SET token = token + 1, holder = 'B' WHERE scope = 'idx:c9'")
        .then(() => (bumped = true));
      try {
        await waitForLockWait(admin);
        expect(bumped).toBe(false);
      } finally {
        open();
        await inFlight;
        await bump;
      }
      // A still believes it holds the lease, and its next commit is refused all the same.
      expect(a.leases.holds(leaseA)).toBe(true);
      await expect(
        store.appendBatch([{ doc: 'x', data: new Uint8Array([2]) }], (tx) => a.leases.fence(tx, leaseA)),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(a.leases.holds(leaseA)).toBe(false);
      expect(await store.count('x')).toBe(1);
    } finally {
      await admin.end();
    }
  });
});

/** Waits until some connection to this database waits on a lock; fails after about 5 s. */
async function waitForLockWait(pool: PgPool): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await pool.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (Number(r.rows[0]?.n) > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no connection ever waited on a lock');
}
