import {
  CLOSE,
  LIMITS,
  PROTOCOL_VERSION,
  SESSION_END,
  decodeMessage,
  encodeFrames,
  type Frame,
  type FrameOf,
  type NoticeKind,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { ServerLimits } from '../config.ts';
import type { Timers } from '../timers.ts';
import type { Actor } from '../auth/policy.ts';
import type { Presence } from '../rooms/presence.ts';
import type { PresenceCircle } from '../rooms/presence-circle.ts';
import type { StoredMessage } from '../rooms/stored-message.ts';
import type { SyncRooms } from '../rooms/sync-rooms.ts';
import { createHubSession, type HubSession, type RawSocket } from './hub-session.ts';
import { createPresenceRelay } from './presence-relay.ts';
import { choiceProblem } from './presence-choice.ts';
import { createTokenBucket } from './rate-limit.ts';
import { createTypingRelay } from './typing-relay.ts';

/**
 * The socket edge. Every byte from the network is decoded here with limits; every failure closes only the
 * offending socket with a specific code (docs/PROTOCOL.md P1, P10); nothing thrown escapes a callback.
 */

export type Connection = {
  message(data: unknown): void;
  closed(): void;
};

export type SocketHub = ReturnType<typeof createSocketHub>;

/**
 * How long frames sent `soon` may wait for a message to ride with: short enough that a reader shows a new
 * message in its place well within a frame or two of the screen, long enough that at a few messages a
 * second in a channel most index places share the next message's write.
 */
const SOON_MS = 10;

export function createSocketHub(deps: {
  rooms: SyncRooms;
  presence: Presence;
  /** Whose presence each person hears (P9). */
  circle: PresenceCircle;
  log: Logger;
  now: () => number;
  timers: Timers;
  limits: ServerLimits;
  /** Looks the account up fresh: role changes and deactivation apply to open sockets. */
  currentActor: (userId: string) => Actor | null;
}) {
  const { rooms, presence, log, now, timers } = deps;
  const byUser = new Map<string, Set<HubSession>>();
  const buckets = new Map<
    string,
    { messages: ReturnType<typeof createTokenBucket>; bytes: ReturnType<typeof createTokenBucket> }
  >();
  let nextId = 1;

  const typing = createTypingRelay({ rooms, now, intervalMs: deps.limits.typingIntervalMs });

  /**
   * Sockets with queued frames. They are flushed once the current turn's synchronous work is done (a
   * microtask), so a group commit's acknowledgements and relays, or the answers to one incoming message,
   * leave as one WebSocket message per socket: a socket write costs more than everything else per message.
   */
  let toFlush = new Set<HubSession>();
  /**
   * Flushes each socket of a set taken whole: one that throws (its end's bookkeeping, say) must not leave
   * the rest holding frames with a flush they believe is queued.
   */
  const flushEach = (sessions: Set<HubSession>): void => {
    for (const s of sessions)
      try {
        s.flush();
      } catch (err) {
        log.error({ err }, 'flushing a socket failed');
      }
  };
  const flushQueued = (): void => {
    const now = toFlush;
    toFlush = new Set();
    flushEach(now);
  };
  const queueFlush = (s: HubSession): void => {
    if (toFlush.size === 0) queueMicrotask(flushQueued);
    toFlush.add(s);
  };
  /**
   * Sockets holding only frames that may wait (`soon`: index places, relayed once durable, a turn after the
   * messages they place). Under load the next message's relay carries them in the same write; otherwise
   * they leave after SOON_MS. Halves the socket writes of a busy channel's readers.
   */
  let soon = new Set<HubSession>();
  let soonTimer: ReturnType<typeof setTimeout> | null = null;
  const flushSoon = (): void => {
    soonTimer = null;
    const now = soon;
    soon = new Set();
    flushEach(now);
  };
  const queueSoon = (s: HubSession): void => {
    soon.add(s);
    soonTimer ??= timers.setTimeout(flushSoon, SOON_MS);
  };

  const presenceRelay = createPresenceRelay({
    presence,
    circle: deps.circle,
    sessionsOf: (id) => byUser.get(id) ?? [],
    timers,
  });
  const announcePresence = presenceRelay.announce;

  const broadcastAll = (frames: Frame[]): void => {
    const part = encodeFrames(frames);
    for (const set of byUser.values()) for (const s of set) if (s.helloed) s.sendEncoded(part);
  };

  /** The first frame of a socket: HELLO with our protocol version, answered with WELCOME and its circle's presence. */
  const handleHello = (session: HubSession, userId: string, f: Frame): void => {
    if (f.type !== 'hello') {
      session.close(CLOSE.malformedFrame, 'expected hello first');
      return;
    }
    if (f.version !== PROTOCOL_VERSION) {
      session.send([
        { type: 'error', code: 'version-mismatch', message: `server speaks protocol ${PROTOCOL_VERSION}` },
      ]);
      session.close(CLOSE.versionMismatch, `server speaks protocol ${PROTOCOL_VERSION}`);
      return;
    }
    session.helloed = true;
    const changed = presence.connect(userId, { id: session.id, tokenHash: session.tokenHash });
    session.send([{ type: 'welcome', version: PROTOCOL_VERSION, userId, serverTime: now() }]);
    presenceRelay.snapshot(session, userId);
    if (changed) announcePresence(userId);
  };

  /** The person's own choice (DND, a custom status): checked, stored, and shown to their circle. */
  const choosePresence = (session: HubSession, userId: string, f: FrameOf<'presenceSet'>): void => {
    const problem = choiceProblem(f, now());
    if (problem) {
      session.send([{ type: 'error', code: 'bad-status', message: problem }]);
      return;
    }
    if (presence.choose(userId, { dnd: f.dnd, emoji: f.emoji, text: f.text.trim(), until: f.until }))
      announcePresence(userId);
  };

  /** One decoded frame from a socket, after its HELLO. */
  const handleFrame = (session: HubSession, userId: string, f: Frame): void => {
    if (!session.helloed) return handleHello(session, userId, f);
    switch (f.type) {
      case 'sync':
        rooms.handleSync(session, f);
        return;
      case 'unsubscribe':
        rooms.unsubscribe(session, f.doc);
        return;
      case 'presenceSet':
        return choosePresence(session, userId, f);
      case 'deviceState':
        if (presence.report(userId, session.id, f.state, f.showing)) announcePresence(userId);
        return;
      case 'typingSet':
        return typing.relay(session, userId, f.conversationId, f.parent);
      case 'hello':
        session.close(CLOSE.malformedFrame, 'hello sent twice');
        return;
      default:
        session.close(CLOSE.malformedFrame, `a client may not send ${f.type}`);
    }
  };

  /** The per-person allowance of socket messages and bytes (P10), shared by all their sockets. */
  const bucketOf = (userId: string) => {
    let bucket = buckets.get(userId);
    if (!bucket) {
      bucket = {
        messages: createTokenBucket(deps.limits.messagesPerSecond, deps.limits.messageBurst, now),
        bytes: createTokenBucket(deps.limits.bytesPerSecond, deps.limits.byteBurst, now),
      };
      buckets.set(userId, bucket);
    }
    return bucket;
  };

  /** One socket message: counted against the allowance, decoded with limits, then frame by frame. */
  const receive = (session: HubSession, userId: string, data: unknown): void => {
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
      session.close(CLOSE.malformedFrame, 'binary frames only');
      return;
    }
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // Counted from the first byte, HELLO included, before any decoding: a fresh socket's first message
    // is the person's like any other, or opening sockets would be a way around the limits (P10).
    const bucket = bucketOf(userId);
    if (!bucket.messages.take(1) || !bucket.bytes.take(bytes.length)) {
      log.warn({ user: userId }, 'rate limited; closing socket');
      session.close(CLOSE.rateLimited, 'too many messages; slow down');
      return;
    }
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      log.warn({ user: userId, reason: decoded.error }, 'malformed message; closing socket');
      session.close(CLOSE.malformedFrame, decoded.error.slice(0, 120));
      return;
    }
    for (const f of decoded.frames) {
      if (!session.isOpen) return;
      handleFrame(session, userId, f);
    }
  };

  const open = (
    raw: RawSocket,
    auth: { userId: string; tokenHash: string; expiresAt: number },
  ): Connection => {
    const actor = deps.currentActor(auth.userId);
    const socket = createHubSession({
      id: nextId++,
      raw,
      auth,
      currentActor: () => deps.currentActor(auth.userId),
      actor,
      log,
      timers,
      now,
      queueFlush,
      queueSoon,
      onEnd: (session) => {
        rooms.dropSession(session);
        const set = byUser.get(auth.userId);
        set?.delete(session);
        if (set && set.size === 0) byUser.delete(auth.userId);
        if (session.helloed && presence.disconnect(auth.userId, session.id)) announcePresence(auth.userId);
      },
    });
    const { session, finish } = socket;

    if (!actor) {
      session.close(CLOSE.sessionRevoked, SESSION_END.deactivated);
      return { message: () => undefined, closed: finish };
    }
    const mine = byUser.get(auth.userId) ?? new Set<HubSession>();
    if (mine.size >= LIMITS.maxSocketsPerUser) {
      log.warn({ user: auth.userId }, 'too many sockets');
      session.close(CLOSE.tooManySockets, `at most ${LIMITS.maxSocketsPerUser} connections per person`);
      return { message: () => undefined, closed: finish };
    }
    mine.add(session);
    byUser.set(auth.userId, mine);
    bucketOf(auth.userId);
    socket.timeout(() => {
      if (!session.helloed) session.close(CLOSE.helloTimeout, 'no hello in time');
    }, deps.limits.helloDeadlineMs);
    session.expireAt(auth.expiresAt);

    return {
      message(data) {
        try {
          if (!session.isOpen) return;
          receive(session, auth.userId, data);
        } catch (err) {
          log.error({ err, user: auth.userId }, 'socket handler failed');
          session.close(1011, 'internal error');
        }
      },
      closed() {
        if (!socket.closedByUs()) log.debug({ user: auth.userId }, 'socket closed by peer');
        finish();
      },
    };
  };

  const sessionsOf = (userId: string): HubSession[] => [...(byUser.get(userId) ?? [])];

  return {
    open,
    sessionsOf,
    /** Closes every socket of a user within the call (logout everywhere, deactivation). */
    closeUser(userId: string, code: number, reason: string): void {
      for (const s of sessionsOf(userId)) s.close(code, reason);
    },
    closeSession(tokenHash: string, code: number, reason: string): void {
      for (const set of byUser.values())
        for (const s of [...set]) if (s.tokenHash === tokenHash) s.close(code, reason);
    },
    /**
     * The session length changed (T10): every open socket's session is looked up again (`expiryOf` its
     * token's hash: the new end, or null when it has none). A socket whose session has now ended closes at
     * once with 4001 `not-logged-in`; the others keep their new end (a longer length stretches nothing:
     * sessions.ts). Without this an open socket kept the end it had when it connected.
     */
    recheckExpiry(expiryOf: (tokenHash: string) => number | null): void {
      for (const set of [...byUser.values()])
        for (const s of [...set]) {
          const at = expiryOf(s.tokenHash);
          if (at === null || at <= now())
            s.close(CLOSE.unauthenticated, `${SESSION_END.notLoggedIn}: the session length was shortened`);
          else s.expireAt(at);
        }
    },
    /** Messages just stored: their authors' typing hints end there at once (typing-relay.ts). */
    messagesStored: (list: readonly StoredMessage[]): void => typing.stored(list),
    notify(userIds: Iterable<string>, kind: NoticeKind, payload: unknown): void {
      const part = encodeFrames([{ type: 'notice', kind, json: JSON.stringify(payload) }]);
      for (const id of userIds) for (const s of sessionsOf(id)) if (s.helloed) s.sendEncoded(part);
    },
    notifyAll(kind: NoticeKind, payload: unknown): void {
      broadcastAll([{ type: 'notice', kind, json: JSON.stringify(payload) }]);
    },
    closeAll(code: number, reason: string): void {
      for (const set of [...byUser.values()]) for (const s of [...set]) s.close(code, reason);
      presenceRelay.dispose();
      // Every socket is closed (each sent what waited first): nothing is left for the soon flush.
      if (soonTimer !== null) timers.clearTimeout(soonTimer);
      soonTimer = null;
      soon = new Set();
    },
    socketCount(): number {
      let n = 0;
      for (const set of byUser.values()) n += set.size;
      return n;
    },
  };
}
