import type { Db } from './db.ts';

/**
 * Cohorts (courses) as people carry them: the `cohort` column of users, a comma list such as
 * "biology-l3,maths-gcse". Read only here; accounts write it. Only active people count: a deactivated
 * student is in no cohort's list and is never added to a channel by one.
 */
export type CohortStore = ReturnType<typeof createCohortStore>;

/** One cohort as stored: trimmed and lowercase, so "Biology-L3 " and "biology-l3" are one cohort. */
const norm = (s: string): string => s.trim().toLowerCase();

/** Every cohort the given comma lists carry, with how many lists carry it, by name (shared with PostgreSQL). */
export function countCohorts(lists: readonly string[]): { cohort: string; people: number }[] {
  const n = new Map<string, number>();
  for (const list of lists)
    for (const c of new Set(list.split(',').map(norm))) if (c !== '') n.set(c, (n.get(c) ?? 0) + 1);
  return [...n.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cohort, people]) => ({ cohort, people }));
}

/**
 * The LIKE pattern that sieves people who may carry `cohort` (against the comma list lowercased, spaces
 * removed and wrapped in commas, `\` escaping), and the exact test that decides: shared with PostgreSQL.
 */
export function cohortSieve(cohort: string): {
  like: string;
  carries: (list: string) => boolean;
} {
  const k = norm(cohort);
  return {
    like: `%,${k.replace(/[\\%_]/g, (ch) => `\\${ch}`)},%`,
    carries: (list) => list.split(',').map(norm).includes(k),
  };
}

export function createCohortStore(db: Db) {
  const carried = db.prepare<[], { cohort: string }>(
    "SELECT cohort FROM users WHERE active = 1 AND cohort IS NOT NULL AND cohort != ''",
  );
  // The comma list wrapped in commas, so ",biology-l3," matches the whole cohort and not "biology-l3-extra".
  const inCohort = db.prepare<[string], { id: string; cohort: string }>(
    `SELECT id, cohort FROM users
     WHERE active = 1 AND (',' || lower(replace(cohort, ' ', '')) || ',') LIKE ? ESCAPE '\\'`,
  );
  return {
    /** Every cohort active people carry, with how many carry it, by name. */
    list(): { cohort: string; people: number }[] {
      return countCohorts(carried.all().map((r) => r.cohort));
    },
    /** Ids of the active people in a cohort. */
    people(cohort: string): string[] {
      const sieve = cohortSieve(cohort);
      // LIKE is a first sieve (case aside); the exact split is the answer.
      return inCohort
        .all(sieve.like)
        .filter((r) => sieve.carries(r.cohort))
        .map((r) => r.id);
    },
  };
}
