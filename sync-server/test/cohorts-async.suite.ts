import { describe, expect, it } from 'vitest';
import type { AsyncCohortStore } from '../src/storage/cohorts-async.ts';

/**
 * The one conformance suite every AsyncCohortStore passes (the SQLite adapter on a real file, PostgreSQL on
 * a fresh database): docs/SCALE-OUT.md §3. `make` gives a fresh database holding `PEOPLE` (id, cohort list,
 * active) as accounts.
 */
export const PEOPLE: readonly { id: string; cohort: string | null; active: boolean }[] = [
  { id: 'u-1', cohort: 'biology-l3,maths-gcse', active: true },
  { id: 'u-2', cohort: 'Biology-L3 ', active: true },
  { id: 'u-3', cohort: 'biology-l3-extra', active: true },
  { id: 'u-4', cohort: 'biology-l3', active: false },
  { id: 'u-5', cohort: null, active: true },
  { id: 'u-6', cohort: '', active: true },
  { id: 'u-7', cohort: 'maths-gcse, english_100%', active: true },
  { id: 'u-8', cohort: 'englishx100%', active: true },
  { id: 'u-9', cohort: 'ÉCOLE', active: true },
  { id: 'u-11', cohort: 'école', active: true },
  { id: 'u-10', cohort: 'maths-gcse,maths-gcse', active: true },
];

export type CohortStoreMaker = () => Promise<{ store: AsyncCohortStore; close: () => Promise<void> }>;

export function asyncCohortStoreSuite(name: string, make: CohortStoreMaker): void {
  const withStore = async (f: (store: AsyncCohortStore) => Promise<void>): Promise<void> => {
    const s = await make();
    try {
      await f(s.store);
    } finally {
      await s.close();
    }
  };
  const sorted = (ids: string[]): string[] => [...ids].sort();

  describe(`AsyncCohortStore conformance: ${name}`, () => {
    it('lists every cohort active people carry, normalised, counted once per person, by name', () =>
      withStore(async (store) => {
        expect(await store.list()).toEqual([
          { cohort: 'biology-l3', people: 2 },
          { cohort: 'biology-l3-extra', people: 1 },
          { cohort: 'english_100%', people: 1 },
          { cohort: 'englishx100%', people: 1 },
          { cohort: 'maths-gcse', people: 3 },
          { cohort: 'école', people: 2 },
        ]);
      }));

    it('finds the active people of a cohort: whole names only, case and spaces aside, LIKE characters literal', () =>
      withStore(async (store) => {
        expect(sorted(await store.people('biology-l3'))).toEqual(['u-1', 'u-2']);
        expect(sorted(await store.people(' BIOLOGY-L3'))).toEqual(['u-1', 'u-2']);
        expect(await store.people('biology-l3-extra')).toEqual(['u-3']);
        expect(sorted(await store.people('maths-gcse'))).toEqual(['u-1', 'u-10', 'u-7']);
        expect(await store.people('english_100%')).toEqual(['u-7']);
        expect(await store.people('englishx100%')).toEqual(['u-8']);
        expect(await store.people('biology')).toEqual([]);
        // Non-ASCII letters are not folded by the database's lower(): "ÉCOLE" is not found as "école"
        // there, in either database (the listing, folded in JavaScript, counts it).
        expect(await store.people('école')).toEqual(['u-11']);
        expect(await store.people('ÉCOLE')).toEqual(['u-11']);
      }));
  });
}
