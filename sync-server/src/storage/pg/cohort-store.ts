import { z } from 'zod';
import type { AsyncCohortStore } from '../cohorts-async.ts';
import { cohortSieve, countCohorts } from '../cohorts.ts';
import type { PgPool } from './pool.ts';

const Carried = z.object({ cohort: z.string() });
const InCohort = z.object({ id: z.string(), cohort: z.string() });

/**
 * Cohorts on PostgreSQL (docs/SCALE-OUT.md §3): the `users` table of migration 4, read as the SQLite store
 * reads it (cohorts.ts). The cohort column is `COLLATE "C"`, so `lower()` folds ASCII only and LIKE
 * compares bytes, as SQLite's `lower()` and the pattern (already lowercase) do: the same people pass the
 * sieve, and the exact split decides in both.
 */
export function createPgCohortStore(pool: PgPool): AsyncCohortStore {
  return {
    async list() {
      const r = await pool.query(
        "SELECT cohort FROM users WHERE active AND cohort IS NOT NULL AND cohort <> ''",
      );
      return countCohorts(r.rows.map((row) => Carried.parse(row).cohort));
    },
    async people(cohort) {
      const sieve = cohortSieve(cohort);
      // Ordered only so that a listing is stable between calls; callers treat it as a set.
      const r = await pool.query(
        `SELECT id, cohort FROM users
         WHERE active AND (',' || lower(replace(cohort, ' ', '')) || ',') LIKE $1 ESCAPE '\\'
         ORDER BY id`,
        [sieve.like],
      );
      return r.rows
        .map((row) => InCohort.parse(row))
        .filter((row) => sieve.carries(row.cohort))
        .map((row) => row.id);
    },
  };
}
