import {
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
  type Frame,
} from '@commonroom/protocol';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { ServerKind } from '../servers/types.ts';

/**
 * One benchmark client per socket, the same shape for the three servers: it joins one channel, writes
 * chat-message-shaped entries ({ id, text, ts } pushed onto a Y.Array, as Commonroom's author documents
 * hold them) and hands every update it receives to the scenario. Peers get one shared document per
 * channel; Commonroom gets the per-author documents and the index of the channel's current segment.
 *
 * Acknowledgement: Commonroom's ACK (after the SQLite commit); Hocuspocus's SyncStatus (sent when the update
 * is applied in memory); y-websocket's echo of the writer's own update (it broadcasts to the sender too).
 */

export type ChannelSpec =
  | { kind: 'peer'; doc: string }
  | {
      kind: 'commonroom';
      conversationId: string;
      segment: number;
      authors: string[];
      /** Also follow the segments from this one up to `segment` (catching up across a rollover). */
      fromSegment?: number;
    };

export type ClientSpec = {
  index: number;
  channel: ChannelSpec;
  /** Commonroom: session cookie and the user id. */
  cookie?: string;
  userId?: string;
};

export type BenchClient = {
  ready: Promise<void>;
  /** Writes one message (and one more per text in `more`, in the same update); false if the socket is closed. */
  send(text: string, id: string, more?: readonly string[]): boolean;
  /**
   * Changes this person's presence: Commonroom's DEVICE_STATE (in use or idle; the server tells the people
   * who share a small conversation with them); the peers' awareness update (relayed to the others in the
   * document).
   */
  presence(status: 'online' | 'away'): boolean;
  /** Called with each update payload received (not step 2 answers to our own subscriptions unless `catchUp`). */
  onUpdate: (payload: Uint8Array, docName: string) => void;
  /**
   * Called once per acknowledged write with its text (Commonroom's ACK, Hocuspocus's SyncStatus); for
   * y-websocket the echo of the writer's own update arrives through onUpdate instead.
   */
  onAck: (text: string | null) => void;
  /** Total bytes of the WebSocket messages received (inflated, when compressed). */
  bytesIn(): number;
  /** Bytes read from the TCP socket: the HTTP 101 response and every frame as it was on the wire. */
  wireBytesIn(): number;
  /** The Sec-WebSocket-Extensions the server accepted ('' for none). */
  extensions(): string;
  /**
   * Server messages the real engine would have refused (and closed the socket for); null where nothing is
   * checked (the peers: no engine of ours reads their messages), never a constant shown as a count.
   */
  protocolViolations(): number | null;
  close(): void;
  closed(): boolean;
  /** Replicas this client holds (document name → Y.Doc), for catch-up. */
  docs: Map<string, Y.Doc>;
  /** Applies received updates to the replicas (true) or only scans them (false). */
  apply: boolean;
};

/**
 * `deflate`: offer permessage-deflate and compress everything sent, as a browser does. Off for the relay
 * figures (they measure the server's relay path, the same for the three servers).
 */
type Common = { apply: boolean; docs?: Map<string, Y.Doc>; deflate?: boolean };

/** A socket and what it read off the wire. */
type Dialled = { ws: WebSocket; wireBytes: () => number; extensions: () => string };

const dial = (url: string, headers: Record<string, string> = {}, deflate = false): Dialled => {
  const ws = new WebSocket(url, { headers, perMessageDeflate: deflate ? { threshold: 0 } : false });
  ws.binaryType = 'nodebuffer';
  let socket: { bytesRead: number } | null = null;
  let accepted = '';
  ws.once('upgrade', (res) => {
    accepted = res.headers['sec-websocket-extensions'] ?? '';
  });
  // ws's own field: the TCP socket, kept here so it can still be read after the close.
  ws.once('open', () => (socket = (ws as unknown as { _socket: { bytesRead: number } })._socket));
  return { ws, wireBytes: () => socket?.bytesRead ?? 0, extensions: () => accepted };
};

/** The message the local replica's push produced, as one Yjs update. */
function pushMessage(doc: Y.Doc, text: string, id: string, more: readonly string[] = []): Uint8Array {
  let out: Uint8Array | null = null;
  const capture = (u: Uint8Array): void => {
    out = u;
  };
  doc.on('update', capture);
  const ts = Date.now();
  // More messages in the same update (filling a database quickly, as a backlog sent merged).
  const batch = [{ id, text, ts }, ...more.map((t, i) => ({ id: `${id}x${i}`, text: t, ts }))];
  doc.getArray('msgs').push(batch);
  doc.off('update', capture);
  if (!out) throw new Error('push produced no update');
  return out;
}

export function connectClient(kind: ServerKind, port: number, spec: ClientSpec, opts: Common): BenchClient {
  if (kind === 'commonroom') return commonroomClient(port, spec, opts);
  return peerClient(kind, port, spec, opts);
}

function peerClient(
  kind: 'hocuspocus' | 'y-websocket',
  port: number,
  spec: ClientSpec,
  opts: Common,
): BenchClient {
  if (spec.channel.kind !== 'peer') throw new Error('peer client needs a peer channel');
  const name = spec.channel.doc;
  const hocus = kind === 'hocuspocus';
  const dialled = dial(hocus ? `ws://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/${name}`, {}, opts.deflate);
  const { ws } = dialled;
  const doc = opts.docs?.get(name) ?? new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  // Its 30 s keep-alive would add traffic the Commonroom clients do not send.
  clearInterval((awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
  let bytes = 0;
  let isClosed = false;
  /**
   * Hocuspocus answers each update with a SyncStatus, in order, and our step-2 reply to its step 1 too
   * (queued as null: not a write, so not an acknowledgement; over a slow link it arrives after `ready`).
   */
  const unacked: (string | null)[] = [];
  let resolveReady: () => void = () => undefined;
  let rejectReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const message = (write: (e: encoding.Encoder) => void): Uint8Array => {
    const e = encoding.createEncoder();
    if (hocus) encoding.writeVarString(e, name);
    write(e);
    return encoding.toUint8Array(e);
  };
  const client: BenchClient = {
    ready,
    docs: new Map([[name, doc]]),
    apply: opts.apply,
    onUpdate: () => undefined,
    onAck: () => undefined,
    send(text, id, more = []) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      const u = pushMessage(doc, text, id, more);
      if (hocus) unacked.push(text);
      ws.send(
        message((e) => {
          encoding.writeVarUint(e, 0);
          encoding.writeVarUint(e, SYNC_UPDATE);
          encoding.writeVarUint8Array(e, u);
        }),
      );
      return true;
    },
    presence(status) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      awareness.setLocalStateField('status', status);
      ws.send(
        message((e) => {
          encoding.writeVarUint(e, 1); // Awareness
          encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
        }),
      );
      return true;
    },
    bytesIn: () => bytes,
    wireBytesIn: dialled.wireBytes,
    extensions: dialled.extensions,
    protocolViolations: () => null,
    close: () => {
      awareness.destroy();
      ws.close();
    },
    closed: () => isClosed,
  };
  ws.on('open', () => {
    if (hocus)
      ws.send(
        message((e) => {
          encoding.writeVarUint(e, 2); // Auth
          encoding.writeVarUint(e, 0); // Token
          encoding.writeVarString(e, 'bench');
        }),
      );
    ws.send(
      message((e) => {
        encoding.writeVarUint(e, 0);
        encoding.writeVarUint(e, SYNC_STEP1);
        encoding.writeVarUint8Array(e, Y.encodeStateVector(doc));
      }),
    );
  });
  ws.on('message', (data: Buffer) => {
    bytes += data.byteLength;
    const d = decoding.createDecoder(data);
    if (hocus) decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    // 0 sync, 4 sync reply (Hocuspocus); 1 awareness, 2 auth, 3 query awareness ignored; 8 sync status.
    if (type === 8 && hocus) {
      const text = unacked.shift();
      if (text !== null) client.onAck(text ?? null);
      return;
    }
    if (type !== 0 && type !== 4) return;
    const syncType = decoding.readVarUint(d);
    const payload = decoding.readVarUint8Array(d);
    if (syncType === SYNC_STEP1) {
      ws.send(
        message((e) => {
          encoding.writeVarUint(e, hocus ? 4 : 0);
          encoding.writeVarUint(e, SYNC_STEP2);
          encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc, payload));
        }),
      );
      return;
    }
    if (client.apply || syncType === SYNC_STEP2) Y.applyUpdate(doc, payload, 'server');
    if (syncType === SYNC_STEP2) resolveReady();
    client.onUpdate(payload, name);
  });
  ws.on('error', (e) => rejectReady(e));
  ws.on('close', () => {
    isClosed = true;
    rejectReady(new Error('closed before ready'));
  });
  return client;
}

function commonroomClient(port: number, spec: ClientSpec, opts: Common): BenchClient {
  if (spec.channel.kind !== 'commonroom' || !spec.cookie || !spec.userId)
    throw new Error('commonroom client needs a commonroom channel, a cookie and a user id');
  const channel = spec.channel;
  const conv = asConversationId(channel.conversationId);
  const me = asUserId(spec.userId);
  let segment = channel.segment;
  const dialled = dial(`ws://127.0.0.1:${port}/sync`, { cookie: spec.cookie }, opts.deflate);
  const { ws } = dialled;
  const docs = opts.docs ?? new Map<string, Y.Doc>();
  const waitingStep2 = new Set<string>();
  let bytes = 0;
  let nextRef = 1;
  let isClosed = false;
  /** Writes refused because the segment closed under them: sent again in the next segment (P13). */
  type Written = { text: string; id: string; more: readonly string[] };
  const toResend: Written[] = [];
  const inflight = new Map<number, Written & { segment: number }>();
  let resolveReady: () => void = () => undefined;
  let rejectReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let welcomed = false;
  let oversized = 0;
  const send = (frames: Frame[]): void => ws.send(encodeMessage(frames));

  const subscribeSegment = (seg: number): void => {
    if (seg > segment) segment = seg;
    const names = [idxDoc(conv, seg), ...channel.authors.map((a) => authorDoc(conv, asUserId(a), seg))];
    if (!names.includes(authorDoc(conv, me, seg))) names.push(authorDoc(conv, me, seg));
    const frames: Frame[] = [];
    for (const n of names) {
      let d = docs.get(n);
      if (!d) docs.set(n, (d = new Y.Doc()));
      waitingStep2.add(n);
      frames.push({ type: 'sync', doc: n, ref: 0, syncType: SYNC_STEP1, payload: Y.encodeStateVector(d) });
    }
    send(frames);
  };

  const write = (text: string, id: string, more: readonly string[] = []): boolean => {
    if (ws.readyState !== WebSocket.OPEN) return false;
    const name = authorDoc(conv, me, segment);
    let d = docs.get(name);
    if (!d) docs.set(name, (d = new Y.Doc()));
    const u = pushMessage(d, text, id, more);
    const ref = nextRef++;
    inflight.set(ref, { text, id, segment, more });
    send([{ type: 'sync', doc: name, ref, syncType: SYNC_UPDATE, payload: u }]);
    return true;
  };

  const client: BenchClient = {
    ready,
    docs,
    apply: opts.apply,
    onUpdate: () => undefined,
    onAck: () => undefined,
    send: write,
    presence(status) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      send([{ type: 'deviceState', state: status === 'away' ? 'idle' : 'active', showing: '' }]);
      return true;
    },
    bytesIn: () => bytes,
    wireBytesIn: dialled.wireBytes,
    extensions: dialled.extensions,
    protocolViolations: () => oversized,
    close: () => ws.close(),
    closed: () => isClosed,
  };

  ws.on('open', () => send([{ type: 'hello', version: PROTOCOL_VERSION, client: 'bench' }]));
  ws.on('message', (data: Buffer) => {
    bytes += data.byteLength;
    const decoded = decodeMessage(data, Number.POSITIVE_INFINITY);
    if (!decoded.ok) {
      // Known server bug (see BENCHMARKS.md): with 512+ people online, WELCOME carries one presence frame
      // per person and breaks the 512-frame limit; the real engine closes the socket with 4003 here. The
      // bench counts it and carries on (the first frame is the WELCOME), so memory can still be measured.
      if (decoded.error === 'too many frames in one message' && !welcomed) {
        oversized++;
        welcomed = true;
        subscribeSegment(segment);
        return;
      }
      throw new Error(`undecodable server message: ${decoded.error}`);
    }
    for (const f of decoded.frames) {
      switch (f.type) {
        case 'welcome':
          if (!welcomed) {
            welcomed = true;
            for (let seg = channel.fromSegment ?? segment; seg <= segment; seg++) subscribeSegment(seg);
          }
          break;
        case 'sync': {
          const d = docs.get(f.doc);
          if (f.syncType === SYNC_STEP1) break; // the server's state: we write only new updates with refs
          const isAuthor = f.doc.includes('/u/');
          if (d && (client.apply || f.syncType === SYNC_STEP2)) Y.applyUpdate(d, f.payload, 'server');
          if (f.syncType === SYNC_STEP2 && waitingStep2.delete(f.doc) && waitingStep2.size === 0)
            resolveReady();
          if (isAuthor) client.onUpdate(f.payload, f.doc);
          break;
        }
        case 'ack':
          {
            const w = inflight.get(f.ref);
            if (w) {
              inflight.delete(f.ref);
              client.onAck(w.text);
            }
          }
          break;
        case 'reject': {
          const w = inflight.get(f.ref);
          inflight.delete(f.ref);
          // segment-closed: the conversation moved on (P13). missing-history: an earlier write of the same
          // window was refused for that reason, so this one depends on it. Both go again in the new segment.
          if (
            w &&
            (f.code === 'segment-closed' || (f.code === 'missing-history' && w.segment < segment + 1))
          ) {
            if (segment > w.segment) write(w.text, w.id, w.more);
            else toResend.push(w);
          } else
            process.stderr.write(`commonroom client ${spec.index}: write refused: ${f.code} ${f.message}\n`);
          break;
        }
        case 'notice':
          if (f.kind === 'conversation-changed') {
            const n = JSON.parse(f.json) as { id: string; segment: number };
            if (n.id === channel.conversationId && n.segment > segment) {
              segment = n.segment;
              subscribeSegment(segment);
              for (const w of toResend.splice(0)) write(w.text, w.id, w.more);
            }
          }
          break;
        case 'error':
          process.stderr.write(`commonroom client ${spec.index}: ${f.code} ${f.message}\n`);
          break;
        default:
          break;
      }
    }
  });
  ws.on('unexpected-response', (_req, res) =>
    rejectReady(new Error(`upgrade refused: ${String(res.statusCode)}`)),
  );
  ws.on('error', (e) => rejectReady(e));
  ws.on('close', (code) => {
    isClosed = true;
    rejectReady(new Error(`closed before ready (${code})`));
  });
  return client;
}
