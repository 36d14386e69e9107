import {
  CLOSE,
  isSessionEndReason,
  SESSION_END,
  wipesDevice,
  type SessionEndReason,
} from '@commonroom/protocol';

/**
 * Notices, from what the server says, that this device's session is gone and why (THREAT_MODEL T10), and
 * tells the app once. Only the server's own words count: a 401 whose body names a SESSION_END reason, or a
 * 4001/4002 close. A network error, a captive portal's page or a refused upgrade with no words says nothing,
 * so nothing is wiped on a bad connection.
 */

export type SessionEnded = {
  reason: SessionEndReason;
  /** Deactivated or signed out everywhere: the app clears everything of this account from the device. */
  wipe: boolean;
};

export type SessionEndWatch = ReturnType<typeof createSessionEndWatch>;

/** The reason a close code and reason carry, or null when the close is not about the session. */
export function sessionEndOfClose(code: number | undefined, reason = ''): SessionEndReason | null {
  if (code === CLOSE.unauthenticated) return SESSION_END.notLoggedIn;
  if (code !== CLOSE.sessionRevoked) return null;
  // "word" or "word: words for a log reader"; an older server's free text is a plain revocation.
  const word = reason.split(':')[0]?.trim() ?? '';
  return isSessionEndReason(word) ? word : SESSION_END.revoked;
}

/** The reason an HTTP failure carries: only a 401 whose `error` is one of the SESSION_END words. */
export function sessionEndOfHttp(status: number, code: string): SessionEndReason | null {
  return status === 401 && isSessionEndReason(code) ? code : null;
}

export function createSessionEndWatch() {
  let ended: SessionEnded | null = null;
  /** Set while this device signs out on its own: the server's answer to that is not news. */
  let leaving = false;
  const listeners = new Set<(e: SessionEnded) => void>();
  const raise = (reason: SessionEndReason | null): void => {
    if (reason === null || leaving) return;
    // Told once; but a wiping end heard after a milder one (an expiry, then the account deactivated) still
    // wipes: it is what the server says now, and what the device must act on (T10).
    if (ended !== null && (ended.wipe || !wipesDevice(reason))) return;
    ended = { reason, wipe: wipesDevice(reason) };
    for (const l of [...listeners]) l(ended);
  };
  return {
    fromClose: (code: number | undefined, reason?: string): void => raise(sessionEndOfClose(code, reason)),
    fromHttp: (status: number, code: string): void => raise(sessionEndOfHttp(status, code)),
    /** Listens for the end; a listener added after it hears it at once (the app may subscribe late). */
    onEnded(listener: (e: SessionEnded) => void): () => void {
      listeners.add(listener);
      if (ended) listener(ended);
      return () => listeners.delete(listener);
    },
    ended: (): SessionEnded | null => ended,
    /** This device is signing out itself (logout). */
    leaving(): void {
      leaving = true;
    },
    /** A new sign-in: the next end is news again. */
    reset(): void {
      ended = null;
      leaving = false;
    },
  };
}
