import type { Engine } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, eventually, loginAdmin, startServer, texts, type TestServer } from './harness.ts';

/**
 * Issue 15 §4: "Sarah is typing…" per conversation and per thread, gone the moment her message arrives,
 * fading by itself otherwise, never from someone who may not post there. Real server, real engines over
 * real sockets (the relay's throttle and the announcement and archive rules: rate-limits.test.ts).
 */
describe('typing (issue 15 §4)', () => {
  let ts: TestServer;
  let admin: Engine;
  let sarah: Awaited<ReturnType<typeof addUser>>;
  let tom: Awaited<ReturnType<typeof addUser>>;
  let general: string;

  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    sarah = await addUser(ts, admin, 'student', { name: 'Sarah Khan' });
    tom = await addUser(ts, admin, 'student', { name: 'Tom Reid' });
    general = channel(sarah.engine, 'general');
    await sarah.engine.open(general);
    await tom.engine.open(general);
    await Promise.all([sarah.engine.settled(), tom.engine.settled()]);
  });
  afterAll(async () => {
    for (const e of [admin, sarah?.engine, tom?.engine]) e?.disconnect();
    await ts?.destroy();
  });

  it('clears the moment the typist’s message arrives, in the conversation and in a thread apart', async () => {
    sarah.engine.typing(general);
    await eventually(() => expect(tom.engine.typingIn(general)).toEqual([sarah.id]));
    expect(tom.engine.typingIn(general, 'someone:else')).toEqual([]);

    // Seen by Tom together with her message: never the message and still "is typing…" after it.
    const seenTogether: boolean[] = [];
    const stop = tom.engine.subscribe(() => {
      if (texts(tom.engine, general).includes('On my way'))
        seenTogether.push(tom.engine.typingIn(general).length === 0);
    });
    await sarah.engine.send(general, 'On my way');
    await eventually(() => expect(texts(tom.engine, general)).toContain('On my way'));
    stop();
    expect(seenTogether.length).toBeGreaterThan(0);
    expect(seenTogether.every(Boolean)).toBe(true);

    // In a thread: shown there, not in the conversation, and cleared by her reply.
    const parent = tom.engine.view(general).messages.at(-1)?.key ?? '';
    sarah.engine.typing(general, parent);
    await eventually(() => expect(tom.engine.typingIn(general, parent)).toEqual([sarah.id]));
    expect(tom.engine.typingIn(general)).toEqual([]);
    await sarah.engine.send(general, 'Five minutes', { parent });
    await eventually(() => expect(tom.engine.typingIn(general, parent)).toEqual([]));
  });

  it('is not relayed from someone muted there', async () => {
    await admin.api.request('POST', '/api/mutes', z.unknown(), {
      userId: sarah.id,
      conversationId: general,
      duration: '1h',
      reason: 'typing test',
    });
    // Her typing there, then in their DM, on one socket: the DM's reaches Tom, so the first would have too.
    const dm = (await sarah.engine.openDm([tom.id])).id;
    await tom.engine.refreshConversations();
    await tom.engine.open(dm);
    await tom.engine.settled();
    sarah.engine.typing(general);
    sarah.engine.typing(dm);
    await eventually(() => expect(tom.engine.typingIn(dm)).toEqual([sarah.id]));
    expect(tom.engine.typingIn(general)).toEqual([]);
  });
});
