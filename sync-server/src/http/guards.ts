import { SESSION_END, isAdminRole, type SessionEndReason } from '@commonroom/protocol';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from '../services/errors.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserStore } from '../storage/users.ts';
import type { HonoEnv } from './env.ts';

export const SESSION_COOKIE = 'cr_session';

/**
 * Cross-site request forgery: a state-changing request must come from an allowed origin (when the browser
 * says where it comes from) and carry a JSON or CSV body type, which a cross-site form cannot send without
 * a CORS preflight that this server never grants.
 */
export function sameOriginWrites(allowedOrigins: readonly string[]): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const m = c.req.method;
    if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowedOrigins.includes(origin))
      throw new AppError(403, 'bad-origin', 'This request came from a site that is not allowed.');
    if (c.req.header('sec-fetch-site') === 'cross-site')
      throw new AppError(403, 'bad-origin', 'Cross-site requests are not allowed.');
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json' && type !== 'text/csv')
      throw new AppError(415, 'bad-content-type', 'Send requests as application/json.');
    return next();
  };
}

/** What a person reads when their session is gone, by why it went (SESSION_END). */
const ENDED_MESSAGES: Record<SessionEndReason, string> = {
  'account-deactivated': 'This account was deactivated by your college.',
  'signed-out-everywhere': 'You were signed out on all devices.',
  'session-revoked': 'Your session has ended. Please sign in again.',
  'not-logged-in': 'Your session has ended. Please log in again.',
};

/**
 * Why this cookie has no live session (T10): a deactivated account says so whatever state its session is
 * in (it may have expired while the device was off); otherwise the session row's revocation reason.
 */
export function whySessionEnded(
  sessions: SessionStore,
  users: UserStore,
  token: string | undefined,
): SessionEndReason {
  if (!token) return SESSION_END.notLoggedIn;
  const ended = sessions.ended(token);
  const u = ended.userId === null ? null : users.get(ended.userId);
  if (u && !u.active) return SESSION_END.deactivated;
  return ended.reason;
}

/** The one HTTP answer to a request without a live session: 401 with the reason as its code. */
export const sessionEndedError = (reason: SessionEndReason): AppError =>
  new AppError(401, reason, ENDED_MESSAGES[reason]);

export function requireSession(sessions: SessionStore, users: UserStore): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const s = token ? sessions.lookup(token) : null;
    const u = s ? users.get(s.userId) : null;
    if (!s || !u || !u.active) throw sessionEndedError(whySessionEnded(sessions, users, token));
    c.set('user', { id: u.id, role: u.role, tokenHash: s.tokenHash, expiresAt: s.expiresAt });
    return next();
  };
}

export const requireAdmin: MiddlewareHandler<HonoEnv> = async (c, next) => {
  if (!isAdminRole(c.get('user').role)) throw new AppError(403, 'admin-only', 'Only admins can do that.');
  return next();
};
