import { engineInternals } from '@commonroom/engine/testing';
import { createMemoryStorage } from '@commonroom/engine';
import { describe, expect, it } from 'vitest';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
} from './harness.ts';

describe('catching up and restarting (P3, P4)', () => {
  it('P3: a client offline for 1,000 messages catches up in one round, in order', async () => {
    const ts = await startServer({ limits: MANY_MESSAGES });
    try {
      const admin = await loginAdmin(ts);
      const writer = await addUser(ts, admin, 'tutor');
      const reader = await addUser(ts, admin, 'student');
      const general = channel(writer.engine, 'general');
      await writer.engine.open(general);
      await reader.engine.open(general);
      await reader.engine.settled();
      reader.engine.disconnect();
      for (let i = 0; i < 1000; i++) await writer.engine.send(general, `message ${i}`);
      await writer.engine.settled();
      const sent = texts(writer.engine, general);
      expect(sent).toHaveLength(1000);
      reader.engine.connect();
      await reader.engine.settled();
      await eventually(() => expect(texts(reader.engine, general)).toEqual(sent));
      expect(reader.engine.view(general).unread).toBe(1000);
      expect(sent.slice(0, 3)).toEqual(['message 0', 'message 1', 'message 2']);
    } finally {
      await ts.destroy();
    }
  });

  it('P4: a server restart keeps everything acknowledged; clients reconnect and resend what was waiting', async () => {
    const first = await startServer();
    const { dataDir, port } = first;
    const admin = await loginAdmin(first);
    const a = await addUser(first, admin, 'student');
    const b = await addUser(first, admin, 'student');
    const general = channel(a.engine, 'general');
    await a.engine.open(general);
    await b.engine.open(general);
    for (let i = 0; i < 20; i++) await a.engine.send(general, `before restart ${i}`);
    await a.engine.settled();
    await first.stop();
    // Written while the server is down: waits in the outbox.
    await b.engine.send(general, 'written while the server was down');
    expect(b.engine.status().waiting).toBe(1);
    const second = await (await import('./harness.ts')).startServer({ dataDir, port });
    try {
      await a.engine.settled();
      await b.engine.settled();
      const fresh = makeEngine(second.url, { storage: createMemoryStorage() });
      await fresh.init();
      await fresh.login(a.email, a.password);
      fresh.connect();
      await fresh.open(general);
      await fresh.settled();
      await eventually(() => {
        const t = texts(fresh, general);
        expect(t.filter((x) => x.startsWith('before restart'))).toHaveLength(20);
        expect(t.at(-1)).toBe('written while the server was down');
      });
      expect(second.server.db.pragma('integrity_check', { simple: true })).toBe('ok');
      // No duplicate default channels or admin after a restart.
      expect(second.server.internals.conversations.channels()).toHaveLength(8);
      expect(second.server.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(second.server.db.pragma('synchronous', { simple: true })).toBe(2);
      a.engine.disconnect();
      b.engine.disconnect();
      fresh.disconnect();
    } finally {
      await second.destroy();
    }
  });

  it('P3: a device that closed with messages waiting sends them after it starts again (same storage)', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const a = await addUser(ts, admin, 'student', { connect: false });
      const b = await addUser(ts, admin, 'student');
      const general = channel(b.engine, 'general');
      await b.engine.open(general);
      const storage = createMemoryStorage();
      const phone = makeEngine(ts.url, { storage });
      await phone.init();
      await phone.login(a.email, a.password);
      await phone.open(general);
      for (const t of ['one', 'two', 'three']) await phone.send(general, t);
      expect(phone.status()).toMatchObject({ waiting: 3, connection: 'offline' });
      await engineInternals(phone).flushStorage();
      // The app is closed; a new engine starts on the same device storage, still offline.
      const reopened = makeEngine(ts.url, { storage });
      expect((await reopened.init())?.id).toBe(a.id);
      expect(texts(reopened, general)).toEqual(['one', 'two', 'three']);
      expect(reopened.view(general).messages.map((m) => m.status)).toEqual(['waiting', 'waiting', 'waiting']);
      reopened.connect();
      await reopened.settled();
      await eventually(() => expect(texts(b.engine, general)).toEqual(['one', 'two', 'three']));
      expect(reopened.view(general).messages.map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);
    } finally {
      await ts.destroy();
    }
  });
});
