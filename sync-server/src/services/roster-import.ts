import { createHash } from 'node:crypto';
import {
  Cohort,
  Email,
  ROLES,
  ROLE_LABELS,
  Username,
  type ImportCounts,
  type ImportOutcome,
  type ImportPreview,
  type ImportRow,
  type Role,
} from '@commonroom/protocol';
import { parse as parseCsv } from 'csv-parse/sync';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { PasswordLinks } from '../storage/password-links.ts';
import { joinCohorts, splitCohorts, type UserRow, type UserStore } from '../storage/users.ts';
import { LINK_TTL_MS, NO_PASSWORD, linkPath } from './accounts.ts';
import { createChannelRules } from './channel-rules.ts';
import { AppError } from './errors.ts';
import type { PersonMoves } from './person-moves.ts';

/**
 * Roster import from CSV (issue 13 §2): a preview that writes nothing (each row new / update / unchanged /
 * error, in words), then the import of the valid rows in one transaction. The preview is one pass over the
 * file against the accounts read once, so 20,000 rows take a fraction of a second; the import recomputes it
 * inside its transaction and refuses if the verdicts differ from the preview the admin saw (the digest).
 *
 * Columns, by header (case and spaces aside): name; email and/or username (or one `login` column);
 * role (blank: student for new people, unchanged for others); cohorts (separated by ; or |: the person's
 * cohorts become exactly these, so a blank cell leaves all; without the column, cohorts are not touched).
 * People are matched by email, else username. New people have no password: the import can make each a
 * one-time set-password link. Nobody is deactivated for being absent from the file.
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

type Plan = {
  row: ImportRow;
  /** The account the row updates, or null for a new one. */
  existing: UserRow | null;
  email: string | null;
  username: string | null;
  role: Role;
  cohorts: string[] | null;
};

export type RosterImportDeps = {
  db: Db;
  users: UserStore;
  conversations: ConversationStore;
  audit: AuditLog;
  links: PasswordLinks;
  linkTtlMs?: number;
  /** Role and cohort changes go the same way as the People screen's (person-moves.ts). */
  moves: PersonMoves;
};

const roleWord = (raw: string): Role | null => {
  const w = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return (ROLES as readonly string[]).includes(w) ? (w as Role) : null;
};

const readRows = (text: string): { headers: Set<string>; records: Record<string, string>[] } => {
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

export type RosterImport = ReturnType<typeof createRosterImport>;

export function createRosterImport(d: RosterImportDeps) {
  const rules = createChannelRules(d.conversations);
  /** Every verdict, from the file and the accounts as they are now. Writes nothing. */
  const plan = (actor: { id: string; role: Role }, text: string) => {
    const { headers, records } = readRows(text);
    const all = d.users.list();
    const byEmail = new Map<string, UserRow>();
    const byUsername = new Map<string, UserRow>();
    for (const u of all) {
      if (u.email) byEmail.set(u.email.toLowerCase(), u);
      if (u.username) byUsername.set(u.username.toLowerCase(), u);
    }
    const channels = rules.index();
    const seen = new Map<string, number>();
    const plans: Plan[] = [];

    for (const [i, r] of records.entries()) {
      const line = i + 2;
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
      const fail = (why: string): void => {
        notes.push(why);
        plans.push({ row, existing: null, email: null, username: null, role: 'student', cohorts: null });
      };

      if (!name) {
        fail('The name is missing.');
        continue;
      }
      if (name.length > 80) {
        fail('The name is longer than 80 characters.');
        continue;
      }
      if (!emailRaw && !usernameRaw) {
        fail('Give an email address or a username.');
        continue;
      }
      const email = emailRaw ? Email.safeParse(emailRaw) : null;
      if (email && !email.success) {
        fail(`“${emailRaw}” is not a valid email address.`);
        continue;
      }
      const username = usernameRaw ? Username.safeParse(usernameRaw) : null;
      if (username && !username.success) {
        fail(
          `“${usernameRaw}” is not a valid username: use 2–40 letters, digits, dots, dashes or underscores.`,
        );
        continue;
      }
      const e = email?.data ?? null;
      const un = username?.data ?? null;
      row.login = e ?? un ?? '';
      const key = e ?? `user:${un ?? ''}`;
      const twin = seen.get(key) ?? (un && e ? seen.get(`user:${un}`) : undefined);
      if (twin !== undefined) {
        fail(`The same ${e ? 'email address' : 'username'} as line ${twin}: each person once.`);
        continue;
      }
      seen.set(key, line);
      if (un && e) seen.set(`user:${un}`, line);

      const byE = e ? (byEmail.get(e) ?? null) : null;
      const byU = un ? (byUsername.get(un) ?? null) : null;
      if (byE && byU && byE.id !== byU.id) {
        fail(`The username ${un ?? ''} belongs to another account (${byU.displayName}).`);
        continue;
      }
      if (!byE && byU && e && byU.email && byU.email !== e) {
        fail(
          `The username ${un ?? ''} belongs to an account with another email address (${byU.displayName}).`,
        );
        continue;
      }
      const existing = byE ?? byU;

      const roleCell = (r.role ?? '').trim();
      const parsedRole = roleCell ? roleWord(roleCell) : null;
      if (roleCell && !parsedRole) {
        fail(
          `“${roleCell}” is not a role. Use one of: ${ROLES.filter((x) => x !== 'super_admin').join(', ')}.`,
        );
        continue;
      }
      const role: Role = parsedRole ?? existing?.role ?? 'student';
      row.role = role;

      let cohorts: string[] | null = null;
      if (headers.has('cohorts')) {
        cohorts = [];
        let bad: string | null = null;
        for (const raw of (r.cohorts ?? '').split(/[;|,]/)) {
          const word = raw.trim().replace(/^#/, '').toLowerCase().replace(/\s+/g, '-');
          if (!word) continue;
          const c = Cohort.safeParse(word);
          if (!c.success) {
            bad = raw.trim();
            break;
          }
          if (!cohorts.includes(c.data)) cohorts.push(c.data);
        }
        if (bad !== null) {
          fail(`“${bad}” is not a valid cohort: use letters, digits, dashes or underscores.`);
          continue;
        }
        if (cohorts.length > 50) {
          fail('A person can be in at most 50 cohorts.');
          continue;
        }
      }
      row.cohorts = cohorts ?? splitCohorts(existing?.cohort ?? null);

      if (actor.role !== 'super_admin' && (role === 'super_admin' || existing?.role === 'super_admin')) {
        fail('Only a super admin can add or change super admin accounts.');
        continue;
      }
      if (existing && existing.id === actor.id && role !== existing.role) {
        fail('You cannot change your own role.');
        continue;
      }

      if (!existing) {
        row.verdict = 'new';
      } else {
        if (existing.displayName !== name) notes.push(`Name: ${existing.displayName} → ${name}`);
        if (existing.role !== role) notes.push(`Role: ${ROLE_LABELS[existing.role]} → ${ROLE_LABELS[role]}`);
        if (cohorts) {
          const had = splitCohorts(existing.cohort);
          const joins = cohorts.filter((c) => !had.includes(c));
          const leaves = had.filter((c) => !cohorts.includes(c));
          if (joins.length > 0) notes.push(`Joins ${joins.join(', ')}`);
          if (leaves.length > 0) notes.push(`Leaves ${leaves.join(', ')}`);
        }
        row.verdict = notes.length > 0 ? 'update' : 'unchanged';
        // An import never reactivates anyone: say so where it changes a deactivated account.
        if (row.verdict === 'update' && !existing.active)
          notes.push('This account is deactivated and stays so.');
      }
      if (row.verdict !== 'unchanged' && cohorts) {
        const { missing, refused } = rules.entitled(role, cohorts, channels);
        for (const m of missing) notes.push(`No course channel #${m} yet: the cohort is kept.`);
        for (const m of refused) notes.push(`#${m} is not open to this role: not joined.`);
      }
      plans.push({ row, existing, email: e, username: un, role, cohorts });
    }

    const counts: ImportCounts = { new: 0, update: 0, unchanged: 0, error: 0 };
    const hash = createHash('sha256');
    for (const p of plans) {
      counts[p.row.verdict]++;
      hash.update(`${p.row.line}|${p.row.verdict}|${p.existing?.id ?? ''}|${p.row.notes.join(';')}\n`);
    }
    return { plans, counts, digest: hash.digest('base64url'), channels };
  };

  return {
    preview(actor: { id: string; role: Role }, text: string): ImportPreview {
      const { plans, counts, digest } = plan(actor, text);
      return { rows: plans.map((p) => p.row), counts, digest };
    },

    /**
     * Creates and updates the valid rows, all in one transaction, if the verdicts are still those of the
     * preview with this digest. `links`: make a one-time set-password link for each new person.
     */
    commit(
      actor: { id: string; role: Role },
      text: string,
      digest: string,
      opts: { links: boolean },
    ): ImportOutcome {
      const links: ImportOutcome['links'] = [];
      const ttl = d.linkTtlMs ?? LINK_TTL_MS;
      let expiresAt: number | null = null;
      const counts = d.moves.run(actor.id, (move): ImportCounts => {
        const p = plan(actor, text);
        if (p.digest !== digest)
          throw new AppError(
            409,
            'preview-stale',
            'The accounts changed since this preview. Check the new preview, then import again.',
          );
        for (const { row, existing, email, username, role, cohorts } of p.plans) {
          if (row.verdict === 'new') {
            const id = newId();
            d.users.insert({
              id,
              email,
              username,
              displayName: row.name,
              role,
              passwordHash: NO_PASSWORD,
              cohort: joinCohorts(cohorts ?? []),
            });
            for (const cid of rules.entitled(role, cohorts ?? [], p.channels).ids)
              d.conversations.addMember(cid, id);
            d.audit.record(actor.id, 'user.created', id, { via: 'import', line: row.line, role, cohorts });
            if (opts.links) {
              const l = d.links.issue(id, actor.id, ttl);
              expiresAt = l.expiresAt;
              links.push({ name: row.name, login: row.login, path: linkPath(l.token) });
            }
          } else if (row.verdict === 'update' && existing) {
            const before = { role: existing.role, cohorts: splitCohorts(existing.cohort) };
            const after = { role, cohorts: cohorts ?? before.cohorts };
            if (existing.displayName !== row.name) d.users.setDisplayName(existing.id, row.name);
            move(existing.id, before, after, p.channels);
            d.audit.record(actor.id, 'user.updated', existing.id, {
              via: 'import',
              line: row.line,
              changes: row.notes,
            });
          }
        }
        d.audit.record(actor.id, 'users.imported', null, { ...p.counts, links: opts.links });
        return p.counts;
      });
      return {
        created: counts.new,
        updated: counts.update,
        unchanged: counts.unchanged,
        errors: counts.error,
        links,
        expiresAt,
      };
    },
  };
}
