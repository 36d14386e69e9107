import { describe, expect, it } from 'vitest';
import type { AsyncConversationStore, NewConversation } from '../src/storage/conversations-async.ts';

/**
 * The one conformance suite every AsyncConversationStore passes (the SQLite adapter on a real file,
 * PostgreSQL on a fresh database): docs/SCALE-OUT.md §2, §3, §4. `make` gives a fresh database whose
 * accounts `USERS` exist (members reference them); each `open` is another store instance on it, with its
 * own caches, as another process would have. Time is the suite's clock.
 */
export const USERS = ['u-ana', 'u-ben', 'u-cat', 'u-dan', 'u-eve', 'u-fay'] as const;
const [ANA, BEN, CAT, DAN] = USERS;

export type ConversationStoreMaker = (
  now: () => number,
) => Promise<{ open: () => AsyncConversationStore; close: () => Promise<void> }>;

const T0 = 1_700_000_000_000;

/** A deterministic generator (mulberry32), so the random case is the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const channel = (id: string, name: string, more: Partial<NewConversation> = {}): NewConversation => ({
  id,
  kind: 'public',
  name,
  createdBy: ANA,
  ...more,
});
const dm = (id: string, members: string[]): NewConversation => ({
  id,
  kind: 'dm',
  name: null,
  dmKey: [...members].sort().join(','),
  createdBy: members[0] ?? null,
});

export function asyncConversationStoreSuite(name: string, make: ConversationStoreMaker): void {
  const withStores = async (
    f: (open: () => AsyncConversationStore, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t);
    try {
      await f(s.open, clock);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncConversationStore conformance: ${name}`, () => {
    it('a conversation is created with its defaults and found by id, name, or (a DM) its members', () =>
      withStores(async (open) => {
        const store = open();
        await store.create(channel('c-gen', 'general', { kind: 'announcement', staffOnly: true }));
        await store.create(dm('d-1', [BEN, ANA]));
        expect(await store.get('c-gen')).toEqual({
          id: 'c-gen',
          kind: 'announcement',
          name: 'general',
          description: '',
          topic: '',
          icon: '',
          archived: false,
          dmKey: null,
          staffOnly: true,
          adminOnly: false,
          segment: 0,
          cohort: null,
          postPolicy: 'everyone',
          createdAt: T0,
          createdBy: ANA,
          supervisorId: null,
        });
        expect((await store.byName('general'))?.id).toBe('c-gen');
        expect(await store.byName('General')).toBeNull();
        expect((await store.byDmKey(`${ANA},${BEN}`))?.id).toBe('d-1');
        expect(await store.byDmKey(`${ANA},${CAT}`)).toBeNull();
        expect(await store.get('nope')).toBeNull();
      }));

    it('a channel name and a DM key are unique: a second create is refused and changes nothing', () =>
      withStores(async (open) => {
        const store = open();
        await store.create(channel('c-1', 'maths'));
        await expect(store.create(channel('c-2', 'maths'))).rejects.toThrow();
        await store.create(channel('c-3', 'Maths'));
        await store.create(dm('d-1', [ANA, BEN]));
        await expect(store.create(dm('d-2', [BEN, ANA]))).rejects.toThrow();
        expect(await store.get('c-2')).toBeNull();
        expect(await store.get('d-2')).toBeNull();
        expect((await store.channels()).map((c) => c.id)).toEqual(['c-3', 'c-1']);
      }));

    it('an update changes only the fields given; archive, cohort, post policy and supervisor', () =>
      withStores(async (open) => {
        const store = open();
        await store.create(channel('c-1', 'bio', { description: 'Biology', topic: 'cells' }));
        await store.create(dm('d-1', [CAT, DAN]));
        await store.update('c-1', { topic: 'genes', archived: true });
        expect(await store.get('c-1')).toMatchObject({
          name: 'bio',
          description: 'Biology',
          topic: 'genes',
          archived: true,
        });
        await store.update('c-1', {
          name: 'biology',
          cohort: 'bio-l3',
          postPolicy: 'staff',
          archived: false,
        });
        expect(await store.get('c-1')).toMatchObject({
          name: 'biology',
          cohort: 'bio-l3',
          postPolicy: 'staff',
          archived: false,
        });
        await store.update('c-1', { cohort: null });
        expect((await store.get('c-1'))?.cohort).toBeNull();
        await store.setSupervisor('d-1', ANA);
        expect((await store.get('d-1'))?.supervisorId).toBe(ANA);
        await store.setSupervisor('d-1', null);
        expect((await store.get('d-1'))?.supervisorId).toBeNull();
      }));

    it('channels by name (byte order), DMs by when they were opened, cohort-bound channels', () =>
      withStores(async (open, clock) => {
        const store = open();
        await store.create(channel('c-z', 'zeta', { cohort: 'eng-l2' }));
        await store.create(channel('c-a', 'Alpha', { kind: 'private', cohort: 'eng-l2' }));
        await store.create(channel('c-m', 'maths', { cohort: 'bio-l3' }));
        clock.t = T0 + 2;
        await store.create(dm('d-2', [ANA, CAT]));
        clock.t = T0 + 1;
        await store.create(dm('d-1', [ANA, BEN]));
        expect((await store.channels()).map((c) => c.name)).toEqual(['Alpha', 'maths', 'zeta']);
        expect((await store.dms()).map((c) => c.id)).toEqual(['d-1', 'd-2']);
        expect((await store.boundTo('  ENG-L2 ')).map((c) => c.id)).toEqual(['c-a', 'c-z']);
        expect(await store.boundTo('none')).toEqual([]);
      }));

    it('members are kept in the order they joined, counted, and a person knows their conversations', () =>
      withStores(async (open, clock) => {
        const store = open();
        await store.create(channel('c-1', 'one'));
        await store.create(channel('c-2', 'two'));
        for (const [i, u] of [CAT, ANA, BEN].entries()) {
          clock.t = T0 + i;
          expect(await store.addMember('c-1', u)).toBe(true);
        }
        expect(await store.addMember('c-1', ANA)).toBe(false);
        clock.t = T0 + 10;
        await store.addMember('c-2', ANA);
        expect(await store.members('c-1')).toEqual([CAT, ANA, BEN]);
        expect(await store.membersJoined('c-1')).toEqual([
          { userId: CAT, joinedAt: T0 },
          { userId: ANA, joinedAt: T0 + 1 },
          { userId: BEN, joinedAt: T0 + 2 },
        ]);
        expect(await store.isMember('c-1', ANA)).toBe(true);
        expect(await store.isMember('c-2', BEN)).toBe(false);
        expect([...(await store.memberSet('c-1'))].sort()).toEqual([ANA, BEN, CAT]);
        expect(await store.memberCount('c-1')).toBe(3);
        expect(await store.memberCounts()).toEqual(
          new Map([
            ['c-1', 3],
            ['c-2', 1],
          ]),
        );
        expect(await store.conversationsOf(ANA)).toEqual(['c-1', 'c-2']);
        expect(await store.removeMember('c-1', ANA)).toBe(true);
        expect(await store.removeMember('c-1', ANA)).toBe(false);
        expect(await store.isMember('c-1', ANA)).toBe(false);
        expect(await store.memberCount('c-1')).toBe(2);
        expect(await store.conversationsOf(ANA)).toEqual(['c-2']);
        expect(await store.memberCount('c-none')).toBe(0);
      }));

    it('a departure is recorded (a removal by rule is not) and forgotten when the person is added again', () =>
      withStores(async (open) => {
        const store = open();
        await store.create(channel('c-1', 'one'));
        await store.create(channel('c-2', 'two'));
        for (const c of ['c-1', 'c-2']) for (const u of [ANA, BEN]) await store.addMember(c, u);
        expect(await store.departMember('c-1', ANA)).toBe(true);
        expect(await store.departMember('c-1', ANA)).toBe(false);
        await store.removeMember('c-2', ANA);
        await store.departMember('c-2', BEN);
        expect(await store.departuresOf(ANA)).toEqual(new Set(['c-1']));
        expect(await store.departuresOf(BEN)).toEqual(new Set(['c-2']));
        expect(await store.isMember('c-1', ANA)).toBe(false);
        expect(await store.addMember('c-1', ANA)).toBe(true);
        expect(await store.departuresOf(ANA)).toEqual(new Set());
      }));

    it('a person sees public and announcement channels, their private ones, then their DMs as opened', () =>
      withStores(async (open, clock) => {
        const store = open();
        await store.create(channel('c-pub', 'pub'));
        await store.create(channel('c-ann', 'ann', { kind: 'announcement' }));
        await store.create(channel('c-priv', 'priv', { kind: 'private' }));
        await store.create(channel('c-secret', 'secret', { kind: 'private' }));
        await store.create(dm('d-late', [ANA, CAT]));
        await store.create(dm('d-early', [ANA, BEN]));
        await store.create(dm('d-other', [BEN, CAT]));
        clock.t = T0 + 1;
        await store.addMember('d-early', ANA);
        clock.t = T0 + 2;
        await store.addMember('c-priv', ANA);
        clock.t = T0 + 3;
        await store.addMember('d-late', ANA);
        expect((await store.visibleTo(ANA)).map((c) => c.id)).toEqual([
          'c-ann',
          'c-priv',
          'c-pub',
          'd-early',
          'd-late',
        ]);
        expect((await store.visibleTo(DAN)).map((c) => c.id)).toEqual(['c-ann', 'c-pub']);
      }));

    it('§4: the segment moves only from the segment named, so a stale or repeated advance is a no-op', () =>
      withStores(async (open) => {
        const stores = [open(), open()];
        const store = stores[0] as AsyncConversationStore;
        await store.create(channel('c-1', 'busy'));
        await Promise.all(stores.map((s) => s.advanceSegment('c-1', 0, 1)));
        expect((await store.get('c-1'))?.segment).toBe(1);
        const rand = seeded(21);
        let segment = 1;
        let moved = 0;
        for (let step = 0; step < 60; step++) {
          const s = stores[Math.floor(rand() * 2)] as AsyncConversationStore;
          // Callers move one segment on from what they believe; a third of them believe something stale.
          const from = rand() < 0.34 ? Math.floor(rand() * segment) : segment;
          await s.advanceSegment('c-1', from, from + 1);
          if (from === segment) {
            segment++;
            moved++;
          }
          s.drop('c-1');
          expect((await s.get('c-1'))?.segment, `step ${step}`).toBe(segment);
        }
        expect(moved).toBeGreaterThan(20);
        expect(moved).toBeLessThan(60);
      }));

    it('§2: writes through one instance are seen by another once it drops the conversation', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        await a.create(channel('c-1', 'one'));
        await a.addMember('c-1', ANA);
        expect(await b.get('c-1')).toMatchObject({ topic: '' });
        expect(await b.isMember('c-1', BEN)).toBe(false);
        expect((await b.channels()).map((c) => c.id)).toEqual(['c-1']);
        await a.update('c-1', { topic: 'news' });
        await a.addMember('c-1', BEN);
        await a.departMember('c-1', ANA);
        await a.create(channel('c-2', 'two'));
        // The other instance answers from what it keeps until told: what the invalidation listener is for.
        expect(await b.get('c-1')).toMatchObject({ topic: '' });
        expect(await b.isMember('c-1', BEN)).toBe(false);
        expect(await b.memberCount('c-1')).toBe(1);
        b.drop('c-1');
        b.drop('c-2');
        expect(await b.get('c-1')).toMatchObject({ topic: 'news' });
        expect(await b.isMember('c-1', BEN)).toBe(true);
        expect(await b.isMember('c-1', ANA)).toBe(false);
        expect((await b.channels()).map((c) => c.id)).toEqual(['c-1', 'c-2']);
        // The writer's own caches were dropped by its writes.
        expect(await a.memberSet('c-1')).toEqual(new Set([BEN]));
      }));

    it('two instances adding and removing members at once lose none of it', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        await a.create(channel('c-1', 'one'));
        await Promise.all(USERS.map((u, i) => (i % 2 ? a : b).addMember('c-1', u)));
        await Promise.all([a.departMember('c-1', ANA), b.removeMember('c-1', BEN), a.addMember('c-1', CAT)]);
        a.drop('c-1');
        b.drop('c-1');
        const rest = USERS.filter((u) => u !== ANA && u !== BEN);
        expect(new Set(await a.members('c-1'))).toEqual(new Set(rest));
        expect(await b.memberCount('c-1')).toBe(rest.length);
        expect(await b.departuresOf(ANA)).toEqual(new Set(['c-1']));
      }));
  });
}
