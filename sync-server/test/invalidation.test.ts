import { eventually } from '@commonroom/testkit';
import type { WorkspaceSettings } from '@commonroom/protocol';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInvalidationListener,
  type Invalidation,
  type InvalidationListener,
  parseInvalidation,
} from '../src/storage/pg/invalidation-listener.ts';
import { invalidationHandlers } from '../src/storage/pg/invalidation-wiring.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgConversationStore, type PgConversationStore } from '../src/storage/pg/conversation-store.ts';
import { createPgMuteStore, type PgMuteStore } from '../src/storage/pg/mute-store.ts';
import { createPgNotifyPrefStore, type PgNotifyPrefStore } from '../src/storage/pg/notify-pref-store.ts';
import { createPgPool, type PgPool } from '../src/storage/pg/pool.ts';
import { createPgSettingsStore, type PgSettingsStore } from '../src/storage/pg/settings-store.ts';
import { createPgUserStore, type PgUserStore } from '../src/storage/pg/user-store.ts';
import type { UserRow } from '../src/storage/users.ts';
import { realTimers, type Timers } from '../src/timers.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from './pg-test-db.ts';

/**
 * Cache invalidation across processes (docs/SCALE-OUT.md §2): migration 8's triggers NOTIFY on every
 * committed write, each "process" (its own pool, stores and listener) drops what it heard of, and while its
 * listener is not listening its caches read through. Waiting is only ever for a notification to arrive
 * (`eventually`); the reconnect runs on timers the test fires.
 */

const payloadOf = (inv: Invalidation): string => ('id' in inv ? `${inv.kind}:${inv.id}` : inv.kind);

describe('invalidation payloads', () => {
  it('parses the kinds the triggers send and refuses anything else', () => {
    expect(parseInvalidation('users:u-ana')).toEqual({ kind: 'users', id: 'u-ana' });
    expect(parseInvalidation('conversations:c:1')).toEqual({ kind: 'conversations', id: 'c:1' });
    expect(parseInvalidation('notify:u-ben')).toEqual({ kind: 'notify', id: 'u-ben' });
    expect(parseInvalidation('mutes:u-ana')).toEqual({ kind: 'mutes', id: 'u-ana' });
    expect(parseInvalidation('settings')).toEqual({ kind: 'settings' });
    expect(parseInvalidation('all')).toEqual({ kind: 'all' });
    for (const bad of [undefined, '', 'users', 'users:', 'mutes:', 'settings:x', ':u', 'USERS:u'])
      expect(parseInvalidation(bad)).toBeNull();
  });
});

describe('invalidation wiring', () => {
  it('routes each kind to its store, switches the caches with the listener, and logs a failed re-read', async () => {
    const calls: string[] = [];
    const cache = (name: string) => ({
      caching: (on: boolean) => void calls.push(`${name}.caching(${on})`),
      drop: (id?: string) => void calls.push(`${name}.drop(${id ?? ''})`),
    });
    const warnings: string[] = [];
    const h = invalidationHandlers(
      {
        users: cache('users'),
        conversations: cache('conversations'),
        settings: cache('settings'),
        notifyPrefs: {
          refresh: (id) => {
            calls.push(`notify.refresh(${id})`);
            return id === 'u-bad' ? Promise.reject(new Error('connection lost')) : Promise.resolve();
          },
          reload: () => {
            calls.push('notify.reload()');
            return Promise.resolve();
          },
        },
        mutes: {
          caching: (on: boolean) => void calls.push(`mutes.caching(${on})`),
          drop: (id) => {
            calls.push(`mutes.drop(${id})`);
            return id === 'u-bad' ? Promise.reject(new Error('connection lost')) : Promise.resolve();
          },
          reload: () => {
            calls.push('mutes.reload()');
            return Promise.resolve();
          },
        },
      },
      { info: () => undefined, warn: (_, msg) => void warnings.push(msg) },
    );
    const take = (): string[] => calls.splice(0);
    // Nothing is cached before the listener first listens.
    expect(take()).toEqual([
      'users.caching(false)',
      'conversations.caching(false)',
      'settings.caching(false)',
      'mutes.caching(false)',
    ]);
    h.onListening();
    expect(take()).toEqual([
      'users.caching(true)',
      'conversations.caching(true)',
      'settings.caching(true)',
      'mutes.caching(true)',
      'notify.reload()',
      'mutes.reload()',
    ]);
    h.onInvalidate({ kind: 'users', id: 'u-ana' });
    h.onInvalidate({ kind: 'conversations', id: 'c-gen' });
    h.onInvalidate({ kind: 'settings' });
    h.onInvalidate({ kind: 'notify', id: 'u-ana' });
    h.onInvalidate({ kind: 'mutes', id: 'u-ana' });
    expect(take()).toEqual([
      'users.drop(u-ana)',
      'conversations.drop(c-gen)',
      'settings.drop()',
      'notify.refresh(u-ana)',
      'mutes.drop(u-ana)',
    ]);
    h.onInvalidate({ kind: 'all' });
    expect(take()).toEqual([
      'users.caching(true)',
      'conversations.caching(true)',
      'settings.caching(true)',
      'mutes.caching(true)',
      'notify.reload()',
      'mutes.reload()',
    ]);
    h.onLost();
    expect(take()).toEqual([
      'users.caching(false)',
      'conversations.caching(false)',
      'settings.caching(false)',
      'mutes.caching(false)',
    ]);
    h.onInvalidate({ kind: 'notify', id: 'u-bad' });
    h.onInvalidate({ kind: 'mutes', id: 'u-bad' });
    await eventually(() =>
      expect(warnings).toEqual([
        'invalidation: re-reading the notification preferences of u-bad failed',
        'invalidation: re-reading the mutes of u-bad failed',
      ]),
    );
  });
});

/** Timers that run only when the test fires them. */
const manualTimers = () => {
  const due = new Map<number, () => void>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (f) => {
      due.set(++next, f);
      return next as unknown as ReturnType<typeof setTimeout>;
    },
    clearTimeout: (t) => void due.delete(t as unknown as number),
  };
  return {
    timers,
    pending: () => due.size,
    fire: () => {
      const fs = [...due.values()];
      due.clear();
      for (const f of fs) f();
    },
  };
};

const DEFAULTS: WorkspaceSettings = {
  workspaceName: 'Riverside College',
  studentDmPolicy: 'anyone',
  sessionLengthDays: 0.5,
  dmSupervisorId: null,
  attachmentMaxFileMb: 25,
  attachmentDailyMb: 200,
};

const person = (id: string, displayName: string): Omit<UserRow, 'active'> => ({
  id,
  email: `${id}@college.test`,
  username: null,
  displayName,
  role: 'student',
  passwordHash: `hash-${id}`,
  cohort: null,
});

type Proc = {
  name: string;
  pool: PgPool;
  /** Statements sent through the pool (what every cached read goes through). */
  queries: () => number;
  users: PgUserStore;
  conversations: PgConversationStore;
  settings: PgSettingsStore;
  prefs: PgNotifyPrefStore;
  mutes: PgMuteStore;
  heard: string[];
  lost: number;
  listened: number;
  warnings: string[];
  listener: InvalidationListener | null;
};

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL invalidation tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('§2 cache invalidation across processes on PostgreSQL', () => {
  let db: TestDatabase;
  let procs: Proc[] = [];
  let clients: pg.Client[] = [];
  let clock = 1_000;
  const now = (): number => clock++;

  /** A plain connection, as another program (or an operator) would have. */
  const raw = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    clients.push(c);
    return c;
  };

  const proc = async (name: string, o: { listen?: boolean; timers?: Timers } = {}): Promise<Proc> => {
    const pool = createPgPool(db.url, { max: 3, onError: (err) => void Promise.reject(err) });
    let queries = 0;
    const query = pool.query.bind(pool) as unknown as (...args: unknown[]) => unknown;
    // Counting every statement: the test's evidence of whether a cache answered (pool.query is
    // overloaded, so the wrapper is typed loosely and cast back).
    pool.query = ((...args: unknown[]) => {
      queries++;
      return query(...args);
    }) as unknown as typeof pool.query;
    const p: Proc = {
      name,
      pool,
      queries: () => queries,
      users: createPgUserStore(pool, now),
      conversations: createPgConversationStore(pool, now),
      settings: createPgSettingsStore(pool, DEFAULTS),
      prefs: await createPgNotifyPrefStore(pool),
      // A background re-read (only while not listening) that fails fails the run.
      mutes: await createPgMuteStore(pool, now, { onReadFailed: (err) => void Promise.reject(err) }),
      heard: [],
      lost: 0,
      listened: 0,
      warnings: [],
      listener: null,
    };
    procs.push(p);
    if (o.listen === false) return p;
    const log = { info: () => undefined, warn: (_: object, msg: string) => void p.warnings.push(msg) };
    const wired = invalidationHandlers(
      {
        users: p.users,
        conversations: p.conversations,
        settings: p.settings,
        notifyPrefs: p.prefs,
        mutes: p.mutes,
      },
      log,
    );
    p.listener = createInvalidationListener({
      url: db.url,
      timers: o.timers ?? realTimers,
      log,
      applicationName: `cr-test-${name}`,
      reconnectDelayMs: { first: 10, max: 100 },
      onInvalidate(inv) {
        p.heard.push(payloadOf(inv));
        wired.onInvalidate(inv);
      },
      onLost() {
        p.lost++;
        wired.onLost();
      },
      onListening() {
        p.listened++;
        wired.onListening();
      },
    });
    await eventually(() => expect(p.listened).toBe(1));
    return p;
  };

  /** Waits until `p` has heard `payload` more often than `before` times. */
  const hears = (p: Proc, payload: string, before = 0): Promise<void> =>
    eventually(() => expect(p.heard.filter((h) => h === payload).length).toBeGreaterThan(before));

  beforeEach(async () => {
    db = await createTestDatabase();
    procs = [];
    clients = [];
    const pool = createPgPool(db.url, { max: 1, onError: () => undefined });
    try {
      await migratePg(pool, PG_MIGRATIONS);
    } finally {
      await pool.end();
    }
  });
  afterEach(async () => {
    try {
      for (const p of procs) await p.listener?.close();
      await Promise.all(procs.map((p) => p.pool.end()));
      await Promise.all(clients.map((c) => c.end()));
    } finally {
      await db.drop();
    }
  });

  it('accounts and settings: a write through A is read by B once B hears of it (C, not listening, keeps its cache)', async () => {
    const a = await proc('A');
    const b = await proc('B');
    const c = await proc('C', { listen: false });
    await a.users.insert(person('u-ana', 'Ana'));
    await hears(b, 'users:u-ana');
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    expect((await c.users.get('u-ana'))?.displayName).toBe('Ana');
    expect((await b.users.directory()).body).toContain('"Ana"');
    // B caches: a second read asks nothing.
    const q = b.queries();
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    expect(b.queries()).toBe(q);

    await a.users.setDisplayName('u-ana', 'Anna');
    await eventually(async () => expect((await b.users.get('u-ana'))?.displayName).toBe('Anna'));
    await eventually(async () => expect((await b.users.directory()).body).toContain('"Anna"'));
    // The cache is real: without a listener, C still answers from it.
    expect((await c.users.get('u-ana'))?.displayName).toBe('Ana');

    expect((await b.settings.read()).workspaceName).toBe('Riverside College');
    expect((await c.settings.read()).workspaceName).toBe('Riverside College');
    await a.settings.write({ workspaceName: 'Hillside College' });
    await eventually(async () => expect((await b.settings.read()).workspaceName).toBe('Hillside College'));
    expect(b.heard).toContain('settings');
    expect((await c.settings.read()).workspaceName).toBe('Riverside College');
  });

  it('conversations: a rename and membership changes through A are read by B once heard', async () => {
    const a = await proc('A');
    const b = await proc('B');
    const c = await proc('C', { listen: false });
    await a.users.insert(person('u-ana', 'Ana'));
    await a.conversations.create({ id: 'c-gen', kind: 'public', name: 'general', createdBy: null });
    await hears(b, 'conversations:c-gen');
    expect((await b.conversations.get('c-gen'))?.name).toBe('general');
    expect((await b.conversations.channels()).map((x) => x.name)).toEqual(['general']);
    expect(await b.conversations.isMember('c-gen', 'u-ana')).toBe(false);
    expect(await c.conversations.isMember('c-gen', 'u-ana')).toBe(false);
    const q = b.queries();
    expect(await b.conversations.isMember('c-gen', 'u-ana')).toBe(false);
    expect(b.queries()).toBe(q);

    await a.conversations.update('c-gen', { name: 'general-2' });
    await eventually(async () => expect((await b.conversations.get('c-gen'))?.name).toBe('general-2'));
    await eventually(async () =>
      expect((await b.conversations.channels()).map((x) => x.name)).toEqual(['general-2']),
    );

    await a.conversations.addMember('c-gen', 'u-ana');
    await eventually(async () => expect(await b.conversations.isMember('c-gen', 'u-ana')).toBe(true));
    expect(await c.conversations.isMember('c-gen', 'u-ana')).toBe(false);
    await a.conversations.departMember('c-gen', 'u-ana');
    await eventually(async () => expect(await b.conversations.isMember('c-gen', 'u-ana')).toBe(false));
    expect(await b.conversations.departuresOf('u-ana')).toEqual(new Set(['c-gen']));
  });

  it('notification preferences: a choice made through A is in B once heard', async () => {
    const a = await proc('A');
    const b = await proc('B');
    const c = await proc('C', { listen: false });
    await a.users.insert(person('u-ana', 'Ana'));
    await a.conversations.create({ id: 'c-gen', kind: 'public', name: 'general', createdBy: null });
    await a.prefs.put('u-ana', { level: 'all', quiet: 'off' });
    await eventually(() => expect(b.prefs.of('u-ana')).toEqual({ level: 'all', quiet: 'off' }));
    expect(b.prefs.mayWantEvery('c-gen')).toBe(true);
    await a.prefs.setConversation('u-ana', 'c-gen', 'muted');
    await eventually(() => expect(b.prefs.conversation('u-ana', 'c-gen')).toBe('muted'));
    expect(b.prefs.wantsEvery('u-ana', 'c-gen')).toBe(false);
    expect(b.heard).toContain('notify:u-ana');
    // Held in memory since it opened, and nobody told it.
    expect(c.prefs.of('u-ana').level).toBe('mentions');
  });

  it('mutes: a mute added through A stops being "not muted" in B once heard, and lifting it likewise', async () => {
    const a = await proc('A');
    const b = await proc('B');
    const c = await proc('C', { listen: false });
    await a.users.insert(person('u-ana', 'Ana'));
    await a.users.insert(person('u-tut', 'Tutor'));
    await a.conversations.create({ id: 'c-gen', kind: 'public', name: 'general', createdBy: null });
    expect(b.mutes.effective('u-ana', 'c-gen')).toBeNull();
    expect(c.mutes.effective('u-ana', 'c-gen')).toBeNull();
    // B answers the write path from memory: asking does not query.
    const q = b.queries();
    expect(b.mutes.effective('u-ana', 'c-gen')).toBeNull();
    expect(b.queries()).toBe(q);

    const m = await a.mutes.add({
      userId: 'u-ana',
      conversationId: 'c-gen',
      until: null,
      reason: 'spamming',
      createdBy: 'u-tut',
    });
    await eventually(() => expect(b.mutes.effective('u-ana', 'c-gen')?.id).toBe(m.id));
    expect(b.heard).toContain('mutes:u-ana');
    // Nobody told C, which holds what it loaded.
    expect(c.mutes.effective('u-ana', 'c-gen')).toBeNull();

    await a.mutes.lift(m.id, 'u-tut');
    await eventually(() => expect(b.mutes.effective('u-ana', 'c-gen')).toBeNull());
    expect(b.heard.filter((h) => h === 'mutes:u-ana')).toHaveLength(2);
  });

  it('mutes while the listener is lost: B re-reads each person it is asked about, then reloads everyone on listening', async () => {
    const t = manualTimers();
    const a = await proc('A');
    const b = await proc('B', { timers: t.timers });
    await a.users.insert(person('u-ana', 'Ana'));
    await a.users.insert(person('u-ben', 'Ben'));
    await a.users.insert(person('u-tut', 'Tutor'));
    await hears(b, 'users:u-tut');
    const admin = await raw();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'cr-test-B'`,
    );
    await eventually(() => expect(b.lost).toBe(1));

    const mute = (userId: string) =>
      a.mutes.add({ userId, conversationId: null, until: null, reason: '', createdBy: 'u-tut' });
    const ana = await mute('u-ana');
    // Unheard: the first ask answers from memory and starts a re-read of Ana; a later ask has the mute.
    expect(b.mutes.effective('u-ana', 'c-any')).toBeNull();
    await eventually(() => expect(b.mutes.effective('u-ana', 'c-any')?.id).toBe(ana.id));

    // Ben, never asked about while lost, comes back with the reload once B listens again.
    const ben = await mute('u-ben');
    t.fire();
    await eventually(() => expect(b.listened).toBe(2));
    await eventually(() => expect(b.mutes.effective('u-ben', 'c-any')?.id).toBe(ben.id));
    // Listening again: asking does not query.
    const q = b.queries();
    expect(b.mutes.effective('u-ben', 'c-any')?.id).toBe(ben.id);
    expect(b.mutes.effective('u-ana', 'c-any')?.id).toBe(ana.id);
    expect(b.queries()).toBe(q);
  });

  it('a rolled-back write sends nothing: B keeps its cached row and hears only the next commit', async () => {
    const a = await proc('A');
    const b = await proc('B');
    await a.users.insert(person('u-ana', 'Ana'));
    await a.users.insert(person('u-ben', 'Ben'));
    await hears(b, 'users:u-ben');
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    const q = b.queries();
    const mark = b.heard.length;

    const x = await raw();
    await x.query('BEGIN');
    await x.query(`UPDATE users SET display_name = 'Rolled back' WHERE id = 'u-ana'`);
    await x.query('ROLLBACK');
    // A write through a store that fails (the email is taken) commits nothing either.
    await expect(
      a.users.insert({ ...person('u-ana2', 'Ana 2'), email: 'u-ana@college.test' }),
    ).rejects.toThrow();
    // Notifications arrive in commit order, so once this one is heard any earlier one would have been.
    await x.query(`UPDATE users SET display_name = 'Benjamin' WHERE id = 'u-ben'`);
    await hears(b, 'users:u-ben', 1);
    expect(b.heard.slice(mark)).toEqual(['users:u-ben']);
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    expect(b.queries()).toBe(q);
    expect((await b.users.get('u-ben'))?.displayName).toBe('Benjamin');
  });

  it('the listening connection killed: B reads through at once, listens again on its timer, then caches and hears again', async () => {
    const t = manualTimers();
    const a = await proc('A');
    const b = await proc('B', { timers: t.timers });
    await a.users.insert(person('u-ana', 'Ana'));
    await hears(b, 'users:u-ana');
    await b.users.get('u-ana');
    const q0 = b.queries();
    await b.users.get('u-ana');
    expect(b.queries()).toBe(q0);

    const admin = await raw();
    const killed = await admin.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'cr-test-B'`,
    );
    expect(killed.rows).toEqual([{ ok: true }]);
    await eventually(() => expect(b.lost).toBe(1));
    expect(b.listener?.listening()).toBe(false);
    // The reconnect waits on B's timer, which this test holds.
    expect(t.pending()).toBe(1);

    // Not listening: every read goes to the database, so a write B cannot hear of is seen at once.
    const q1 = b.queries();
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    expect((await b.users.get('u-ana'))?.displayName).toBe('Ana');
    expect(b.queries()).toBe(q1 + 2);
    const heard = b.heard.length;
    await a.users.setDisplayName('u-ana', 'Anna');
    expect((await b.users.get('u-ana'))?.displayName).toBe('Anna');
    expect(b.heard.length).toBe(heard);

    t.fire();
    await eventually(() => expect(b.listened).toBe(2));
    expect(b.listener?.listening()).toBe(true);
    const q2 = b.queries();
    expect((await b.users.get('u-ana'))?.displayName).toBe('Anna');
    expect((await b.users.get('u-ana'))?.displayName).toBe('Anna');
    expect(b.queries()).toBe(q2 + 1);

    const before = b.heard.filter((h) => h === 'users:u-ana').length;
    await a.users.setDisplayName('u-ana', 'Annie');
    await hears(b, 'users:u-ana', before);
    expect((await b.users.get('u-ana'))?.displayName).toBe('Annie');
    expect(b.lost).toBe(1);
  });

  it('unknown payloads are logged and ignored; a closed listener does not come back', async () => {
    const t = manualTimers();
    const b = await proc('B', { timers: t.timers });
    const x = await raw();
    await x.query(
      `SELECT pg_notify('cr_invalidate', 'nobody:u-ana'), pg_notify('cr_invalidate', 'users:'),
              pg_notify('cr_invalidate', 'users:u-ben')`,
    );
    await hears(b, 'users:u-ben');
    expect(b.heard).toEqual(['users:u-ben']);
    expect(b.warnings.filter((w) => w.includes('unknown payload'))).toHaveLength(2);
    expect(b.listener?.listening()).toBe(true);

    await b.listener?.close();
    // Closed while listening: the caches stop trusting themselves, and nothing reconnects.
    expect(b.lost).toBe(1);
    expect(t.pending()).toBe(0);
    const q = b.queries();
    await b.users.get('u-ana');
    await b.users.get('u-ana');
    expect(b.queries()).toBe(q + 2);
    // The server notices the connection's end a moment after the client has closed it.
    await eventually(async () => {
      const left = await x.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'cr-test-B'`,
      );
      expect(left.rows).toEqual([{ n: 0 }]);
    });
  });
});
