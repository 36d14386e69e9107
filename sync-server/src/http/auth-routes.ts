import { CLOSE, ChangePasswordRequest, LoginRequest, SetupRequest, type Me } from '@commonroom/protocol';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { dummyHash, hashPassword, verifyPassword } from '../auth/passwords.ts';
import type { Throttle } from '../auth/throttle.ts';
import { consumeSetupToken } from '../seed.ts';
import type { Accounts } from '../services/accounts.ts';
import { AppError } from '../services/errors.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { Db } from '../storage/db.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserRow, UserStore } from '../storage/users.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';
import { SESSION_COOKIE, requireSession } from './guards.ts';

export const toMe = (u: UserRow): Me => ({
  id: u.id,
  displayName: u.displayName,
  username: u.username,
  email: u.email,
  role: u.role,
  active: u.active,
});

export function authRoutes(d: {
  db: Db;
  users: UserStore;
  sessions: SessionStore;
  accounts: Accounts;
  audit: AuditLog;
  perAccount: Throttle;
  perAddress: Throttle;
  sessionTtlMs: number;
  secureCookies: boolean;
  scryptLogN: number;
  now: () => number;
  closeSession: (tokenHash: string, code: number, reason: string) => void;
}) {
  const app = new Hono<HonoEnv>();
  let dummy: Promise<string> | null = null;

  const startSession = (c: Context<HonoEnv>, u: UserRow): void => {
    const s = d.sessions.create(u.id, d.sessionTtlMs);
    setCookie(c, SESSION_COOKIE, s.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: d.secureCookies,
      path: '/',
      maxAge: Math.floor(d.sessionTtlMs / 1000),
    });
  };

  app.post('/login', async (c) => {
    const body = await readJson(c, LoginRequest);
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const account = body.login.toLowerCase();
    const wait = Math.max(d.perAccount.blockedFor(account), d.perAddress.blockedFor(address));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new AppError(
        429,
        'too-many-attempts',
        `Too many failed logins. Try again in ${Math.ceil(seconds / 60)} minute(s).`,
        seconds,
      );
    }
    const u = d.users.findByLogin(body.login);
    // Always hash, so response time does not tell which accounts exist.
    const ok = u
      ? await verifyPassword(body.password, u.passwordHash)
      : await verifyPassword(body.password, await (dummy ??= dummyHash(d.scryptLogN)));
    if (!u || !ok) {
      d.perAccount.fail(account);
      d.perAddress.fail(address);
      d.audit.record(u?.id ?? null, 'login.failed', account, { address });
      throw new AppError(401, 'invalid-credentials', 'That email or username and password do not match.');
    }
    if (!u.active)
      throw new AppError(
        403,
        'deactivated',
        'This account has been deactivated. Ask an admin at your college.',
      );
    d.perAccount.reset(account);
    startSession(c, u);
    d.audit.record(u.id, 'login', null, { address });
    return c.json({ user: toMe(u) });
  });

  app.post('/setup', async (c) => {
    const body = await readJson(c, SetupRequest);
    if (d.users.count() > 0 || !consumeSetupToken(d.db, body.token, d.now()))
      throw new AppError(
        403,
        'setup-closed',
        'This setup link is not valid any more. Ask the person who runs the server.',
      );
    const u = await d.accounts.createFirstAdmin({
      displayName: body.displayName,
      email: body.email,
      role: 'super_admin',
      password: body.password,
    });
    startSession(c, u);
    return c.json({ user: toMe(u) });
  });

  app.use('/logout', requireSession(d.sessions, d.users));
  app.post('/logout', (c) => {
    const user = c.get('user');
    d.sessions.revoke(user.tokenHash);
    d.closeSession(user.tokenHash, CLOSE.sessionRevoked, 'logged out');
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.use('/me', requireSession(d.sessions, d.users));
  app.get('/me', (c) => {
    const u = d.users.get(c.get('user').id);
    if (!u) throw new AppError(401, 'not-logged-in', 'Your session has ended. Please log in again.');
    return c.json({ user: toMe(u) });
  });

  app.use('/password', requireSession(d.sessions, d.users));
  app.post('/password', async (c) => {
    const body = await readJson(c, ChangePasswordRequest);
    const u = d.users.get(c.get('user').id);
    if (!u || !(await verifyPassword(body.currentPassword, u.passwordHash)))
      throw new AppError(400, 'wrong-password', 'Your current password is not right.');
    d.users.setPasswordHash(u.id, await hashPassword(body.newPassword, d.scryptLogN));
    d.audit.record(u.id, 'password.changed', u.id);
    return c.json({ ok: true });
  });

  return app;
}
