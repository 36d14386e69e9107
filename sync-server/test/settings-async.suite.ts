import { DEFAULT_QUIET_HOURS, type WorkspaceSettings } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import type { AsyncSettingsStore } from '../src/storage/settings-async.ts';

/**
 * The one conformance suite every AsyncSettingsStore passes (the SQLite adapter on a real file, PostgreSQL
 * on a fresh database): docs/SCALE-OUT.md §2, §3. `make` gives a fresh database; each `open` is another
 * store instance on it, with its own cache, as another process would have.
 */
export type SettingsStoreMaker = (
  defaults: WorkspaceSettings,
) => Promise<{ open: () => AsyncSettingsStore; close: () => Promise<void> }>;

const DEFAULTS: WorkspaceSettings = {
  workspaceName: 'Riverside College',
  studentDmPolicy: 'anyone',
  sessionLengthDays: 0.5,
  dmSupervisorId: null,
  attachmentMaxFileMb: 25,
  attachmentDailyMb: 200,
};
const DAY = 86_400_000;

export function asyncSettingsStoreSuite(name: string, make: SettingsStoreMaker): void {
  const withStores = async (f: (open: () => AsyncSettingsStore) => Promise<void>): Promise<void> => {
    const s = await make(DEFAULTS);
    try {
      await f(s.open);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncSettingsStore conformance: ${name}`, () => {
    it('a setting never written reads as its default (from configuration)', () =>
      withStores(async (open) => {
        const store = open();
        expect(await store.read()).toEqual(DEFAULTS);
        expect(await store.sessionTtlMs()).toBe(DAY / 2);
        expect(await store.quietHours()).toEqual(DEFAULT_QUIET_HOURS);
      }));

    it('a write stores what differs and reports it, old and new, for the audit log', () =>
      withStores(async (open) => {
        const store = open();
        expect(
          await store.write({
            workspaceName: 'Riverside College',
            studentDmPolicy: 'supervised',
            dmSupervisorId: 'u-sam',
          }),
        ).toEqual({
          studentDmPolicy: { from: 'anyone', to: 'supervised' },
          dmSupervisorId: { from: null, to: 'u-sam' },
        });
        expect(await store.write({ sessionLengthDays: 30, attachmentDailyMb: 500 })).toEqual({
          sessionLengthDays: { from: 0.5, to: 30 },
          attachmentDailyMb: { from: 200, to: 500 },
        });
        expect(await store.read()).toEqual({
          ...DEFAULTS,
          studentDmPolicy: 'supervised',
          dmSupervisorId: 'u-sam',
          sessionLengthDays: 30,
          attachmentDailyMb: 500,
        });
        expect(await store.sessionTtlMs()).toBe(30 * DAY);
        // Clearing the supervisor stores an empty value, which reads back as none chosen.
        expect(await store.write({ dmSupervisorId: null })).toEqual({
          dmSupervisorId: { from: 'u-sam', to: null },
        });
        expect((await store.read()).dmSupervisorId).toBeNull();
        expect(await store.write({ sessionLengthDays: 30 })).toEqual({});
      }));

    it('the quiet hours are replaced whole; writing the same ones changes nothing', () =>
      withStores(async (open) => {
        const store = open();
        const next = { timeZone: 'Europe/Dublin', students: null, staff: { start: 1200, end: 420 } };
        expect(await store.writeQuietHours(next)).toEqual({ from: DEFAULT_QUIET_HOURS, to: next });
        expect(await store.quietHours()).toEqual(next);
        expect(await store.writeQuietHours(next)).toBeNull();
        expect(await open().quietHours()).toEqual(next);
      }));

    it('§2: a write through one instance is seen by another once it drops what it keeps', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        expect((await b.read()).workspaceName).toBe('Riverside College');
        expect(await b.quietHours()).toEqual(DEFAULT_QUIET_HOURS);
        await a.write({ workspaceName: 'Northside' });
        const next = { ...DEFAULT_QUIET_HOURS, staff: { start: 0, end: 60 } };
        await a.writeQuietHours(next);
        expect((await b.read()).workspaceName).toBe('Riverside College');
        b.drop();
        expect((await b.read()).workspaceName).toBe('Northside');
        expect(await b.quietHours()).toEqual(next);
      }));

    it('§2: a write reports its change against what is stored, not what the writer last read', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        expect((await b.read()).workspaceName).toBe('Riverside College');
        await a.write({ workspaceName: 'Northside' });
        // b still keeps the old name, but its write compares with the stored one.
        expect(await b.write({ workspaceName: 'Northside' })).toEqual({});
        expect(await b.write({ workspaceName: 'Eastside' })).toEqual({
          workspaceName: { from: 'Northside', to: 'Eastside' },
        });
      }));

    it('two instances writing at once report changes that chain: nothing is lost from the audit trail', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        const names = ['One', 'Two', 'Three', 'Four', 'Five', 'Six'];
        const reports = await Promise.all(names.map((n, i) => (i % 2 ? a : b).write({ workspaceName: n })));
        const changes = reports.map((r) => r.workspaceName as { from: string; to: string });
        // Every write changed the name, each from the value another left: one chain through all of them.
        const from = new Map(changes.map((c) => [c.from, c.to]));
        let at = 'Riverside College';
        const order: string[] = [];
        while (from.has(at)) {
          at = from.get(at) as string;
          order.push(at);
        }
        expect([...order].sort()).toEqual([...names].sort());
        a.drop();
        expect((await a.read()).workspaceName).toBe(order.at(-1));
      }));
  });
}
