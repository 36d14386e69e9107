/**
 * The wire protocol version, sent in the first frame of every socket.
 *
 * History (one line per bump; `protocol-version.test.ts` fails when the encoding changes without one):
 * 1 — first version: HELLO/WELCOME, per-document y-protocols sync messages with acknowledgement refs,
 *     REJECT, REVOKED, presence and typing frames, NOTICE.
 * 2 — SYNC frames carry the ids of the actions their update holds (a count, then strings, before the
 *     payload), so the server stores each action once (P14); a step 2 answering a step 1 carries its ref.
 * 3 — the same bytes, new meanings an older engine would mishandle (issue 12): the refusals `slow-down`
 *     (wait and send again), `too-costly` (rebuild and send again) and `too-many-messages` (at most 20 new
 *     messages an update), which an engine of version 2 would take as the action's fault and drop; and a
 *     4002 close whose reason says why the session ended (a device wipes itself on two of them, T10).
 * 4 — presence and typing (issue 15 §3, §4): PRESENCE_SET carries the person's choice (do not disturb, an
 *     emoji, a text, an expiry), PRESENCE the aggregate state (online, away, dnd, offline) with those and
 *     last seen; TYPING_SET and TYPING name the thread (parent key), TYPING says whether it stopped; new
 *     DEVICE_STATE (14) reports a device's state and the conversation it shows, to the server only.
 * 5 — the refusal `bad-attachment` (issue 17): a new message's files are not the author's own complete
 *     uploads to that conversation, or are in another message already; an engine of version 4 could not
 *     decode it.
 */
export const PROTOCOL_VERSION = 5;
