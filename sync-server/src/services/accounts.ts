import {
  CLOSE,
  CreateUserRequest,
  SESSION_END,
  isAdminRole,
  isStaffRole,
  type ProfileUpdate,
  type Role,
} from '@commonroom/protocol';
import { parse as parseCsv } from 'csv-parse/sync';
import { hashPassword } from '../auth/passwords.ts';
import { mayBelong } from '../rooms/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserRow, UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';

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
  notify: (userIds: string[], kind: string, payload: unknown) => void;
  /** Tells every connected device (a changed name or avatar colour: authors everywhere show it). */
  notifyAll: (kind: string, payload: unknown) => void;
};

export type Accounts = ReturnType<typeof createAccounts>;

const CSV_MAX_ROWS = 5000;

export function createAccounts(d: AccountDeps) {
  /** Channels a role joins by default (mission: announcements, general, it-support for all, and so on). */
  const defaultChannels = (role: Role): string[] =>
    d.conversations
      .channels()
      .filter(
        (c) =>
          c.name === 'announcements' ||
          c.name === 'general' ||
          c.name === 'it-support' ||
          (c.staffOnly && isStaffRole(role)) ||
          (c.adminOnly && isAdminRole(role)),
      )
      .map((c) => c.id);

  const create = async (actorId: string | null, req: CreateUserRequest): Promise<UserRow> => {
    const courseIds: string[] = [];
    for (const name of req.channels ?? []) {
      // A course is a channel of that name, and every channel an admin bound to that cohort (issue 13 §3).
      const bound = d.conversations.boundTo(name).filter((c) => mayBelong(req.role, c));
      courseIds.push(...bound.map((c) => c.id));
      const c = d.conversations.byName(name);
      if (bound.length > 0 && (!c || c.cohort === name)) continue;
      if (!c || c.kind === 'dm')
        throw new AppError(400, 'unknown-channel', `There is no channel called #${name}.`);
      if (c.adminOnly && !isAdminRole(req.role))
        throw new AppError(400, 'channel-not-allowed', `#${name} is for admins only.`);
      if (c.staffOnly && !isStaffRole(req.role))
        throw new AppError(400, 'channel-not-allowed', `#${name} is for staff only.`);
      courseIds.push(c.id);
    }
    if (req.email && d.users.findByLogin(req.email))
      throw new AppError(409, 'email-taken', `${req.email} already has an account.`);
    if (req.username && d.users.findByLogin(req.username))
      throw new AppError(409, 'username-taken', `The username ${req.username} is taken.`);
    const hash = await hashPassword(req.password, d.scryptLogN);
    const id = newId();
    const user: Omit<UserRow, 'active'> = {
      id,
      email: req.email ?? null,
      username: req.username ?? null,
      displayName: req.displayName,
      role: req.role,
      passwordHash: hash,
      cohort: req.channels?.join(',') ?? null,
    };
    d.db.transaction(() => {
      d.users.insert(user);
      for (const cid of new Set([...defaultChannels(req.role), ...courseIds]))
        d.conversations.addMember(cid, id);
      d.audit.record(actorId, 'user.created', id, { role: req.role, channels: req.channels ?? [] });
    })();
    return { ...user, active: true };
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
    createFirstAdmin: (req: CreateUserRequest) => create(null, req),

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
          const u = await create(actor.id, parsed.data);
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
      const lost: string[] = [];
      d.db.transaction(() => {
        d.users.setRole(id, role);
        for (const c of d.conversations.channels()) {
          const entitled = (c.staffOnly && isStaffRole(role)) || (c.adminOnly && isAdminRole(role));
          const restricted = c.staffOnly || c.adminOnly;
          if (entitled) d.conversations.addMember(c.id, id);
          else if (restricted && d.conversations.removeMember(c.id, id)) lost.push(c.id);
        }
        d.audit.record(actor.id, 'user.role-changed', id, { from: u.role, to: role });
      })();
      for (const c of lost) d.revokeConversation(c, id, 'your role no longer includes this channel');
      d.notify([id], 'conversations-changed', {});
      return { ...u, role };
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

    async resetPassword(actor: { id: string; role: Role }, id: string, password: string): Promise<void> {
      const u = mustGet(id);
      assertMayManage(actor.role, u.role);
      const hash = await hashPassword(password, d.scryptLogN);
      d.db.transaction(() => {
        d.users.setPasswordHash(id, hash);
        d.sessions.revokeAllFor(id, 'password-reset');
        d.audit.record(actor.id, 'user.password-reset', id);
      })();
      d.closeSockets(id, CLOSE.sessionRevoked, `${SESSION_END.revoked}: password was reset`);
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
