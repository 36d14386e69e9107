import {
  AdminUserQuery,
  type AdminUser,
  ChangeRoleRequest,
  CreateUserRequest,
  ResetPasswordRequest,
  WorkspaceSettingsPatch,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Accounts } from '../services/accounts.ts';
import { AppError } from '../services/errors.ts';
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

/** Admin API: accounts, CSV import, roles, deactivation, password resets, workspace settings, audit. */
export function adminRoutes(d: {
  accounts: Accounts;
  users: UserStore;
  audit: AuditLog;
  conversations: ConversationStore;
  settings: SettingsStore;
  /** Presence, for "last seen" (in memory only: null for someone not seen since the server started). */
  seen: (userId: string) => { online: boolean; lastSeen: number } | null;
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
    const offset = Number(q.cursor ?? 0);
    const limit = Math.min(PAGE_MAX, Math.max(1, Number(q.limit ?? PAGE_DEFAULT)));
    const { users, total } = d.users.search({
      ...(q.query !== undefined ? { query: q.query } : {}),
      ...(q.role !== undefined ? { role: q.role } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.sort !== undefined ? { sort: q.sort } : {}),
      ...(q.dir !== undefined ? { dir: q.dir } : {}),
      offset,
      limit,
    });
    const next = offset + users.length;
    return c.json({ users: users.map(toAdminUser), total, nextCursor: next < total ? String(next) : null });
  });

  app.get('/users/:id', (c) => {
    const u = d.users.get(c.req.param('id'));
    if (!u) throw new AppError(404, 'no-such-user', 'That account does not exist.');
    return c.json({ user: toAdminUser(u) });
  });

  app.post('/users', async (c) => {
    const body = await readJson(c, CreateUserRequest);
    const u = await d.accounts.create(c.get('user'), body);
    return c.json({ user: toMe(u) }, 201);
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

  app.patch('/users/:id/role', async (c) => {
    const { role } = await readJson(c, ChangeRoleRequest);
    return c.json({ user: toMe(d.accounts.changeRole(c.get('user'), c.req.param('id'), role)) });
  });

  app.post('/users/:id/deactivate', (c) =>
    c.json({ user: toMe(d.accounts.setActive(c.get('user'), c.req.param('id'), false)) }),
  );
  app.post('/users/:id/reactivate', (c) =>
    c.json({ user: toMe(d.accounts.setActive(c.get('user'), c.req.param('id'), true)) }),
  );

  app.post('/users/:id/sign-out-everywhere', (c) =>
    c.json({ user: toMe(d.accounts.signOutEverywhere(c.get('user'), c.req.param('id'))) }),
  );

  app.post('/users/:id/password', async (c) => {
    const { password } = await readJson(c, ResetPasswordRequest);
    await d.accounts.resetPassword(c.get('user'), c.req.param('id'), password);
    return c.json({ ok: true });
  });

  app.get('/settings', (c) => c.json(d.settings.read()));
  // Each change applies at once (the DM policy and session length are read on every use) and is audited
  // with its old and new value (issue 13 §4); a patch that changes nothing records nothing.
  app.patch('/settings', async (c) => {
    const patch = await readJson(c, WorkspaceSettingsPatch);
    const changes = d.settings.write(patch);
    if (Object.keys(changes).length > 0) d.audit.record(c.get('user').id, 'settings.changed', null, changes);
    return c.json(d.settings.read());
  });

  app.route('/', auditRoutes({ audit: d.audit, users: d.users, conversations: d.conversations }));

  return app;
}
