import {
  isErrorFrameCode,
  isNoticeKind,
  isRefusalCode,
  type ErrorFrameCode,
  type NoticeKind,
  type RefusalCode,
} from './codes.ts';
import * as encoding from 'lib0/encoding';
import { ByteReader, DecodeError } from './byte-reader.ts';
import { LIMITS } from './limits.ts';

/** y-protocols/sync message types, carried per document inside SYNC frames. */
export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;
export type SyncType = typeof SYNC_STEP1 | typeof SYNC_STEP2 | typeof SYNC_UPDATE;

export const FRAME = {
  hello: 1,
  welcome: 2,
  sync: 3,
  ack: 4,
  reject: 5,
  unsubscribe: 6,
  revoked: 7,
  presenceSet: 8,
  presence: 9,
  typingSet: 10,
  typing: 11,
  notice: 12,
  error: 13,
  deviceState: 14,
} as const;

/** A person's presence as others see it (P9): the most present of their devices, or their choice of DND. */
export const PRESENCE_STATES = ['online', 'away', 'dnd', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];
/** What one device reports of itself: in use and visible, visible but untouched for a while, or hidden. */
export const DEVICE_STATES = ['active', 'idle', 'hidden'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
const isPresenceState = (s: string): s is PresenceState => (PRESENCE_STATES as readonly string[]).includes(s);
const isDeviceState = (s: string): s is DeviceState => (DEVICE_STATES as readonly string[]).includes(s);

export type Frame =
  | { type: 'hello'; version: number; client: string }
  | { type: 'welcome'; version: number; userId: string; serverTime: number }
  /**
   * ref 0 asks for no acknowledgement; any other ref is answered by ACK or REJECT once durable. `actions`
   * names the user's actions the update carries (P14): the server stores each once, however often a
   * device rebuilds and re-applies it.
   */
  | {
      type: 'sync';
      doc: string;
      ref: number;
      syncType: SyncType;
      payload: Uint8Array;
      actions?: readonly string[];
    }
  | { type: 'ack'; ref: number }
  | { type: 'reject'; ref: number; doc: string; code: RefusalCode; message: string }
  | { type: 'unsubscribe'; doc: string }
  | { type: 'revoked'; doc: string; reason: string }
  /**
   * The person's own choice, kept by the server until they change it (P9): do not disturb, and a custom
   * status (emoji and text) until a time (`until`, the server's clock; 0: until changed).
   */
  | { type: 'presenceSet'; dnd: boolean; emoji: string; text: string; until: number }
  /** `lastSeen`: when they were last connected (0: never seen); `until` as in presenceSet. */
  | {
      type: 'presence';
      userId: string;
      status: PresenceState;
      emoji: string;
      text: string;
      until: number;
      lastSeen: number;
    }
  /** `parent`: the thread's parent message key, or '' for the conversation itself. */
  | { type: 'typingSet'; conversationId: string; parent: string }
  /** `active` false: they stopped (their message arrived); otherwise it fades by itself. */
  | { type: 'typing'; conversationId: string; parent: string; userId: string; active: boolean }
  | { type: 'notice'; kind: NoticeKind; json: string }
  | { type: 'error'; code: ErrorFrameCode; message: string }
  /**
   * This device's state and the conversation it shows ('' for none), for the server only: never relayed.
   * The person's presence is made from their devices' states; a device showing a conversation is not
   * pushed its messages.
   */
  | { type: 'deviceState'; state: DeviceState; showing: string };

export type FrameOf<T extends Frame['type']> = Extract<Frame, { type: T }>;

const SHORT = 200;

/** A code from the wire, if it is one this protocol version has (codes.ts); otherwise the frame is bad. */
function known<T extends string>(s: string, is: (s: string) => s is T, what: string): T {
  if (!is(s)) throw new DecodeError(`unknown ${what}`);
  return s;
}

function writeFrame(e: encoding.Encoder, f: Frame): void {
  const payload = writeFrameHead(e, f);
  if (payload) encoding.writeUint8Array(e, payload);
}

/**
 * Writes a frame up to its payload's bytes (the length included) and returns the payload, if it has one,
 * so callers can place it straight into the message's buffer: subscription answers are mostly payload,
 * and a herd of sockets shares one cached payload.
 */
function writeFrameHead(e: encoding.Encoder, f: Frame): Uint8Array | null {
  encoding.writeVarUint(e, FRAME[f.type]);
  switch (f.type) {
    case 'hello':
      encoding.writeVarUint(e, f.version);
      encoding.writeVarString(e, f.client);
      return null;
    case 'welcome':
      encoding.writeVarUint(e, f.version);
      encoding.writeVarString(e, f.userId);
      encoding.writeVarUint(e, f.serverTime);
      return null;
    case 'sync':
      encoding.writeVarString(e, f.doc);
      encoding.writeVarUint(e, f.ref);
      encoding.writeVarUint(e, f.syncType);
      encoding.writeVarUint(e, f.actions?.length ?? 0);
      for (const a of f.actions ?? []) encoding.writeVarString(e, a);
      encoding.writeVarUint(e, f.payload.length);
      return f.payload;
    case 'ack':
      encoding.writeVarUint(e, f.ref);
      return null;
    case 'reject':
      encoding.writeVarUint(e, f.ref);
      encoding.writeVarString(e, f.doc);
      encoding.writeVarString(e, f.code);
      encoding.writeVarString(e, f.message);
      return null;
    case 'unsubscribe':
      encoding.writeVarString(e, f.doc);
      return null;
    case 'revoked':
      encoding.writeVarString(e, f.doc);
      encoding.writeVarString(e, f.reason);
      return null;
    case 'presenceSet':
      encoding.writeVarUint(e, f.dnd ? 1 : 0);
      encoding.writeVarString(e, f.emoji);
      encoding.writeVarString(e, f.text);
      encoding.writeVarUint(e, f.until);
      return null;
    case 'presence':
      encoding.writeVarString(e, f.userId);
      encoding.writeVarString(e, f.status);
      encoding.writeVarString(e, f.emoji);
      encoding.writeVarString(e, f.text);
      encoding.writeVarUint(e, f.until);
      encoding.writeVarUint(e, f.lastSeen);
      return null;
    case 'typingSet':
      encoding.writeVarString(e, f.conversationId);
      encoding.writeVarString(e, f.parent);
      return null;
    case 'typing':
      encoding.writeVarString(e, f.conversationId);
      encoding.writeVarString(e, f.parent);
      encoding.writeVarString(e, f.userId);
      encoding.writeVarUint(e, f.active ? 1 : 0);
      return null;
    case 'deviceState':
      encoding.writeVarString(e, f.state);
      encoding.writeVarString(e, f.showing);
      return null;
    case 'notice':
      encoding.writeVarString(e, f.kind);
      encoding.writeVarString(e, f.json);
      return null;
    case 'error':
      encoding.writeVarString(e, f.code);
      encoding.writeVarString(e, f.message);
      return null;
  }
}

const varUintSize = (n: number): number => {
  let size = 1;
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) size++;
  return size;
};

/** lib0's varuint, written into a buffer sized for it. */
const putVarUint = (buf: Uint8Array, at: number, n: number): number => {
  let v = n;
  let i = at;
  while (v > 0x7f) {
    buf[i++] = 0x80 | (v & 0x7f);
    v = Math.floor(v / 128);
  }
  buf[i++] = v;
  return i;
};

/**
 * The frames' bytes in one buffer of exactly their size, after `prefix` (a count) if given. Each payload
 * is copied once, straight from where it is (lib0's encoder would copy it into its chunks, then again into
 * the result).
 */
function encodeExact(frames: readonly Frame[], prefix: number | null): Uint8Array {
  const pieces: Uint8Array[] = [];
  let e = encoding.createEncoder();
  for (const f of frames) {
    const payload = writeFrameHead(e, f);
    if (payload && payload.length > 0) {
      pieces.push(encoding.toUint8Array(e), payload);
      e = encoding.createEncoder();
    }
  }
  if (encoding.length(e) > 0) pieces.push(encoding.toUint8Array(e));
  let size = prefix === null ? 0 : varUintSize(prefix);
  for (const p of pieces) size += p.length;
  const out = new Uint8Array(size);
  let at = prefix === null ? 0 : putVarUint(out, 0, prefix);
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encodes frames as one WebSocket message: a count, then each frame. */
export function encodeMessage(frames: readonly Frame[]): Uint8Array {
  return encodeExact(frames, frames.length);
}

/** Frames encoded once (for many sockets), to be joined with others into messages by `joinFrames`. */
export type EncodedFrames = { readonly count: number; readonly bytes: Uint8Array };

/** Encodes frames without the message's count, so the result can be joined with other encoded frames. */
export function encodeFrames(frames: readonly Frame[]): EncodedFrames {
  return { count: frames.length, bytes: encodeExact(frames, null) };
}

/**
 * Joins encoded frames, in order, into as few messages as the limits allow: at most
 * `LIMITS.maxFramesPerMessage` frames and `maxBytes` each (a part larger than `maxBytes` goes alone; a
 * part must itself hold at most `maxFramesPerMessage` frames). One socket write per message, not per part,
 * is what lets a server answer many writes at once cheaply.
 */
export function joinFrames(
  parts: readonly EncodedFrames[],
  maxBytes: number = LIMITS.maxFrameBytes,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Room for the message's frame count (a varuint: 2 bytes up to 16,383 frames), so a message of parts
  // that fit stays within `maxBytes` as a whole.
  const room = maxBytes - 2;
  let i = 0;
  while (i < parts.length) {
    let count = 0;
    let size = 0;
    let j = i;
    for (; j < parts.length; j++) {
      const p = parts[j] as EncodedFrames;
      if (j > i && (count + p.count > LIMITS.maxFramesPerMessage || size + p.bytes.length > room)) break;
      count += p.count;
      size += p.bytes.length;
    }
    const message = new Uint8Array(varUintSize(count) + size);
    let at = putVarUint(message, 0, count);
    for (let k = i; k < j; k++) {
      const bytes = (parts[k] as EncodedFrames).bytes;
      message.set(bytes, at);
      at += bytes.length;
    }
    out.push(message);
    i = j;
  }
  return out;
}

/** Size of a frame on the wire, for packing frames into messages below the frame limit. */
export function frameSize(f: Frame): number {
  const e = encoding.createEncoder();
  writeFrame(e, f);
  return encoding.length(e);
}

/**
 * Packs frames into as few messages as fit under `maxBytes` each. A single frame larger than the limit is
 * returned alone; the caller must split its content first (see `splitUpdate` in the engine).
 */
export function packMessages(
  frames: readonly Frame[],
  maxBytes: number = LIMITS.maxFrameBytes,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Frame[] = [];
  let size = 8;
  for (const f of frames) {
    const s = frameSize(f);
    if (batch.length > 0 && (size + s > maxBytes || batch.length >= LIMITS.maxFramesPerMessage)) {
      out.push(encodeMessage(batch));
      batch = [];
      size = 8;
    }
    batch.push(f);
    size += s;
  }
  if (batch.length > 0) out.push(encodeMessage(batch));
  return out;
}

function readSyncType(r: ByteReader): SyncType {
  const t = r.varUint();
  if (t !== SYNC_STEP1 && t !== SYNC_STEP2 && t !== SYNC_UPDATE)
    throw new DecodeError(`unknown sync type ${t}`);
  return t;
}

function readActionIds(r: ByteReader): string[] {
  const n = r.varUint();
  if (n > LIMITS.maxActionsPerFrame) throw new DecodeError('too many action ids in one frame');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.varString(LIMITS.maxActionIdLength);
    if (id.length === 0) throw new DecodeError('empty action id');
    ids.push(id);
  }
  return ids;
}

function readFlag(r: ByteReader): boolean {
  const v = r.varUint();
  if (v > 1) throw new DecodeError('a flag is 0 or 1');
  return v === 1;
}

function readFrame(r: ByteReader): Frame {
  const t = r.varUint();
  switch (t) {
    case FRAME.hello:
      return { type: 'hello', version: r.varUint(), client: r.varString(SHORT) };
    case FRAME.welcome:
      return { type: 'welcome', version: r.varUint(), userId: r.varString(SHORT), serverTime: r.varUint() };
    case FRAME.sync: {
      const doc = r.varString(LIMITS.maxDocNameLength);
      const ref = r.varUint();
      const syncType = readSyncType(r);
      const actions = readActionIds(r);
      const payload = r.varBytes();
      return actions.length > 0
        ? { type: 'sync', doc, ref, syncType, payload, actions }
        : { type: 'sync', doc, ref, syncType, payload };
    }
    case FRAME.ack:
      return { type: 'ack', ref: r.varUint() };
    case FRAME.reject:
      return {
        type: 'reject',
        ref: r.varUint(),
        doc: r.varString(LIMITS.maxDocNameLength),
        code: known(r.varString(SHORT), isRefusalCode, 'refusal code'),
        message: r.varString(2000),
      };
    case FRAME.unsubscribe:
      return { type: 'unsubscribe', doc: r.varString(LIMITS.maxDocNameLength) };
    case FRAME.revoked:
      return { type: 'revoked', doc: r.varString(LIMITS.maxDocNameLength), reason: r.varString(2000) };
    case FRAME.notice:
      return {
        type: 'notice',
        kind: known(r.varString(SHORT), isNoticeKind, 'notice kind'),
        json: r.varString(LIMITS.maxFrameBytes),
      };
    case FRAME.error:
      return {
        type: 'error',
        code: known(r.varString(SHORT), isErrorFrameCode, 'error code'),
        message: r.varString(2000),
      };
    default:
      return readEphemeralFrame(t, r);
  }
}

/** Presence, typing and a device's own state (P9): never stored, relayed only. */
function readEphemeralFrame(t: number, r: ByteReader): Frame {
  switch (t) {
    case FRAME.presenceSet:
      return {
        type: 'presenceSet',
        dnd: readFlag(r),
        emoji: r.varString(LIMITS.maxStatusEmojiLength),
        text: r.varString(LIMITS.maxStatusTextLength),
        until: r.varUint(),
      };
    case FRAME.presence:
      return {
        type: 'presence',
        userId: r.varString(SHORT),
        status: known(r.varString(SHORT), isPresenceState, 'presence state'),
        emoji: r.varString(LIMITS.maxStatusEmojiLength),
        text: r.varString(LIMITS.maxStatusTextLength),
        until: r.varUint(),
        lastSeen: r.varUint(),
      };
    case FRAME.typingSet:
      return { type: 'typingSet', conversationId: r.varString(SHORT), parent: r.varString(SHORT) };
    case FRAME.typing:
      return {
        type: 'typing',
        conversationId: r.varString(SHORT),
        parent: r.varString(SHORT),
        userId: r.varString(SHORT),
        active: readFlag(r),
      };
    case FRAME.deviceState:
      return {
        type: 'deviceState',
        state: known(r.varString(SHORT), isDeviceState, 'device state'),
        showing: r.varString(SHORT),
      };
    default:
      throw new DecodeError(`unknown frame type ${t}`);
  }
}

export type DecodeResult = { ok: true; frames: Frame[] } | { ok: false; error: string };

/**
 * Decodes one WebSocket message. Never throws: hostile bytes come back as `{ ok: false }`. `maxBytes` is the
 * limit on what a client sends (P10); a client reading the server passes a larger one, because the answer to
 * a subscribe carries a whole document, which can outgrow 64 KiB.
 */
export function decodeMessage(bytes: Uint8Array, maxBytes: number = LIMITS.maxFrameBytes): DecodeResult {
  if (bytes.length > maxBytes) return { ok: false, error: 'message too large' };
  try {
    const r = new ByteReader(bytes);
    const count = r.varUint();
    if (count === 0) return { ok: false, error: 'empty message' };
    if (count > LIMITS.maxFramesPerMessage) return { ok: false, error: 'too many frames in one message' };
    // Each frame takes at least one byte, so a count larger than the input is a lie.
    if (count > r.remaining) return { ok: false, error: 'frame count exceeds input' };
    const frames: Frame[] = [];
    for (let i = 0; i < count; i++) frames.push(readFrame(r));
    if (r.remaining !== 0) return { ok: false, error: 'trailing bytes after frames' };
    return { ok: true, frames };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e.message };
    return { ok: false, error: 'undecodable message' };
  }
}
