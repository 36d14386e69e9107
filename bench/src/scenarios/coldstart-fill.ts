import { ADMIN } from '../servers/commonroom.ts';
import type { ClientSpec } from '../clients/wire.ts';
import { clientSpecs, connectLoad } from '../run-context.ts';

/**
 * One channel filled over the protocol for the cold-start figure: `writers` people write `messages` chat
 * messages in merged updates of `perUpdate` (the server rolls the channel over once a commit leaves 1,000
 * or more in the segment, P13). Then `writeTail` tops the current segment up to 999 with ordinary
 * one-message updates from writer 0, while the reader's PWA watches: the segment a cold start loads is as
 * full as it gets, stored on the device as a live reader's is (one row per update, compacted after 200),
 * and the newest message is known. The reader is a member who wrote nothing.
 */

export const READER = { username: 'cold-reader', password: 'cold-reader-password-1' };

export type FilledChannel = {
  conversationId: string;
  name: string;
  writers: ClientSpec[];
  /** Messages written by the bulk fill. */
  filled: number;
  fillSeconds: number;
};

async function api(
  port: number,
  method: string,
  path: string,
  cookie: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', cookie },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function adminCookie(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: ADMIN.email, password: ADMIN.password }),
  });
  const c = res.headers.getSetCookie().find((x) => x.startsWith('cr_session='));
  if (!res.ok || !c) throw new Error(`admin login: ${res.status}`);
  return c.split(';')[0] ?? '';
}

export async function fillChannel(
  port: number,
  plan: { messages: number; writers: number; perUpdate: number },
): Promise<FilledChannel> {
  const { specs, setup } = await clientSpecs('commonroom', port, plan.writers, 1, () => [], 'cold');
  const channel = setup?.channels[0];
  if (!channel) throw new Error('no channel');
  const name = 'cold-bench-0';
  await api(port, 'POST', '/api/admin/users', await adminCookie(port), {
    displayName: 'Cold Reader',
    username: READER.username,
    role: 'student',
    password: READER.password,
    channels: [name],
  });
  const t0 = performance.now();
  const updates = Math.ceil(plan.messages / plan.perUpdate / plan.writers);
  const load = await connectLoad('commonroom', port, specs, 1, { apply: false });
  try {
    await load.procs[0]?.request('fill', { updates, perUpdate: plan.perUpdate }, 600_000);
  } finally {
    await load.close();
  }
  return {
    conversationId: channel.id,
    name,
    writers: specs,
    filled: updates * plan.perUpdate * plan.writers,
    fillSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/**
 * Tops the current segment up to `segmentSize - 1` messages from writer 0, one per update, one at a time
 * (so they keep their order and no rollover comes in between). Returns how many, how many the segment now
 * holds, and the newest one's key (`author:localId`, the message list's `data-key`).
 */
export async function writeTail(
  port: number,
  ch: FilledChannel,
  segmentSize = 1_000,
): Promise<{ tail: number; segmentMessages: number; newestKey: string }> {
  const first = ch.writers[0];
  if (!first?.userId || !first.cookie || first.channel.kind !== 'commonroom') throw new Error('no writer');
  const { conversation } = (await api(
    port,
    'GET',
    `/api/conversations/${ch.conversationId}`,
    first.cookie,
  )) as {
    conversation: { segment: number };
  };
  // Following every writer's document of the current segment, to count what it holds already.
  const authors = ch.writers.map((w) => w.userId ?? '');
  const spec = { ...first, channel: { ...first.channel, segment: conversation.segment, authors } };
  const load = await connectLoad('commonroom', port, [spec], 1, { apply: true });
  try {
    const proc = load.procs[0];
    if (!proc) throw new Error('no load process');
    const { counts } = await proc.request<{ counts: number[] }>('count');
    const held = counts[0] ?? 0;
    const tail = Math.max(1, segmentSize - 1 - held);
    await proc.request('burst', { perClient: tail, window: 1 }, 300_000);
    return { tail, segmentMessages: held + tail, newestKey: `${first.userId}:w0s${tail - 1}` };
  } finally {
    await load.close();
  }
}
