import { MOBILE, startMobileLink } from '@commonroom/testkit';
import { checkTransport, clientSpecs, connectLoad, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Catch-up: a reader holds a channel with `warm` messages, goes offline while `writers` people write
 * `missed` more, then reconnects with its replicas. Measured: from opening the socket to holding every
 * missed message (wall time on loopback), the server process's CPU time for it, and the bytes received:
 * read off the TCP socket (frames as sent; the reader offers permessage-deflate as a browser does), with
 * the messages' inflated size beside them. The writers write varied chat text (clients/chat-text.ts).
 * Commonroom's reader follows the writers' documents and the index, across a segment rollover if one
 * happened (P13); the peers' reader rejoins the one channel document.
 *
 * One catch-up is 10–40 ms of server CPU, and one sample of that on a shared machine is mostly noise (a
 * GC or another process's burst moves it by half). So the same reader goes offline and catches up
 * `rounds` times, each after its own gap of `missed` messages, with every server; the figure is the
 * median, with the smallest and largest beside it. Each round misses the same number of messages and
 * (for Commonroom, with segments of 1,000) crosses one rollover, as the single run did.
 *
 * The reader offers permessage-deflate unless the transport is `off`, and the figure fails unless the
 * server's answer matches the transport (run-context.ts checkTransport). `link: 'mobile'`: the reader
 * reconnects through a poor phone link (testkit mobile-link.ts: 400 kbit/s, 400 ms RTT, 1 % of segments lost and
 * sent again), the same seeded losses for every server; the writers stay on loopback.
 */
export type CatchUpRound = {
  serverCpuMs: number;
  wallMs: number;
  bytes: number;
  messageBytes: number;
  complete: boolean;
};

export type CatchUpResult = {
  missed: number;
  rounds: number;
  /** Medians over the rounds. */
  wallMs: number;
  serverCpuMs: number;
  /** On the wire. */
  bytes: number;
  /** The WebSocket messages inflated. */
  messageBytes: number;
  /** The Sec-WebSocket-Extensions the server accepted ('' for none). */
  extensions: string;
  serverCpuMinMs: number;
  serverCpuMaxMs: number;
  /**
   * The first round alone: the first catch-up the server process serves after starting, with its code
   * not yet optimised by V8. The single sample this figure used to be was this one.
   */
  firstServerCpuMs: number;
  /** Every round caught up completely. */
  complete: boolean;
  samples: CatchUpRound[];
};

/** Each writer writes this many messages per round; the per-person rate limit is lifted for the writers. */
const LIFTED = { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? (s[(n - 1) / 2] ?? 0) : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
};
const round2 = (x: number): number => Math.round(x * 100) / 100;

export async function catchUpRun(
  kind: ServerKind,
  plan: { writers: number; warm: number; missed: number; rounds?: number; link?: 'mobile' },
  opts: Options,
): Promise<CatchUpResult> {
  const rounds = plan.rounds ?? 5;
  // Five rounds of 100 messages per writer would pass the default burst of 200 per person.
  const server = await startServer(kind, opts, kind === 'commonroom' ? { limits: LIFTED } : {});
  const link = plan.link === 'mobile' ? await startMobileLink({ targetPort: server.port, ...MOBILE }) : null;
  try {
    const { specs, setup } = await clientSpecs(kind, server.port, plan.writers + 1, 1, (_c, s) =>
      s.users.slice(0, plan.writers).map((u) => u.id),
    );
    const reader = specs[plan.writers];
    if (!reader) throw new Error('no reader');
    const readerLoad = await connectLoad(kind, server.port, [reader], 1, {
      apply: true,
      transport: opts.transport,
    });
    const writerLoad = await connectLoad(kind, server.port, specs.slice(0, plan.writers), 1, {
      apply: false,
      transport: opts.transport,
    });
    const [rp] = readerLoad.procs;
    const [wp] = writerLoad.procs;
    if (!rp || !wp) throw new Error('no load process');
    const warmPer = Math.ceil(plan.warm / plan.writers);
    const missedPer = Math.ceil(plan.missed / plan.writers);
    const samples: CatchUpRound[] = [];
    let extensions = '';
    try {
      await wp.request('burst', { perClient: warmPer, text: 'chat' });
      await new Promise((r) => setTimeout(r, 500));
      // The segment the reader holds when it goes offline (Commonroom).
      let heldSegment = reader.channel.kind === 'commonroom' ? reader.channel.segment : 0;
      for (let i = 0; i < rounds; i++) {
        await rp.request('detach');
        await wp.request('burst', { perClient: missedPer, firstSeq: warmPer + i * missedPer, text: 'chat' });
        let channel: Record<string, unknown> = {};
        if (setup && reader.cookie && reader.channel.kind === 'commonroom') {
          const res = await fetch(
            `http://127.0.0.1:${server.port}/api/conversations/${reader.channel.conversationId}`,
            { headers: { cookie: reader.cookie } },
          );
          const { conversation } = (await res.json()) as { conversation: { segment: number } };
          channel = { segment: conversation.segment, fromSegment: heldSegment };
          heldSegment = conversation.segment;
        }
        const cpu0 = await server.cpuUs();
        const r = await rp.request<{
          results: { ms: number; bytes: number; messageBytes: number; extensions: string }[];
        }>(
          'reattach',
          { port: link?.port ?? server.port, channel, deflate: opts.transport !== 'off' },
          // Over the mobile link, 150 KB at 400 kbit/s is three seconds and more.
          link ? 300_000 : 120_000,
        );
        const cpu1 = await server.cpuUs();
        const { counts } = await rp.request<{ counts: number[] }>('count');
        const total = (warmPer + (i + 1) * missedPer) * plan.writers;
        const first = r.results[0];
        samples.push({
          serverCpuMs: round2((cpu1 - cpu0) / 1000),
          wallMs: round2(first?.ms ?? 0),
          bytes: first?.bytes ?? 0,
          messageBytes: first?.messageBytes ?? 0,
          complete: (counts[0] ?? 0) >= total,
        });
        extensions = first?.extensions ?? '';
        checkTransport(kind, opts.transport, { [extensions]: 1 });
      }
    } finally {
      await readerLoad.close();
      await writerLoad.close();
    }
    const cpu = samples.map((s) => s.serverCpuMs);
    return {
      missed: missedPer * plan.writers,
      rounds,
      wallMs: round2(median(samples.map((s) => s.wallMs))),
      serverCpuMs: round2(median(cpu)),
      bytes: Math.round(median(samples.map((s) => s.bytes))),
      messageBytes: Math.round(median(samples.map((s) => s.messageBytes))),
      extensions,
      serverCpuMinMs: Math.min(...cpu),
      serverCpuMaxMs: Math.max(...cpu),
      firstServerCpuMs: cpu[0] ?? 0,
      complete: samples.every((s) => s.complete),
      samples,
    };
  } finally {
    await link?.close();
    await server.stop();
  }
}
