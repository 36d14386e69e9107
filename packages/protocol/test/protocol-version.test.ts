import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FRAME,
  NOTICE_KINDS,
  PROTOCOL_VERSION,
  REFUSAL_CODES,
  SOCKET_ERROR_CODES,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  decodeMessage,
  encodeMessage,
} from '../src/index.ts';
import type { Frame } from '../src/index.ts';

/**
 * A golden test of the wire encoding, in the spirit of Replicache's protocol-version test: one frame of every
 * type with fixed values is encoded and hashed. When the bytes change, the protocol changed, and clients in
 * the field (an installed PWA keeps its old code until it updates) would misread the new server.
 *
 * If this test fails and the change is intended:
 *   1. bump PROTOCOL_VERSION in packages/protocol/src/version.ts,
 *   2. add a line to the history in that file saying what changed on the wire,
 *   3. set GOLDEN below to the new version and hash (the failure message prints both).
 */

const GOLDEN = {
  version: 5,
  sha256: '6e6f6b4f2c6126733368349b14068fb59a0c6ca644e6624aae6f3dc7436b0a74',
};

/** The codes of version 5 (version 4's with `bad-attachment`), as codes.ts lists them (the hash of their JSON). */
const GOLDEN_CODES = {
  version: 5,
  sha256: '07df63de162acc2ec7ca280a6187071dd35e591425567bd570014a3eeb93d491',
};

/** One frame of every type. Values exercise multi-byte varints, multi-byte UTF-8 and empty fields. */
const FRAMES: Frame[] = [
  { type: 'hello', version: 1, client: 'commonroom-pwa/0.1.0' },
  { type: 'welcome', version: 1, userId: 'u_7Kq2', serverTime: 1_760_000_000_123 },
  { type: 'sync', doc: 'c/general/0/u/u_7Kq2', ref: 0, syncType: SYNC_STEP1, payload: Uint8Array.of(0) },
  {
    type: 'sync',
    doc: 'c/general/0/idx',
    ref: 300,
    syncType: SYNC_STEP2,
    payload: Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff),
  },
  {
    type: 'sync',
    doc: 'c/general/3/mod',
    ref: 2 ** 40 + 5,
    syncType: SYNC_UPDATE,
    payload: Uint8Array.of(1, 1, 0xa7, 0xe1, 0x8b, 0x09, 0, 0x08),
    actions: ['a_Zr81kQ', 'a_é2'],
  },
  { type: 'ack', ref: 16_384 },
  {
    type: 'reject',
    ref: 127,
    doc: 'c/dm_x/0/u/u_1',
    code: 'not-your-document',
    message: 'vous ne pouvez pas ✋',
  },
  { type: 'unsubscribe', doc: 'c/general/0/u/u_7Kq2' },
  { type: 'revoked', doc: 'c/private/1/idx', reason: '' },
  { type: 'presenceSet', dnd: true, emoji: '📚', text: 'In a lesson until 3', until: 1_760_003_600_000 },
  {
    type: 'presence',
    userId: 'u_9',
    status: 'away',
    emoji: '🏳️‍🌈',
    text: 'Ünterwegs',
    until: 0,
    lastSeen: 1_760_000_999_999,
  },
  { type: 'typingSet', conversationId: 'general', parent: 'u_9/m_1' },
  { type: 'typing', conversationId: 'general', parent: '', userId: 'u_9', active: false },
  { type: 'notice', kind: 'conversation-changed', json: '{"id":"general","segment":1}' },
  { type: 'error', code: 'bad-status', message: 'a status may not end in the past' },
  { type: 'deviceState', state: 'hidden', showing: 'dm_ab' },
];

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('protocol version', () => {
  it('the golden list holds one frame of every type', () => {
    expect([...new Set(FRAMES.map((f) => f.type))].sort()).toEqual(Object.keys(FRAME).sort());
  });

  it('the golden bytes decode to the golden frames', () => {
    expect(decodeMessage(encodeMessage(FRAMES))).toEqual({ ok: true, frames: FRAMES });
  });

  it('the wire encoding has not changed without a PROTOCOL_VERSION bump', () => {
    const actual = { version: PROTOCOL_VERSION, sha256: sha256(encodeMessage(FRAMES)) };
    if (actual.version === GOLDEN.version && actual.sha256 !== GOLDEN.sha256)
      expect.fail(
        `The wire encoding changed (sha256 ${actual.sha256}, expected ${GOLDEN.sha256}) but PROTOCOL_VERSION ` +
          `is still ${PROTOCOL_VERSION}. Bump PROTOCOL_VERSION in packages/protocol/src/version.ts, add a ` +
          `history line there saying what changed on the wire, then set GOLDEN in this test to ` +
          `{ version: ${PROTOCOL_VERSION + 1}, sha256: '<the new hash>' }.`,
      );
    if (actual.version !== GOLDEN.version)
      expect.fail(
        `PROTOCOL_VERSION is ${actual.version} but this test's GOLDEN is for version ${GOLDEN.version}. If the ` +
          `bump is intended, make sure packages/protocol/src/version.ts has a history line for it, then set ` +
          `GOLDEN to { version: ${actual.version}, sha256: '${actual.sha256}' }.`,
      );
    expect(actual).toEqual(GOLDEN);
  });

  it('the codes on the wire (refusals, socket errors, notices) have not changed without a bump', () => {
    // An engine acts on each refusal code (answers.ts settle) and decodes only the codes it knows: a code
    // added, renamed or removed is a change an installed PWA would mishandle, so it is a version bump too.
    const codes = { REFUSAL_CODES, SOCKET_ERROR_CODES, NOTICE_KINDS };
    const actual = {
      version: PROTOCOL_VERSION,
      sha256: sha256(new TextEncoder().encode(JSON.stringify(codes))),
    };
    if (actual.version === GOLDEN_CODES.version && actual.sha256 !== GOLDEN_CODES.sha256)
      expect.fail(
        `The codes in packages/protocol/src/codes.ts changed (sha256 ${actual.sha256}) but PROTOCOL_VERSION ` +
          `is still ${PROTOCOL_VERSION}. Bump it with a history line, then set GOLDEN_CODES to ` +
          `{ version: ${PROTOCOL_VERSION + 1}, sha256: '<the new hash>' }.`,
      );
    expect(actual).toEqual(GOLDEN_CODES);
  });

  it('the version history in version.ts has a line for the current version', () => {
    const src = readFileSync(new URL('../src/version.ts', import.meta.url), 'utf8');
    expect(src, `add a history line "${PROTOCOL_VERSION} — …" to packages/protocol/src/version.ts`).toMatch(
      new RegExp(`^\\s*\\*\\s*${PROTOCOL_VERSION}\\s+—`, 'm'),
    );
  });
});
