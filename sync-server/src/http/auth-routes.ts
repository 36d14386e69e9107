import {
  CLOSE,
  SESSION_END,
  ChangePasswordRequest,
  LoginRequest,
  SetPasswordCheck,
  SetPasswordRequest,
  SetupRequest,
  type Me,
} from '@commonroom/protocol';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { accountKey, type LoginAttempt, type LoginGuard } from '../auth/login-guard.ts';
import { dummyHash, verifyPassword } from '../auth/passwords.ts';
import { consumeSetupToken } from '../seed.ts';
import type { Accounts } from '../services/accounts.ts';
import { AppError } from '../services/errors.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { Db } from '../storage/db.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserRow, UserStore } from '../storage/users.ts';
import { readJson } from './body.ts';
import type { ClientAddress } from './client-address.ts';
import type { HonoEnv } from './env.ts';
import { SESSION_COOKIE, requireSession } from './guards.ts';

export const toMe = (u: UserRow): Me => ({
  id: u.id,
  displayName: u.displayName,
  username: u.username,
  email: u.email,
  role: u.role,
  active: u.active,
  ...(u.pronouns ? { pronouns: u.pronouns } : {}),
  ...(u.avatarColour ? { avatarColour: u.avatarColour } : {}),
});

export function authRoutes(d: {
  db: Db;
  users: UserStore;
  sessions: SessionStore;
  accounts: Accounts;
  audit: AuditLog;
  /** Failed logins and password changes, counted before hashing (T10). */
  guard: LoginGuard;
  clientAddress: ClientAddress;
  /** The workspace's session length now (an admin setting, issue 13 §4). */
  sessionTtlMs: () => number;
  secureCookies: boolean;
  scryptLogN: number;
  now: () => number;
  closeSession: (tokenHash: string, code: number, reason: string) => void;
}) {
  const app = new Hono<HonoEnv>();
  let dummy: Promise<string> | null = null;

  const startSession = (c: Context<HonoEnv>, u: UserRow): void => {
    const ttl = d.sessionTtlMs();
    const s = d.sessions.create(u.id, ttl);
    setCookie(c, SESSION_COOKIE, s.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: d.secureCookies,
      path: '/',
      maxAge: Math.floor(ttl / 1000),
    });
  };

  const addressOf = (c: Context<HonoEnv>): string =>
    d.clientAddress(getConnInfo(c).remote.address, (name) => c.req.header(name));

  /** Starts a password check, or refuses it before any hashing (T10). */
  const beginCheck = (account: string, address: string): LoginAttempt => {
    const started = d.guard.begin(account, address);
    if (!('wait' in started)) return started;
    const seconds = Math.ceil(started.wait / 1000);
    throw new AppError(
      429,
      'too-many-attempts',
      started.busy
        ? 'Too many logins at once from your network. Try again in a few seconds.'
        : `Too many failed logins. Try again in ${Math.ceil(seconds / 60)} minute(s).`,
      seconds,
    );
  };

  app.post('/login', async (c) => {
    const body = await readJson(c, LoginRequest);
    const address = addressOf(c);
    const u = d.users.findByLogin(body.login);
    const key = accountKey(u, body.login);
    const attempt = beginCheck(key, address);
    let ok = false;
    try {
      // Always hash, so response time does not tell which accounts exist.
      // An account with no password yet (made with a one-time link) is hashed against the dummy as well.
      const hash = u?.passwordHash.startsWith('scrypt$') ? u.passwordHash : null;
      const matched = await verifyPassword(
        body.password,
        hash ?? (await (dummy ??= dummyHash(d.scryptLogN))),
      );
      ok = hash !== null && matched;
    } finally {
      if (ok && u) attempt.succeeded();
      else attempt.failed();
    }
    if (!u || !ok) {
      d.audit.record(u?.id ?? null, 'login.failed', body.login.toLowerCase(), { address });
      throw new AppError(401, 'invalid-credentials', 'That email or username and password do not match.');
    }
    if (!u.active)
      throw new AppError(
        403,
        'deactivated',
        'This account has been deactivated. Ask an admin at your college.',
      );
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

  // One-time set-password links (issue 13 §2): no session needed, the token is the credential (192 random
  // bits, so asking about made-up tokens finds nothing).
  app.post('/set-password/check', async (c) => {
    const { token } = await readJson(c, SetPasswordCheck);
    return c.json(d.accounts.checkLink(token));
  });
  app.post('/set-password', async (c) => {
    const body = await readJson(c, SetPasswordRequest);
    const login = await d.accounts.setPasswordByLink(body.token, body.password, addressOf(c));
    return c.json({ login });
  });

  app.use('/logout', requireSession(d.sessions, d.users));
  app.post('/logout', (c) => {
    const user = c.get('user');
    d.sessions.revoke(user.tokenHash);
    d.closeSession(user.tokenHash, CLOSE.sessionRevoked, `${SESSION_END.revoked}: logged out`);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.use('/sign-out-everywhere', requireSession(d.sessions, d.users));
  app.post('/sign-out-everywhere', (c) => {
    const user = c.get('user');
    d.accounts.signOutEverywhere(user, user.id);
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
    const user = c.get('user');
    const address = addressOf(c);
    const u = d.users.get(user.id);
    if (!u) throw new AppError(401, 'not-logged-in', 'Your session has ended. Please log in again.');
    // Throttled like a login: a stolen session must not be a way to guess the password it does not know.
    const attempt = beginCheck(accountKey(u, ''), address);
    let ok = false;
    try {
      ok = await verifyPassword(body.currentPassword, u.passwordHash);
    } finally {
      if (ok) attempt.succeeded();
      else attempt.failed();
    }
    if (!ok) {
      d.audit.record(u.id, 'password.change-failed', u.id, { address });
      throw new AppError(400, 'wrong-password', 'Your current password is not right.');
    }
    await d.accounts.changeOwnPassword(u.id, user.tokenHash, body.newPassword, address);
    return c.json({ ok: true });
  });

  return app;
}
