import { Cohort, Email, ROLES, ROLE_LABELS, Username, type ImportRow, type Role } from '@commonroom/protocol';
import { parse as parseCsv } from 'csv-parse/sync';
import { splitCohorts, type UserRow } from '../storage/users.ts';
import { AppError } from './errors.ts';

/**
 * The roster import's verdicts (roster-import.ts): the file read with its limits, then each row judged
 * against the accounts as they are (new, update, unchanged or error, in words). Writes nothing.
 */

export const IMPORT_MAX_ROWS = 50_000;

const HEADERS: Record<string, 'name' | 'email' | 'username' | 'login' | 'role' | 'cohorts'> = {
  name: 'name',
  'full name': 'name',
  'display name': 'name',
  display_name: 'name',
  email: 'email',
  'email address': 'email',
  'e-mail': 'email',
  username: 'username',
  'user name': 'username',
  login: 'login',
  'email or username': 'login',
  role: 'role',
  cohorts: 'cohorts',
  cohort: 'cohorts',
  courses: 'cohorts',
  course: 'cohorts',
  channels: 'cohorts',
};

export type Plan = {
  row: ImportRow;
  /** The account the row updates, or null for a new one. */
  existing: UserRow | null;
  email: string | null;
  username: string | null;
  role: Role;
  cohorts: string[] | null;
};

const roleWord = (raw: string): Role | null => {
  const w = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return (ROLES as readonly string[]).includes(w) ? (w as Role) : null;
};

export const readRows = (text: string): { headers: Set<string>; records: Record<string, string>[] } => {
  let records: Record<string, string>[];
  const headers = new Set<string>();
  try {
    records = parseCsv(text, {
      columns: (h: string[]) =>
        h.map((x) => {
          const key = HEADERS[x.trim().toLowerCase().replace(/\s+/g, ' ')];
          if (key) headers.add(key);
          // Unknown columns are kept under a name no rule reads, so they are ignored.
          return key ?? `ignored:${x}`;
        }),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    });
  } catch (e) {
    throw new AppError(400, 'bad-csv', `This file is not a CSV file we can read: ${(e as Error).message}`);
  }
  if (!headers.has('name') || !(headers.has('email') || headers.has('username') || headers.has('login')))
    throw new AppError(
      400,
      'bad-header',
      'The first row must name the columns, with at least "name" and "email" or "username". Download the template to see one.',
    );
  if (records.length === 0) throw new AppError(400, 'empty-csv', 'The file has a header row but no people.');
  if (records.length > IMPORT_MAX_ROWS)
    throw new AppError(
      413,
      'csv-too-large',
      `Import at most ${IMPORT_MAX_ROWS.toLocaleString('en-GB')} people at a time.`,
    );
  return { headers, records };
};

/** What every row is judged against: the person importing, the file's columns, the accounts, and the rows before. */
export type PlanContext = {
  actor: { id: string; role: Role };
  headers: ReadonlySet<string>;
  byEmail: ReadonlyMap<string, UserRow>;
  byUsername: ReadonlyMap<string, UserRow>;
  /** Email (or `user:` username) → the line that named it first: each person once per file. */
  seen: Map<string, number>;
  /** Course channels the role and cohorts lead to that do not exist, or that the role may not join. */
  entitled: (role: Role, cohorts: string[]) => { missing: readonly string[]; refused: readonly string[] };
};

type Identity = { email: string | null; username: string | null; existing: UserRow | null };

/**
 * Who a row names: a valid email and/or username, not named before in the file, matching at most one
 * account (by email, else username). Sets `row.login` once both parse. Returns the identity or why not.
 */
function identify(
  ctx: PlanContext,
  row: ImportRow,
  emailRaw: string,
  usernameRaw: string,
): Identity | string {
  if (!emailRaw && !usernameRaw) return 'Give an email address or a username.';
  const email = emailRaw ? Email.safeParse(emailRaw) : null;
  if (email && !email.success) return `“${emailRaw}” is not a valid email address.`;
  const username = usernameRaw ? Username.safeParse(usernameRaw) : null;
  if (username && !username.success)
    return `“${usernameRaw}” is not a valid username: use 2–40 letters, digits, dots, dashes or underscores.`;
  const e = email?.data ?? null;
  const un = username?.data ?? null;
  row.login = e ?? un ?? '';
  const key = e ?? `user:${un ?? ''}`;
  const twin = ctx.seen.get(key) ?? (un && e ? ctx.seen.get(`user:${un}`) : undefined);
  if (twin !== undefined)
    return `The same ${e ? 'email address' : 'username'} as line ${twin}: each person once.`;
  ctx.seen.set(key, row.line);
  if (un && e) ctx.seen.set(`user:${un}`, row.line);
  const byE = e ? (ctx.byEmail.get(e) ?? null) : null;
  const byU = un ? (ctx.byUsername.get(un) ?? null) : null;
  if (byE && byU && byE.id !== byU.id)
    return `The username ${un ?? ''} belongs to another account (${byU.displayName}).`;
  if (!byE && byU && e && byU.email && byU.email !== e)
    return `The username ${un ?? ''} belongs to an account with another email address (${byU.displayName}).`;
  return { email: e, username: un, existing: byE ?? byU };
}

/** A cohorts cell: names separated by ; | or , (a leading # and spaces forgiven), each once, at most 50. */
function readCohorts(cell: string): string[] | string {
  const cohorts: string[] = [];
  for (const raw of cell.split(/[;|,]/)) {
    const word = raw.trim().replace(/^#/, '').toLowerCase().replace(/\s+/g, '-');
    if (!word) continue;
    const c = Cohort.safeParse(word);
    if (!c.success)
      return `“${raw.trim()}” is not a valid cohort: use letters, digits, dashes or underscores.`;
    if (!cohorts.includes(c.data)) cohorts.push(c.data);
  }
  return cohorts.length > 50 ? 'A person can be in at most 50 cohorts.' : cohorts;
}

/** What changes for an existing account, in words (none: unchanged). */
function changes(existing: UserRow, name: string, role: Role, cohorts: string[] | null): string[] {
  const notes: string[] = [];
  if (existing.displayName !== name) notes.push(`Name: ${existing.displayName} → ${name}`);
  if (existing.role !== role) notes.push(`Role: ${ROLE_LABELS[existing.role]} → ${ROLE_LABELS[role]}`);
  if (cohorts) {
    const had = splitCohorts(existing.cohort);
    const joins = cohorts.filter((c) => !had.includes(c));
    const leaves = had.filter((c) => !cohorts.includes(c));
    if (joins.length > 0) notes.push(`Joins ${joins.join(', ')}`);
    if (leaves.length > 0) notes.push(`Leaves ${leaves.join(', ')}`);
  }
  return notes;
}

/** One row's verdict, on line `line` of the file. */
export function planRow(ctx: PlanContext, r: Record<string, string>, line: number): Plan {
  const notes: string[] = [];
  const name = (r.name ?? '').replace(/\s+/g, ' ').trim();
  const combined = r.login ?? '';
  const emailRaw = r.email || (combined.includes('@') ? combined : '');
  const usernameRaw = r.username || (combined && !combined.includes('@') ? combined : '');
  const row: ImportRow = {
    line,
    verdict: 'error',
    name,
    login: emailRaw || usernameRaw,
    role: (r.role ?? '').trim(),
    cohorts: [],
    notes,
  };
  const fail = (why: string): Plan => {
    notes.push(why);
    return { row, existing: null, email: null, username: null, role: 'student', cohorts: null };
  };
  if (!name) return fail('The name is missing.');
  if (name.length > 80) return fail('The name is longer than 80 characters.');
  const who = identify(ctx, row, emailRaw, usernameRaw);
  if (typeof who === 'string') return fail(who);
  const { existing } = who;
  const roleCell = (r.role ?? '').trim();
  const parsedRole = roleCell ? roleWord(roleCell) : null;
  if (roleCell && !parsedRole)
    return fail(
      `“${roleCell}” is not a role. Use one of: ${ROLES.filter((x) => x !== 'super_admin').join(', ')}.`,
    );
  const role: Role = parsedRole ?? existing?.role ?? 'student';
  row.role = role;
  const cohorts = ctx.headers.has('cohorts') ? readCohorts(r.cohorts ?? '') : null;
  if (typeof cohorts === 'string') return fail(cohorts);
  row.cohorts = cohorts ?? splitCohorts(existing?.cohort ?? null);
  if (ctx.actor.role !== 'super_admin' && (role === 'super_admin' || existing?.role === 'super_admin'))
    return fail('Only a super admin can add or change super admin accounts.');
  if (existing && existing.id === ctx.actor.id && role !== existing.role)
    return fail('You cannot change your own role.');
  if (!existing) row.verdict = 'new';
  else {
    notes.push(...changes(existing, name, role, cohorts));
    row.verdict = notes.length > 0 ? 'update' : 'unchanged';
    // An import never reactivates anyone: say so where it changes a deactivated account.
    if (row.verdict === 'update' && !existing.active) notes.push('This account is deactivated and stays so.');
  }
  if (row.verdict !== 'unchanged' && cohorts) {
    const { missing, refused } = ctx.entitled(role, cohorts);
    for (const m of missing) notes.push(`No course channel #${m} yet: the cohort is kept.`);
    for (const m of refused) notes.push(`#${m} is not open to this role: not joined.`);
  }
  return { row, existing, email: who.email, username: who.username, role, cohorts };
}
