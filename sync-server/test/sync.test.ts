import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer, texts, type TestServer } from './harness.ts';
import type { Engine } from '@commonroom/engine';

describe('live sync through the real server (P2–P7)', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('P5: a message sent by one client reaches the others live, and is acknowledged only after commit', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'student');
    const c = await addUser(ts, admin, 'tutor');
    const general = channel(a.engine, 'general');
    await a.engine.open(general);
    await b.engine.open(general);
    await c.engine.open(general);
    // Whenever a listener sees "sent", the server has stored the message: never "sent" early.
    const seen: string[] = [];
    const sentBeforeStored: string[] = [];
    const stop = a.engine.subscribe(() => {
      const m = a.engine.view(general).messages.find((x) => x.text === 'hello from a');
      if (!m) return;
      seen.push(m.status);
      if (m.status === 'sent' && !ts.server.internals.messages.get(general, a.id, m.localId))
        sentBeforeStored.push(m.key);
    });
    const pending = a.engine.send(general, 'hello from a');
    seen.push(a.engine.view(general).messages.at(-1)?.status ?? 'absent');
    await pending;
    expect(a.engine.view(general).messages.at(-1)?.status).toBe('waiting');
    await a.engine.settled();
    stop();
    expect(a.engine.view(general).messages.at(-1)?.status).toBe('sent');
    expect(sentBeforeStored).toEqual([]);
    expect(seen[0]).not.toBe('sent');
    expect(seen).toContain('waiting');
    const row = ts.server.internals.messages.get(
      general,
      a.id,
      a.engine.view(general).messages.at(-1)?.localId ?? '',
    );
    expect(row?.text).toBe('hello from a');
    await eventually(() => expect(texts(b.engine, general)).toContain('hello from a'));
    await eventually(() => expect(texts(c.engine, general)).toContain('hello from a'));
    await b.engine.send(general, 'hi a, from b');
    await eventually(() => expect(texts(a.engine, general)).toEqual(['hello from a', 'hi a, from b']));
    await eventually(() => expect(texts(c.engine, general)).toEqual(['hello from a', 'hi a, from b']));
  });
});
