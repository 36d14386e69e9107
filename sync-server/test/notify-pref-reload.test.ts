import { describe, expect, it } from 'vitest';
import { createPgNotifyPrefStore } from '../src/storage/pg/notify-pref-store.ts';
import type { PgPool } from '../src/storage/pg/pool.ts';

/**
 * The PostgreSQL notification preferences' whole reload (what the invalidation wiring calls on listening
 * again, docs/SCALE-OUT.md §2) overlapping a person's re-read: whichever read started later wins, whatever
 * order they finish in. The "database" here answers each statement when the test says.
 */
type Rows = { rows: object[] };

/** A pool whose statements are answered by the test, each by its place in the order they were sent. */
const fakePool = () => {
  const sent: ((r: Rows) => void)[] = [];
  const pool = {
    query: () => new Promise<Rows>((resolve) => void sent.push(resolve)),
  } as unknown as PgPool;
  const answer = (n: number, rows: object[]): void => {
    const resolve = sent[n];
    if (!resolve) throw new Error(`statement ${n} was not sent`);
    resolve({ rows });
  };
  return { pool, answer, sent: () => sent.length };
};

const prefRow = (level: 'all' | 'mentions', userId?: string) => ({
  ...(userId === undefined ? {} : { user_id: userId }),
  t: 'p',
  conversation_id: null,
  level,
  quiet_mode: 'off',
  quiet_start: null,
  quiet_end: null,
});

/** Lets the store's awaits run (no timers: only the promise jobs already queued). */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('notification preferences: a whole reload overlapping a person re-read', () => {
  /** A store that loaded u-ana at 'mentions' (statement 0). */
  const open = async () => {
    const db = fakePool();
    const opening = createPgNotifyPrefStore(db.pool);
    db.answer(0, [prefRow('mentions', 'u-ana')]);
    const store = await opening;
    expect(store.of('u-ana').level).toBe('mentions');
    return { db, store };
  };

  it('a reload sent before a re-read and answered after it does not undo it', async () => {
    const { db, store } = await open();
    const reloading = store.reload();
    const refreshing = store.refresh('u-ana');
    await settle();
    expect(db.sent()).toBe(3);
    db.answer(2, [prefRow('all')]); // the re-read: newer
    await refreshing;
    expect(store.of('u-ana').level).toBe('all');
    db.answer(1, [prefRow('mentions', 'u-ana')]); // the reload: older
    await reloading;
    expect(store.of('u-ana').level).toBe('all');
  });

  it('a re-read sent before a reload and answered after it does not undo it', async () => {
    const { db, store } = await open();
    const refreshing = store.refresh('u-ana');
    await settle();
    const reloading = store.reload();
    expect(db.sent()).toBe(3);
    db.answer(2, [prefRow('all', 'u-ana')]); // the reload: newer
    await reloading;
    expect(store.of('u-ana').level).toBe('all');
    db.answer(1, [prefRow('mentions')]); // the re-read: older
    await refreshing;
    expect(store.of('u-ana').level).toBe('all');
  });

  it('a reload forgets a person whose rows are gone', async () => {
    const { db, store } = await open();
    const reloading = store.reload();
    db.answer(1, []);
    await reloading;
    expect(store.of('u-ana')).toEqual({ level: 'mentions', quiet: 'workspace' });
  });
});
