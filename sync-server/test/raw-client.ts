import { eventually } from '@commonroom/testkit';
import {
  PROTOCOL_VERSION,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  decodeMessage,
  encodeMessage,
  type Frame,
} from '@commonroom/protocol';
import WebSocket from 'ws';
import * as Y from 'yjs';

/**
 * A hand-driven protocol client that sends whatever bytes a test crafts, for the attacks the engine would
 * never make. It records every frame and the close code.
 */
export type RawClient = {
  frames: Frame[];
  /** The frames of each WebSocket message received, in order (to see what the server sends together). */
  messages: Frame[][];
  closed: { code: number; reason: string } | null;
  /** Called for every frame as it is decoded, before anything else sees it (to act at that instant). */
  onFrame: ((f: Frame) => void) | null;
  send(frames: Frame[]): void;
  sendBytes(bytes: Uint8Array): void;
  /** Sends an update with a ref and resolves with the server's answer to that ref (or the close). */
  write(
    doc: string,
    update: Uint8Array,
    actions?: readonly string[],
  ): Promise<{ kind: 'ack' } | { kind: 'reject'; code: string } | { kind: 'closed'; code: number }>;
  /** Subscribes and resolves with the server's copy of the document. */
  fetchDoc(doc: string): Promise<Y.Doc | { revoked: string }>;
  close(): void;
};

export async function login(url: string, login: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const c = res.headers.getSetCookie().find((x) => x.startsWith('cr_session='));
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0] ?? '';
}

export async function connectRaw(
  url: string,
  cookie: string,
  opts: { hello?: boolean; origin?: string } = {},
): Promise<RawClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync`, {
    headers: { cookie, ...(opts.origin ? { origin: opts.origin } : {}) },
  });
  ws.binaryType = 'arraybuffer';
  let ref = 1000;
  const waiters = new Map<number, (r: Awaited<ReturnType<RawClient['write']>>) => void>();
  const frameWaiters: ((f: Frame) => void)[] = [];
  const client: RawClient = {
    frames: [],
    messages: [],
    closed: null,
    onFrame: null,
    send: (frames) => ws.send(encodeMessage(frames)),
    sendBytes: (b) => ws.send(b),
    write(doc, update, actions) {
      const r = ++ref;
      return new Promise((resolve) => {
        if (client.closed) return resolve({ kind: 'closed', code: client.closed.code });
        waiters.set(r, resolve);
        client.send([
          {
            type: 'sync',
            doc,
            ref: r,
            syncType: SYNC_UPDATE,
            payload: update,
            ...(actions ? { actions } : {}),
          },
        ]);
      });
    },
    fetchDoc(doc) {
      return new Promise((resolve) => {
        const ydoc = new Y.Doc();
        frameWaiters.push(function listener(f: Frame) {
          if (f.type === 'sync' && f.doc === doc && f.syncType === 1) {
            Y.applyUpdate(ydoc, f.payload);
            resolve(ydoc);
            return;
          }
          if (f.type === 'revoked' && f.doc === doc) return resolve({ revoked: f.reason });
          if ((f.type === 'reject' || f.type === 'error') && 'code' in f) return resolve({ revoked: f.code });
          frameWaiters.push(listener);
        });
        client.send([
          { type: 'sync', doc, ref: 0, syncType: SYNC_STEP1, payload: Y.encodeStateVector(ydoc) },
        ]);
      });
    },
    close: () => ws.close(),
  };
  ws.on('message', (data: ArrayBuffer) => {
    const d = decodeMessage(new Uint8Array(data), Number.POSITIVE_INFINITY);
    if (!d.ok) throw new Error(`server sent undecodable bytes: ${d.error}`);
    client.messages.push(d.frames);
    for (const f of d.frames) {
      client.onFrame?.(f);
      client.frames.push(f);
      if (f.type === 'ack') waiters.get(f.ref)?.({ kind: 'ack' });
      if (f.type === 'reject') waiters.get(f.ref)?.({ kind: 'reject', code: f.code });
      const pending = frameWaiters.splice(0);
      for (const w of pending) w(f);
    }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
  ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
    for (const w of waiters.values()) w({ kind: 'closed', code });
    waiters.clear();
  });
  await opened;
  if (opts.hello !== false) {
    client.send([{ type: 'hello', version: PROTOCOL_VERSION, client: 'raw-test' }]);
    await new Promise<void>((resolve) => {
      const check = (): void =>
        client.frames.some((f) => f.type === 'welcome') || client.closed
          ? resolve()
          : void setTimeout(check, 5);
      check();
    });
  }
  return client;
}

/** An update that adds `values` to root `root` of a fresh document (what a forger would craft). */
export function craftUpdate(build: (doc: Y.Doc) => void, base?: Y.Doc): Uint8Array {
  const doc = base ?? new Y.Doc();
  const before = Y.encodeStateVector(doc);
  build(doc);
  return Y.encodeStateAsUpdate(doc, before);
}

let nextRef = 1;
/**
 * Sends a step 1 with `sv` (under a ref of its own) and resolves with the step 2 answering it and the
 * server's step 1 that follows it (P2, P3).
 */
export async function subscribeAnswer(
  raw: RawClient,
  doc: string,
  sv: Uint8Array,
): Promise<{ step2: Uint8Array; serverSv: Uint8Array }> {
  const ref = nextRef++;
  const from = raw.frames.length;
  raw.send([{ type: 'sync', doc, ref, syncType: SYNC_STEP1, payload: sv }]);
  let out: { step2: Uint8Array; serverSv: Uint8Array } | null = null;
  await eventually(() => {
    const after = raw.frames.slice(from);
    const i = after.findIndex(
      (f) => f.type === 'sync' && f.doc === doc && f.syncType === SYNC_STEP2 && f.ref === ref,
    );
    if (i < 0) throw new Error(`no step 2 for ${doc} yet`);
    const [s2, s1] = [after[i], after[i + 1]];
    if (s2?.type !== 'sync' || s1?.type !== 'sync' || s1.doc !== doc || s1.syncType !== SYNC_STEP1)
      throw new Error(`no step 1 after the step 2 for ${doc}`);
    out = { step2: s2.payload, serverSv: s1.payload };
  });
  if (!out) throw new Error('no answer');
  return out;
}
