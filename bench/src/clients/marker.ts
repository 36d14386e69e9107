import { chatText } from './chat-text.ts';

/**
 * Every benchmark message carries its writer, sequence number and send time (CLOCK_MONOTONIC, which
 * process.hrtime reads and which all processes on the machine share) inside its text. Receivers find the
 * markers in the update bytes they get (Yjs writes strings as UTF-8, verbatim), so a relay that merges or
 * re-encodes updates is still measured per message.
 */

export const nowNs = (): bigint => process.hrtime.bigint();

export function messageText(writer: number, seq: number, sentNs: bigint): string {
  return `Bench message ${seq} from writer ${writer}: see you in room 4 after the break ~${writer}:${seq}@${sentNs}~`;
}

/**
 * The same marker after varied chat text (chat-text.ts), for the figures that count bytes; `part` tells
 * apart the messages one update carries.
 */
export function chatMessageText(writer: number, seq: number, sentNs: bigint, part = 0): string {
  return `${chatText(writer, seq * 1000 + part)} ~${writer}:${seq}@${sentNs}~`;
}

const MARKER = /~(\d+):(\d+)@(\d+)~/g;

export type Marker = { writer: number; seq: number; sentNs: bigint };

export function findMarkers(bytes: Uint8Array): Marker[] {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const out: Marker[] = [];
  for (const m of s.matchAll(MARKER))
    out.push({ writer: Number(m[1]), seq: Number(m[2]), sentNs: BigInt(m[3] ?? '0') });
  return out;
}
