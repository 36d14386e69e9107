/**
 * The wire protocol version, sent in the first frame of every socket.
 *
 * History (one line per bump; `protocol-version.test.ts` fails when the encoding changes without one):
 * 1 — first version: HELLO/WELCOME, per-document y-protocols sync messages with acknowledgement refs,
 *     REJECT, REVOKED, presence and typing frames, NOTICE.
 */
export const PROTOCOL_VERSION = 1;
