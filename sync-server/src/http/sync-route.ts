import { CLOSE, wipesDevice } from '@commonroom/protocol';
import { upgradeWebSocket } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserStore } from '../storage/users.ts';
import type WebSocket from 'ws';
import { releaseIdleDeflate } from '../ws/deflate.ts';
import { createKeyedBuckets } from '../ws/rate-limit.ts';
import type { Connection, SocketHub } from '../ws/socket-hub.ts';
import type { ClientAddress } from './client-address.ts';
import type { HonoEnv } from './env.ts';
import { whySessionEnded, type SESSION_COOKIE } from './guards.ts';

/**
 * GET /sync: the one WebSocket per client. Refused before the upgrade when the Origin is not allowed
 * (cross-site WebSocket hijacking; browsers always send Origin) or there is no live session (T10, T11).
 * Upgrades are limited per account, and those with no live session per address, answered 429 with
 * Retry-After (P10): each socket costs a session lookup, a WELCOME and a presence snapshot, and a fresh
 * socket is where a flood would start.
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
  handshakes: {
    perAccount: { rate: number; burst: number };
    perAddress: { rate: number; burst: number };
  };
  /** The client's address as logins see it (behind TRUST_PROXY, the forwarded one, T10). */
  clientAddress: ClientAddress;
  now: () => number;
}) {
  const perAccount = createKeyedBuckets({ ...d.handshakes.perAccount, now: d.now });
  const perAddress = createKeyedBuckets({ ...d.handshakes.perAddress, now: d.now });
  const tooMany = (c: Context<HonoEnv>, waitMs: number): Response => {
    c.header('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
    return c.json(
      { error: 'too-many-connections', message: 'Too many connections; try again shortly.' },
      429,
    );
  };
  const guard: MiddlewareHandler<HonoEnv> = async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !d.allowedOrigins.includes(origin))
      return c.json({ error: 'bad-origin', message: 'This site may not connect.' }, 403);
    const token = getCookie(c, 'cr_session' satisfies typeof SESSION_COOKIE);
    const s = token ? d.sessions.lookup(token) : null;
    const u = s ? d.users.get(s.userId) : null;
    if (!s || !u || !u.active) {
      // Only upgrades with no live session are charged to the address: a college shares one NAT address,
      // and a script hammering /sync with no session must not use up the allowance of everyone's devices
      // behind it (those are bounded per account below).
      const address = d.clientAddress(getConnInfo(c).remote.address, (name) => c.req.header(name));
      const addressWait = perAddress.take(address);
      if (addressWait > 0) return tooMany(c, addressWait);
      const reason = whySessionEnded(d.sessions, d.users, token);
      if (!wipesDevice(reason)) return c.json({ error: reason, message: 'Log in to connect.' }, 401);
      c.set('ended', reason);
      return next();
    }
    const accountWait = perAccount.take(u.id);
    if (accountWait > 0) return tooMany(c, accountWait);
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
