import { createHash } from 'node:crypto';
import type { ImportCounts, ImportOutcome, ImportPreview, Role } from '@commonroom/protocol';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { PasswordLinks } from '../storage/password-links.ts';
import { joinCohorts, splitCohorts, type UserRow, type UserStore } from '../storage/users.ts';
import { LINK_TTL_MS, NO_PASSWORD, linkPath } from './accounts.ts';
import { createChannelRules } from './channel-rules.ts';
import { AppError } from './errors.ts';
import { planRow, readRows, type PlanContext } from './roster-plan.ts';
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
    const ctx: PlanContext = {
      actor,
      headers,
      byEmail,
      byUsername,
      seen: new Map(),
      entitled: (role, cohorts) => rules.entitled(role, cohorts, channels),
    };
    const plans = records.map((r, i) => planRow(ctx, r, i + 2));

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
