import { clientSpecs, connectLoad, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Catch-up: a reader holds a channel with `warm` messages, goes offline while `writers` people write
 * `missed` more, then reconnects with its replicas. Measured: from opening the socket to holding every
 * missed message (wall time on loopback), the server process's CPU time for it, and the bytes received.
 * Commonroom's reader follows the writers' documents and the index, across a segment rollover if one
 * happened (P13); the peers' reader rejoins the one channel document.
 */
export type CatchUpResult = {
  missed: number;
  wallMs: number;
  serverCpuMs: number;
  bytes: number;
  complete: boolean;
};

export async function catchUpRun(
  kind: ServerKind,
  plan: { writers: number; warm: number; missed: number },
  opts: Options,
): Promise<CatchUpResult> {
  const server = await startServer(kind, opts);
  try {
    const { specs, setup } = await clientSpecs(kind, server.port, plan.writers + 1, 1, (_c, s) =>
      s.users.slice(0, plan.writers).map((u) => u.id),
    );
    const reader = specs[plan.writers];
    if (!reader) throw new Error('no reader');
    const readerLoad = await connectLoad(kind, server.port, [reader], 1, { apply: true });
    const writerLoad = await connectLoad(kind, server.port, specs.slice(0, plan.writers), 1, {
      apply: false,
    });
    const [rp] = readerLoad.procs;
    const [wp] = writerLoad.procs;
    if (!rp || !wp) throw new Error('no load process');
    try {
      await wp.request('burst', { perClient: Math.ceil(plan.warm / plan.writers) });
      await new Promise((r) => setTimeout(r, 500));
      await rp.request('detach');
      await wp.request('burst', {
        perClient: Math.ceil(plan.missed / plan.writers),
        firstSeq: Math.ceil(plan.warm / plan.writers),
      });
      let channel: Record<string, unknown> = {};
      if (setup && reader.cookie && reader.channel.kind === 'commonroom') {
        const res = await fetch(
          `http://127.0.0.1:${server.port}/api/conversations/${reader.channel.conversationId}`,
          {
            headers: { cookie: reader.cookie },
          },
        );
        const { conversation } = (await res.json()) as { conversation: { segment: number } };
        channel = { segment: conversation.segment, fromSegment: reader.channel.segment };
      }
      const cpu0 = await server.cpuUs();
      const r = await rp.request<{ results: { ms: number; bytes: number }[] }>('reattach', {
        port: server.port,
        channel,
      });
      const cpu1 = await server.cpuUs();
      const { counts } = await rp.request<{ counts: number[] }>('count');
      const total =
        Math.ceil(plan.warm / plan.writers) * plan.writers +
        Math.ceil(plan.missed / plan.writers) * plan.writers;
      const first = r.results[0];
      return {
        missed: Math.ceil(plan.missed / plan.writers) * plan.writers,
        wallMs: Math.round((first?.ms ?? 0) * 100) / 100,
        serverCpuMs: Math.round((cpu1 - cpu0) / 10) / 100,
        bytes: first?.bytes ?? 0,
        complete: (counts[0] ?? 0) >= total,
      };
    } finally {
      await readerLoad.close();
      await writerLoad.close();
    }
  } finally {
    await server.stop();
  }
}
