import {
  AdminUserQuery,
  type AdminUser,
  ChangeRoleRequest,
  CreateUserRequest,
  ResetPasswordRequest,
  WorkspaceSettingsPatch,
  UpdatePersonRequest,
  ROLES,
  isStaffRole,
  type DmSupervisorChoices,
  type NoticeKind,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Accounts } from '../services/accounts.ts';
import type { ChannelRules } from '../services/channel-rules.ts';
import type { DmSupervision } from '../services/dm-supervision.ts';
import { AppError } from '../services/errors.ts';
import type { RosterImport } from '../services/roster-import.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { SettingsStore } from '../storage/settings.ts';
import type { UserRow, UserStore } from '../storage/users.ts';
import { auditRoutes } from './audit-routes.ts';
import { toMe } from './auth-routes.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';
import { requireAdmin } from './guards.ts';

const PAGE_DEFAULT = 50;
const PAGE_MAX = 200;
/** A roster of 20,000 people is about 1.5 MB; the API's own limit (app.ts) is 4 MB. */
const IMPORT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The People table's cursor: the sort it belongs to and the last row's sort key and id, as opaque
 * base64url JSON. A cursor from another sort is refused rather than silently starting somewhere odd.
 */
type Cursor = { s: string; d: string; k: string | number; i: string };
const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
const decodeCursor = (raw: string, sort: string, dir: string): { key: string | number; id: string } => {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (
      c.s === sort &&
      c.d === dir &&
      (typeof c.k === 'string' || typeof c.k === 'number') &&
      typeof c.i === 'string'
    )
      return { key: c.k, id: c.i };
  } catch {
    // Falls through to the refusal.
  }
  throw new AppError(400, 'bad-cursor', 'That page is not valid any more. Start from the first page.');
};
const importLimit = bodyLimit({
  maxSize: IMPORT_MAX_BYTES,
  onError: () => {
    throw new AppError(413, 'too-large', 'Import files are limited to 4 MB (about 50,000 people).');
  },
});
/** Admin API: accounts, CSV import, roles, deactivation, password resets, workspace settings, audit. */
export function adminRoutes(d: {
  accounts: Accounts;
  roster: RosterImport;
  rules: ChannelRules;
  users: UserStore;
  audit: AuditLog;
  conversations: ConversationStore;
  settings: SettingsStore;
  supervision: DmSupervision;
  /** Presence, for "last seen" (stored when a person's last device disconnects; null for someone never seen). */
  seen: (userId: string) => { online: boolean; lastSeen: number } | null;
  /** Tells every connected device (a changed workspace name). */
  notifyAll?: (kind: NoticeKind, payload: unknown) => void;
  /** The session length changed: open sockets take their sessions' new ends (T10). */
  sessionLengthChanged?: () => void;
}) {
  const app = new Hono<HonoEnv>();
  const toAdminUser = (u: UserRow): AdminUser => {
    const s = d.seen(u.id);
    return {
      ...toMe(u),
      cohort: u.cohort,
      createdAt: u.createdAt ?? 0,
      online: s?.online ?? false,
      lastSeenAt: s?.lastSeen ?? null,
    };
  };
  app.use('*', requireAdmin);

  // With no query: everyone, as before (scripts use it). With one: a page for the People table (issue 13 §2).
  app.get('/users', (c) => {
    const raw = c.req.query();
    if (Object.keys(raw).length === 0) return c.json({ users: d.users.list().map(toMe) });
    const parsed = AdminUserQuery.safeParse(raw);
    if (!parsed.success) throw new AppError(400, 'bad-query', 'That search is not valid.');
    const q = parsed.data;
    const sort = q.sort ?? 'name';
    const dir = q.dir ?? 'asc';
    const limit = Math.min(PAGE_MAX, Math.max(1, Number(q.limit ?? PAGE_DEFAULT)));
    // One row more than the page says whether there is a next page without a second query.
    const found = d.users.search({
      ...(q.query !== undefined ? { query: q.query } : {}),
      ...(q.role !== undefined ? { role: q.role } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.cohort !== undefined ? { cohort: q.cohort } : {}),
      ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor, sort, dir) } : {}),
      sort,
      dir,
      limit: limit + 1,
    });
    const users = found.users.slice(0, limit);
    const last = users.at(-1);
    const key = found.keys[limit - 1];
    const nextCursor =
      found.users.length > limit && last && key !== undefined
        ? encodeCursor({ s: sort, d: dir, k: key, i: last.id })
        : null;
    const total = found.total;
    return c.json({ users: users.map(toAdminUser), total, nextCursor });
  });

  /** Every cohort in use, with its head count and course channel (for the filter and the forms). */
  app.get('/cohorts', (c) => {
    const ix = d.rules.index();
    const cohorts = [...d.users.cohorts()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, people]) => ({ name, people, channel: ix.byName.has(name) ? name : null }));
    return c.json({ cohorts });
  });

  app.get('/users/:id', (c) => {
    const u = d.users.get(c.req.param('id'));
    if (!u) throw new AppError(404, 'no-such-user', 'That account does not exist.');
    return c.json({ user: toAdminUser(u) });
  });

  app.post('/users', async (c) => {
    const body = await readJson(c, CreateUserRequest);
    const { user, link } = await d.accounts.create(c.get('user'), body);
    return c.json({ user: toMe(user), ...(link ? { link } : {}) }, 201);
  });

  app.patch('/users/:id', async (c) => {
    const body = await readJson(c, UpdatePersonRequest);
    return c.json({ user: toAdminUser(d.accounts.update(c.get('user'), c.req.param('id'), body)) });
  });

  // The roster import: a preview that writes nothing, then the import of what the preview showed.
  app.post('/users/import/preview', importLimit, async (c) =>
    c.json(d.roster.preview(c.get('user'), await c.req.text())),
  );
  app.post('/users/import/commit', importLimit, async (c) => {
    const digest = c.req.query('digest') ?? '';
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(digest))
      throw new AppError(400, 'no-preview', 'Preview the file first, then import it.');
    const links = c.req.query('links') === '1';
    return c.json(d.roster.commit(c.get('user'), await c.req.text(), digest, { links }));
  });

  app.post(
    '/users/import',
    bodyLimit({
      maxSize: 2 * 1024 * 1024,
      onError: () => {
        throw new AppError(413, 'too-large', 'Import files are limited to 2 MB.');
      },
    }),
    async (c) => {
      const text = await c.req.text();
      return c.json(await d.accounts.importCsv(c.get('user'), text));
    },
  );

  /**
   * (De)activation can end the supervisor's eligibility or change who is in a DM: supervised DMs are
   * brought into line after each (issue 14 §4). A role change does so itself, wherever it is made
   * (services/person-moves.ts: this route and the roster import alike).
   */
  const resupervise = <T>(actorId: string, result: T): T => {
    d.supervision.peopleChanged(actorId);
    return result;
  };

  app.patch('/users/:id/role', async (c) => {
    const { role } = await readJson(c, ChangeRoleRequest);
    return c.json({ user: toMe(d.accounts.changeRole(c.get('user'), c.req.param('id'), role)) });
  });

  app.post('/users/:id/deactivate', (c) => {
    const user = d.accounts.setActive(c.get('user'), c.req.param('id'), false);
    return c.json({ user: toMe(resupervise(c.get('user').id, user)) });
  });
  app.post('/users/:id/reactivate', (c) => {
    const user = d.accounts.setActive(c.get('user'), c.req.param('id'), true);
    return c.json({ user: toMe(resupervise(c.get('user').id, user)) });
  });

  app.post('/users/:id/sign-out-everywhere', (c) =>
    c.json({ user: toMe(d.accounts.signOutEverywhere(c.get('user'), c.req.param('id'))) }),
  );

  app.post('/users/:id/password', async (c) => {
    const body = await readJson(c, ResetPasswordRequest);
    const link = await d.accounts.resetPassword(c.get('user'), c.req.param('id'), body);
    return c.json({ ok: true, ...(link ? { link } : {}) });
  });

  app.get('/settings', (c) => c.json(d.settings.read()));
  // Each change applies at once (the DM policy and session length are read on every use) and is audited
  // with its old and new value (issue 13 §4); a patch that changes nothing records nothing.
  app.patch('/settings', async (c) => {
    const patch = await readJson(c, WorkspaceSettingsPatch);
    const before = d.settings.read();
    // Supervised DMs need a supervisor who is active staff: checked against the settings as they would be.
    d.supervision.check({
      studentDmPolicy: patch.studentDmPolicy ?? before.studentDmPolicy,
      dmSupervisorId: patch.dmSupervisorId === undefined ? before.dmSupervisorId : patch.dmSupervisorId,
    });
    const changes: Record<string, unknown> = d.settings.write(patch);
    const actor = c.get('user').id;
    // The supervisor by name too, as the audit viewer shows it (the ids stay for exports).
    const sv = changes.dmSupervisorId as { from: string | null; to: string | null } | undefined;
    if (sv)
      changes.dmSupervisor = {
        from: sv.from === null ? null : (d.users.get(sv.from)?.displayName ?? null),
        to: sv.to === null ? null : (d.users.get(sv.to)?.displayName ?? null),
      };
    if (Object.keys(changes).length > 0) d.audit.record(actor, 'settings.changed', null, changes);
    // Existing DMs follow the policy and supervisor now in force (issue 14 §4), each change audited.
    if ('studentDmPolicy' in changes || 'dmSupervisorId' in changes) d.supervision.apply(actor);
    // The workspace's name is in every open app's header and tab title: told now, not at the next start.
    if ('workspaceName' in changes) d.notifyAll?.('workspace-changed', {});
    // A shorter length ends older sessions now, open sockets included (closed 4001), not at their reconnect.
    if ('sessionLengthDays' in changes) d.sessionLengthChanged?.();
    return c.json(d.settings.read());
  });

  /** Whom an admin may choose to supervise students' DMs: active staff of every staff role, by name. */
  app.get('/settings/supervisors', (c) => {
    const people = ROLES.filter((r) => isStaffRole(r))
      .flatMap((role) => d.users.search({ role, status: 'active', sort: 'name', limit: 2000 }).users)
      .map((u) => ({ id: u.id, displayName: u.displayName, role: u.role }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
    return c.json({ people } satisfies DmSupervisorChoices);
  });

  app.route('/', auditRoutes({ audit: d.audit, users: d.users, conversations: d.conversations }));

  return app;
}
