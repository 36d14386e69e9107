import type { Server, Socket } from 'node:net';
import { seeded } from './seeded.ts';

/**
 * A poor phone connection between clients and a server, on loopback (issue 20: the bench's mobile-link
 * figures; tests of slow links may use it too). Node only, loaded when called. Every TCP
 * connection through it gets its own link, each direction limited to `bitsPerSecond`, delayed by
 * `oneWayDelayMs` (RTT = twice that) and losing `loss` of its segments.
 *
 * TCP does not lose bytes, it delays them: a lost segment is sent again after a retransmission timeout, and
 * everything the sender wrote after it waits behind it (the receiver hands bytes over in order). So each
 * direction's reads are cut into segments of at most `mss` bytes (a chat message is one); each takes its
 * time on the link (serialisation at the bit rate), then the one-way delay; a lost one `rtoMs` more; and
 * none is handed over before the bytes before it. Losses are drawn per segment from a generator seeded by
 * `seed` and the connection's number and direction: the same sequence of losses in every run and for every
 * server. (Where they fall in a bulk transfer depends on how the reads cut it, which varies a little.)
 *
 * Like a phone's send buffer, a direction stops reading from its source while more than `bufferBytes` wait
 * to be handed over, so a fast sender is held to the link's rate rather than filling memory.
 */
export type MobileLinkOptions = {
  targetPort: number;
  bitsPerSecond: number;
  oneWayDelayMs: number;
  /** Probability that a segment is lost (and retransmitted after `rtoMs`). */
  loss: number;
  rtoMs: number;
  seed: number;
  mss?: number;
  bufferBytes?: number;
};

export type MobileLink = {
  port: number;
  /** Segments carried and lost so far, both directions, every connection. */
  stats(): { connections: number; segments: number; lost: number; bytes: number };
  close(): Promise<void>;
};

/**
 * The link a phone would have in a poor spot: 400 kbit/s each way, 400 ms RTT, 1 % of segments lost and
 * sent again after 2 × RTT. One seed for every figure, server and run: the same segments are lost.
 */
export const MOBILE = {
  bitsPerSecond: 400_000,
  oneWayDelayMs: 200,
  loss: 0.01,
  rtoMs: 800,
  seed: 20,
} as const;

export async function startMobileLink(o: MobileLinkOptions): Promise<MobileLink> {
  const { createServer, connect } = await import('node:net');
  const mss = o.mss ?? 1460;
  const bufferBytes = o.bufferBytes ?? 64 * 1024;
  const bytesPerMs = o.bitsPerSecond / 8 / 1000;
  let connections = 0;
  let segments = 0;
  let lost = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();

  /** One direction of one connection: `from`'s bytes reach `to` as the link would deliver them. */
  const direction = (from: Socket, to: Socket, seed: number): void => {
    const random = seeded(seed);
    let linkFreeAt = 0;
    let lastHandedAt = 0;
    let waiting = 0;
    let ended = false;
    // Segments in the order written, each with the moment it is handed over (never earlier than the one
    // before it); one timer for the head of the queue keeps the bytes in order.
    const queue: { at: number; part: Buffer }[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const hand = (): void => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && (queue[0]?.at ?? 0) <= now + 0.5) {
        const { part } = queue.shift() ?? { part: Buffer.alloc(0) };
        waiting -= part.length;
        if (!to.destroyed) to.write(part);
      }
      if (waiting <= bufferBytes && from.isPaused() && !from.destroyed) from.resume();
      const head = queue[0];
      if (head) timer = setTimeout(hand, Math.max(0, head.at - now));
      else if (ended) to.end();
    };
    from.on('data', (chunk: Buffer) => {
      const now = performance.now();
      // A read is what the sender wrote (one message, on loopback) or a run of it: cut into packets of at
      // most `mss` bytes, each lost or not, as a small message is its own packet on a real link.
      for (let off = 0; off < chunk.length; off += mss) {
        const part = chunk.subarray(off, Math.min(chunk.length, off + mss));
        const dropped = random() < o.loss;
        segments++;
        bytes += part.length;
        if (dropped) lost++;
        linkFreeAt = Math.max(linkFreeAt, now) + part.length / bytesPerMs;
        lastHandedAt = Math.max(lastHandedAt, linkFreeAt + o.oneWayDelayMs + (dropped ? o.rtoMs : 0));
        queue.push({ at: lastHandedAt, part });
        waiting += part.length;
      }
      if (waiting > bufferBytes) from.pause();
      timer ??= setTimeout(hand, Math.max(0, (queue[0]?.at ?? now) - now));
    });
    // A close travels behind the data it follows.
    from.on('end', () => {
      ended = true;
      if (queue.length === 0 && timer === null) to.end();
    });
    from.on('error', () => to.destroy());
    from.on('close', () => {
      sockets.delete(from);
      // After an orderly end the queue still drains; a reset cuts the other leg at once.
      if (ended) return;
      if (timer) clearTimeout(timer);
      to.destroy();
    });
  };

  // Half-open allowed on both legs: each direction ends on its own, after its held-back bytes (a client
  // that half-closes still gets the answer to what it sent).
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const n = connections++;
    const target = connect({ port: o.targetPort, host: '127.0.0.1', allowHalfOpen: true });
    // Nagle off on both legs: the link model does its own pacing, and a delayed ACK would add 40 ms.
    client.setNoDelay(true);
    target.setNoDelay(true);
    sockets.add(client).add(target);
    direction(client, target, o.seed * 1_000_003 + n * 2);
    direction(target, client, o.seed * 1_000_003 + n * 2 + 1);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mobile link has no port');
  return {
    port: address.port,
    stats: () => ({ connections, segments, lost, bytes }),
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
