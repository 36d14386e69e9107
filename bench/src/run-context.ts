import type { ServerLimits } from '@commonroom/sync-server';
import type { ClientSpec } from './clients/wire.ts';
import { spawnChild, type Child } from './proc.ts';
import { bundleForProfile, PROFILE_BUILD_DIR } from './profile-bundle.ts';
import type { ServerKind } from './servers/types.ts';
import { setupCommonroom, type CommonroomSetup } from './setup.ts';

/** Starting a server process, its accounts (Commonroom) and the load processes, the same way for every figure. */

/**
 * The transport every side-by-side figure is measured with (issue 20): `on`, permessage-deflate enabled
 * on all three servers and offered by every client as a browser offers it; `off`, on none of them;
 * `default`, each server as it ships (Commonroom compresses, the peers' ws servers do not) with
 * browser-like clients: what a college gets without touching a setting.
 */
export type Transport = 'on' | 'off' | 'default';

export type Options = { quick: boolean; profile: string | null; transport: Transport };

/** A figure whose server did not negotiate what its transport says: the figure is not like for like. */
export class TransportMismatch extends Error {}

/**
 * Checks the Sec-WebSocket-Extensions each socket got (value → sockets) against the transport: `on`, every
 * socket negotiated permessage-deflate; `off`, none did. Returns what was negotiated, for the report.
 */
export function checkTransport(
  kind: ServerKind,
  transport: Transport,
  negotiated: Record<string, number>,
): string {
  const total = Object.values(negotiated).reduce((a, b) => a + b, 0);
  const deflate = Object.entries(negotiated)
    .filter(([ext]) => ext.includes('permessage-deflate'))
    .reduce((n, [, c]) => n + c, 0);
  if (transport === 'on' && deflate !== total)
    throw new TransportMismatch(
      `compression on, but ${kind} negotiated permessage-deflate on only ${deflate} of ${total} sockets`,
    );
  if (transport === 'off' && deflate !== 0)
    throw new TransportMismatch(
      `compression off, but ${kind} negotiated permessage-deflate on ${deflate} of ${total} sockets`,
    );
  const most = Object.entries(negotiated).sort((a, b) => b[1] - a[1])[0]?.[0];
  return most === undefined ? '' : most;
}

export type StartedServer = {
  child: Child;
  port: number;
  dataDir: string;
  startMs: number;
  cpuUs(): Promise<number>;
  memory(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }>;
  stop(keep?: boolean): Promise<void>;
};

export async function startServer(
  kind: ServerKind,
  opts: Options,
  extra: { limits?: Partial<ServerLimits>; dataDir?: string; label?: string } = {},
): Promise<StartedServer> {
  const child = spawnChild('./server-proc.ts', [kind], {
    exposeGc: true,
    ...(opts.profile
      ? {
          bundled: await bundleForProfile('./server-proc.ts', PROFILE_BUILD_DIR),
          env: { BENCH_PROFILE_DIR: opts.profile },
        }
      : {}),
  });
  const r = await child.request<{ port: number; dataDir: string; startMs: number }>('start', {
    kind,
    compression: opts.transport,
    ...(extra.limits ? { limits: extra.limits } : {}),
    ...(extra.dataDir ? { dataDir: extra.dataDir } : {}),
  });
  return {
    child,
    port: r.port,
    dataDir: r.dataDir,
    startMs: r.startMs,
    async cpuUs() {
      const c = await child.request<{ userUs: number; systemUs: number }>('cpu');
      return c.userUs + c.systemUs;
    },
    memory: () => child.request('memory'),
    async stop(keep = false) {
      try {
        await child.request('stop', { keep }, 60_000);
      } finally {
        await child.kill();
      }
    },
  };
}

/**
 * Client specs for `n` clients in `channels` channels (client i in channel i % channels). `authorsOf`
 * decides whose author documents a Commonroom client follows in its channel (the peers share one
 * document per channel, so they always see every writer).
 */
export async function clientSpecs(
  kind: ServerKind,
  port: number,
  n: number,
  channels: number,
  authorsOf: (channel: number, setup: CommonroomSetup) => string[],
  prefix = 'b',
): Promise<{ specs: ClientSpec[]; setup: CommonroomSetup | null }> {
  if (kind !== 'commonroom') {
    const specs = Array.from({ length: n }, (_, i): ClientSpec => ({
      index: i,
      channel: { kind: 'peer', doc: `${prefix}-bench-${i % channels}` },
    }));
    return { specs, setup: null };
  }
  const setup = await setupCommonroom(port, { channels, users: n, prefix });
  const specs = setup.users.map((u, i): ClientSpec => {
    const c = setup.channels[u.channel];
    if (!c) throw new Error('channel missing');
    return {
      index: i,
      cookie: u.cookie,
      userId: u.id,
      channel: {
        kind: 'commonroom',
        conversationId: c.id,
        segment: c.segment,
        authors: authorsOf(u.channel, setup),
      },
    };
  });
  return { specs, setup };
}

export type LoadProcs = {
  procs: Child[];
  /** From asking the load processes to connect (already running) until every client is ready. */
  connectMs: number;
  failed: number;
  /** The Sec-WebSocket-Extensions most sockets got ('' for none), checked against the transport. */
  negotiated: string;
  close(): Promise<void>;
};

/** Spreads `specs` over `count` load processes (round robin) and connects them all. */
export async function connectLoad(
  kind: ServerKind,
  port: number,
  specs: ClientSpec[],
  count: number,
  /**
   * deflate: the clients offer permessage-deflate and compress what they send, as browsers do.
   * transport: offer it unless `off`, and fail unless every server answer matches (checkTransport).
   */
  opts: { apply: boolean; parallel?: number; deflate?: boolean; transport?: Transport },
): Promise<LoadProcs> {
  const deflate = opts.transport ? opts.transport !== 'off' : opts.deflate === true;
  const procs = Array.from({ length: count }, () => spawnChild('./client-proc.ts', []));
  // Process start-up (the tsx loader) is not part of any figure.
  await Promise.all(procs.map((p) => p.request('ping')));
  const t0 = performance.now();
  const results = await Promise.all(
    procs.map((p, i) =>
      p.request<{ connected: number; failed: number; extensions: Record<string, number> }>(
        'connect',
        {
          kind,
          port,
          clients: specs.filter((_, j) => j % count === i),
          apply: opts.apply,
          parallel: opts.parallel ?? 20,
          deflate,
        },
        600_000,
      ),
    ),
  );
  const connectMs = performance.now() - t0;
  const extensions: Record<string, number> = {};
  for (const r of results)
    for (const [ext, n] of Object.entries(r.extensions)) extensions[ext] = (extensions[ext] ?? 0) + n;
  let negotiated: string;
  try {
    negotiated = opts.transport ? checkTransport(kind, opts.transport, extensions) : '';
  } catch (e) {
    await Promise.all(procs.map((p) => p.kill()));
    throw e;
  }
  return {
    procs,
    connectMs,
    negotiated,
    failed: results.reduce((n, r) => n + r.failed, 0),
    async close() {
      await Promise.all(procs.map((p) => p.request('close').catch(() => undefined)));
      await Promise.all(procs.map((p) => p.kill()));
    },
  };
}

export const nowNs = (): bigint => process.hrtime.bigint();
