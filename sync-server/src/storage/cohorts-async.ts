import type { CohortStore } from './cohorts.ts';
import { liftSync } from './lift-sync.ts';

/**
 * Cohorts with the operations of `CohortStore` (cohorts.ts) returning Promises: what PostgreSQL
 * (storage/pg/cohort-store.ts) can offer (docs/SCALE-OUT.md §3). Both read the accounts' `cohort` lists
 * and share the parsing (countCohorts, cohortSieve); nothing is cached and nothing written here. One
 * conformance suite (test/cohorts-async.suite.ts) runs against every implementation.
 */
export interface AsyncCohortStore {
  /** Every cohort active people carry, with how many carry it, by name. */
  list(): Promise<{ cohort: string; people: number }[]>;
  /** Ids of the active people in a cohort (in no promised order). */
  people(cohort: string): Promise<string[]>;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqliteCohortStore(store: CohortStore): AsyncCohortStore {
  return {
    list: () => liftSync(() => store.list()),
    people: (cohort) => liftSync(() => store.people(cohort)),
  };
}
