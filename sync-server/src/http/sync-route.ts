import { CLOSE, wipesDevice } from '@commonroom/protocol';
import { upgradeWebSocket } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserStore } from '../storage/users.ts';
import type WebSocket from 'ws';
import { releaseIdleDeflate } from '../ws/deflate.ts';
import type { Connection, SocketHub } from '../ws/socket-hub.ts';
import type { HonoEnv } from './env.ts';
import { whySessionEnded, type SESSION_COOKIE } from './guards.ts';

/**
 * GET /sync: the one WebSocket per client. Refused before the upgrade when the Origin is not allowed
 * (cross-site WebSocket hijacking; browsers always send Origin) or there is no live session (T10, T11).
 * One exception: a session that ended with a wiping reason (deactivation, sign out everywhere) is upgraded
 * only to be closed at once with 4002 and that reason, because a browser cannot read a refused upgrade's
 * body, and the device must learn to wipe itself on its first contact, whichever it is (T10).
 */
export function syncRoute(d: {
  allowedOrigins: readonly string[];
  sessions: SessionStore;
  users: UserStore;
  hub: SocketHub;
  /** Messages of at least this many bytes are compressed when the socket negotiated permessage-deflate. */
  compressFrom: number;
}) {
  const guard: MiddlewareHandler<HonoEnv> = async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !d.allowedOrigins.includes(origin))
      return c.json({ error: 'bad-origin', message: 'This site may not connect.' }, 403);
    const token = getCookie(c, 'cr_session' satisfies typeof SESSION_COOKIE);
    const s = token ? d.sessions.lookup(token) : null;
    const u = s ? d.users.get(s.userId) : null;
    if (!s || !u || !u.active) {
      const reason = whySessionEnded(d.sessions, d.users, token);
      if (!wipesDevice(reason)) return c.json({ error: reason, message: 'Log in to connect.' }, 401);
      c.set('ended', reason);
      return next();
    }
    c.set('user', { id: u.id, role: u.role, tokenHash: s.tokenHash, expiresAt: s.expiresAt });
    return next();
  };
  const upgrade = upgradeWebSocket((c) => {
    const ended = (c.get as (k: 'ended') => HonoEnv['Variables']['ended'])('ended');
    if (ended !== undefined) return { onOpen: (_evt, ws) => ws.close(CLOSE.sessionRevoked, ended) };
    const user = (c.get as (k: 'user') => HonoEnv['Variables']['user'])('user');
    let conn: Connection | null = null;
    return {
      onOpen(_evt, ws) {
        // node-server's socket is ws's WebSocket. Sent on it directly: node-server's send passes
        // `{ compress: opts?.compress }`, and an undefined there overrides ws's default, so nothing would be
        // compressed; nor can it take a callback.
        const raw = ws.raw as WebSocket;
        conn = d.hub.open(
          {
            // Small messages leave as they are (ws applies its own threshold only without context
            // takeover); after a compressed one the socket's zlib stream is let go (ws/deflate.ts).
            send: (data) => {
              const compress = data.byteLength >= d.compressFrom;
              raw.send(data, { compress }, compress ? () => releaseIdleDeflate(raw) : undefined);
            },
            close: (code, reason) => ws.close(code, reason),
            get bufferedAmount() {
              return raw.bufferedAmount;
            },
          },
          { userId: user.id, tokenHash: user.tokenHash, expiresAt: user.expiresAt },
        );
      },
      onMessage(evt) {
        conn?.message(evt.data);
      },
      onClose() {
        conn?.closed();
      },
    };
  });
  return [guard, upgrade as MiddlewareHandler<HonoEnv>] as const;
}
