import type { Engine } from '@commonroom/engine';
import { LIMITS, type Frame, type FrameOf } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';

/**
 * Issue 15 §3: presence made from a person's devices (online, away, do not disturb, offline), their stored
 * choice (DND, a custom status that ends by itself on the server's clock) and last seen, heard only by the
 * people who share a small conversation with them (PROTOCOL.md P9). A real server on loopback with its
 * SQLite file, real sockets, the server's clock injected.
 */

type Person = { engine: Engine; id: string; email: string; password: string };

const presenceOf = (c: RawClient, userId: string): FrameOf<'presence'> | undefined =>
  c.frames.filter((f): f is FrameOf<'presence'> => f.type === 'presence' && f.userId === userId).at(-1);
const device = (state: 'active' | 'idle' | 'hidden', showing = ''): Frame => ({
  type: 'deviceState',
  state,
  showing,
});
const choice = (over: Partial<FrameOf<'presenceSet'>> = {}): Frame => ({
  type: 'presenceSet',
  dnd: false,
  emoji: '',
  text: '',
  until: 0,
  ...over,
});

describe('presence (issue 15 §3)', () => {
  let t = Date.UTC(2026, 11, 7, 9, 0);
  let ts: TestServer;
  let admin: Engine;
  /** Amy and Ben share a DM; Cat shares only the big #general with them. */
  let amy: Person;
  let ben: Person;
  let cat: Person;
  const dataDir = { path: '' };
  const start = async () => {
    ts = await startServer({
      ...(dataDir.path ? { dataDir: dataDir.path } : {}),
      now: () => t,
      // A circle of DMs only here (#general has more members), and expiry checked often.
      limits: { presenceCircleMax: 2, presenceExpiryCheckMs: 20 },
    });
    dataDir.path = ts.dataDir;
  };
  const socketOf = async (p: Person): Promise<RawClient> =>
    connectRaw(ts.url, await login(ts.url, p.email, p.password));

  beforeAll(async () => {
    await start();
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { connect: false, name: 'Amy' });
    ben = await addUser(ts, admin, 'student', { connect: false, name: 'Ben' });
    cat = await addUser(ts, admin, 'student', { connect: false, name: 'Cat' });
    await amy.engine.openDm([ben.id]);
  });
  afterAll(async () => {
    admin?.disconnect();
    await ts?.destroy();
  });

  it('is made from every device: the most present wins; idle or hidden everywhere is away; none is offline', async () => {
    const watcher = await socketOf(ben);
    const phone = await socketOf(amy);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('online'));
    const laptop = await socketOf(amy);
    phone.send([device('hidden')]);
    laptop.send([device('active', 'general')]);
    // Still online: the laptop is in use.
    laptop.send([device('idle')]);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('away'));
    laptop.send([device('active')]);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('online'));
    phone.send([device('hidden')]);
    laptop.send([device('hidden')]);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('away'));
    t += 60_000;
    phone.close();
    laptop.close();
    await eventually(() =>
      expect(presenceOf(watcher, amy.id)).toMatchObject({ status: 'offline', lastSeen: t }),
    );
    watcher.close();
  });

  it('device reports are never written to the database; only changes are sent', async () => {
    const watcher = await socketOf(ben);
    const amyPhone = await socketOf(amy);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('online'));
    const changes = () => (ts.server.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    const heard = watcher.frames.length;
    // A minute of a device saying the same thing, as a flaky phone would on every wake.
    for (let i = 0; i < 30; i++) amyPhone.send([device('active', 'general')]);
    amyPhone.send([device('idle', 'general')]);
    await eventually(() => expect(presenceOf(watcher, amy.id)?.status).toBe('away'));
    expect(changes()).toBe(before);
    expect(watcher.frames.slice(heard).filter((f) => f.type === 'presence')).toHaveLength(1);
    amyPhone.close();
    watcher.close();
  });

  it('goes only to the people who share a small conversation; a HELLO gets only them', async () => {
    const catSocket = await socketOf(cat);
    const benSocket = await socketOf(ben);
    const amySocket = await socketOf(amy);
    await eventually(() => expect(presenceOf(benSocket, amy.id)?.status).toBe('online'));
    // Ben's HELLO carried Amy (their DM) and himself, never Cat, who shares only #general with them.
    expect(presenceOf(benSocket, cat.id)).toBeUndefined();
    expect(presenceOf(catSocket, amy.id)).toBeUndefined();
    expect(presenceOf(catSocket, ben.id)).toBeUndefined();
    expect(presenceOf(amySocket, cat.id)).toBeUndefined();
    // Cat hears herself (her own devices show her status).
    expect(presenceOf(catSocket, cat.id)?.status).toBe('online');
    for (const s of [catSocket, benSocket, amySocket]) s.close();
  });

  it('DND and a custom status are the person’s, stored, shown to others, and end by themselves', async () => {
    const watcher = await socketOf(ben);
    const amySocket = await socketOf(amy);
    amySocket.send([choice({ dnd: true, emoji: '📚', text: 'In class until 3pm', until: t + 30 * 60_000 })]);
    await eventually(() =>
      expect(presenceOf(watcher, amy.id)).toMatchObject({
        status: 'dnd',
        emoji: '📚',
        text: 'In class until 3pm',
        until: t + 30 * 60_000,
      }),
    );
    expect(ts.server.internals.presence.doNotDisturb(amy.id)).toBe(true);
    // A device going idle changes nothing others see: DND holds across devices.
    const heard = watcher.frames.length;
    amySocket.send([device('idle')]);
    const other = await socketOf(amy);
    await eventually(() => expect(other.frames.some((f) => f.type === 'welcome')).toBe(true));
    expect(watcher.frames.slice(heard).filter((f) => f.type === 'presence')).toHaveLength(0);

    // Half an hour later by the server's clock, the status ends by itself and everyone sees it go.
    t += 30 * 60_000;
    await eventually(() =>
      expect(presenceOf(watcher, amy.id)).toMatchObject({ status: 'online', emoji: '', text: '', until: 0 }),
    );
    expect(ts.server.internals.presence.doNotDisturb(amy.id)).toBe(false);
    for (const s of [watcher, amySocket, other]) s.close();
  });

  it('a status that makes no sense is refused in plain words', async () => {
    const s = await socketOf(amy);
    s.send([choice({ text: 'yesterday', until: t - 1 })]);
    s.send([choice({ emoji: 'abc', text: 'not an emoji' })]);
    s.send([choice({ text: 'two\nlines' })]);
    s.send([choice({ text: 'next year', until: t + 365 * 86_400_000 })]);
    await eventually(() =>
      expect(s.frames.filter((f) => f.type === 'error').map((f) => f.type === 'error' && f.message)).toEqual([
        'a status may not end in the past',
        'the status emoji must be a single emoji',
        'the status text must be one line of plain text',
        'a status may be set for at most a month',
      ]),
    );
    expect(s.closed).toBeNull();
    s.close();
  });

  it('DND, the custom status and last seen are kept across a restart', async () => {
    const amySocket = await socketOf(amy);
    amySocket.send([choice({ dnd: true, emoji: '🤒', text: 'Off sick', until: 0 })]);
    await eventually(() => expect(ts.server.internals.presence.doNotDisturb(amy.id)).toBe(true));
    t += 5 * 60_000;
    const leftAt = t;
    amySocket.close();
    await eventually(() => expect(ts.server.internals.presence.seen(amy.id)?.online).toBe(false));
    await ts.stop();
    t += 2 * 3_600_000;
    await start();
    expect(ts.server.internals.presence.doNotDisturb(amy.id)).toBe(true);
    const benSocket = await socketOf(ben);
    await eventually(() =>
      expect(presenceOf(benSocket, amy.id)).toMatchObject({
        status: 'offline',
        emoji: '🤒',
        text: 'Off sick',
        lastSeen: leftAt,
      }),
    );
    benSocket.close();
  });
});

describe('presence snapshot (P9)', () => {
  it('a circle larger than one message may carry frames still reaches a device whole', async () => {
    // A tutor in many classes: more people than LIMITS.maxFramesPerMessage in one WELCOME's presence.
    const ts = await startServer({ limits: { presenceCircleMax: 1_000 } });
    try {
      const admin = await loginAdmin(ts);
      const tutor = await addUser(ts, admin, 'teacher', { connect: false });
      const { users, conversations, presence } = ts.server.internals;
      const n = LIMITS.maxFramesPerMessage + 88;
      conversations.create({ id: 'big-class', kind: 'private', name: 'big-class', createdBy: null });
      conversations.addMember('big-class', tutor.id);
      for (let i = 0; i < n; i++) {
        const id = `crowd-${i}`;
        users.insert({
          id,
          email: null,
          username: id,
          displayName: `Crowd ${i}`,
          role: 'student',
          passwordHash: 'x',
          cohort: null,
        });
        conversations.addMember('big-class', id);
        presence.connect(id, { id: 1_000_000 + i, tokenHash: 'crowd' });
      }
      const s = await connectRaw(ts.url, await login(ts.url, tutor.email, tutor.password));
      await eventually(() => expect(presenceOf(s, `crowd-${n - 1}`)?.status).toBe('online'));
      expect(presenceOf(s, 'crowd-0')?.status).toBe('online');
      expect(s.closed).toBeNull();
      expect(Math.max(...s.messages.map((m) => m.length))).toBeLessThanOrEqual(LIMITS.maxFramesPerMessage);
      s.close();
      admin.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});
