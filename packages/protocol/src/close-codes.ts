/**
 * WebSocket close codes, one per kind of failure, so a client (and a log reader) knows exactly why.
 * 4000–4099 mean "do not retry until something changes"; 4100+ mean "retry with backoff".
 */
export const CLOSE = {
  /** The client speaks a protocol version this server does not. */
  versionMismatch: 4000,
  /** No valid session, or it expired: log in again. */
  unauthenticated: 4001,
  /**
   * The session was ended on purpose: logged out, password reset or changed elsewhere, account deactivated,
   * signed out everywhere. The close reason starts with a SESSION_END word (session-end.ts).
   */
  sessionRevoked: 4002,
  /** A frame could not be decoded, or broke a structural limit. */
  malformedFrame: 4003,
  /** HELLO did not arrive in time. */
  helloTimeout: 4004,
  /** Too many sockets open for this user. */
  tooManySockets: 4005,
  /** The client sent too much too fast; it may retry after backing off. */
  rateLimited: 4100,
  /** The server is shutting down; reconnect shortly. */
  serverShutdown: 4101,
  /** Sent by a client: it could not read a server message (a newer server?); it retries with backoff. */
  unreadableServerMessage: 4102,
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** Codes after which a client should not reconnect on its own. */
export function isTerminalClose(code: number): boolean {
  return code >= 4000 && code < 4100;
}
