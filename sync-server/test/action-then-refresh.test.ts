import { createEngine, createMemoryStorage } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, eventually, loginAdmin, nodeSocket, startServer, type TestServer } from './harness.ts';

/**
 * Issue 18: join, leave, create, a DM and notification settings are a POST and then a fresh read of the
 * conversation list. When the POST succeeded and only that read failed (the network dropped in between),
 * the action happened: the engine says so, holds the server's answer, and reads the list again later.
 */
describe('an action that succeeded is not reported as failed when the list read after it fails', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startServer();
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('create, join, leave and open a DM resolve; the list holds their result and catches up later', async () => {
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const other = await addUser(ts, admin, 'student', { connect: false });
    // A real fetch to the real server, except that GET /api/conversations fails while `cut` is set, as a
    // network that drops right after the POST would.
    let cut = false;
    const engine = createEngine({
      baseUrl: ts.url,
      storage: createMemoryStorage(),
      socketFactory: nodeSocket,
      manualCookies: true,
      backoff: { minMs: 20, maxMs: 200 },
      fetch: (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (cut && (init?.method ?? 'GET') === 'GET' && url.endsWith('/api/conversations'))
          return Promise.reject(new TypeError('Failed to fetch'));
        return fetch(input, init);
      },
    });
    await engine.init();
    await engine.login(tutor.email, tutor.password);

    cut = true;
    const club = await engine.createChannel('robotics-club', 'public');
    expect(engine.conversation(club.id)).toMatchObject({ name: 'robotics-club', isMember: true });

    const dm = await engine.openDm([other.id]);
    expect(engine.conversation(dm.id)?.kind).toBe('dm');

    await engine.leave(club.id);
    expect(engine.conversation(club.id)).toBeUndefined();

    const joined = await engine.join(club.id);
    expect(joined.isMember).toBe(true);
    expect(engine.conversation(club.id)?.isMember).toBe(true);

    // A failed POST is still an error.
    await expect(engine.join('no-such-channel')).rejects.toMatchObject({ status: 404 });

    // The network is back: the list is read again without anyone asking, and agrees with the server.
    cut = false;
    const Reply = z.object({ conversations: z.array(z.object({ id: z.string() })) });
    const server = await tutor.engine.api.request('GET', '/api/conversations', Reply);
    await eventually(() =>
      expect(new Set(engine.conversations().map((c) => c.id))).toEqual(
        new Set(server.conversations.map((c) => c.id)),
      ),
    );
    engine.disconnect();
  });
});
