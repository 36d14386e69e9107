import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEVICE_STATES,
  FRAME,
  PRESENCE_STATES,
  LIMITS,
  NOTICE_KINDS,
  REFUSAL_CODES,
  SOCKET_ERROR_CODES,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  decodeMessage,
  encodeFrames,
  encodeMessage,
  frameSize,
  joinFrames,
  packMessages,
  type Frame,
} from '../src/index.ts';

/**
 * The wire format: every frame type survives encode → decode unchanged, packing respects the message limit,
 * and the decoder never throws on hostile bytes (docs/PROTOCOL.md P1).
 */

/** Decoder limits per field, in UTF-16 code units (see readFrame in src/frames.ts). */
const SHORT = 200;
const LONG = 2000;

// 'binary' strings are well-formed Unicode (no lone surrogates), so they survive UTF-8 unchanged.
const str = (maxLength: number, arbMax = Math.min(maxLength, 300)): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength: arbMax }).filter((s) => s.length <= maxLength);
const nat = fc.oneof(fc.nat({ max: 200 }), fc.maxSafeNat());
const payload = fc.uint8Array({ maxLength: 300 });
const syncType = fc.constantFrom(SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE);

const frameArbs: { [T in Frame['type']]: fc.Arbitrary<Extract<Frame, { type: T }>> } = {
  hello: fc.record({ type: fc.constant('hello'), version: nat, client: str(SHORT) }),
  welcome: fc.record({ type: fc.constant('welcome'), version: nat, userId: str(SHORT), serverTime: nat }),
  sync: fc.record(
    {
      type: fc.constant('sync'),
      doc: str(LIMITS.maxDocNameLength),
      ref: nat,
      syncType,
      payload,
      // Decoded frames name no actions rather than an empty list, so the arbitrary does the same.
      actions: fc.array(
        str(LIMITS.maxActionIdLength).filter((a) => a.length > 0),
        { minLength: 1, maxLength: 5 },
      ),
    },
    { requiredKeys: ['type', 'doc', 'ref', 'syncType', 'payload'] },
  ),
  ack: fc.record({ type: fc.constant('ack'), ref: nat }),
  reject: fc.record({
    type: fc.constant('reject'),
    ref: nat,
    doc: str(LIMITS.maxDocNameLength),
    code: fc.constantFrom(...REFUSAL_CODES),
    message: str(LONG),
  }),
  unsubscribe: fc.record({ type: fc.constant('unsubscribe'), doc: str(LIMITS.maxDocNameLength) }),
  revoked: fc.record({ type: fc.constant('revoked'), doc: str(LIMITS.maxDocNameLength), reason: str(LONG) }),
  presenceSet: fc.record({
    type: fc.constant('presenceSet'),
    dnd: fc.boolean(),
    emoji: str(LIMITS.maxStatusEmojiLength),
    text: str(LIMITS.maxStatusTextLength),
    until: nat,
  }),
  presence: fc.record({
    type: fc.constant('presence'),
    userId: str(SHORT),
    status: fc.constantFrom(...PRESENCE_STATES),
    emoji: str(LIMITS.maxStatusEmojiLength),
    text: str(LIMITS.maxStatusTextLength),
    until: nat,
    lastSeen: nat,
  }),
  typingSet: fc.record({ type: fc.constant('typingSet'), conversationId: str(SHORT), parent: str(SHORT) }),
  typing: fc.record({
    type: fc.constant('typing'),
    conversationId: str(SHORT),
    parent: str(SHORT),
    userId: str(SHORT),
    active: fc.boolean(),
  }),
  deviceState: fc.record({
    type: fc.constant('deviceState'),
    state: fc.constantFrom(...DEVICE_STATES),
    showing: str(SHORT),
  }),
  notice: fc.record({
    type: fc.constant('notice'),
    kind: fc.constantFrom(...NOTICE_KINDS),
    json: str(LIMITS.maxFrameBytes, 1000),
  }),
  error: fc.record({
    type: fc.constant('error'),
    code: fc.constantFrom(...REFUSAL_CODES, ...SOCKET_ERROR_CODES),
    message: str(LONG),
  }),
};

const anyFrame: fc.Arbitrary<Frame> = fc.oneof(...Object.values(frameArbs));

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** A lib0 varuint, written by hand so these tests do not trust the encoder they check. */
const varUint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push(0x80 | (n % 128));
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A one-frame HELLO message whose client string is `raw` (any bytes, declared with its true length). */
const helloWith = (raw: Uint8Array, declaredLength = raw.length): Uint8Array =>
  concat(bytes(1, FRAME.hello, 1, ...varUint(declaredLength)), raw);

const expectRefused = (b: Uint8Array, error: string | RegExp): void => {
  const r = decodeMessage(b);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(error);
};

describe('round trip', () => {
  it('has an arbitrary for every frame type', () => {
    expect(Object.keys(frameArbs).sort()).toEqual(Object.keys(FRAME).sort());
  });

  for (const [type, arb] of Object.entries(frameArbs)) {
    it(`${type}: decode(encode([f])) is [f], and frameSize is its size on the wire`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<Frame>, (f) => {
          const wire = encodeMessage([f]);
          expect(decodeMessage(wire)).toEqual({ ok: true, frames: [f] });
          expect(wire.length).toBe(frameSize(f) + 1);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a message of several frames of mixed types comes back in order', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { minLength: 1, maxLength: 30 }), (frames) => {
        const wire = encodeMessage(frames);
        fc.pre(wire.length <= LIMITS.maxFrameBytes);
        expect(decodeMessage(wire)).toEqual({ ok: true, frames });
      }),
      { numRuns: 300 },
    );
  });

  it('the limits themselves round-trip: strings at their maximum length, integers at MAX_SAFE_INTEGER', () => {
    const frames: Frame[] = [
      { type: 'hello', version: Number.MAX_SAFE_INTEGER, client: 'é'.repeat(SHORT) },
      {
        type: 'sync',
        doc: 'd'.repeat(LIMITS.maxDocNameLength),
        ref: Number.MAX_SAFE_INTEGER,
        syncType: SYNC_UPDATE,
        payload: new Uint8Array(1000).fill(0xff),
      },
      {
        type: 'presenceSet',
        dnd: false,
        emoji: '👩🏽‍🏫',
        text: '😀'.repeat(LIMITS.maxStatusTextLength / 2),
        until: 0,
      },
      { type: 'reject', ref: 1, doc: '', code: 'bad-shape', message: '\u{10ffff}'.repeat(LONG / 2) },
    ];
    expect(decodeMessage(encodeMessage(frames))).toEqual({ ok: true, frames });
  });

  it(`${LIMITS.maxFramesPerMessage} frames in one message decode; one more is refused`, () => {
    const acks = (n: number): Frame[] => Array.from({ length: n }, (_, i) => ({ type: 'ack', ref: i }));
    expect(decodeMessage(encodeMessage(acks(LIMITS.maxFramesPerMessage)))).toEqual({
      ok: true,
      frames: acks(LIMITS.maxFramesPerMessage),
    });
    expectRefused(encodeMessage(acks(LIMITS.maxFramesPerMessage + 1)), /too many frames/);
  });
});

describe('packMessages', () => {
  const smallFrame = fc.oneof(
    frameArbs.ack,
    frameArbs.typing,
    frameArbs.unsubscribe,
    fc.record({
      type: fc.constant('sync' as const),
      doc: str(LIMITS.maxDocNameLength),
      ref: nat,
      syncType,
      payload: fc.uint8Array({ maxLength: 5000 }),
    }),
  );

  it('splits frames into messages under the limit, in order, each decodable', () => {
    fc.assert(
      fc.property(
        fc.array(smallFrame, { maxLength: 120 }),
        fc.integer({ min: 64, max: LIMITS.maxFrameBytes }),
        (frames, maxBytes) => {
          const messages = packMessages(frames, maxBytes);
          const back: Frame[] = [];
          for (const m of messages) {
            const d = decodeMessage(m);
            expect(d.ok).toBe(true);
            if (!d.ok) return;
            expect(d.frames.length).toBeGreaterThan(0);
            expect(d.frames.length).toBeLessThanOrEqual(LIMITS.maxFramesPerMessage);
            // Only a single frame that is itself too big may exceed the limit, alone in its message.
            if (m.length > maxBytes) {
              expect(d.frames).toHaveLength(1);
              expect(frameSize(d.frames[0] as Frame)).toBeGreaterThan(maxBytes - 8);
            }
            back.push(...d.frames);
          }
          expect(back).toEqual(frames);
          if (frames.length === 0) expect(messages).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('joinFrames: parts joined in order into messages that stay within the limit, count included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(smallFrame, { minLength: 1, maxLength: 4 }), { maxLength: 60 }),
        fc.integer({ min: 64, max: LIMITS.maxFrameBytes }),
        (groups, maxBytes) => {
          const parts = groups.map((g) => encodeFrames(g));
          const back: Frame[] = [];
          for (const m of joinFrames(parts, maxBytes)) {
            const d = decodeMessage(m, Number.POSITIVE_INFINITY);
            expect(d.ok).toBe(true);
            if (!d.ok) return;
            // Only a part that is itself too big may exceed the limit, alone in its message.
            if (m.length > maxBytes)
              expect(parts.some((p) => p.bytes.length > maxBytes - 2 && p.count === d.frames.length)).toBe(
                true,
              );
            back.push(...d.frames);
          }
          expect(back).toEqual(groups.flat());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs greedily: two consecutive messages could not have been one', () => {
    fc.assert(
      fc.property(
        fc.array(smallFrame, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 200, max: 20_000 }),
        (frames, maxBytes) => {
          const messages = packMessages(frames, maxBytes);
          const counts = messages.map((m) => {
            const d = decodeMessage(m);
            return d.ok ? d.frames.length : -1;
          });
          for (let i = 0; i + 1 < messages.length; i++) {
            const first = messages[i] as Uint8Array;
            const next = decodeMessage(messages[i + 1] as Uint8Array);
            if (!next.ok) throw new Error('undecodable');
            const nextFrameBytes = frameSize(next.frames[0] as Frame);
            expect(
              counts[i] === LIMITS.maxFramesPerMessage || first.length - 1 + nextFrameBytes + 8 > maxBytes,
            ).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it(`splits by frame count too: never more than ${LIMITS.maxFramesPerMessage} frames in one message`, () => {
    const frames: Frame[] = Array.from({ length: 1300 }, (_, i) => ({ type: 'ack', ref: i }));
    const messages = packMessages(frames);
    expect(messages).toHaveLength(3);
    const decoded = messages.map((m) => decodeMessage(m));
    expect(decoded.map((d) => (d.ok ? d.frames.length : -1))).toEqual([512, 512, 276]);
    expect(decoded.flatMap((d) => (d.ok ? d.frames : []))).toEqual(frames);
  });

  it('a single frame larger than the limit comes back alone', () => {
    const big: Frame = {
      type: 'sync',
      doc: 'd',
      ref: 1,
      syncType: SYNC_UPDATE,
      payload: new Uint8Array(5000),
    };
    const small: Frame = { type: 'ack', ref: 1 };
    const messages = packMessages([small, big, small], 1000);
    expect(
      messages.map((m) => decodeMessage(m)).map((d) => (d.ok ? d.frames.map((f) => f.type) : [])),
    ).toEqual([['ack'], ['sync'], ['ack']]);
  });
});

describe('decodeMessage never throws', () => {
  const check = (b: Uint8Array): void => {
    let r: ReturnType<typeof decodeMessage>;
    try {
      r = decodeMessage(b);
    } catch (e) {
      throw new Error(`decodeMessage threw on ${Buffer.from(b).toString('hex')}: ${String(e)}`);
    }
    if (r.ok) {
      // Whatever it accepts is a well-formed frame list: it re-encodes and decodes to the same frames.
      expect(r.frames.length).toBeGreaterThan(0);
      expect(decodeMessage(encodeMessage(r.frames))).toEqual(r);
    } else expect(typeof r.error).toBe('string');
  };

  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), check), { numRuns: 20_000 });
  });

  it('on arbitrary bytes that start with a plausible frame count and type', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 15 }),
        fc.uint8Array({ maxLength: 200 }),
        (count, type, rest) => check(concat(bytes(count, type), rest)),
      ),
      { numRuns: 20_000 },
    );
  });

  it('on valid messages with bytes flipped, inserted, deleted or cut off', () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(
        fc.array(anyFrame, { minLength: 1, maxLength: 4 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (frames, mutations) => {
          let b = [...encodeMessage(frames)];
          for (const m of mutations) {
            const at = b.length === 0 ? 0 : m.at % b.length;
            if (m.kind === 'flip' && b.length > 0) b[at] = m.value;
            else if (m.kind === 'insert') b.splice(at, 0, m.value);
            else if (m.kind === 'delete') b.splice(at, 1);
            else if (m.kind === 'truncate') b = b.slice(0, at);
          }
          check(Uint8Array.from(b));
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('decodeMessage refuses', () => {
  it('no bytes at all', () => expectRefused(bytes(), /end of input/));

  it('an empty message (count 0)', () => {
    expectRefused(bytes(0), 'empty message');
    expectRefused(encodeMessage([]), 'empty message');
  });

  it('a frame count larger than the input', () => {
    expectRefused(bytes(5, FRAME.ack, 1), 'frame count exceeds input');
    expectRefused(bytes(...varUint(LIMITS.maxFramesPerMessage), FRAME.ack, 1), 'frame count exceeds input');
    // A count that is a huge lie is refused before anything is read.
    expectRefused(bytes(...varUint(Number.MAX_SAFE_INTEGER), FRAME.ack, 1), /too many frames/);
  });

  it('a count that promises more frames than the bytes hold', () => {
    expectRefused(bytes(2, FRAME.ack, 1), /end of input/);
  });

  it('trailing bytes after the frames', () => {
    expectRefused(concat(encodeMessage([{ type: 'ack', ref: 7 }]), bytes(0)), 'trailing bytes after frames');
    const hello = encodeMessage([{ type: 'hello', version: 1, client: 'x' }]);
    expectRefused(concat(hello, hello.subarray(1)), 'trailing bytes after frames');
  });

  it('a message larger than the frame limit, whatever it holds', () => {
    const big: Frame = {
      type: 'sync',
      doc: 'd',
      ref: 1,
      syncType: SYNC_UPDATE,
      payload: new Uint8Array(LIMITS.maxFrameBytes),
    };
    expectRefused(encodeMessage([big]), 'message too large');
    expectRefused(new Uint8Array(LIMITS.maxFrameBytes + 1), 'message too large');
    // At the limit exactly, a valid message is accepted.
    const exact = LIMITS.maxFrameBytes - frameSize({ ...big, payload: new Uint8Array(0) }) - 1 - 2;
    const fits = encodeMessage([{ ...big, payload: new Uint8Array(exact) }]);
    expect(fits.length).toBe(LIMITS.maxFrameBytes);
    expect(decodeMessage(fits).ok).toBe(true);
  });

  it("the size limit is the caller's: a client reading the server accepts a whole document in one message", () => {
    const big: Frame = {
      type: 'sync',
      doc: 'c/general/0/u/u1',
      ref: 0,
      syncType: SYNC_STEP2,
      payload: new Uint8Array(3 * LIMITS.maxFrameBytes).fill(7),
    };
    const wire = encodeMessage([big]);
    expectRefused(wire, 'message too large');
    expect(decodeMessage(wire, Number.POSITIVE_INFINITY)).toEqual({ ok: true, frames: [big] });
    expect(decodeMessage(wire, wire.length - 1)).toEqual({ ok: false, error: 'message too large' });
  });

  it('an unknown frame type', () => {
    for (const t of [0, 15, 16, 127, 128, 300, 2 ** 40])
      expectRefused(bytes(1, ...varUint(t), 0), /unknown frame type/);
  });

  it('an unknown sync type', () => {
    const wire = encodeMessage([{ type: 'sync', doc: 'd', ref: 0, syncType: SYNC_UPDATE, payload: bytes() }]);
    wire[1 + 1 + 1 + 1 + 1] = 3; // count, type, doc length, 'd', ref, then the sync type
    expectRefused(wire, /unknown sync type 3/);
  });

  it('action ids: too many, empty, or too long', () => {
    const sync = (actions: string[]): Frame => ({
      type: 'sync',
      doc: 'd',
      ref: 1,
      syncType: SYNC_UPDATE,
      payload: bytes(),
      actions,
    });
    const many = Array.from({ length: LIMITS.maxActionsPerFrame }, (_, i) => `a${i}`);
    expect(decodeMessage(encodeMessage([sync(many)])).ok).toBe(true);
    expectRefused(encodeMessage([sync([...many, 'one-more'])]), 'too many action ids in one frame');
    expectRefused(encodeMessage([sync(['ok', ''])]), 'empty action id');
    expectRefused(encodeMessage([sync(['x'.repeat(LIMITS.maxActionIdLength + 1)])]), 'string too long');
    // No ids on the wire decode as none named, not an empty list.
    expect(decodeMessage(encodeMessage([sync([])]))).toEqual({
      ok: true,
      frames: [{ type: 'sync', doc: 'd', ref: 1, syncType: SYNC_UPDATE, payload: bytes() }],
    });
  });

  it('bad UTF-8 in a string', () => {
    expectRefused(helloWith(bytes(0xff)), 'invalid utf-8');
    expectRefused(helloWith(bytes(0xc3)), 'invalid utf-8'); // a lead byte with no continuation
    expectRefused(helloWith(bytes(0xc0, 0x80)), 'invalid utf-8'); // overlong NUL
    expectRefused(helloWith(bytes(0xed, 0xa0, 0x80)), 'invalid utf-8'); // an encoded surrogate
    expectRefused(helloWith(bytes(0xf4, 0x90, 0x80, 0x80)), 'invalid utf-8'); // beyond U+10FFFF
    expectRefused(helloWith(bytes(0x61, 0x80, 0x62)), 'invalid utf-8'); // a stray continuation byte
    expect(decodeMessage(helloWith(utf8('ok é 😀'))).ok).toBe(true);
  });

  it('strings longer than their field allows', () => {
    expectRefused(
      encodeMessage([{ type: 'hello', version: 1, client: 'x'.repeat(SHORT + 1) }]),
      'string too long',
    );
    expectRefused(
      encodeMessage([{ type: 'hello', version: 1, client: 'é'.repeat(SHORT + 1) }]),
      'string too long',
    );
    expectRefused(
      encodeMessage([{ type: 'unsubscribe', doc: 'c'.repeat(LIMITS.maxDocNameLength + 1) }]),
      'string too long',
    );
    expectRefused(
      encodeMessage([
        { type: 'sync', doc: 'c'.repeat(LIMITS.maxDocNameLength + 1), ref: 0, syncType: 0, payload: bytes() },
      ]),
      'string too long',
    );
    expectRefused(
      encodeMessage([
        {
          type: 'presenceSet',
          dnd: false,
          emoji: '',
          text: 'x'.repeat(LIMITS.maxStatusTextLength + 1),
          until: 0,
        },
      ]),
      'string too long',
    );
    expectRefused(
      encodeMessage([{ type: 'error', code: 'bad-status', message: 'm'.repeat(LONG + 1) }]),
      'string too long',
    );
    // A code this protocol version does not have is a bad frame, not a string passed on (codes.ts).
    for (const f of [
      { type: 'reject', ref: 1, doc: 'd', code: 'no-such-code', message: '' },
      { type: 'error', code: 'no-such-code', message: '' },
      { type: 'notice', kind: 'no-such-notice', json: '{}' },
      { type: 'deviceState', state: 'asleep', showing: '' },
      { type: 'presence', userId: 'u', status: 'busy', emoji: '', text: '', until: 0, lastSeen: 0 },
    ])
      expect(decodeMessage(encodeMessage([f as unknown as Frame])).ok).toBe(false);
    // A declared byte length beyond what any allowed string could need is refused before it is read.
    expectRefused(helloWith(bytes(), SHORT * 4 + 1), 'string too long');
    expectRefused(helloWith(bytes(), Number.MAX_SAFE_INTEGER), 'string too long');
  });

  it('a string or byte array whose length runs past the input', () => {
    expectRefused(helloWith(utf8('abc'), 10), 'length exceeds input');
    const wire = encodeMessage([
      { type: 'sync', doc: 'd', ref: 0, syncType: SYNC_UPDATE, payload: bytes(1, 2, 3) },
    ]);
    expectRefused(wire.subarray(0, wire.length - 1), 'length exceeds input');
  });

  it('varints that are too long or beyond a safe integer', () => {
    expectRefused(
      bytes(1, FRAME.ack, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
      'varint too long',
    );
    // Eight bytes carry 56 bits: more than Number.MAX_SAFE_INTEGER.
    expectRefused(
      bytes(1, FRAME.ack, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
      'integer out of range',
    );
    expect(decodeMessage(bytes(1, FRAME.ack, ...varUint(Number.MAX_SAFE_INTEGER)))).toEqual({
      ok: true,
      frames: [{ type: 'ack', ref: Number.MAX_SAFE_INTEGER }],
    });
  });
});
