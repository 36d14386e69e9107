/**
 * Why a session is gone, as the server says it: the `error` code of an HTTP 401 body and the reason of a
 * 4001/4002 socket close are one of these words (docs/PROTOCOL.md "Close codes", THREAT_MODEL T10).
 * A device wipes itself only on the two words that say so, never on a network error, a captive portal's
 * page or a plain expiry, where unsent work must survive until the person signs in again.
 */
export const SESSION_END = {
  /** The account was deactivated by an admin: the device forgets everything of it. */
  deactivated: 'account-deactivated',
  /** The person, or an admin for them, signed out on every device: the device forgets everything. */
  signedOutEverywhere: 'signed-out-everywhere',
  /** Ended for another reason (a password reset or change elsewhere): sign in again, keep unsent work. */
  revoked: 'session-revoked',
  /** No session, or it expired: sign in again, keep unsent work. */
  notLoggedIn: 'not-logged-in',
} as const;

export type SessionEndReason = (typeof SESSION_END)[keyof typeof SESSION_END];

const ALL: readonly string[] = Object.values(SESSION_END);

export const isSessionEndReason = (s: string): s is SessionEndReason => ALL.includes(s);

/** The two reasons after which a device clears its stored conversations, outbox, caches and drafts. */
export const wipesDevice = (r: SessionEndReason): boolean =>
  r === SESSION_END.deactivated || r === SESSION_END.signedOutEverywhere;
