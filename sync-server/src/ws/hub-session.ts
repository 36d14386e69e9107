import {
  CLOSE,
  LIMITS,
  SESSION_END,
  encodeFrames,
  joinFrames,
  type EncodedFrames,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { Actor } from '../auth/policy.ts';
import type { Session } from '../rooms/session.ts';
import type { Timers } from '../timers.ts';

/** What the hub needs of a socket: hono's WSContext fits. */
export type RawSocket = {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount?: number;
};

/** A socket that keeps more than this unsent is too slow to keep up; it is closed and will catch up later. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One socket as the hub keeps it: the rooms' Session, plus its sign-in, its queue and its end. */
export type HubSession = Session & {
  tokenHash: string;
  /** Sets when this socket's session ends (at open, and again when an admin changes the length: T10). */
  expireAt(at: number): void;
  helloed: boolean;
  isOpen: boolean;
  /** Frames queued, sent together by flush(): at the end of this turn, or soon for `soon` frames alone. */
  out: EncodedFrames[];
  flush(): void;
};

/**
 * One socket's session: frames queued per turn and flushed together (`queueFlush` schedules the flush),
 * a socket too far behind closed, the sign-in's expiry as a timer, and one end however it comes (`finish`:
 * closed by us or by the peer), after which `onEnd` lets the hub forget it.
 */
export function createHubSession(d: {
  id: number;
  raw: RawSocket;
  auth: { userId: string; tokenHash: string };
  /** The account as it is now (role changes apply to open sockets), or null when it is gone. */
  currentActor: () => Actor | null;
  /** The account as it was when the socket opened. */
  actor: Actor | null;
  log: Logger;
  timers: Timers;
  now: () => number;
  queueFlush: (s: HubSession) => void;
  /** Flushes `s` within a few milliseconds unless something sent now flushes it first. */
  queueSoon: (s: HubSession) => void;
  onEnd: (s: HubSession) => void;
}) {
  const { raw, log, timers } = d;
  let closedByUs = false;
  /** Timers that end with the socket (the hello deadline). */
  const timersToClear: ReturnType<typeof setTimeout>[] = [];
  let expiry: ReturnType<typeof setTimeout> | null = null;
  /** Whether a flush is queued for the end of this turn, or a soon one. */
  let flushNow = false;
  let flushSoon = false;
  const session: HubSession = {
    id: d.id,
    get actor(): Actor {
      return d.currentActor() ?? d.actor ?? { id: d.auth.userId, role: 'student' };
    },
    subscriptions: new Set(),
    tokenHash: d.auth.tokenHash,
    helloed: false,
    isOpen: true,
    out: [],
    send(frames) {
      // Parts of at most maxFramesPerMessage frames: a client reads at most that many frames per message.
      for (let i = 0; i < frames.length; i += LIMITS.maxFramesPerMessage)
        this.sendEncoded(encodeFrames(frames.slice(i, i + LIMITS.maxFramesPerMessage)));
    },
    sendEncoded(part, when = 'now') {
      if (!session.isOpen) return;
      session.out.push(part);
      if (when === 'now') {
        if (!flushNow) d.queueFlush(session);
        flushNow = true;
      } else if (!flushNow && !flushSoon) {
        d.queueSoon(session);
        flushSoon = true;
      }
    },
    flush() {
      flushNow = false;
      flushSoon = false;
      const parts = session.out;
      if (parts.length === 0) return;
      session.out = [];
      if (!session.isOpen) return;
      if ((raw.bufferedAmount ?? 0) > MAX_BUFFERED_BYTES) {
        session.close(CLOSE.rateLimited, 'too far behind; reconnect to catch up');
        return;
      }
      try {
        for (const m of joinFrames(parts)) raw.send(m);
      } catch (err) {
        log.debug({ err }, 'send failed');
      }
    },
    expireAt(at) {
      if (!session.isOpen) return;
      if (expiry !== null) timers.clearTimeout(expiry);
      // A plain expiry: the device signs in again and keeps its unsent work (PROTOCOL "Why a session ended").
      expiry = timers.setTimeout(
        () => session.close(CLOSE.unauthenticated, `${SESSION_END.notLoggedIn}: session expired`),
        Math.min(MAX_TIMER_MS, Math.max(0, at - d.now())),
      );
    },
    close(code, reason) {
      if (!session.isOpen) return;
      // What was queued before the close (an ERROR saying why) goes first.
      session.flush();
      if (!session.isOpen) return;
      closedByUs = true;
      try {
        raw.close(code, reason);
      } catch (err) {
        log.debug({ err }, 'close failed');
      }
      finish();
    },
  };
  const finish = (): void => {
    if (!session.isOpen) return;
    session.isOpen = false;
    timersToClear.forEach((t) => timers.clearTimeout(t));
    if (expiry !== null) timers.clearTimeout(expiry);
    d.onEnd(session);
  };
  return {
    session,
    finish,
    /** Whether the socket ended because the server closed it (not the peer). */
    closedByUs: (): boolean => closedByUs,
    /** Runs `f` after `ms` unless the socket has ended by then. */
    timeout(f: () => void, ms: number): void {
      timersToClear.push(timers.setTimeout(f, ms));
    },
  };
}
