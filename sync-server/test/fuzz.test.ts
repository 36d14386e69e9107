import type { Engine } from '@commonroom/engine';
import {
  CLOSE,
  FRAME,
  LIMITS,
  PROTOCOL_VERSION,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  asConversationId,
  asUserId,
  authorDoc,
  decodeMessage,
  encodeMessage,
  idxDoc,
  modDoc,
  type Conversation,
  type Frame,
  type SyncType,
} from '@commonroom/protocol';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';

/**
 * Ten thousand seeded malformed or mutated frames, over real WebSockets, at a real server (docs/PROTOCOL.md
 * P1, P10; docs/THREAT_MODEL.md T8). Each frame either leaves its socket open or closes only that socket with
 * 4003 (malformed) or 1009 (too big). Meanwhile a bystander in #general never notices: never disconnected,
 * still sends and receives, the server stays healthy, the database intact, and nothing the fuzzer sent is
 * stored as a message.
 *
 * Replaying a failure: fast-check prints the seed and the shrunk frame; keep it below as a named regression.
 */

/** FUZZ_SEED / FUZZ_FRAMES explore further or replay a reported seed; the suite runs the fixed defaults. */
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 10_000);

/** Socket outcomes a fuzzed frame may have. Anything else (1011 internal error, 1006 dropped) is a bug. */
const TOO_BIG = 1009;
const ALLOWED_CLOSES = new Set<number>([CLOSE.malformedFrame, TOO_BIG]);
/** Before HELLO, a HELLO of another version is answered with its own code. */
const ALLOWED_BEFORE_HELLO = new Set<number>([...ALLOWED_CLOSES, CLOSE.versionMismatch]);

// ——— the raw socket ————————————————————————————————————————————————————————————————————————————————

type Conn = {
  ws: WebSocket;
  closed: { code: number; reason: string } | null;
  /** We closed it ourselves (to start a fresh socket): its close code says nothing about the server. */
  closedByUs: boolean;
  onFrame: ((f: Frame) => void) | null;
  onClose: (() => void) | null;
};

type Stats = {
  delivered: number;
  sockets: number;
  closes: Map<string, number>;
  answers: Map<string, number>;
  undecodable: string[];
  /** Every close the server made, whether or not a frame was waiting on it. */
  serverCloses: number[];
};

const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

function createFuzzClient(wsUrl: string, cookie: string, stats: Stats) {
  let conn: Conn | null = null;
  let probes = 0;

  const open = async (hello: boolean): Promise<Conn> => {
    const ws = new WebSocket(wsUrl, { headers: { cookie } });
    ws.binaryType = 'arraybuffer';
    const c: Conn = { ws, closed: null, closedByUs: false, onFrame: null, onClose: null };
    stats.sockets++;
    ws.on('message', (data: ArrayBuffer) => {
      const d = decodeMessage(new Uint8Array(data));
      if (!d.ok) {
        stats.undecodable.push(d.error);
        return;
      }
      for (const f of d.frames) {
        bump(stats.answers, f.type === 'error' || f.type === 'reject' ? `${f.type}:${f.code}` : f.type);
        c.onFrame?.(f);
      }
    });
    ws.on('close', (code, reason) => {
      c.closed = { code, reason: reason.toString() };
      if (!c.closedByUs) stats.serverCloses.push(code);
      c.onClose?.();
    });
    // A write racing the server's close can fail with EPIPE/ECONNRESET; the close event still follows.
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('close', () => reject(new Error('closed before open')));
    });
    if (hello) {
      await new Promise<void>((resolve, reject) => {
        c.onFrame = (f) => f.type === 'welcome' && resolve();
        c.onClose = () => reject(new Error(`closed during hello: ${c.closed?.code}`));
        ws.send(encodeMessage([{ type: 'hello', version: PROTOCOL_VERSION, client: 'fuzz' }]));
      });
      c.onFrame = null;
      c.onClose = null;
    }
    return c;
  };

  /**
   * Sends one fuzzed message, then a probe: a subscribe to a document that cannot exist, which the server
   * answers at once with REVOKED naming it (P2). The answer means the fuzzed message was read and the socket
   * lives; a close means the message (or something still settling from an earlier one) closed it.
   */
  const deliver = async (bytes: Uint8Array, opts: { fresh?: boolean; hello?: boolean } = {}) => {
    if (opts.fresh || !conn || conn.closed || conn.ws.readyState !== WebSocket.OPEN) {
      if (conn && !conn.closed) {
        conn.closedByUs = true;
        conn.ws.terminate();
      }
      conn = await open(opts.hello !== false);
    }
    const c = conn;
    const n = ++probes;
    const probe = `c/probe${n}/0/idx`;
    stats.delivered++;
    return new Promise<{ kind: 'alive' } | { kind: 'closed'; code: number; reason: string }>(
      (resolve, reject) => {
        const settle = (): void => {
          clearTimeout(timer);
          c.onFrame = null;
          c.onClose = null;
        };
        const timer = setTimeout(() => {
          settle();
          reject(
            new Error(
              `no answer and no close 10 s after ${Buffer.from(bytes.subarray(0, 64)).toString('hex')}`,
            ),
          );
        }, 10_000);
        c.onFrame = (f) => {
          if (f.type === 'revoked' && f.doc === probe) {
            settle();
            resolve({ kind: 'alive' });
          }
        };
        c.onClose = () => {
          settle();
          const { code, reason } = c.closed ?? { code: -1, reason: '' };
          bump(stats.closes, `${code} ${reason.replace(/"[^]*"|[0-9]+/g, '…')}`);
          resolve({ kind: 'closed', code, reason });
        };
        c.ws.send(bytes);
        c.ws.send(
          encodeMessage([
            {
              type: 'sync',
              doc: probe,
              ref: 0,
              syncType: SYNC_STEP1,
              payload: EMPTY_STATE_VECTOR,
            },
          ]),
        );
      },
    );
  };

  return {
    deliver,
    close: () => {
      if (conn && !conn.closed) {
        conn.closedByUs = true;
        conn.ws.close();
      }
    },
  };
}

// ——— real updates, mutated ———————————————————————————————————————————————————————————————————————————

const docWith = (clientID: number, build: (doc: Y.Doc) => void): Uint8Array => {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  build(doc);
  return Y.encodeStateAsUpdate(doc);
};

/**
 * Updates to the fuzz user's own author document. None holds a valid message record, and no few-byte change
 * can make one: the records break several rules at once (bad id, empty text, negative time, extra field), so
 * whatever the server accepts is read marks, reactions or deleted content — never a stored message.
 */
function authorPool(bystanderKey: string): Uint8Array[] {
  const bad = (i: number) => ({ id: `bad id ${i}!`, text: '', ts: -5, extra: { nested: [i, 'x', null] } });
  return [
    docWith(101, (d) => d.getMap('read').set('fuzz-device', 7)),
    docWith(102, (d) => {
      d.getMap('read').set('phone', 1);
      d.getMap('read').set('phone', 9);
      d.getMap('read').set('laptop', 3);
    }),
    docWith(103, (d) => d.getMap('react').set(`${bystanderKey} 👍`, 1_760_000_000_000)),
    docWith(104, (d) => {
      d.getMap('react').set(`${bystanderKey} 🎉`, 1);
      d.getMap('react').delete(`${bystanderKey} 🎉`);
    }),
    docWith(105, (d) => d.getArray('msgs').push([bad(1)])),
    docWith(106, (d) => d.getArray('msgs').push([bad(2), bad(3), bad(4)])),
    docWith(107, (d) => {
      d.getArray('msgs').push([bad(5), bad(6)]);
      d.getArray('msgs').delete(0, 1);
    }),
    docWith(108, (d) => d.getMap('edits').set('nope', { text: 'an edit of nothing', ts: 1 })),
    docWith(109, (d) => d.getMap('del').set('nope', 1)),
    docWith(110, (d) => d.getMap('msgs-as-map').set('k', 1)),
    docWith(111, (d) => {
      d.getMap('read').set('x', 1);
      d.getMap('edits').set('bad key!', { text: '', ts: -1, extra: true });
    }),
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('bit' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 8, 10, 117, 118, 119),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    value: fc.integer({ min: 1, max: 12 }),
  }),
);
type Mutation = { kind: 'set' | 'bit' | 'insert' | 'delete' | 'duplicate'; at: number; value: number };

function mutate(base: Uint8Array, ms: Mutation[]): Uint8Array {
  const b = [...base];
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'set' && b.length > 0) b[at] = m.value;
    else if (m.kind === 'bit' && b.length > 0) b[at] = (b[at] as number) ^ (1 << m.value);
    else if (m.kind === 'insert') b.splice(at, 0, m.value);
    else if (m.kind === 'delete') b.splice(at, m.value);
    else if (m.kind === 'duplicate') b.splice(at, 0, ...b.slice(at, at + m.value));
  }
  return Uint8Array.from(b);
}

// ——— hand-written hostile shapes (yjs#687, yjs#479) ———————————————————————————————————————————————————

const built = (write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const vu = (e: encoding.Encoder, ...ns: number[]): void => ns.forEach((n) => encoding.writeVarUint(e, n));
const rootAny = (e: encoding.Encoder, root: string): void => {
  encoding.writeUint8(e, 8);
  vu(e, 1);
  encoding.writeVarString(e, root);
};

/** A ContentAny item in `root` holding `{ "__proto__": a valid message record }`. */
const protoRecord = (
  root: string,
  clientID = 7,
  record: unknown = { id: 'p1', text: 'hidden', ts: 1 },
): Uint8Array =>
  built((e) => {
    vu(e, 1, 1, clientID, 0);
    if (root === 'msgs') rootAny(e, root);
    else {
      encoding.writeUint8(e, 8 | 0x20);
      vu(e, 1);
      encoding.writeVarString(e, root);
      encoding.writeVarString(e, 'p1');
    }
    vu(e, 1);
    encoding.writeUint8(e, 118);
    vu(e, 1);
    encoding.writeVarString(e, '__proto__');
    encoding.writeAny(e, record as encoding.AnyEncodable);
    vu(e, 0);
  });

const hostileUpdate: fc.Arbitrary<Uint8Array> = fc.oneof(
  // A ~30-byte update declaring a huge struct count.
  fc.integer({ min: 2, max: 2 ** 52 }).map((n) =>
    built((e) => {
      vu(e, 1, n, 1, 0);
      rootAny(e, 'read');
      vu(e, 1);
      encoding.writeAny(e, 1);
      vu(e, 0);
    }),
  ),
  // A GC or Skip struct claiming a gigantic length.
  fc
    .tuple(fc.constantFrom(0, 10), fc.integer({ min: LIMITS.maxClockSpanPerUpdate + 1, max: 2 ** 53 - 1 }))
    .map(([ref, len]) =>
      built((e) => {
        vu(e, 1, 1, 7, 0);
        encoding.writeUint8(e, ref);
        vu(e, len, 0);
      }),
    ),
  // A delete set with a gigantic count or range length.
  fc.integer({ min: 100, max: 2 ** 52 }).map((n) => built((e) => vu(e, 0, 1, 7, n, 0, 1))),
  fc
    .integer({ min: LIMITS.maxClockSpanPerUpdate + 1, max: 2 ** 53 - 1 })
    .map((len) => built((e) => vu(e, 0, 1, 7, 1, 0, len))),
  // A ContentAny with a huge declared length.
  fc.integer({ min: 2, max: 2 ** 52 }).map((n) =>
    built((e) => {
      vu(e, 1, 1, 7, 0);
      rootAny(e, 'read');
      vu(e, n);
      encoding.writeAny(e, 1);
      vu(e, 0);
    }),
  ),
  // Deeply nested arrays or objects in an Any value.
  fc.tuple(fc.integer({ min: LIMITS.maxValueDepth + 1, max: 12_000 }), fc.boolean()).map(([depth, objects]) =>
    built((e) => {
      vu(e, 1, 1, 7, 0);
      encoding.writeUint8(e, 8 | 0x20);
      vu(e, 1);
      encoding.writeVarString(e, 'read');
      encoding.writeVarString(e, 'dev');
      vu(e, 1);
      for (let i = 0; i < depth; i++) {
        encoding.writeUint8(e, objects ? 118 : 117);
        vu(e, 1);
        if (objects) encoding.writeVarString(e, 'k');
      }
      encoding.writeUint8(e, 126);
      vu(e, 0);
    }),
  ),
  // A record whose fields hide behind a "__proto__" key (lib0 sets the prototype; see the regression below).
  fc.constantFrom('msgs', 'edits', 'read').map((root) => protoRecord(root)),
  // Honest counts, too many of them: one-byte structs past the struct limit (as big as a frame allows).
  fc.integer({ min: LIMITS.maxStructsPerUpdate + 1, max: 30_000 }).map((n) =>
    built((e) => {
      vu(e, 1, n, 9, 0);
      for (let i = 0; i < n; i++) {
        encoding.writeUint8(e, 10);
        vu(e, 1);
      }
      vu(e, 0);
    }),
  ),
);

// ——— frames ——————————————————————————————————————————————————————————————————————————————————————————

/** Writes a message by hand so strings and counts may break every limit the decoder enforces. */
const rawMessage = (write: (e: encoding.Encoder) => void): Uint8Array => built(write);

type Ctx = {
  own: string;
  ownElsewhere: string;
  otherAuthor: string;
  idx: string;
  mod: string;
  conversationIds: string[];
  pool: Uint8Array[];
};

type Fuzz = { bytes: Uint8Array; fresh?: boolean; hello?: boolean; label: string };

function fuzzArbitrary(ctx: Ctx): fc.Arbitrary<Fuzz> {
  const ref = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 31 }), fc.maxSafeNat());
  const writeType: fc.Arbitrary<SyncType> = fc.constantFrom(SYNC_STEP2, SYNC_UPDATE);
  const poolUpdate = fc.constantFrom(...ctx.pool);
  const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
  const mutatedUpdate = fc.tuple(poolUpdate, mutations).map(([u, ms]) => mutate(u, ms));
  const text = (max: number) => fc.string({ unit: 'binary', maxLength: max });
  const docName = fc.oneof(
    fc.constantFrom(ctx.own, ctx.ownElsewhere, ctx.otherAuthor, ctx.idx, ctx.mod),
    fc.constantFrom(...ctx.conversationIds).map((id) => `c/${id}/0/u/nobody`),
    fc.constantFrom(...ctx.conversationIds).map((id) => `c/${id}/99/mod`),
    fc
      .tuple(fc.constantFrom(ctx.own, ctx.idx), mutations)
      .map(([d, ms]) => new TextDecoder().decode(mutate(new TextEncoder().encode(d), ms))),
    text(LIMITS.maxDocNameLength),
  );
  const label = (l: string) => (a: fc.Arbitrary<Uint8Array>) => a.map((bytes): Fuzz => ({ bytes, label: l }));
  const sync = (
    doc: fc.Arbitrary<string>,
    payload: fc.Arbitrary<Uint8Array>,
    type: fc.Arbitrary<SyncType> = writeType,
  ) => fc.record({ doc, ref, syncType: type, payload }).map((f) => encodeMessage([{ type: 'sync', ...f }]));

  const clientFrame: fc.Arbitrary<Frame> = fc.oneof(
    fc
      .record({
        doc: docName,
        ref,
        syncType: fc.constantFrom(SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE),
        payload: fc.oneof(poolUpdate, mutatedUpdate, fc.uint8Array({ maxLength: 40 })),
      })
      .map((f): Frame => ({ type: 'sync', ...f })),
    docName.map((doc): Frame => ({ type: 'unsubscribe', doc })),
    fc
      .record({
        dnd: fc.boolean(),
        emoji: fc.oneof(fc.constantFrom('', '📚', '🏳️‍🌈'), text(LIMITS.maxStatusEmojiLength)),
        text: text(LIMITS.maxStatusTextLength),
        until: fc.oneof(fc.constant(0), fc.nat()),
      })
      .map((f): Frame => ({ type: 'presenceSet', ...f })),
    fc
      .oneof(fc.constantFrom(...ctx.conversationIds), text(40))
      .map((conversationId): Frame => ({ type: 'typingSet', conversationId, parent: '' })),
    fc
      .record({
        state: fc.constantFrom('active' as const, 'idle' as const, 'hidden' as const),
        showing: fc.oneof(fc.constantFrom(...ctx.conversationIds), text(40)),
      })
      .map((f): Frame => ({ type: 'deviceState', ...f })),
  );
  const serverFrame: fc.Arbitrary<Frame> = fc.oneof(
    fc.constant<Frame>({ type: 'hello', version: PROTOCOL_VERSION, client: 'again' }),
    fc.constant<Frame>({ type: 'welcome', version: PROTOCOL_VERSION, userId: 'x', serverTime: 1 }),
    ref.map((r): Frame => ({ type: 'ack', ref: r })),
    fc.constant<Frame>({ type: 'reject', ref: 1, doc: ctx.own, code: 'bad-shape', message: 'y' }),
    fc.constant<Frame>({ type: 'revoked', doc: ctx.own, reason: 'z' }),
    fc.constant<Frame>({
      type: 'presence',
      userId: 'u',
      status: 'online',
      emoji: '',
      text: '',
      until: 0,
      lastSeen: 0,
    }),
    fc.constant<Frame>({ type: 'typing', conversationId: 'c', parent: '', userId: 'u', active: true }),
    fc.constant<Frame>({ type: 'notice', kind: 'conversations-changed', json: '{}' }),
    fc.constant<Frame>({ type: 'error', code: 'bad-status', message: 'm' }),
  );

  return fc.oneof(
    // The main course: mutated real updates to the user's own author document.
    { weight: 8, arbitrary: label('mutated update, own doc')(sync(fc.constant(ctx.own), mutatedUpdate)) },
    { weight: 1, arbitrary: label('real update, own doc')(sync(fc.constant(ctx.own), poolUpdate)) },
    {
      weight: 2,
      arbitrary: label('yjs#687 shape')(sync(fc.constantFrom(ctx.own, ctx.ownElsewhere), hostileUpdate)),
    },
    { weight: 2, arbitrary: label('update, other docs')(sync(docName, fc.oneof(poolUpdate, mutatedUpdate))) },
    {
      weight: 2,
      arbitrary: label('state vector')(
        sync(
          docName,
          fc.oneof(
            fc.uint8Array({ maxLength: 40 }),
            fc
              .tuple(fc.constant(Y.encodeStateVector(new Y.Doc())), mutations)
              .map(([b, ms]) => mutate(b, ms)),
          ),
          fc.constant(SYNC_STEP1),
        ),
      ),
    },
    // Valid frames, then the whole message mutated.
    {
      weight: 3,
      arbitrary: label('mutated message')(
        fc
          .tuple(fc.array(fc.oneof(clientFrame, serverFrame), { minLength: 1, maxLength: 4 }), mutations)
          .map(([fs, ms]) => mutate(encodeMessage(fs), ms)),
      ),
    },
    {
      weight: 2,
      arbitrary: label('client frames')(
        fc.array(clientFrame, { minLength: 1, maxLength: 20 }).map((fs) => encodeMessage(fs)),
      ),
    },
    { weight: 1, arbitrary: label('server-only frame')(serverFrame.map((f) => encodeMessage([f]))) },
    { weight: 2, arbitrary: label('random bytes')(fc.uint8Array({ minLength: 0, maxLength: 300 })) },
    {
      weight: 2,
      arbitrary: label('plausible header, random body')(
        fc
          .tuple(
            fc.integer({ min: 1, max: 3 }),
            fc.integer({ min: 0, max: 15 }),
            fc.uint8Array({ maxLength: 120 }),
          )
          .map(([n, t, rest]) => Uint8Array.from([n, t, ...rest])),
      ),
    },
    // Over-long strings in every string field a client sends.
    {
      weight: 2,
      arbitrary: label('over-long string')(
        fc.oneof(
          fc
            .integer({ min: 201, max: 3000 })
            .map((n) => encodeMessage([{ type: 'hello', version: 1, client: 'h'.repeat(n) }])),
          fc.integer({ min: LIMITS.maxDocNameLength + 1, max: 5000 }).map((n) =>
            encodeMessage([
              {
                type: 'sync',
                doc: `c/x/0/u/${'d'.repeat(n)}`,
                ref: 1,
                syncType: SYNC_UPDATE,
                payload: ctx.pool[0] as Uint8Array,
              },
            ]),
          ),
          fc
            .integer({ min: LIMITS.maxDocNameLength + 1, max: 5000 })
            .map((n) => encodeMessage([{ type: 'unsubscribe', doc: 'é'.repeat(n) }])),
          fc
            .integer({ min: LIMITS.maxStatusTextLength + 1, max: 5000 })
            .map((n) =>
              encodeMessage([{ type: 'presenceSet', dnd: false, emoji: '', text: '😀'.repeat(n), until: 0 }]),
            ),
          fc
            .integer({ min: 201, max: 5000 })
            .map((n) => encodeMessage([{ type: 'typingSet', conversationId: 't'.repeat(n), parent: '' }])),
          // A declared length far beyond the bytes, or beyond any string the field allows.
          fc.integer({ min: 1000, max: 2 ** 53 - 1 }).map((n) =>
            rawMessage((e) => {
              vu(e, 1, FRAME.sync, n);
              encoding.writeUint8Array(e, new TextEncoder().encode(ctx.own));
            }),
          ),
          // Invalid UTF-8 in a document name.
          fc.uint8Array({ minLength: 1, maxLength: 20 }).map((junk) =>
            rawMessage((e) => {
              vu(e, 1, FRAME.sync, junk.length + 1);
              encoding.writeUint8(e, 0xff);
              encoding.writeUint8Array(e, junk);
              vu(e, 1, SYNC_UPDATE, 0);
            }),
          ),
        ),
      ),
    },
    // Huge counts: frames per message, payload lengths, varints.
    {
      weight: 2,
      arbitrary: label('huge count')(
        fc.oneof(
          fc.integer({ min: LIMITS.maxFramesPerMessage + 1, max: 2 ** 53 - 1 }).map((n) =>
            rawMessage((e) => {
              vu(e, n);
              for (let i = 0; i < 600; i++) vu(e, FRAME.ack, i);
            }),
          ),
          fc
            .integer({ min: 2, max: LIMITS.maxFramesPerMessage })
            .map((n) => rawMessage((e) => vu(e, n, FRAME.ack, 1))),
          fc.integer({ min: 100, max: 2 ** 53 - 1 }).map((n) =>
            rawMessage((e) => {
              vu(e, 1, FRAME.sync);
              encoding.writeVarString(e, ctx.own);
              vu(e, 5, SYNC_UPDATE, n, 0, 0);
            }),
          ),
          fc.constant(
            Uint8Array.from([1, FRAME.ack, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
          ),
          fc.constant(Uint8Array.from([1, FRAME.ack, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])),
          fc.constant(Uint8Array.from([0])),
          // 512 frames that each need an answer, in one message.
          fc.constant(
            encodeMessage(
              Array.from({ length: LIMITS.maxFramesPerMessage }, (_, i): Frame => ({
                type: 'sync',
                doc: `c/none${i}/0/idx`,
                ref: 0,
                syncType: SYNC_STEP1,
                payload: Uint8Array.of(0),
              })),
            ),
          ),
        ),
      ),
    },
    // Larger than the frame limit: ws closes with 1009 before the server reads it.
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: LIMITS.maxFrameBytes + 1, max: LIMITS.maxFrameBytes + 4096 })
        .map((n): Fuzz => ({ bytes: new Uint8Array(n).fill(n & 0xff), label: 'oversized' })),
    },
    // Before HELLO, on a fresh socket: anything but a good HELLO closes it.
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc
            .record({ v: fc.oneof(fc.constant(PROTOCOL_VERSION), fc.maxSafeNat()), client: text(30) })
            .map(({ v, client }) => encodeMessage([{ type: 'hello', version: v, client }])),
          clientFrame.map((f) => encodeMessage([f])),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map((bytes): Fuzz => ({ bytes, fresh: true, hello: false, label: 'before hello' })),
    },
  );
}

// ——— the test —————————————————————————————————————————————————————————————————————————————————————————

describe('fuzzing the socket edge', () => {
  let ts: TestServer;
  let admin: Engine;
  let bystander: Awaited<ReturnType<typeof addUser>>;
  let listener: Awaited<ReturnType<typeof addUser>>;
  let fuzzUser: Awaited<ReturnType<typeof addUser>>;
  let cookie: string;
  let ctx: Ctx;
  let general: string;
  const connectionLog: string[] = [];
  let stopWatching: () => void = () => undefined;

  const rowsBy = (authorId: string): number =>
    (
      ts.server.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE author_id = ?').get(authorId) as {
        n: number;
      }
    ).n;

  beforeAll(async () => {
    // Per-user rate limits would close the fuzzing sockets with 4100 long before 10,000 frames, and the
    // handshake limits refuse its thousands of fresh sockets; this test is about what each frame does, so
    // they are lifted (rate limiting has its own tests, rate-limits.test.ts).
    ts = await startServer({
      limits: {
        messagesPerSecond: 1e9,
        messageBurst: 1e9,
        bytesPerSecond: 1e12,
        byteBurst: 1e12,
        handshakesPerSecondPerAccount: 1e9,
        handshakeBurstPerAccount: 1e9,
        handshakesPerSecondPerAddress: 1e9,
        handshakeBurstPerAddress: 1e9,
      },
    });
    admin = await loginAdmin(ts);
    bystander = await addUser(ts, admin, 'student', { name: 'Bystander' });
    listener = await addUser(ts, admin, 'student', { name: 'Listener' });
    fuzzUser = await addUser(ts, admin, 'student', { name: 'Fuzzer', connect: false });
    general = channel(bystander.engine, 'general');
    await bystander.engine.open(general);
    await listener.engine.open(general);
    const bystanderKey = await bystander.engine.send(general, 'before the storm');
    await bystander.engine.settled();
    await eventually(() => expect(texts(listener.engine, general)).toContain('before the storm'));
    let last = bystander.engine.status().connection;
    connectionLog.push(last);
    stopWatching = bystander.engine.subscribe(() => {
      const now = bystander.engine.status().connection;
      if (now !== last) connectionLog.push((last = now));
    });

    const res = await fetch(`${ts.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: fuzzUser.email, password: fuzzUser.password }),
    });
    expect(res.ok).toBe(true);
    cookie = (res.headers.getSetCookie().find((c) => c.startsWith('cr_session=')) ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^cr_session=./);
    const list = (await (await fetch(`${ts.url}/api/conversations`, { headers: { cookie } })).json()) as {
      conversations: Conversation[];
    };
    const ids = list.conversations.map((c) => c.id);
    expect(ids).toContain(general);
    const elsewhere = list.conversations.find((c) => c.id !== general && c.isMember)?.id ?? general;
    const me = asUserId(fuzzUser.id);
    ctx = {
      own: authorDoc(asConversationId(general), me),
      ownElsewhere: authorDoc(asConversationId(elsewhere), me),
      otherAuthor: authorDoc(asConversationId(general), asUserId(bystander.id)),
      idx: idxDoc(asConversationId(general)),
      mod: modDoc(asConversationId(general)),
      conversationIds: [...ids, 'nope'],
      pool: authorPool(bystanderKey),
    };
  });

  afterAll(async () => {
    stopWatching();
    await ts.destroy();
  });

  it(`${FRAMES.toLocaleString('en')} seeded malformed frames close only their own socket, never the server`, async () => {
    const stats: Stats = {
      delivered: 0,
      sockets: 0,
      closes: new Map(),
      answers: new Map(),
      undecodable: [],
      serverCloses: [],
    };
    const client = createFuzzClient(`ws://127.0.0.1:${ts.port}/sync`, cookie, stats);
    const byLabel = new Map<string, string[]>();
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fuzzArbitrary(ctx), async (fuzz) => {
          const outcome = await client.deliver(fuzz.bytes, fuzz);
          const seen = byLabel.get(fuzz.label) ?? [];
          byLabel.set(fuzz.label, seen);
          if (outcome.kind === 'alive') {
            seen.push('open');
            return;
          }
          seen.push(String(outcome.code));
          const allowed = fuzz.hello === false ? ALLOWED_BEFORE_HELLO : ALLOWED_CLOSES;
          expect(allowed, `closed with ${outcome.code} "${outcome.reason}" after ${fuzz.label}`).toContain(
            outcome.code,
          );
        }),
        { seed: SEED, numRuns: FRAMES },
      );
    } finally {
      client.close();
    }
    const summary = Object.fromEntries(
      [...byLabel].map(([l, outcomes]) => [l, Object.fromEntries(count(outcomes))] as const),
    );
    console.log(
      `fuzz: ${stats.delivered} frames over ${stats.sockets} sockets in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
        `${JSON.stringify(summary, null, 1)}\nanswers: ${JSON.stringify(Object.fromEntries(stats.answers))}\n` +
        `closes: ${JSON.stringify(Object.fromEntries(stats.closes), null, 1)}`,
    );
    expect(stats.delivered).toBeGreaterThanOrEqual(FRAMES);
    expect(stats.undecodable).toEqual([]);
    expect(stats.serverCloses.filter((code) => !ALLOWED_BEFORE_HELLO.has(code))).toEqual([]);
    // The fuzz reached past the decoder: some writes were applied and acknowledged, some refused by rule.
    expect(stats.answers.get('ack') ?? 0).toBeGreaterThan(0);
    expect([...stats.answers.keys()].some((k) => k.startsWith('reject:'))).toBe(true);
    expect(summary['mutated update, own doc']?.open ?? 0).toBeGreaterThan(0);
    // About 20 s alone on a 2-core machine; the margin is for a machine busy with other test files.
  }, 150_000);

  // Found by review while writing this fuzzer, not by a seed: lib0's readAny turns a "__proto__" key into the
  // object's prototype, so the record passed validation through inheritance, was stored as a message, and
  // reached clients as a record with no fields (text undefined). scanUpdate now refuses the key.
  it('regression: a record hiding its fields behind a "__proto__" key is refused, never stored or relayed', async () => {
    const stats: Stats = {
      delivered: 0,
      sockets: 0,
      closes: new Map(),
      answers: new Map(),
      undecodable: [],
      serverCloses: [],
    };
    const client = createFuzzClient(`ws://127.0.0.1:${ts.port}/sync`, cookie, stats);
    const before = texts(bystander.engine, general);
    for (const [i, root] of ['msgs', 'edits', 'read'].entries()) {
      const payload = protoRecord(root, 4242 + i);
      const outcome = await client.deliver(
        encodeMessage([{ type: 'sync', doc: ctx.own, ref: 77 + i, syncType: SYNC_UPDATE, payload }]),
      );
      expect(outcome).toEqual({
        kind: 'closed',
        code: CLOSE.malformedFrame,
        reason: 'malformed update: object key "__proto__" is not allowed',
      });
    }
    client.close();
    expect(stats.answers.get('ack')).toBeUndefined();
    expect(ts.server.internals.messages.get(general, fuzzUser.id, 'p1')).toBeUndefined();
    expect(texts(bystander.engine, general)).toEqual(before);
  });

  it('the bystander never noticed: still online, still sending and receiving', async () => {
    expect(connectionLog).toEqual(['online']);
    expect(bystander.engine.status().connection).toBe('online');
    await bystander.engine.send(general, 'after the storm');
    await bystander.engine.settled();
    expect(bystander.engine.view(general).messages.at(-1)).toMatchObject({
      text: 'after the storm',
      status: 'sent',
    });
    expect(bystander.engine.view(general).messages.every((m) => typeof m.text === 'string')).toBe(true);
    await eventually(() => expect(texts(listener.engine, general)).toContain('after the storm'));
    expect(connectionLog).toEqual(['online']);
  });

  it('the server is healthy, its database intact, and nothing the fuzzer sent became a message', async () => {
    const health = await fetch(`${ts.url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
    expect(ts.server.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(rowsBy(fuzzUser.id)).toBe(0);
    const internalErrors = ts.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);
    expect(internalErrors.map((l) => l.msg)).toEqual([]);
  });

  it('afterwards the fuzzed account still works: a deliberate valid message is stored, and everyone reads it', async () => {
    // The fuzz user's own documents hold whatever the server accepted; a fresh client must still load them.
    const again = makeEngine(ts.url);
    await again.init();
    await again.login(fuzzUser.email, fuzzUser.password);
    again.connect();
    await again.settled();
    await again.open(general);
    await again.settled();
    expect(texts(again, general)).toEqual(expect.arrayContaining(['before the storm', 'after the storm']));
    await again.send(general, 'a deliberate, valid message');
    await again.settled();
    expect(rowsBy(fuzzUser.id)).toBe(1);
    await eventually(() => expect(texts(bystander.engine, general)).toContain('a deliberate, valid message'));
    await eventually(() => expect(texts(listener.engine, general)).toContain('a deliberate, valid message'));
    expect(connectionLog).toEqual(['online']);
    again.disconnect();
  });
});

function count(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) bump(m, x);
  return m;
}
