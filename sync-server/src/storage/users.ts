import { createHash } from 'node:crypto';
import type { Role } from '@commonroom/protocol';
import type { Db } from './db.ts';

export type UserRow = {
  id: string;
  email: string | null;
  username: string | null;
  displayName: string;
  role: Role;
  passwordHash: string;
  active: boolean;
  cohort: string | null;
  /** When the account was made; absent on a row built in memory before it is stored. */
  createdAt?: number;
  /** From the profile page ('' when not given; absent on a row built in memory before it is stored). */
  pronouns?: string;
  /** A key of AVATAR_COLOURS, or null for the default. */
  avatarColour?: string | null;
};

/** One page of the admin console's People table (search, filters, sort, keyset cursor). */
export type UserSearch = {
  query?: string;
  role?: Role;
  status?: 'active' | 'deactivated';
  cohort?: string;
  sort?: 'name' | 'login' | 'role' | 'status' | 'created';
  dir?: 'asc' | 'desc';
  /** The sort key and id of the last row of the page before: the page starts after it. */
  after?: { key: string | number; id: string };
  limit: number;
};

/**
 * Sort keys: the value compared (fixed strings, never built from input) and its collation. The id breaks
 * ties, so (key, id) orders every row once and a page can start "after" a row even while rows change.
 */
const ORDER: Record<NonNullable<UserSearch['sort']>, { expr: string; collate: string }> = {
  name: { expr: 'display_name', collate: ' COLLATE NOCASE' },
  login: { expr: 'COALESCE(email, username)', collate: ' COLLATE NOCASE' },
  role: { expr: 'role', collate: '' },
  status: { expr: 'active', collate: '' },
  created: { expr: 'created_at', collate: '' },
};

type Raw = {
  id: string;
  email: string | null;
  username: string | null;
  display_name: string;
  role: Role;
  password_hash: string;
  active: number;
  cohort: string | null;
  created_at: number;
  pronouns: string;
  avatar_colour: string | null;
};

const fromRaw = (r: Raw): UserRow => ({
  id: r.id,
  email: r.email,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  passwordHash: r.password_hash,
  active: r.active === 1,
  cohort: r.cohort,
  createdAt: r.created_at,
  pronouns: r.pronouns,
  avatarColour: r.avatar_colour,
});

export type UserStore = ReturnType<typeof createUserStore>;

/** The `cohort` column is a comma list of cohort names (bio-l3,eng-l2), or null for none. */
export const splitCohorts = (column: string | null): string[] =>
  column
    ? column
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0)
    : [];
export const joinCohorts = (cohorts: readonly string[]): string | null =>
  cohorts.length > 0 ? [...new Set(cohorts)].join(',') : null;

/** The directory as served (GET /api/users): its JSON body and a strong ETag derived from the body. */
export type Directory = { body: string; etag: string };

/**
 * The directory of `rows` (all accounts, in the store's order): the active ones, without email addresses.
 * Shared with the PostgreSQL store (storage/pg/user-store.ts) so both serve the same bytes and ETag.
 */
export function buildDirectory(rows: readonly UserRow[]): Directory {
  const body = JSON.stringify({
    users: rows
      .filter((u) => u.active)
      .map((u) => ({
        id: u.id,
        displayName: u.displayName,
        username: u.username,
        role: u.role,
        active: u.active,
        ...(u.pronouns ? { pronouns: u.pronouns } : {}),
        ...(u.avatarColour ? { avatarColour: u.avatarColour } : {}),
      })),
  });
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

export function createUserStore(db: Db, now: () => number) {
  const byId = db.prepare<[string], Raw>('SELECT * FROM users WHERE id = ?');
  const byLogin = db.prepare<[string, string], Raw>('SELECT * FROM users WHERE email = ? OR username = ?');
  const all = db.prepare<[], Raw>('SELECT * FROM users ORDER BY display_name COLLATE NOCASE');
  const insert = db.prepare(
    `INSERT INTO users (id, email, username, display_name, role, password_hash, active, cohort, created_at, updated_at)
     VALUES (@id, @email, @username, @displayName, @role, @passwordHash, 1, @cohort, @t, @t)`,
  );
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users');
  const cohortLists = db.prepare<[], { cohort: string }>(
    "SELECT cohort FROM users WHERE cohort IS NOT NULL AND cohort != ''",
  );
  /**
   * Rows by id. Every write goes through this store and drops its entry (dropping, not updating, so a
   * rolled-back transaction leaves nothing stale); the sync path reads the actor several times per write,
   * and a query each time was a tenth of the server's CPU under load (BENCHMARKS.md).
   */
  const cache = new Map<string, UserRow | null>();
  const MAX_CACHED = 50_000;
  /**
   * The serialised directory, kept until any user write (dropped like the rows above). Every device asks
   * for it on every reconnect; building it per request was a quarter of the server's CPU in the reconnect
   * storm (BENCHMARKS.md). The ETag is a hash of the body, so it survives a restart unchanged.
   */
  let directory: Directory | null = null;
  const drop = (id: string): void => {
    cache.delete(id);
    directory = null;
  };
  const list = (): UserRow[] => all.all().map(fromRaw);
  return {
    /**
     * Forgets what is kept of `id` (and the directory): for a write this process did not make, once it is
     * committed (docs/SCALE-OUT.md §2, the invalidation listener). This store's own writes drop already.
     */
    drop,
    get(id: string): UserRow | null {
      const hit = cache.get(id);
      if (hit !== undefined) return hit;
      const r = byId.get(id);
      const row = r ? fromRaw(r) : null;
      // Inside a transaction the row may be one that is about to roll back: read it, keep nothing.
      if (db.inTransaction) return row;
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(id, row);
      return row;
    },
    findByLogin(login: string): UserRow | null {
      const l = login.trim().toLowerCase();
      const r = byLogin.get(l, l);
      return r ? fromRaw(r) : null;
    },
    list,
    /** Active people without email addresses, for the DM picker and @mentions; every account sees the same. */
    directory(): Directory {
      if (directory) return directory;
      const built = buildDirectory(list());
      // Inside a transaction the rows may be about to roll back: serve them, keep nothing.
      if (!db.inTransaction) directory = built;
      return built;
    },
    /**
     * A page of people for the admin console, after a row (keyset paging: no OFFSET, so a page costs the
     * same at row 19,950 as at row 0, and rows added or removed before it do not shift it). The search is a
     * substring of name, email or username, case aside (LIKE with its wildcards escaped); the total counts
     * every match. Each row comes with its sort key, for the next page's cursor.
     */
    search(q: UserSearch): { users: UserRow[]; total: number; keys: (string | number)[] } {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const text = q.query?.trim().toLowerCase();
      if (text) {
        const like = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
        where.push(
          "(display_name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR username LIKE ? ESCAPE '\\')",
        );
        args.push(like, like, like);
      }
      if (q.role) {
        where.push('role = ?');
        args.push(q.role);
      }
      if (q.status) {
        where.push('active = ?');
        args.push(q.status === 'active' ? 1 : 0);
      }
      if (q.cohort) {
        // The column is a comma list: match a whole entry, not a prefix of one.
        where.push("(',' || cohort || ',') LIKE ? ESCAPE '\\'");
        args.push(`%,${q.cohort.replace(/[\\%_]/g, (ch) => `\\${ch}`)},%`);
      }
      const total =
        db
          .prepare<(string | number)[], { n: number }>(
            `SELECT COUNT(*) AS n FROM users ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`,
          )
          .get(...args)?.n ?? 0;
      const { expr, collate } = ORDER[q.sort ?? 'name'];
      const desc = q.dir === 'desc';
      const cmp = desc ? '<' : '>';
      if (q.after) {
        where.push(`(${expr}${collate} ${cmp} ? OR (${expr}${collate} = ? AND id ${cmp} ?))`);
        args.push(q.after.key, q.after.key, q.after.id);
      }
      const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const dir = desc ? 'DESC' : 'ASC';
      const rows = db
        .prepare<(string | number)[], Raw & { k: string | number }>(
          `SELECT *, ${expr} AS k FROM users ${w} ORDER BY ${expr}${collate} ${dir}, id ${dir} LIMIT ?`,
        )
        .all(...args, q.limit);
      return { users: rows.map(fromRaw), total, keys: rows.map((r) => r.k) };
    },
    /** Every cohort anyone is in, with how many people. */
    cohorts(): Map<string, number> {
      const out = new Map<string, number>();
      for (const r of cohortLists.all())
        for (const c of splitCohorts(r.cohort)) out.set(c, (out.get(c) ?? 0) + 1);
      return out;
    },
    count(): number {
      return count.get()?.n ?? 0;
    },
    insert(u: Omit<UserRow, 'active'>): void {
      drop(u.id);
      insert.run({ ...u, t: now() });
    },
    setRole(id: string, role: Role): void {
      drop(id);
      db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE id = ?').run(role, now(), id);
    },
    setActive(id: string, active: boolean): void {
      drop(id);
      db.prepare('UPDATE users SET active = ?, updated_at = ? WHERE id = ?').run(active ? 1 : 0, now(), id);
    },
    /** The person's own profile (issue 13 §4): only the fields given change. */
    setProfile(
      id: string,
      p: {
        displayName?: string | undefined;
        pronouns?: string | undefined;
        avatarColour?: string | undefined;
      },
    ): void {
      drop(id);
      db.prepare(
        `UPDATE users SET display_name = COALESCE(?, display_name), pronouns = COALESCE(?, pronouns),
         avatar_colour = COALESCE(?, avatar_colour), updated_at = ? WHERE id = ?`,
      ).run(p.displayName ?? null, p.pronouns ?? null, p.avatarColour ?? null, now(), id);
    },
    setDisplayName(id: string, name: string): void {
      drop(id);
      db.prepare('UPDATE users SET display_name = ?, updated_at = ? WHERE id = ?').run(name, now(), id);
    },
    setCohorts(id: string, cohorts: readonly string[]): void {
      drop(id);
      db.prepare('UPDATE users SET cohort = ?, updated_at = ? WHERE id = ?').run(
        joinCohorts(cohorts),
        now(),
        id,
      );
    },
    setPasswordHash(id: string, hash: string): void {
      drop(id);
      db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(hash, now(), id);
    },
  };
}
