import { clientSpecs, connectLoad, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Idle WebSockets: `sockets` connections that complete the handshake and follow one channel each
 * (Commonroom: HELLO/WELCOME, then the channel's index and the person's own document; Hocuspocus: auth and
 * sync of one document; y-websocket: sync of one document), then stay quiet. Server memory is read after
 * a full GC before and after. Commonroom allows 10 sockets per person, so there is one account per 10
 * sockets. The sockets offer permessage-deflate unless the transport is `off` (run-context.ts
 * Transport); with `default`, each server answers as it ships.
 *
 * `compressed` (Commonroom): what permessage-deflate costs per socket. Each channel first gets `history`
 * messages of chat text from one writer, whose document every socket then follows as well, so every
 * socket's subscription answer is over the compression threshold; the sockets offer permessage-deflate and
 * compress what they send (HELLO included), as browsers do. So the server holds a deflate and an inflate
 * stream for each, as it would for a browser that has opened a channel. Run with and without `deflate` on
 * separate servers, the difference is the zlib memory per socket.
 */
export type IdleResult = {
  sockets: number;
  failed: number;
  connectMs: number;
  rssPerSocketKB: number;
  heapPerSocketKB: number;
  rssDeltaMB: number;
  /**
   * Sockets whose WELCOME the real engine cannot decode (more than 512 frames); null for the peers, which
   * send no WELCOME: not measured.
   */
  refusedByEngine: number | null;
  /** The Sec-WebSocket-Extensions the sockets got ('' for none). */
  negotiated: string;
};

export async function idleRun(
  kind: ServerKind,
  plan: {
    sockets: number;
    channels: number;
    procs: number;
    compressed?: { history: number; deflate: boolean };
  },
  opts: Options,
): Promise<IdleResult> {
  const server = await startServer(kind, opts);
  try {
    const accounts = kind === 'commonroom' ? Math.ceil(plan.sockets / 10) : plan.sockets;
    const c = plan.compressed;
    // With history, every socket follows its channel's writer too: the first account of the channel.
    const { specs: base, setup } = await clientSpecs(kind, server.port, accounts, plan.channels, (ch, s) => {
      const writer = c ? s.users.find((u) => u.channel === ch) : undefined;
      return writer ? [writer.id] : [];
    });
    if (c && setup) {
      const writers = setup.channels.map((_, ch) => base.find((b, i) => setup.users[i]?.channel === ch));
      const load = await connectLoad(
        kind,
        server.port,
        writers.filter((w) => w !== undefined),
        1,
        { apply: false },
      );
      try {
        await load.procs[0]?.request('burst', { perClient: c.history, text: 'chat' }, 300_000);
      } finally {
        await load.close();
      }
    }
    const specs =
      kind === 'commonroom'
        ? Array.from({ length: plan.sockets }, (_, i) => ({ ...(base[i % accounts] ?? base[0]!), index: i }))
        : base;
    const before = await server.memory();
    // The figure's sockets follow the transport; the Commonroom-only deflatemem figure sets it itself.
    const load = await connectLoad(kind, server.port, specs, plan.procs, {
      apply: false,
      parallel: 25,
      ...(c ? { deflate: c.deflate } : { transport: opts.transport }),
    });
    try {
      // Idle means quiet: read once the sockets have said nothing for 5 s, the same wait for every server.
      // (Commonroom lets go of a quiet socket's inflate stream after 2–4 s, ws/deflate.ts; the peers keep
      // theirs for the socket's life.)
      await new Promise((r) => setTimeout(r, 5000));
      const after = await server.memory();
      const n = plan.sockets - load.failed;
      const counts = await Promise.all(
        load.procs.map((p) => p.request<{ violations: number | null }>('bytes')),
      );
      const violations = counts.map((x) => x.violations);
      return {
        sockets: n,
        failed: load.failed,
        connectMs: Math.round(load.connectMs),
        rssPerSocketKB: Math.round(((after.rss - before.rss) / n / 1024) * 10) / 10,
        heapPerSocketKB: Math.round(((after.heapUsed - before.heapUsed) / n / 1024) * 10) / 10,
        rssDeltaMB: Math.round((after.rss - before.rss) / 1024 / 1024),
        refusedByEngine: violations.includes(null)
          ? null
          : violations.reduce<number>((x, v) => x + (v ?? 0), 0),
        negotiated: load.negotiated,
      };
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}
