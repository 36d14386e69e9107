/**
 * The wire protocol version, sent in the first frame of every socket.
 *
 * History (one line per bump; `protocol-version.test.ts` fails when the encoding changes without one):
 * 1 — first version: HELLO/WELCOME, per-document y-protocols sync messages with acknowledgement refs,
 *     REJECT, REVOKED, presence and typing frames, NOTICE.
 * 2 — SYNC frames carry the ids of the actions their update holds (a count, then strings, before the
 *     payload), so the server stores each action once (P14); a step 2 answering a step 1 carries its ref.
 */
export const PROTOCOL_VERSION = 2;
