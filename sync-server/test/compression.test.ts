import { engineInternals } from '@commonroom/engine/testing';
import type { AddressInfo, Socket } from 'node:net';
import {
  LIMITS,
  PROTOCOL_VERSION,
  SYNC_STEP1,
  SYNC_STEP2,
  decodeMessage,
  encodeMessage,
  type Frame,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { DEFAULT_WS_COMPRESSION } from '../src/config.ts';
import { deflateOffers, deflateOptions, releaseIdleDeflate, releaseIdleInflate } from '../src/ws/deflate.ts';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  loginAdmin,
  seeded,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';
import { login } from './raw-client.ts';

/**
 * permessage-deflate on the sync socket (P10): real server on loopback, real `ws` clients negotiating the
 * extension as a browser does. What crosses the wire is read from the TCP socket itself: every WebSocket
 * frame header the server sent (RSV1 is the "compressed" bit, RFC 7692) and its length on the wire.
 */

type WireFrame = { compressed: boolean; opcode: number; wireBytes: number };

/** Parses the server's frames from the raw TCP bytes read after the HTTP 101 response. */
function tapFrames(socket: Socket): WireFrame[] {
  const frames: WireFrame[] = [];
  let buf = Buffer.alloc(0);
  let skip = 0; // payload bytes of the current frame still to come
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        skip -= n;
        buf = buf.subarray(n);
        if (skip > 0) return;
      }
      if (buf.length < 2) return;
      const b0 = buf[0] ?? 0;
      let len = (buf[1] ?? 0) & 0x7f;
      let header = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        header = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        header = 10;
      }
      frames.push({ compressed: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, wireBytes: header + len });
      buf = buf.subarray(header);
      skip = len;
    }
  });
  return frames;
}

type Client = {
  ws: WebSocket;
  /** The server's Sec-WebSocket-Extensions answer ('' for none). */
  accepted: string;
  /** Frames as they were on the wire, in order. */
  wire: WireFrame[];
  /** The same messages as the application sees them (inflated), in order. */
  messages: { bytes: number; frames: Frame[] }[];
  closed: Promise<number>;
};

async function connect(
  url: string,
  cookie: string,
  perMessageDeflate: WebSocket.ClientOptions['perMessageDeflate'] = true,
): Promise<Client> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync`, { headers: { cookie }, perMessageDeflate });
  const messages: Client['messages'] = [];
  let wire: WireFrame[] = [];
  let accepted = '';
  ws.once('upgrade', (res) => {
    accepted = res.headers['sec-websocket-extensions'] ?? '';
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      // ws has read the 101 response and nothing after it (the server speaks after HELLO); its own
      // 'data' listener is on the socket from here, and so is ours.
      wire = tapFrames((ws as unknown as { _socket: Socket })._socket);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: Buffer) => {
    const d = decodeMessage(new Uint8Array(data), Number.POSITIVE_INFINITY);
    if (!d.ok) throw new Error(d.error);
    messages.push({ bytes: data.byteLength, frames: d.frames });
  });
  await opened;
  const client: Client = { ws, accepted, wire, messages, closed };
  ws.send(encodeMessage([{ type: 'hello', version: PROTOCOL_VERSION, client: 'compression-test' }]));
  await until(() => messages.some((m) => m.frames.some((f) => f.type === 'welcome')));
  return client;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

/** Chat-like text, varied (a repeated sentence would compress unrealistically well). */
function chatLine(rand: () => number): string {
  const words = 'the a to and see you in room at after class lunch exam notes is it on for who has'.split(
    ' ',
  );
  const n = 5 + Math.floor(rand() * 20);
  return Array.from({ length: n }, () => words[Math.floor(rand() * words.length)] ?? 'ok').join(' ');
}

/** Asks for a whole document (a step 1 from an empty state vector): its answer is large enough to compress. */
const askWhole = (ws: { send(data: Uint8Array): void }, doc: string): void =>
  ws.send(
    encodeMessage([
      { type: 'sync', doc, ref: 0, syncType: SYNC_STEP1, payload: Y.encodeStateVector(new Y.Doc()) },
    ]),
  );
describe('P10: permessage-deflate on the sync socket', () => {
  let ts: TestServer;
  let docName = '';
  let cookie = '';
  let expected: string[] = [];

  beforeAll(async () => {
    // 150 messages written at once: over the per-person allowance, which is not what is tested here.
    // The sweep runs only when a test calls it: its own timer would race the counts asserted below.
    ts = await startServer({ limits: MANY_MESSAGES, compression: { inflateSweepMs: 0 } });
    const admin = await loginAdmin(ts);
    const writer = await addUser(ts, admin, 'tutor');
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    const rand = seeded(5);
    for (let i = 0; i < 150; i++) await writer.engine.send(general, `${i}: ${chatLine(rand)}`);
    await writer.engine.settled();
    expected = texts(writer.engine, general);
    docName = engineInternals(writer.engine).ownDocName(general);
    const reader = await addUser(ts, admin, 'student', { connect: false });
    cookie = await login(ts.url, reader.email, reader.password);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('negotiates bounded windows with a client that offers client_max_window_bits (Chromium, Safari, ws)', async () => {
    const c = await connect(ts.url, cookie);
    const d = DEFAULT_WS_COMPRESSION;
    expect(c.accepted).toBe(
      `permessage-deflate; client_max_window_bits=${d.clientMaxWindowBits}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=${d.serverMaxWindowBits}`,
    );
    c.ws.close();
  });

  it('large subscription answers arrive intact and compressed on the wire, again after the stream was let go; small frames go uncompressed', async () => {
    const c = await connect(ts.url, cookie);
    const isAnswer = (m: Client['messages'][number]): boolean =>
      m.frames.some((f) => f.type === 'sync' && f.syncType === SYNC_STEP2);
    // Twice: the server drops the socket's deflate stream after the first answer and makes a new one.
    const answers: number[] = [];
    for (let round = 0; round < 2; round++) {
      askWhole(c.ws, docName);
      await until(() => c.messages.filter(isAnswer).length > round);
      answers.push(c.messages.findLastIndex(isAnswer));
    }
    // Data frames on the wire pair one to one with the messages received (no fragmentation here).
    const data = c.wire.filter((f) => f.opcode === 2);
    expect(data).toHaveLength(c.messages.length);
    for (const i of answers) {
      // The answer: the whole author document, as the server holds it.
      const answer = c.messages[i];
      const step2 = answer?.frames.find((f) => f.type === 'sync' && f.syncType === SYNC_STEP2);
      if (!answer || step2?.type !== 'sync') throw new Error('no answer');
      const doc = new Y.Doc();
      Y.applyUpdate(doc, step2.payload);
      const got = doc
        .getArray<{ text: string }>('msgs')
        .toArray()
        .map((m) => m.text);
      expect(got).toEqual(expected);
      expect(answer.bytes).toBeGreaterThan(DEFAULT_WS_COMPRESSION.threshold * 5);
      expect(data[i]?.compressed).toBe(true);
      expect(data[i]?.wireBytes ?? Infinity).toBeLessThan(answer.bytes * 0.6);
    }
    // Everything under the threshold (the WELCOME of an empty workspace, step 1 answers, acks) is sent as is.
    for (const [k, m] of c.messages.entries()) {
      if (m.bytes >= DEFAULT_WS_COMPRESSION.threshold) continue;
      expect(data[k]?.compressed, `message ${k} of ${m.bytes} bytes`).toBe(false);
      expect(data[k]?.wireBytes).toBe(m.bytes + (m.bytes < 126 ? 2 : 4));
    }
    c.ws.close();
  });

  it('an acknowledged write and its ack stay uncompressed (one chat message is under the threshold)', async () => {
    const admin = await loginAdmin(ts);
    const writer = await addUser(ts, admin, 'tutor');
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    const reader = await connect(ts.url, cookie);
    askWhole(reader.ws, engineInternals(writer.engine).ownDocName(general));
    await until(() =>
      reader.messages.some((m) => m.frames.some((f) => f.type === 'sync' && f.syncType === SYNC_STEP2)),
    );
    const seen = reader.messages.length;
    await writer.engine.send(general, 'see you in the library at 3');
    await writer.engine.settled();
    await until(() => reader.messages.slice(seen).some((m) => m.frames.some((f) => f.type === 'sync')));
    const relayed = reader.messages.slice(seen);
    const wire = reader.wire.filter((f) => f.opcode === 2).slice(seen);
    expect(relayed.length).toBeGreaterThan(0);
    for (const [k, m] of relayed.entries()) {
      expect(m.bytes).toBeLessThan(DEFAULT_WS_COMPRESSION.threshold);
      expect(wire[k]?.compressed).toBe(false);
    }
    reader.ws.close();
  });

  it('T8: a compressed message that inflates past 64 KiB closes that socket with 1009; the server keeps serving', async () => {
    const bomber = await connect(ts.url, cookie);
    const other = await connect(ts.url, cookie);
    // 32 MiB of zeros deflate to about 32 KiB: under the limit on the wire, 500 times over it inflated.
    const bomb = Buffer.alloc(32 * 1024 * 1024);
    bomber.ws.send(bomb, { binary: true, compress: true });
    expect(await bomber.closed).toBe(1009);
    expect(bomb.length).toBeGreaterThan(LIMITS.maxFrameBytes * 100);

    // The other socket, opened before, still gets answers; and a new one can connect.
    const n = other.messages.length;
    askWhole(other.ws, docName);
    await until(() => other.messages.slice(n).some((m) => m.frames.some((f) => f.type === 'sync')));
    const again = await connect(ts.url, cookie);
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
    other.ws.close();
    again.ws.close();
  });

  it("the server's sweep closes a quiet browser-like socket's inflate stream, not a busy one's; its next compressed messages still arrive", async () => {
    // Compresses everything it sends, HELLO included, as browsers do.
    const c = await connect(ts.url, cookie, { threshold: 0 });
    const { wss } = ts.server.internals;
    // It spoke (HELLO) since the last sweep: kept; quiet since that sweep: closed at the next.
    wss.sweepInflate();
    expect(wss.sweepInflate()).toBeGreaterThanOrEqual(1);
    const n = c.messages.length;
    askWhole(c.ws, docName);
    await until(() =>
      c.messages.slice(n).some((m) => m.frames.some((f) => f.type === 'sync' && f.syncType === SYNC_STEP2)),
    );
    expect(wss.sweepInflate()).toBe(0);
    expect(wss.sweepInflate()).toBe(1);
    c.ws.close();
  });

  it('a client whose offer does not name client_max_window_bits (Firefox) still gets compression, not HTTP 400', async () => {
    // ws leaves the parameter out of its offer for `false` (@types/ws allows numbers only): Firefox's offer.
    const c = await connect(ts.url, cookie, { clientMaxWindowBits: false as unknown as number });
    expect(c.accepted).toBe(
      `permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=${DEFAULT_WS_COMPRESSION.serverMaxWindowBits}`,
    );
    c.ws.close();
  });

  it('a client asking for a smaller server window than ours connects uncompressed, not HTTP 400', async () => {
    const c = await connect(ts.url, cookie, { serverMaxWindowBits: 9 });
    expect(c.accepted).toBe('');
    c.ws.close();
  });

  it('a client that offers nothing gets nothing', async () => {
    const c = await connect(ts.url, cookie, false);
    expect(c.accepted).toBe('');
    c.ws.close();
  });
});

describe('WS_COMPRESSION=off', () => {
  it('negotiates no extension', async () => {
    const ts = await startServer({ env: { WS_COMPRESSION: 'off' } });
    try {
      const admin = await loginAdmin(ts);
      const u = await addUser(ts, admin, 'student', { connect: false });
      const c = await connect(ts.url, await login(ts.url, u.email, u.password));
      expect(c.accepted).toBe('');
      c.ws.close();
    } finally {
      await ts.destroy();
    }
  });
});

describe('deflateOffers', () => {
  it('reads each permessage-deflate offer with its parameters, in order', () => {
    expect(
      deflateOffers(
        'permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10", x-webkit-deflate-frame',
      ).map((o) => Object.fromEntries(o)),
    ).toEqual([{ client_max_window_bits: true }, { server_max_window_bits: '10' }]);
    expect(deflateOffers(undefined)).toEqual([]);
  });
});

describe('releaseIdleDeflate', () => {
  it('drops the deflate stream once the sender is idle; the next compressed message still arrives intact', async () => {
    const wss = new WebSocketServer({ port: 0, perMessageDeflate: deflateOptions(DEFAULT_WS_COMPRESSION) });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const server = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const got: string[] = [];
    client.on('message', (d: Buffer) => got.push(d.toString()));
    const ws = await server;
    const stream = (): unknown =>
      (ws as unknown as { _extensions: Record<string, { _deflate: unknown }> })._extensions[
        'permessage-deflate'
      ]?._deflate;
    const texts = ['first ', 'second '].map((w) => w.repeat(500));
    for (const text of texts) {
      await new Promise<void>((resolve, reject) =>
        ws.send(text, { compress: true }, (err) => {
          if (err) return reject(err);
          // Still held here: ws made it for this message.
          expect(stream()).not.toBeNull();
          releaseIdleDeflate(ws);
          resolve();
        }),
      );
      expect(stream()).toBeNull();
    }
    await until(() => got.length === 2);
    expect(got).toEqual(texts);
    client.close();
    wss.close();
  });
});

describe('releaseIdleInflate', () => {
  it('drops the inflate stream between client messages; the next compressed message still arrives intact', async () => {
    const wss = new WebSocketServer({ port: 0, perMessageDeflate: deflateOptions(DEFAULT_WS_COMPRESSION) });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const server = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    // Compresses everything it sends, as browsers do.
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
      perMessageDeflate: { threshold: 0 },
    });
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    const ws = await server;
    const stream = (): unknown =>
      (ws as unknown as { _extensions: Record<string, { _inflate: unknown }> })._extensions[
        'permessage-deflate'
      ]?._inflate;
    const got: string[] = [];
    const released: boolean[] = [];
    ws.on('message', (d: Buffer) => {
      got.push(d.toString());
      // While its 'message' event runs, ws's receiver is still inflating: nothing is released.
      expect(releaseIdleInflate(ws)).toBe(false);
      // Just after, the socket is between messages.
      setImmediate(() => released.push(releaseIdleInflate(ws)));
    });
    const texts = ['first ', 'second ', 'third '].map((w) => w.repeat(300));
    for (const [i, t] of texts.entries()) {
      client.send(t);
      await until(() => released.length === i + 1);
      expect(stream()).toBeNull();
    }
    expect(got).toEqual(texts);
    expect(released).toEqual([true, true, true]);
    // Nothing to release on a socket that has none.
    expect(releaseIdleInflate(ws)).toBe(false);
    client.close();
    wss.close();
  });
});
