import {
  CLOSE,
  CreateUserRequest,
  SESSION_END,
  isAdminRole,
  isStaffRole,
  type ProfileUpdate,
  type PasswordLink,
  type ResetPasswordRequest,
  type Role,
  type UpdatePersonRequest,
  type NoticeKind,
} from '@commonroom/protocol';
import { parse as parseCsv } from 'csv-parse/sync';
import { hashPassword } from '../auth/passwords.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { PasswordLinks } from '../storage/password-links.ts';
import { splitCohorts, joinCohorts, type UserRow, type UserStore } from '../storage/users.ts';
import { createChannelRules } from './channel-rules.ts';
import { AppError } from './errors.ts';
import type { PersonMoves } from './person-moves.ts';

/** Accounts: creation with default memberships, CSV import, role changes, deactivation, password resets. */

export type AccountDeps = {
  db: Db;
  users: UserStore;
  sessions: SessionStore;
  conversations: ConversationStore;
  audit: AuditLog;
  scryptLogN: number;
  /** Closes a user's sockets and stops delivery of conversations they lost. */
  closeSockets: (userId: string, code: number, reason: string) => void;
  /** Closes a user's sockets except those of one session (the one that changed the password). */
  closeOtherSockets: (userId: string, keepTokenHash: string, code: number, reason: string) => void;
  revokeConversation: (conversationId: string, userId: string, reason: string) => void;
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
  /** The one way a person's role and cohorts change, the roster import's too (person-moves.ts). */
  moves: PersonMoves;
  /** Tells every connected device (a changed name or avatar colour: authors everywhere show it). */
  notifyAll: (kind: NoticeKind, payload: unknown) => void;
  links: PasswordLinks;
  /** How long a one-time set-password link works (72 hours unless configured). */
  linkTtlMs?: number;
};

/** The hash of an account with no password yet (made with a one-time link, or imported): matches nothing. */
export const NO_PASSWORD = '!none';
export const LINK_TTL_MS = 72 * 3_600_000;
/** Where a link opens in the PWA: the token is in the fragment, so it reaches no server or proxy log. */
export const linkPath = (token: string): string => `/set-password#${token}`;

export type Accounts = ReturnType<typeof createAccounts>;

const CSV_MAX_ROWS = 5000;

export function createAccounts(d: AccountDeps) {
  const rules = createChannelRules(d.conversations);
  const linkTtl = d.linkTtlMs ?? LINK_TTL_MS;
  const issueLink = (userId: string, actorId: string | null): PasswordLink => {
    const { token, expiresAt } = d.links.issue(userId, actorId, linkTtl);
    return { path: linkPath(token), expiresAt };
  };

  const create = async (
    actorId: string | null,
    req: CreateUserRequest,
  ): Promise<{ user: UserRow; link?: PasswordLink }> => {
    // `channels` (older callers, CSV with passwords) must name channels that exist; `cohorts` need not.
    for (const name of req.channels ?? []) {
      const c = d.conversations.byName(name);
      // A cohort that channels are bound to (issue 13 §3) need not also be a channel's name.
      if ((!c || c.cohort === name) && d.conversations.boundTo(name).length > 0) continue;
      if (!c || c.kind === 'dm')
        throw new AppError(400, 'unknown-channel', `There is no channel called #${name}.`);
      if (c.adminOnly && !isAdminRole(req.role))
        throw new AppError(400, 'channel-not-allowed', `#${name} is for admins only.`);
      if (c.staffOnly && !isStaffRole(req.role))
        throw new AppError(400, 'channel-not-allowed', `#${name} is for staff only.`);
    }
    const cohorts = [...new Set([...(req.cohorts ?? []), ...(req.channels ?? [])])];
    if (req.email && d.users.findByLogin(req.email))
      throw new AppError(409, 'email-taken', `${req.email} already has an account.`);
    if (req.username && d.users.findByLogin(req.username))
      throw new AppError(409, 'username-taken', `The username ${req.username} is taken.`);
    const hash = req.password !== undefined ? await hashPassword(req.password, d.scryptLogN) : NO_PASSWORD;
    const id = newId();
    const user: Omit<UserRow, 'active'> = {
      id,
      email: req.email ?? null,
      username: req.username ?? null,
      displayName: req.displayName,
      role: req.role,
      passwordHash: hash,
      cohort: joinCohorts(cohorts),
    };
    let link: PasswordLink | undefined;
    d.db.transaction(() => {
      d.users.insert(user);
      for (const cid of rules.entitled(req.role, cohorts).ids) d.conversations.addMember(cid, id);
      d.audit.record(actorId, 'user.created', id, {
        role: req.role,
        cohorts,
        password: req.password !== undefined ? 'set' : 'link',
      });
      if (req.password === undefined) {
        link = issueLink(id, actorId);
        d.audit.record(actorId, 'user.password-link', id, { expiresAt: link.expiresAt });
      }
    })();
    return { user: { ...user, active: true }, ...(link ? { link } : {}) };
  };

  /** What a set-password link's page shows before the form: whether it still works, and for whom. */
  const checkLink = (
    token: string,
  ): { state: 'valid' | 'used' | 'expired' | 'invalid'; displayName?: string } => {
    const { state, userId } = d.links.check(token);
    const u = userId ? d.users.get(userId) : null;
    if (state === 'valid' && (!u || !u.active)) return { state: 'invalid' };
    return { state, ...(state === 'valid' && u ? { displayName: u.displayName } : {}) };
  };

  const mustGet = (id: string): UserRow => {
    const u = d.users.get(id);
    if (!u) throw new AppError(404, 'no-such-user', 'That account does not exist.');
    return u;
  };

  /** Only a super admin may create, promote to, or change a super admin. */
  const assertMayManage = (actorRole: Role, target: Role | null, newRole?: Role): void => {
    if ((target === 'super_admin' || newRole === 'super_admin') && actorRole !== 'super_admin')
      throw new AppError(403, 'super-admin-only', 'Only a super admin can manage super admin accounts.');
  };

  return {
    create: async (actor: { id: string; role: Role }, req: CreateUserRequest) => {
      assertMayManage(actor.role, null, req.role);
      return create(actor.id, req);
    },
    /** Bootstrap: the first super admin, from configuration or the one-time setup link. */
    createFirstAdmin: async (req: CreateUserRequest) => (await create(null, req)).user,

    async importCsv(actor: { id: string; role: Role }, text: string) {
      let rows: Record<string, string>[];
      try {
        rows = parseCsv(text, {
          columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()),
          skip_empty_lines: true,
          trim: true,
          bom: true,
          relax_column_count: true,
        });
      } catch (e) {
        throw new AppError(400, 'bad-csv', `The file is not valid CSV: ${(e as Error).message}`);
      }
      if (rows.length > CSV_MAX_ROWS)
        throw new AppError(413, 'csv-too-large', `Import at most ${CSV_MAX_ROWS} people at a time.`);
      const created: { line: number; id: string; displayName: string }[] = [];
      const errors: { line: number; message: string }[] = [];
      for (const [i, row] of rows.entries()) {
        const line = i + 2;
        const channels = (row.channels ?? row.cohort ?? row.course ?? '')
          .split(/[;|]/)
          .map((s) => s.trim().replace(/^#/, '').toLowerCase())
          .filter((s) => s.length > 0);
        const parsed = CreateUserRequest.safeParse({
          displayName: row.name ?? row.display_name ?? '',
          email: row.email ? row.email : undefined,
          username: row.username ? row.username : undefined,
          role: (row.role ?? 'student').toLowerCase().replace(/\s+/g, '_'),
          password: row.password ?? '',
          channels,
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          errors.push({ line, message: `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}` });
          continue;
        }
        try {
          assertMayManage(actor.role, null, parsed.data.role);
          const { user: u } = await create(actor.id, parsed.data);
          created.push({ line, id: u.id, displayName: u.displayName });
        } catch (e) {
          errors.push({ line, message: e instanceof AppError ? e.message : 'could not create this account' });
        }
      }
      d.audit.record(actor.id, 'users.imported', null, { created: created.length, errors: errors.length });
      return { created, errors };
    },

    changeRole(actor: { id: string; role: Role }, id: string, role: Role): UserRow {
      const u = mustGet(id);
      assertMayManage(actor.role, u.role, role);
      if (u.id === actor.id) throw new AppError(400, 'own-role', 'You cannot change your own role.');
      const cohorts = splitCohorts(u.cohort);
      d.moves.run(actor.id, (move) => {
        move(id, { role: u.role, cohorts }, { role, cohorts });
        d.audit.record(actor.id, 'user.role-changed', id, { from: u.role, to: role });
      });
      return { ...u, role };
    },

    /** Name and cohorts; the person's course channels follow the cohorts (channel-rules.ts). */
    update(actor: { id: string; role: Role }, id: string, req: UpdatePersonRequest): UserRow {
      const u = mustGet(id);
      assertMayManage(actor.role, u.role);
      const before = splitCohorts(u.cohort);
      const after = req.cohorts ? [...new Set(req.cohorts)] : before;
      const name = req.displayName ?? u.displayName;
      const detail: Record<string, unknown> = {};
      if (name !== u.displayName) detail.name = { from: u.displayName, to: name };
      const cohortsChanged = joinCohorts(after) !== joinCohorts(before);
      if (cohortsChanged) detail.cohorts = { from: before, to: after };
      if (Object.keys(detail).length === 0) return u;
      d.moves.run(actor.id, (move) => {
        if (name !== u.displayName) d.users.setDisplayName(id, name);
        if (cohortsChanged) move(id, { role: u.role, cohorts: before }, { role: u.role, cohorts: after });
        d.audit.record(actor.id, 'user.updated', id, detail);
      });
      return { ...u, displayName: name, cohort: joinCohorts(after) };
    },

    setActive(actor: { id: string; role: Role }, id: string, active: boolean): UserRow {
      const u = mustGet(id);
      assertMayManage(actor.role, u.role);
      if (u.id === actor.id && !active)
        throw new AppError(400, 'own-account', 'You cannot deactivate your own account.');
      d.db.transaction(() => {
        d.users.setActive(id, active);
        if (!active) d.sessions.revokeAllFor(id, SESSION_END.deactivated);
        d.audit.record(actor.id, active ? 'user.reactivated' : 'user.deactivated', id);
      })();
      if (!active) d.closeSockets(id, CLOSE.sessionRevoked, SESSION_END.deactivated);
      return { ...u, active };
    },

    /**
     * The person's own change, after the route checked the current password: every other session ends and
     * its sockets close (T10), so a stolen session does not outlive the password it was stolen with.
     */
    async changeOwnPassword(id: string, keepTokenHash: string, password: string, address: string) {
      const hash = await hashPassword(password, d.scryptLogN);
      d.db.transaction(() => {
        d.users.setPasswordHash(id, hash);
        d.sessions.revokeOthersOf(id, keepTokenHash, 'password-changed');
        d.audit.record(id, 'password.changed', id, { address });
      })();
      d.closeOtherSockets(
        id,
        keepTokenHash,
        CLOSE.sessionRevoked,
        `${SESSION_END.revoked}: password was changed`,
      );
    },

    /**
     * One's own name, pronouns and avatar colour (issue 13 §4). Audited with old and new values (a name
     * change matters in a safeguarding review); every device refreshes its directory, so authors show it.
     */
    updateProfile(id: string, patch: ProfileUpdate): UserRow {
      const u = mustGet(id);
      const before: Record<string, unknown> = {
        displayName: u.displayName,
        pronouns: u.pronouns ?? '',
        avatarColour: u.avatarColour ?? null,
      };
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const [key, to] of Object.entries(patch))
        if (to !== undefined && to !== before[key]) changes[key] = { from: before[key], to };
      if (Object.keys(changes).length === 0) return u;
      d.db.transaction(() => {
        d.users.setProfile(id, patch);
        d.audit.record(id, 'profile.updated', id, changes);
      })();
      d.notifyAll('directory-changed', {});
      return mustGet(id);
    },

    /**
     * A new password, or a one-time link (the old password stops working at once, so a reset also locks
     * out whoever knew it). Either way every session ends.
     */
    async resetPassword(
      actor: { id: string; role: Role },
      id: string,
      req: ResetPasswordRequest,
    ): Promise<PasswordLink | null> {
      const u = mustGet(id);
      assertMayManage(actor.role, u.role);
      const hash = req.password !== undefined ? await hashPassword(req.password, d.scryptLogN) : NO_PASSWORD;
      const link = d.db.transaction((): PasswordLink | null => {
        d.users.setPasswordHash(id, hash);
        d.sessions.revokeAllFor(id, 'password-reset');
        const made = req.password !== undefined ? null : issueLink(id, actor.id);
        d.audit.record(actor.id, 'user.password-reset', id, {
          by: made ? 'link' : 'password',
          ...(made ? { expiresAt: made.expiresAt } : {}),
        });
        return made;
      })();
      d.closeSockets(id, CLOSE.sessionRevoked, `${SESSION_END.revoked}: password was reset`);
      return link;
    },

    checkLink,

    /**
     * The person opened their link and chose a password: the link is used (once: of two tabs racing, one
     * wins), the password set, any session of theirs ends. Returns the login to sign in with.
     */
    async setPasswordByLink(token: string, password: string, address: string): Promise<string> {
      const said = (state: string): never => {
        throw new AppError(
          410,
          `link-${state}`,
          state === 'used'
            ? 'This link has already been used. If you did not use it, ask an admin at your college for a new one.'
            : state === 'expired'
              ? 'This link has expired. Ask an admin at your college for a new one.'
              : 'This link does not work. It may have been replaced by a newer one: ask an admin at your college.',
        );
      };
      const first = checkLink(token);
      if (first.state !== 'valid') said(first.state);
      const hash = await hashPassword(password, d.scryptLogN);
      const login = d.db.transaction((): string => {
        const used = d.links.consume(token);
        if ('state' in used) return said(used.state);
        const u = mustGet(used.userId);
        if (!u.active) return said('invalid');
        d.users.setPasswordHash(u.id, hash);
        d.sessions.revokeAllFor(u.id, 'password-reset');
        d.audit.record(u.id, 'password.set-by-link', u.id, { address });
        return u.email ?? u.username ?? '';
      })();
      const u = d.users.findByLogin(login);
      if (u) d.closeSockets(u.id, CLOSE.sessionRevoked, `${SESSION_END.revoked}: password was set`);
      return login;
    },

    /**
     * Ends every session of a person and closes their sockets with 4002 `signed-out-everywhere`, so each
     * device wipes itself at its next contact (T10). By an admin for someone, or by the person for themself.
     */
    signOutEverywhere(actor: { id: string; role: Role }, id: string): UserRow {
      const u = mustGet(id);
      if (u.id !== actor.id) {
        if (!isAdminRole(actor.role)) throw new AppError(403, 'admin-only', 'Only admins can do that.');
        assertMayManage(actor.role, u.role);
      }
      d.db.transaction(() => {
        d.sessions.revokeAllFor(id, SESSION_END.signedOutEverywhere);
        d.audit.record(actor.id, 'user.signed-out-everywhere', id);
      })();
      d.closeSockets(id, CLOSE.sessionRevoked, SESSION_END.signedOutEverywhere);
      return u;
    },
  };
}
