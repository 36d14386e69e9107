import type { Role } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import type { AsyncUserStore } from '../src/storage/users-async.ts';
import { buildDirectory, type UserRow, type UserSearch } from '../src/storage/users.ts';

/**
 * The one conformance suite every AsyncUserStore passes (the SQLite adapter on a real file, PostgreSQL on a
 * fresh database): docs/SCALE-OUT.md §2, §3. `make` gives a fresh database; each `open` is another store
 * instance on it, with its own cache, as another process would have.
 */
export type UserStoreMaker = (
  now: () => number,
) => Promise<{ open: () => AsyncUserStore; close: () => Promise<void> }>;

const T0 = 1_700_000_000_000;

type NewUser = Omit<UserRow, 'active'>;
const person = (id: string, displayName: string, more: Partial<NewUser> = {}): NewUser => ({
  id,
  email: `${id}@college.test`,
  username: null,
  displayName,
  role: 'student',
  passwordHash: `hash-${id}`,
  cohort: null,
  ...more,
});

/** SQLite's NOCASE: ASCII letters folded, everything else compared as it is. */
const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const byNameThenId = (a: UserRow, b: UserRow): number =>
  fold(a.displayName) < fold(b.displayName)
    ? -1
    : fold(a.displayName) > fold(b.displayName)
      ? 1
      : a.id < b.id
        ? -1
        : 1;

export function asyncUserStoreSuite(name: string, make: UserStoreMaker): void {
  const withStores = async (
    f: (open: () => AsyncUserStore, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t);
    try {
      await f(s.open, clock);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncUserStore conformance: ${name}`, () => {
    it('an empty workspace has no accounts until the first admin; then it has one, found by id and login', () =>
      withStores(async (open) => {
        const store = open();
        expect(await store.count()).toBe(0);
        expect(await store.get('u-root')).toBeNull();
        await store.insert(person('u-root', 'Root', { role: 'super_admin', email: 'Root@College.test' }));
        expect(await store.count()).toBe(1);
        const root = await store.get('u-root');
        expect(root).toMatchObject({
          id: 'u-root',
          email: 'Root@College.test',
          role: 'super_admin',
          active: true,
          createdAt: T0,
          pronouns: '',
          avatarColour: null,
        });
        expect(await store.findByLogin('  root@COLLEGE.test ')).toEqual(root);
      }));

    it('an email or username is unique ASCII case aside, and found so; non-ASCII letters are not folded', () =>
      withStores(async (open) => {
        const store = open();
        await store.insert(person('u-ana', 'Ana', { email: 'Ana@College.test', username: 'AnaB' }));
        await expect(
          store.insert(person('u-ana2', 'Ana 2', { email: 'ana@college.TEST' })),
        ).rejects.toThrow();
        await expect(
          store.insert(person('u-ana3', 'Ana 3', { email: null, username: 'anab' })),
        ).rejects.toThrow();
        expect(await store.count()).toBe(1);
        expect((await store.findByLogin('ANAB'))?.id).toBe('u-ana');
        await store.insert(person('u-eli', 'Élise', { email: 'Élise@college.test' }));
        // JavaScript lowercases É, SQL's NOCASE / lower under "C" do not: as in SQLite, not found.
        expect(await store.findByLogin('Élise@college.test')).toBeNull();
        await store.insert(person('u-eli2', 'élise', { email: 'élise@college.test' }));
        expect((await store.findByLogin('élise@college.test'))?.id).toBe('u-eli2');
        expect(await store.findByLogin('nobody@college.test')).toBeNull();
      }));

    it('deactivation keeps the account, marked; it leaves the directory and comes back on reactivation', () =>
      withStores(async (open) => {
        const store = open();
        await store.insert(person('u-ana', 'Ana'));
        await store.insert(person('u-ben', 'Ben'));
        const before = await store.directory();
        await store.setActive('u-ben', false);
        expect(await store.get('u-ben')).toMatchObject({ active: false });
        expect((await store.list()).map((u) => u.id)).toEqual(['u-ana', 'u-ben']);
        const after = await store.directory();
        expect(JSON.parse(after.body)).toEqual({
          users: [{ id: 'u-ana', displayName: 'Ana', username: null, role: 'student', active: true }],
        });
        expect(after.etag).not.toBe(before.etag);
        const page = await store.search({ status: 'deactivated', limit: 10 });
        expect(page.users.map((u) => u.id)).toEqual(['u-ben']);
        await store.setActive('u-ben', true);
        expect(await store.directory()).toEqual(before);
      }));

    it('role, profile, name, cohorts and password change only what they name', () =>
      withStores(async (open, clock) => {
        const store = open();
        await store.insert(person('u-ana', 'Ana', { cohort: 'bio-l3' }));
        await store.insert(person('u-ben', 'Ben', { cohort: 'bio-l3,eng-l2' }));
        clock.t = T0 + 5;
        await store.setRole('u-ana', 'teacher');
        await store.setProfile('u-ana', { pronouns: 'she/her' });
        expect(await store.get('u-ana')).toMatchObject({
          role: 'teacher',
          displayName: 'Ana',
          pronouns: 'she/her',
        });
        await store.setProfile('u-ana', { displayName: 'Ana B', avatarColour: 'teal' });
        expect(await store.get('u-ana')).toMatchObject({
          displayName: 'Ana B',
          pronouns: 'she/her',
          avatarColour: 'teal',
          createdAt: T0,
        });
        await store.setDisplayName('u-ben', 'Benjamin');
        await store.setPasswordHash('u-ben', 'new-hash');
        expect(await store.get('u-ben')).toMatchObject({ displayName: 'Benjamin', passwordHash: 'new-hash' });
        expect(await store.cohorts()).toEqual(
          new Map([
            ['bio-l3', 2],
            ['eng-l2', 1],
          ]),
        );
        await store.setCohorts('u-ben', ['eng-l2', 'eng-l2', 'maths']);
        expect((await store.get('u-ben'))?.cohort).toBe('eng-l2,maths');
        expect(await store.cohorts()).toEqual(
          new Map([
            ['bio-l3', 1],
            ['eng-l2', 1],
            ['maths', 1],
          ]),
        );
        await store.setCohorts('u-ana', []);
        expect((await store.get('u-ana'))?.cohort).toBeNull();
      }));

    it('the directory is the list (by name, ASCII case aside) through the shared rule: same bytes, same ETag', () =>
      withStores(async (open) => {
        const store = open();
        for (const [id, n] of [
          ['u-1', 'Émile'],
          ['u-2', 'zed'],
          ['u-3', 'Eve'],
          ['u-4', 'adam'],
        ] as const)
          await store.insert(person(id, n));
        const list = await store.list();
        expect(list.map((u) => u.displayName)).toEqual(['adam', 'Eve', 'zed', 'Émile']);
        expect(await store.directory()).toEqual(buildDirectory(list));
      }));

    it('the People search: substring ASCII case aside with wildcards literal, role, whole cohort entries', () =>
      withStores(async (open) => {
        const store = open();
        await store.insert(person('u-1', 'Ana 100%', { cohort: 'bio-l3' }));
        await store.insert(person('u-2', 'Ben_x', { cohort: 'bio-l30', role: 'teacher' }));
        await store.insert(person('u-3', 'Cat', { email: null, username: 'cat_100', cohort: 'eng,BIO-L3' }));
        const ids = async (q: Omit<UserSearch, 'limit'>): Promise<string[]> =>
          (await store.search({ ...q, limit: 50 })).users.map((u) => u.id);
        expect(await ids({ query: '100%' })).toEqual(['u-1']);
        expect(await ids({ query: 'N_X' })).toEqual(['u-2']);
        expect(await ids({ query: '_' })).toEqual(['u-2', 'u-3']);
        expect(await ids({ query: 'COLLEGE' })).toEqual(['u-1', 'u-2']);
        expect(await ids({ role: 'teacher' })).toEqual(['u-2']);
        expect(await ids({ cohort: 'bio-l3' })).toEqual(['u-1', 'u-3']);
        expect((await store.search({ query: 'c', limit: 1 })).total).toBe(3);
      }));

    it('keyset paging visits every matching row once, in order, for every sort and direction', () =>
      withStores(async (open, clock) => {
        const store = open();
        const roles: Role[] = ['student', 'teacher', 'admin'];
        const names = ['bea', 'Bea', 'al', 'Zoe', 'émile', 'Émile', 'cy', 'al'];
        for (const [i, n] of names.entries()) {
          clock.t = T0 + (i % 3);
          await store.insert(
            person(`u-${i}`, n, {
              role: roles[i % 3] as Role,
              ...(i % 2 ? { email: null, username: `${n}${i}` } : {}),
            }),
          );
          if (i % 4 === 1) await store.setActive(`u-${i}`, false);
        }
        for (const sort of ['name', 'login', 'role', 'status', 'created'] as const)
          for (const dir of ['asc', 'desc'] as const) {
            const whole = await store.search({ sort, dir, limit: 100 });
            expect(whole.users).toHaveLength(names.length);
            const seen: string[] = [];
            let after: UserSearch['after'];
            for (;;) {
              const page = await store.search({ sort, dir, limit: 3, ...(after ? { after } : {}) });
              expect(page.total).toBe(names.length);
              seen.push(...page.users.map((u) => u.id));
              const last = page.users.at(-1);
              const key = page.keys.at(-1);
              if (!last || key === undefined) break;
              after = { key, id: last.id };
            }
            expect(seen, `${sort} ${dir}`).toEqual(whole.users.map((u) => u.id));
          }
        const byName = (await store.search({ sort: 'name', limit: 100 })).users;
        expect(byName).toEqual([...byName].sort(byNameThenId));
      }));

    it('§2: a write through one instance is seen by another once it drops its cached row and directory', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        await a.insert(person('u-ana', 'Ana'));
        expect(await b.get('u-ana')).toMatchObject({ role: 'student' });
        const dir = await b.directory();
        await a.setRole('u-ana', 'teacher');
        await a.insert(person('u-ben', 'Ben'));
        // The other instance answers from its cache until told: what the invalidation listener is for.
        expect(await b.get('u-ana')).toMatchObject({ role: 'student' });
        expect(await b.directory()).toEqual(dir);
        b.drop('u-ana');
        expect(await b.get('u-ana')).toMatchObject({ role: 'teacher' });
        expect(JSON.parse((await b.directory()).body).users).toHaveLength(2);
        // And the writer's own cache was dropped by its write.
        expect(await a.get('u-ana')).toMatchObject({ role: 'teacher' });
      }));

    it('§2: a read racing a write of the same row never leaves the old row cached', () =>
      withStores(async (open) => {
        const store = open();
        await store.insert(person('u-ana', 'Ana'));
        for (const role of ['teacher', 'staff', 'admin', 'tutor'] as const) {
          await Promise.all([store.get('u-ana'), store.setRole('u-ana', role), store.get('u-ana')]);
          expect((await store.get('u-ana'))?.role).toBe(role);
        }
      }));
  });
}
