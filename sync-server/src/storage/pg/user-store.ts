import { Role } from '@commonroom/protocol';
import { z } from 'zod';
import type { AsyncUserStore } from '../users-async.ts';
import { buildDirectory, joinCohorts, splitCohorts, type UserRow, type UserSearch } from '../users.ts';
import type { PgPool } from './pool.ts';
import { type CacheSwitch, createReadCache, writeDropping } from './read-cache.ts';

/** A stored row: BIGINT columns come back from node-postgres as strings, so they are parsed here. */
const Raw = z.object({
  id: z.string(),
  email: z.string().nullable(),
  username: z.string().nullable(),
  display_name: z.string(),
  role: Role,
  password_hash: z.string(),
  active: z.boolean(),
  cohort: z.string().nullable(),
  created_at: z.coerce.number().int(),
  pronouns: z.string(),
  avatar_colour: z.string().nullable(),
});

const fromRaw = (raw: unknown): UserRow => {
  const r = Raw.parse(raw);
  return {
    id: r.id,
    email: r.email,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    passwordHash: r.password_hash,
    active: r.active,
    cohort: r.cohort,
    createdAt: r.created_at,
    pronouns: r.pronouns,
    avatarColour: r.avatar_colour,
  };
};

const COLUMNS =
  'id, email, username, display_name, role, password_hash, active, cohort, created_at, pronouns, avatar_colour';

/**
 * Sort keys as users.ts has them: the column given back as the cursor key, the expression compared (ASCII
 * case folded where SQLite says NOCASE: the columns are COLLATE "C", so lower() folds ASCII only), and how
 * the key parses. Fixed strings, never built from input.
 */
const ORDER: Record<
  NonNullable<UserSearch['sort']>,
  { key: string; cmp: (x: string) => string; parse: z.ZodType<string | number> }
> = {
  name: { key: 'display_name', cmp: (x) => `lower(${x})`, parse: z.string() },
  login: { key: 'COALESCE(email, username)', cmp: (x) => `lower(${x})`, parse: z.string() },
  role: { key: 'role', cmp: (x) => x, parse: z.string() },
  status: { key: 'active::int', cmp: (x) => x, parse: z.coerce.number() },
  created: { key: 'created_at', cmp: (x) => x, parse: z.coerce.number() },
};

/** A LIKE pattern matching `text` anywhere, its wildcards escaped (with ESCAPE '\'). */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/**
 * Accounts on PostgreSQL (docs/SCALE-OUT.md §2, §3), for migration 4 of pg/migrations.ts: the same rules as
 * the SQLite store (users.ts), sharing its directory and cohort rules. Rows by id and the directory are
 * kept per process and dropped on every write through this store, and by `drop` for writes of others;
 * `caching` is the invalidation wiring's switch (invalidation-wiring.ts).
 */
export type PgUserStore = AsyncUserStore & CacheSwitch;

export function createPgUserStore(pool: PgPool, now: () => number): PgUserStore {
  const rows = createReadCache<UserRow | null>(50_000);
  const directory = createReadCache<ReturnType<typeof buildDirectory>>(1);
  const drop = (id: string): void => {
    rows.drop(id);
    directory.clear();
  };
  const list = async (): Promise<UserRow[]> =>
    (await pool.query(`SELECT ${COLUMNS} FROM users ORDER BY lower(display_name), id`)).rows.map(fromRaw);
  /** One UPDATE of `id`, dropping its cached row around it. */
  const update = (id: string, set: string, args: unknown[]): Promise<void> =>
    writeDropping(
      () => drop(id),
      async () => {
        await pool.query(`UPDATE users SET ${set}, updated_at = $1 WHERE id = $2`, [now(), id, ...args]);
      },
    );
  return {
    get: (id) =>
      rows.through(id, async () => {
        const r = await pool.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
        return r.rows[0] === undefined ? null : fromRaw(r.rows[0]);
      }),
    async findByLogin(login) {
      const l = login.trim().toLowerCase();
      const r = await pool.query(
        `SELECT ${COLUMNS} FROM users WHERE lower(email) = $1 OR lower(username) = $1 LIMIT 1`,
        [l],
      );
      return r.rows[0] === undefined ? null : fromRaw(r.rows[0]);
    },
    list,
    directory: () => directory.through('', async () => buildDirectory(await list())),
    async search(q) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const arg = (v: string | number): string => {
        args.push(v);
        return `$${args.length}`;
      };
      const text = q.query?.trim().toLowerCase();
      if (text) {
        const like = arg(`%${escapeLike(text)}%`);
        where.push(
          `(lower(display_name) LIKE ${like} ESCAPE '\\' OR lower(email) LIKE ${like} ESCAPE '\\'
            OR lower(username) LIKE ${like} ESCAPE '\\')`,
        );
      }
      if (q.role) where.push(`role = ${arg(q.role)}`);
      if (q.status) where.push(`active = ${q.status === 'active' ? 'TRUE' : 'FALSE'}`);
      // The column is a comma list: match a whole entry, not a prefix of one (ASCII case aside, as LIKE is
      // in SQLite).
      if (q.cohort)
        where.push(
          `lower(',' || cohort || ',') LIKE lower(${arg(`%,${escapeLike(q.cohort)},%`)}) ESCAPE '\\'`,
        );
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const totalRow = await pool.query(`SELECT COUNT(*) AS n FROM users ${filter}`, args);
      const total = z.coerce.number().parse(totalRow.rows[0]?.n ?? 0);
      const { key, cmp, parse } = ORDER[q.sort ?? 'name'];
      const desc = q.dir === 'desc';
      const op = desc ? '<' : '>';
      if (q.after) {
        const k = arg(q.after.key);
        const id = arg(q.after.id);
        const typed = typeof q.after.key === 'number' ? `${k}::bigint` : `${k}::text`;
        where.push(`(${cmp(key)} ${op} ${cmp(typed)} OR (${cmp(key)} = ${cmp(typed)} AND id ${op} ${id}))`);
      }
      const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const dir = desc ? 'DESC' : 'ASC';
      const r = await pool.query(
        `SELECT ${COLUMNS}, ${key} AS k FROM users ${w} ORDER BY ${cmp(key)} ${dir}, id ${dir} LIMIT ${arg(q.limit)}`,
        args,
      );
      return {
        users: r.rows.map(fromRaw),
        total,
        keys: r.rows.map((row: { k: unknown }) => parse.parse(row.k)),
      };
    },
    async cohorts() {
      const r = await pool.query("SELECT cohort FROM users WHERE cohort IS NOT NULL AND cohort <> ''");
      const out = new Map<string, number>();
      for (const row of r.rows as { cohort: string }[])
        for (const c of splitCohorts(row.cohort)) out.set(c, (out.get(c) ?? 0) + 1);
      return out;
    },
    async count() {
      const r = await pool.query('SELECT COUNT(*) AS n FROM users');
      return z.coerce.number().parse(r.rows[0]?.n ?? 0);
    },
    insert: (u) =>
      writeDropping(
        () => drop(u.id),
        async () => {
          const t = now();
          // Pronouns and avatar colour start at their defaults, as in the SQLite store: the profile sets them.
          await pool.query(
            `INSERT INTO users (id, email, username, display_name, role, password_hash, active, cohort,
               created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $8)`,
            [u.id, u.email, u.username, u.displayName, u.role, u.passwordHash, u.cohort, t],
          );
        },
      ),
    setRole: (id, role) => update(id, 'role = $3', [role]),
    setActive: (id, active) => update(id, 'active = $3', [active]),
    setProfile: (id, p) =>
      update(
        id,
        `display_name = COALESCE($3, display_name), pronouns = COALESCE($4, pronouns),
         avatar_colour = COALESCE($5, avatar_colour)`,
        [p.displayName ?? null, p.pronouns ?? null, p.avatarColour ?? null],
      ),
    setDisplayName: (id, name) => update(id, 'display_name = $3', [name]),
    setCohorts: (id, cohorts) => update(id, 'cohort = $3', [joinCohorts(cohorts)]),
    setPasswordHash: (id, hash) => update(id, 'password_hash = $3', [hash]),
    drop,
    caching(on) {
      rows.caching(on);
      directory.caching(on);
    },
  };
}
