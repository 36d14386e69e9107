import type { Server, Socket } from 'node:net';

/**
 * A loopback TCP proxy for tests and benchmarks of flaky and slow links (issue 17): it forwards each
 * connection to `target`, and can cut a connection once so many bytes went upstream (a phone losing its
 * signal mid-upload) and slow both directions to a bit rate (a 400 kbit/s link). Real TCP: the client and
 * server see a reset connection and a slow socket, as on a real network. Node only, loaded when called.
 */
export type TcpProxy = {
  port: number;
  /** Bytes forwarded upstream (client to server) so far, over all connections. */
  upstreamBytes(): number;
  /** How many connections were cut. */
  cuts(): number;
  /** Cut the next connection that has forwarded this many bytes upstream (once per call). */
  cutAfter(bytes: number): void;
  close(): Promise<void>;
};

/** Writes `chunk` in slices no faster than `bytesPerSecond` (null: at once), in order per direction. */
function pacer(bytesPerSecond: number | null) {
  let free = Date.now();
  return (to: Socket, chunk: Buffer, then: () => void): void => {
    if (bytesPerSecond === null) {
      to.write(chunk, then);
      return;
    }
    // Slices of at most 1/20 s of the rate keep the flow smooth rather than bursty.
    const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
    const send = (offset: number): void => {
      if (offset >= chunk.length || to.destroyed) return then();
      const part = chunk.subarray(offset, offset + slice);
      // A timer that fires late (a busy machine) is made up for, up to a quarter second of sending, as a
      // link's buffer would: the average stays the link's rate, never above it.
      free = Math.max(free, Date.now() - 250) + (part.length / bytesPerSecond) * 1000;
      to.write(part);
      setTimeout(() => send(offset + part.length), Math.max(0, free - Date.now()));
    };
    send(0);
  };
}

export async function startTcpProxy(opts: {
  targetPort: number;
  targetHost?: string;
  /** Bit rate of each direction of each connection, in bits per second (null: unthrottled). */
  bitsPerSecond?: number | null;
}): Promise<TcpProxy> {
  const { createServer, connect } = await import('node:net');
  let upstream = 0;
  let cuts = 0;
  let cutAt: number | null = null;
  const sockets = new Set<Socket>();
  const rate = opts.bitsPerSecond ? opts.bitsPerSecond / 8 : null;
  const server: Server = createServer((client) => {
    const target = connect(opts.targetPort, opts.targetHost ?? '127.0.0.1');
    sockets.add(client).add(target);
    let sent = 0;
    const cut = (): void => {
      cuts++;
      client.destroy();
      target.destroy();
    };
    const pipe = (from: Socket, to: Socket, up: boolean): void => {
      const pace = pacer(rate);
      from.on('data', (chunk: Buffer) => {
        if (up) {
          if (cutAt !== null && sent + chunk.length >= cutAt) {
            const keep = chunk.subarray(0, Math.max(0, cutAt - sent));
            cutAt = null;
            upstream += keep.length;
            to.write(keep, cut);
            return;
          }
          sent += chunk.length;
          upstream += chunk.length;
        }
        from.pause();
        pace(to, chunk, () => from.resume());
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => sockets.delete(from));
    };
    pipe(client, target, true);
    pipe(target, client, false);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    upstreamBytes: () => upstream,
    cuts: () => cuts,
    cutAfter(bytes) {
      cutAt = bytes;
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
