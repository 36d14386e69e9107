import {
  PROTOCOL_VERSION,
  SYNC_STEP1,
  SYNC_STEP2,
  asConversationId,
  asUserId,
  authorDoc,
  decodeMessage,
  idxDoc,
  modDoc,
  packMessages,
  type Frame,
} from '@commonroom/protocol';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { findMarkers, nowNs } from './marker.ts';

/**
 * A reconnecting device for the reconnect storm: one socket for all its channels, doing on reconnect what
 * the engine does (packages/engine: connection.ts and engine.ts `onWelcome`): wait a jittered backoff,
 * HELLO, then one round of state vectors (packed into as few socket messages as fit, P3) for the newest
 * segment of every channel, every segment of the two opened last and its own author document of every
 * other segment, and the two HTTP refreshes the engine sends on every WELCOME (conversations, directory); a
 * conversation that moved to a newer segment meanwhile gets that segment's documents followed too.
 *
 * Unlike the engine it keeps each document's state vector, not a Y.Doc: that is all a reconnect sends, and
 * 1,000 replicas in two load processes would take the cores the server is measured on (the fan-out figure
 * scans instead of applying for the same reason). What arrives is scanned for the missed messages' markers.
 */

export type StormChannel = {
  conversationId: string;
  /** Segments this device holds (their documents' state vectors are in the shared state table). */
  segments: number[];
  /** Whose author documents it follows in each segment (the channel's writers). */
  authors: string[];
};

export type StormSpec = {
  index: number;
  cookie: string;
  userId: string;
  channels: StormChannel[];
  /**
   * The conversations opened last (the engine keeps two, engine.ts `RECENTLY_OPENED`): it follows their
   * older segments at once on a reconnect; the other channels' older segments rest until opened, apart from
   * the device's own author documents (engine.ts `followOnWelcome`).
   */
  recentlyOpened: string[];
  /** Missed messages (markers from writers numbered `missedFrom` and up) it must end up holding. */
  expectMissed: number;
};

export type StormOutcome = {
  /** From the storm's start to holding everything; null if not within the time allowed. */
  caughtUpMs: number | null;
  /** From the storm's start until the HTTP refreshes were answered too. */
  httpDoneMs: number | null;
  attempts: number;
  socketBytes: number;
  httpBytes: number;
  /** Documents followed (their state vectors sent) on the reconnect, and those held in all. */
  documents: number;
  documentsHeld: number;
  missedSeen: number;
  /** The directory version (ETag) it holds at the end, as the engine keeps it (`usersEtag`). */
  directoryEtag: string | null;
};

/** The engine's reconnect delay (connection.ts `scheduleReconnect`): full jitter, at least half the base. */
export function engineBackoffMs(attempt: number, minMs = 500, maxMs = 30_000): number {
  const cap = Math.min(maxMs, minMs * 2 ** attempt);
  return Math.max(minMs / 2, Math.floor(Math.random() * cap));
}

export const docsOfSegment = (c: StormChannel, me: string, segment: number): string[] => {
  const conv = asConversationId(c.conversationId);
  const names = [idxDoc(conv, segment), modDoc(conv, segment)];
  for (const a of new Set([...c.authors, me])) names.push(authorDoc(conv, asUserId(a), segment));
  return names;
};

const EMPTY_SV = Y.encodeStateVector(new Y.Doc());

/**
 * Runs one device's reconnect from `startNs` (a CLOCK_MONOTONIC instant shared by the load processes) and
 * resolves when it holds everything or `deadlineNs` passes. `states` maps document name → the state vector
 * this device held when it went away (absent: it held nothing of that document). `record` keeps the state
 * vector of everything received (priming the replicas; nothing is expected then). `directoryEtag` is the
 * directory version the device held (the engine sends it as If-None-Match and gets 304 if unchanged).
 */
export function runStormClient(
  port: number,
  spec: StormSpec,
  states: ReadonlyMap<string, Uint8Array>,
  opts: {
    startNs: bigint;
    deadlineNs: bigint;
    missedFrom: number;
    record?: Map<string, Uint8Array>;
    directoryEtag?: string | null;
  },
): Promise<StormOutcome> {
  const base = `http://127.0.0.1:${port}`;
  const held = new Map<string, number>(); // conversation → newest segment followed
  const docs = new Set<string>();
  let documentsHeld = 0;
  for (const c of spec.channels) {
    const newest = Math.max(...c.segments);
    held.set(c.conversationId, newest);
    for (const seg of c.segments) {
      const names = docsOfSegment(c, spec.userId, seg);
      documentsHeld += names.length;
      const whole = seg === newest || spec.recentlyOpened.includes(c.conversationId);
      const own = authorDoc(asConversationId(c.conversationId), asUserId(spec.userId), seg);
      for (const n of names) if (whole || n === own) docs.add(n);
    }
  }
  const answered = new Set<string>();
  const missed = new Set<string>();
  const out: StormOutcome = {
    caughtUpMs: null,
    httpDoneMs: null,
    attempts: 0,
    socketBytes: 0,
    httpBytes: 0,
    documents: 0,
    documentsHeld,
    missedSeen: 0,
    directoryEtag: opts.directoryEtag ?? null,
  };
  const sinceStart = (): number => Number(nowNs() - opts.startNs) / 1e6;
  let httpPending = 0;
  let refreshing = false;
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ws: WebSocket | null = null;

  return new Promise<StormOutcome>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      clearTimeout(deadline);
      out.documents = docs.size;
      out.missedSeen = missed.size;
      ws?.close();
      resolve(out);
    };
    const deadline = setTimeout(finish, Math.max(0, Number(opts.deadlineNs - nowNs()) / 1e6));
    const check = (): void => {
      if (out.caughtUpMs === null && !refreshing && answered.size === docs.size)
        if (missed.size >= spec.expectMissed) out.caughtUpMs = sinceStart();
      if (out.caughtUpMs !== null && httpPending === 0) {
        out.httpDoneMs ??= sinceStart();
        finish();
      }
    };
    const send = (frames: Frame[]): void => {
      for (const m of packMessages(frames)) ws?.send(m);
    };
    const stateOf = (n: string): Uint8Array => states.get(n) ?? EMPTY_SV;
    const subscribe = (names: string[]): void =>
      send(names.map((n) => ({ type: 'sync', doc: n, ref: 0, syncType: SYNC_STEP1, payload: stateOf(n) })));

    const get = async (path: string, etag: string | null = null): Promise<unknown> => {
      httpPending++;
      try {
        const res = await fetch(`${base}${path}`, {
          headers: { cookie: spec.cookie, ...(etag ? { 'if-none-match': etag } : {}) },
        });
        const body = await res.arrayBuffer();
        out.httpBytes += body.byteLength;
        if (res.status === 304) return null;
        if (path === '/api/users') out.directoryEtag = res.headers.get('etag');
        return res.ok ? (JSON.parse(Buffer.from(body).toString('utf8')) as unknown) : null;
      } catch {
        return null;
      } finally {
        httpPending--;
      }
    };
    /** The engine's refreshConversations: a conversation now in a newer segment gets that segment followed. */
    const refresh = async (): Promise<void> => {
      refreshing = true;
      const r = (await get('/api/conversations')) as {
        conversations: { id: string; segment: number }[];
      } | null;
      const fresh: string[] = [];
      for (const c of r?.conversations ?? []) {
        const mine = spec.channels.find((x) => x.conversationId === c.id);
        if (!mine || c.segment <= (held.get(c.id) ?? -1)) continue;
        held.set(c.id, c.segment);
        for (const n of docsOfSegment(mine, spec.userId, c.segment))
          if (!docs.has(n)) {
            docs.add(n);
            fresh.push(n);
          }
      }
      if (fresh.length > 0) subscribe(fresh);
      refreshing = false;
      check();
    };

    const open = (): void => {
      if (finished) return;
      out.attempts++;
      answered.clear();
      const s = new WebSocket(`ws://127.0.0.1:${port}/sync`, {
        headers: { cookie: spec.cookie },
        perMessageDeflate: false,
      });
      ws = s;
      s.binaryType = 'nodebuffer';
      let welcomed = false;
      s.on('open', () => send([{ type: 'hello', version: PROTOCOL_VERSION, client: 'bench-storm' }]));
      s.on('message', (data: Buffer) => {
        out.socketBytes += data.byteLength;
        const decoded = decodeMessage(data, Number.POSITIVE_INFINITY);
        if (!decoded.ok) {
          s.close(4003, 'undecodable');
          return;
        }
        for (const f of decoded.frames) {
          if (f.type === 'welcome' && !welcomed) {
            welcomed = true;
            subscribe([...docs]);
            void refresh();
            void get('/api/users', out.directoryEtag).then(check);
          } else if (f.type === 'sync' && f.syncType !== SYNC_STEP1) {
            for (const m of findMarkers(f.payload))
              if (m.writer >= opts.missedFrom) missed.add(`${m.writer}:${m.seq}`);
            // Priming: nothing is written meanwhile, so each document's one answer is all of it.
            if (opts.record && f.syncType === SYNC_STEP2)
              opts.record.set(f.doc, Y.encodeStateVectorFromUpdate(f.payload));
            if (f.syncType === SYNC_STEP2) answered.add(f.doc);
          }
        }
        check();
      });
      s.on('error', () => undefined);
      // Closed before holding everything (refused, overloaded, dropped): the engine's next, longer backoff.
      s.on('close', () => {
        if (finished || ws !== s) return;
        ws = null;
        timer = setTimeout(open, engineBackoffMs(out.attempts));
      });
    };

    const first = Number(opts.startNs - nowNs()) / 1e6 + engineBackoffMs(0);
    timer = setTimeout(open, Math.max(0, first));
  });
}
