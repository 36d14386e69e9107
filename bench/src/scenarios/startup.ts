import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientSpec } from '../clients/wire.ts';
import { clientSpecs, connectLoad, startServer, type Options } from '../run-context.ts';

/**
 * Commonroom only (the peers keep no per-message store to start from): fill a database with `messages`
 * chat messages over the protocol (`writers` people in `channels` channels, 200 messages per update so
 * filling takes seconds, not hours), stop the server, then time a fresh server process on that file: from
 * the factory call to accepting connections, and one channel opened from a new device (handshake, then
 * the newest segment's index and author documents, until every answer arrived).
 */
export type StartupResult = {
  storedMessages: number;
  fillSeconds: number;
  dbMB: number;
  startMs: number;
  spawnToListeningMs: number;
  openChannelMs: number;
  openChannelServerCpuMs: number;
  openChannelBytes: number;
  openChannelMessages: number;
};

const LIFTED = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};

/**
 * A new device of `reader` that opens its channel's newest segment and the one before it (the newest alone
 * may hold only a few messages), as the server says they stand now.
 */
export async function newDeviceOnNewest(port: number, reader: ClientSpec): Promise<ClientSpec> {
  if (reader.channel.kind !== 'commonroom' || !reader.cookie) throw new Error('not a Commonroom reader');
  const res = await fetch(`http://127.0.0.1:${port}/api/conversations/${reader.channel.conversationId}`, {
    headers: { cookie: reader.cookie },
  });
  const { conversation } = (await res.json()) as { conversation: { segment: number } };
  return {
    ...reader,
    index: 1_000_000,
    channel: {
      ...reader.channel,
      segment: conversation.segment,
      fromSegment: Math.max(0, conversation.segment - 1),
    },
  };
}

export async function startupRun(
  plan: { messages: number; writers: number; channels: number },
  opts: Options,
): Promise<StartupResult> {
  const perUpdate = 200;
  const first = await startServer('commonroom', opts, { limits: LIFTED });
  const { dataDir } = first;
  let specs;
  let fillSeconds = 0;
  try {
    const made = await clientSpecs('commonroom', first.port, plan.writers, plan.channels, (c, setup) =>
      setup.users.filter((u) => u.channel === c).map((u) => u.id),
    );
    specs = made.specs;
    const load = await connectLoad('commonroom', first.port, specs, 2, { apply: false });
    try {
      const t0 = performance.now();
      const updates = Math.ceil(plan.messages / perUpdate / plan.writers);
      await Promise.all(load.procs.map((p) => p.request('fill', { updates, perUpdate }, 1_800_000)));
      fillSeconds = Math.round((performance.now() - t0) / 100) / 10;
    } finally {
      await load.close();
    }
  } finally {
    await first.stop(true);
  }
  const dbMB = Math.round(statSync(join(dataDir, 'commonroom.sqlite')).size / 1024 / 102.4) / 10;
  const t0 = performance.now();
  const second = await startServer('commonroom', opts, { dataDir });
  const spawnToListeningMs = Math.round(performance.now() - t0);
  try {
    const reader = specs[0];
    if (!reader || reader.channel.kind !== 'commonroom' || !reader.cookie) throw new Error('no reader');
    const fresh = await newDeviceOnNewest(second.port, reader);
    const cpu0 = await second.cpuUs();
    const load = await connectLoad('commonroom', second.port, [fresh], 1, { apply: true });
    const cpu1 = await second.cpuUs();
    const bytes = await load.procs[0]?.request<{ bytesIn: number }>('bytes');
    const { counts } = (await load.procs[0]?.request<{ counts: number[] }>('count')) ?? { counts: [] };
    await load.close();
    return {
      storedMessages: Math.ceil(plan.messages / perUpdate / plan.writers) * perUpdate * plan.writers,
      fillSeconds,
      dbMB,
      startMs: Math.round(second.startMs),
      spawnToListeningMs,
      openChannelMs: Math.round(load.connectMs),
      openChannelServerCpuMs: Math.round((cpu1 - cpu0) / 100) / 10,
      openChannelBytes: bytes?.bytesIn ?? 0,
      openChannelMessages: counts[0] ?? 0,
    };
  } finally {
    await second.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
