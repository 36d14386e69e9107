import type * as Y from 'yjs';
import { connectClient, type BenchClient, type ClientSpec } from './clients/wire.ts';
import { chatMessageText, findMarkers, messageText, nowNs } from './clients/marker.ts';
import { encodeHistogram, newHistogram } from './hist.ts';
import { serveParent, type Msg } from './proc.ts';
import type { ServerKind } from './servers/types.ts';

/**
 * A load process: holds a batch of benchmark clients (sockets) and runs what the parent asks, timed by
 * CLOCK_MONOTONIC shared with the other processes. Every run is bounded by its duration plus a drain limit.
 */

type Held = { spec: ClientSpec; client: BenchClient; seen: Set<number> };
let held: Held[] = [];
let kind: ServerKind = 'commonroom';

const key = (writer: number, seq: number): number => writer * 10_000_000 + seq;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects `specs`, at most `parallel` handshakes at a time. */
async function connectAll(
  port: number,
  specs: ClientSpec[],
  apply: boolean,
  parallel: number,
  deflate: boolean,
): Promise<number> {
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const spec = specs[next++];
      if (!spec) break;
      const client = connectClient(kind, port, spec, { apply, deflate });
      const h: Held = { spec, client, seen: new Set() };
      try {
        await client.ready;
        held.push(h);
      } catch (e) {
        failed++;
        if (failed <= 3)
          process.stderr.write(`client ${spec.index}: ${e instanceof Error ? e.message : String(e)}\n`);
        client.close();
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, () => worker()));
  return failed;
}

type RunResult = {
  latency: string;
  ack: string;
  sent: number;
  delivered: number;
  acked: number;
  firstSendNs: string;
  lastDeliveryNs: string;
  presenceSent: number;
  bytesIn: number;
  /** This load process's CPU time over the run (user + system, µs): is the load the limit? */
  cpuUs: number;
};

/**
 * Open loop: each writer sends `rate` messages per second on a fixed schedule (random phase) for
 * `durationMs`; every other client of the channel records send → receive for each message. Then waits
 * until nothing has arrived for a second (at most `drainMs`).
 */
async function openLoop(m: Msg): Promise<RunResult> {
  const startNs = BigInt(m.startNs as string);
  const durationMs = m.durationMs as number;
  const rate = m.rate as number;
  const drainMs = m.drainMs as number;
  const writers = new Set(m.writers as number[]);
  // Each run on the same sockets (the fan-out ceiling's steps) numbers its messages from its own base, so
  // a late delivery from an earlier step is not counted in this one.
  const seqBase = (m.seqBase as number | undefined) ?? 0;
  const quietMs = (m.quietMs as number | undefined) ?? 1000;
  const cpu0 = process.cpuUsage();
  const latency = newHistogram();
  const ack = newHistogram();
  let sent = 0;
  let delivered = 0;
  let acked = 0;
  let firstSend = 0n;
  let lastDelivery = 0n;
  const bytesBefore = held.reduce((n, h) => n + h.client.bytesIn(), 0);
  for (const h of held) {
    const me = h.spec.index;
    h.client.onUpdate = (payload) => {
      const at = nowNs();
      for (const mk of findMarkers(payload)) {
        if (mk.seq < seqBase) continue;
        if (mk.writer === me) {
          // y-websocket sends a writer's own update back: that echo is its only acknowledgement.
          if (kind === 'y-websocket' && !h.seen.has(key(mk.writer, mk.seq))) {
            h.seen.add(key(mk.writer, mk.seq));
            acked++;
            ack.recordValue(Math.max(1, Number((at - mk.sentNs) / 1000n)));
          }
          continue;
        }
        const k = key(mk.writer, mk.seq);
        if (h.seen.has(k)) continue;
        h.seen.add(k);
        delivered++;
        lastDelivery = at;
        latency.recordValue(Math.max(1, Number((at - mk.sentNs) / 1000n)));
      }
    };
    h.client.onAck = (text) => {
      const at = nowNs();
      const mk = text ? findMarkers(Buffer.from(text, 'utf8'))[0] : undefined;
      acked++;
      if (mk) ack.recordValue(Math.max(1, Number((at - mk.sentNs) / 1000n)));
    };
  }
  const wait = Number(startNs - nowNs()) / 1e6;
  if (wait > 0) await sleep(wait);
  const intervalMs = 1000 / rate;
  const endNs = startNs + BigInt(durationMs) * 1_000_000n;
  const loops = held
    .filter((h) => writers.has(h.spec.index))
    .map(async (h) => {
      let seq = seqBase;
      const phase = Math.random() * intervalMs;
      for (;;) {
        const due = startNs + BigInt(Math.round((phase + (seq - seqBase) * intervalMs) * 1e6));
        if (due >= endNs) return;
        const ahead = Number(due - nowNs()) / 1e6;
        if (ahead > 0) await sleep(ahead);
        const t = nowNs();
        if (firstSend === 0n || t < firstSend) firstSend = t;
        if (h.client.send(messageText(h.spec.index, seq, t), `w${h.spec.index}s${seq}`)) sent++;
        seq++;
      }
    });
  // Presence alongside (the 500-client figure): every client, writer or not, goes away and comes back, one
  // change per period at its own moment.
  const presenceEveryMs = (m.presenceEveryMs as number | undefined) ?? 0;
  let presenceSent = 0;
  const presenceLoops =
    presenceEveryMs > 0
      ? held.map(async (h) => {
          const phase = Math.random() * presenceEveryMs;
          for (let i = 0; ; i++) {
            const due = startNs + BigInt(Math.round((phase + i * presenceEveryMs) * 1e6));
            if (due >= endNs) return;
            const ahead = Number(due - nowNs()) / 1e6;
            if (ahead > 0) await sleep(ahead);
            if (h.client.presence(i % 2 === 0 ? 'away' : 'online')) presenceSent++;
          }
        })
      : [];
  await Promise.all([...loops, ...presenceLoops]);
  // Drain: until nothing arrived for `quietMs` (a second; longer over a slow link), bounded by drainMs.
  const drainEnd = Date.now() + drainMs;
  let last = -1;
  let quietSince = Date.now();
  while (Date.now() < drainEnd && Date.now() - quietSince < quietMs) {
    await sleep(50);
    if (delivered + acked !== last) {
      last = delivered + acked;
      quietSince = Date.now();
    }
  }
  const result: RunResult = {
    latency: encodeHistogram(latency),
    ack: encodeHistogram(ack),
    sent,
    delivered,
    acked,
    firstSendNs: String(firstSend),
    lastDeliveryNs: String(lastDelivery),
    presenceSent,
    bytesIn: held.reduce((n, h) => n + h.client.bytesIn(), 0) - bytesBefore,
    cpuUs: (({ user, system }) => user + system)(process.cpuUsage(cpu0)),
  };
  latency.destroy();
  ack.destroy();
  return result;
}

/**
 * Closed loop: every writer keeps `window` writes unacknowledged and sends the next as soon as one is
 * acknowledged, for `durationMs`. Counts acknowledgements inside the window of time.
 */
async function closedLoop(m: Msg): Promise<Record<string, unknown>> {
  const startNs = BigInt(m.startNs as string);
  const durationMs = m.durationMs as number;
  const window = m.window as number;
  const endNs = startNs + BigInt(durationMs) * 1_000_000n;
  const ack = newHistogram();
  let acked = 0;
  let sent = 0;
  let running = true;
  const wait = Number(startNs - nowNs()) / 1e6;
  if (wait > 0) await sleep(wait);
  for (const h of held) {
    let seq = 0;
    const me = h.spec.index;
    const sendOne = (): void => {
      if (!running) return;
      const t = nowNs();
      if (h.client.send(messageText(me, seq, t), `w${me}s${seq}`)) sent++;
      seq++;
    };
    const onAcked = (sentNs: bigint): void => {
      const at = nowNs();
      if (at <= endNs) {
        acked++;
        ack.recordValue(Math.max(1, Number((at - sentNs) / 1000n)));
      }
      sendOne();
    };
    h.client.onAck = (text) => {
      const mk = text ? findMarkers(Buffer.from(text, 'utf8'))[0] : undefined;
      onAcked(mk?.sentNs ?? nowNs());
    };
    h.client.onUpdate = (payload) => {
      if (kind !== 'y-websocket') return;
      for (const mk of findMarkers(payload)) if (mk.writer === me) onAcked(mk.sentNs);
    };
    for (let i = 0; i < window; i++) sendOne();
  }
  await sleep(Math.max(0, Number(endNs - nowNs()) / 1e6));
  running = false;
  await sleep(200);
  const result = { ack: encodeHistogram(ack), acked, sent };
  ack.destroy();
  return result;
}

/**
 * The text of message `seq` of `writer`: the relay figures' sentence, or varied chat text (`text: 'chat'`)
 * for the figures that count bytes, where a repeated sentence would compress unrealistically well.
 */
const textOf = (m: Msg): ((writer: number, seq: number, part?: number) => string) =>
  m.text === 'chat'
    ? (w, seq, part = 0) => chatMessageText(w, seq, nowNs(), part)
    : (w, seq) => messageText(w, seq, nowNs());

/**
 * Each held client writes `perClient` messages, `window` unacknowledged at a time, and resolves when all
 * are acknowledged (Commonroom ACK, Hocuspocus SyncStatus, y-websocket echo).
 */
async function burst(m: Msg): Promise<Record<string, unknown>> {
  const perClient = m.perClient as number;
  const text = textOf(m);
  const window = (m.window as number | undefined) ?? 4;
  await Promise.all(
    held.map(
      (h) =>
        new Promise<void>((resolve) => {
          const me = h.spec.index;
          let seq = (m.firstSeq as number | undefined) ?? 0;
          const last = seq + perClient;
          let done = 0;
          const sendOne = (): void => {
            if (seq < last) h.client.send(text(me, seq), `w${me}s${seq}`);
            seq++;
          };
          const acked = (): void => {
            if (++done === perClient) resolve();
            else sendOne();
          };
          h.client.onAck = () => acked();
          h.client.onUpdate = (payload) => {
            if (kind === 'y-websocket') for (const mk of findMarkers(payload)) if (mk.writer === me) acked();
          };
          for (let i = 0; i < window; i++) sendOne();
        }),
    ),
  );
  return {};
}

/** Fills the database: every held client writes `updates` updates of `perUpdate` messages, 2 in flight. */
async function fill(m: Msg): Promise<Record<string, unknown>> {
  const updates = m.updates as number;
  const perUpdate = m.perUpdate as number;
  const text = textOf(m);
  await Promise.all(
    held.map(
      (h) =>
        new Promise<void>((resolve) => {
          const me = h.spec.index;
          let seq = 0;
          let done = 0;
          const sendOne = (): void => {
            if (seq < updates)
              h.client.send(
                text(me, seq),
                `f${me}s${seq}`,
                Array.from({ length: perUpdate - 1 }, (_, i) => text(me, seq, i + 1)),
              );
            seq++;
          };
          h.client.onAck = () => {
            if (++done === updates) resolve();
            else sendOne();
          };
          h.client.onUpdate = () => undefined;
          sendOne();
          sendOne();
        }),
    ),
  );
  return {};
}

let detached: { spec: ClientSpec; docs: Map<string, Y.Doc> }[] = [];

serveParent({
  ping: () => ({}),
  burst,
  fill,
  /** Closes the sockets but keeps the replicas, as a device going offline. */
  async detach() {
    detached = held.map((h) => ({ spec: h.spec, docs: h.client.docs }));
    for (const h of held) h.client.close();
    held = [];
    await sleep(200);
    return {};
  },
  /**
   * Reconnects the detached clients with their replicas, offering permessage-deflate as a browser does
   * (unless `deflate: false`);
   * time and bytes until every document is caught up: `bytes` read off the TCP socket (the HTTP 101
   * response and the frames as sent), `messageBytes` the messages inflated, `extensions` what the server
   * accepted.
   */
  async reattach(m) {
    const out: { ms: number; bytes: number; messageBytes: number; extensions: string }[] = [];
    for (const d of detached) {
      const spec = {
        ...d.spec,
        channel: { ...d.spec.channel, ...((m.channel as object | undefined) ?? {}) },
      };
      const t0 = performance.now();
      const client = connectClient(kind, m.port as number, spec, {
        apply: true,
        docs: d.docs,
        deflate: m.deflate !== false,
      });
      await client.ready;
      out.push({
        ms: performance.now() - t0,
        bytes: client.wireBytesIn(),
        messageBytes: client.bytesIn(),
        extensions: client.extensions(),
      });
      held.push({ spec, client, seen: new Set() });
    }
    detached = [];
    return { results: out };
  },
  /** Counts the messages each held client's replicas hold (to check catch-up was complete). */
  count() {
    return {
      counts: held.map((h) => [...h.client.docs.values()].reduce((n, d) => n + d.getArray('msgs').length, 0)),
    };
  },
  async connect(m) {
    kind = m.kind as ServerKind;
    const t0 = performance.now();
    const failed = await connectAll(
      m.port as number,
      m.clients as ClientSpec[],
      m.apply === true,
      (m.parallel as number) ?? 20,
      m.deflate === true,
    );
    // What each socket negotiated, for the transport check (run-context.ts checkTransport).
    const extensions: Record<string, number> = {};
    for (const h of held) extensions[h.client.extensions()] = (extensions[h.client.extensions()] ?? 0) + 1;
    return { connected: held.length, failed, ms: performance.now() - t0, extensions };
  },
  openLoop,
  closedLoop,
  /** Catch-up: every held client reconnects... (not used for idle sockets, which only stay connected). */
  bytes: () => {
    const v = held.map((h) => h.client.protocolViolations());
    return {
      bytesIn: held.reduce((n, h) => n + h.client.bytesIn(), 0),
      // null: not measured (a peer sends no WELCOME for the engine to decode).
      violations: v.includes(null) ? null : v.reduce<number>((n, x) => n + (x ?? 0), 0),
    };
  },
  async close() {
    for (const h of held) h.client.close();
    held = [];
    await sleep(100);
    return {};
  },
});
