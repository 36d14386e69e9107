import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@commonroom/engine';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';

/** History stays small to open: conversations roll over into bounded segments (P13). */
describe('segments (P13)', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer({ limits: { segmentSize: 5 } });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('P13: a full segment rolls over; a new device opens only the newest and loads older on demand', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    for (let i = 1; i <= 12; i++) {
      await writer.engine.send(general, `m${i}`);
      await writer.engine.settled();
    }
    expect(ts.server.internals.conversations.get(general)?.segment).toBe(2);
    await eventually(() => expect(writer.engine.conversation(general)?.segment).toBe(2));
    expect(texts(writer.engine, general)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));

    const reader = await addUser(ts, admin, 'student');
    await reader.engine.open(general);
    await reader.engine.settled();
    // Only the newest segment: messages 11 and 12.
    expect(texts(reader.engine, general)).toEqual(['m11', 'm12']);
    expect(reader.engine.view(general).state.oldestSegment).toBe(2);
    expect(await reader.engine.loadOlder(general)).toBe(true);
    await reader.engine.settled();
    await eventually(() =>
      expect(texts(reader.engine, general)).toEqual(['m6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12']),
    );
    expect(await reader.engine.loadOlder(general)).toBe(true);
    await reader.engine.settled();
    await eventually(() => expect(texts(reader.engine, general)).toHaveLength(12));
    expect(await reader.engine.loadOlder(general)).toBe(false);

    // Edits and reactions on an old message go to its own segment and reach everyone.
    const first = writer.engine.view(general).messages[0];
    if (!first) throw new Error('no first message');
    expect(first.segment).toBe(0);
    await writer.engine.edit(general, first.localId, 'm1 (edited)');
    await reader.engine.react(general, first.key, '👍', true);
    await eventually(() => {
      expect(reader.engine.view(general).messages[0]?.text).toBe('m1 (edited)');
      expect(writer.engine.view(general).messages[0]?.reactions).toEqual([
        { emoji: '👍', userIds: [reader.id] },
      ]);
    });
  });

  it('P13: a device that missed a rollover while offline resends its messages in the newest segment', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'tutor');
    const course = channel(a.engine, 'it-support');
    await a.engine.open(course);
    await b.engine.open(course);
    await a.engine.settled();
    const segmentBefore = a.engine.conversation(course)?.segment ?? 0;
    a.engine.disconnect();
    await a.engine.send(course, 'written offline, before the rollover');
    for (let i = 0; i < 7; i++) {
      await b.engine.send(course, `b${i}`);
      await b.engine.settled();
    }
    expect(ts.server.internals.conversations.get(course)?.segment).toBeGreaterThan(segmentBefore);
    a.engine.connect();
    await eventually(async () => {
      await a.engine.settled();
      expect(a.engine.status().waiting).toBe(0);
    });
    await eventually(() => {
      const seen = texts(b.engine, course);
      expect(seen.filter((t) => t === 'written offline, before the rollover')).toHaveLength(1);
      expect(seen.at(-1)).toBe('written offline, before the rollover');
    });
    const fresh = makeEngine(ts.url);
    await fresh.init();
    await fresh.login(b.email, b.password);
    fresh.connect();
    await fresh.open(course);
    await fresh.settled();
    expect(texts(fresh, course).at(-1)).toBe('written offline, before the rollover');
    fresh.disconnect();
  });
  it('P13: on a reconnect, older segments rest until their conversation is opened again', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const reader = await addUser(ts, admin, 'student');
    // Five channels, each rolled over once (segment 0 full, one message in segment 1), all held by the
    // reader, older segment included; then it opens the other four, so the first is no longer recent.
    const ids: string[] = [];
    for (let c = 0; c < 5; c++) {
      const { id } = await admin.createChannel(`resting-${c}`, 'public');
      ids.push(id);
      await writer.engine.join(id);
      await reader.engine.join(id);
      await writer.engine.open(id);
      for (let i = 1; i <= 6; i++) {
        await writer.engine.send(id, `c${c} m${i}`);
        await writer.engine.settled();
      }
      await eventually(() => expect(reader.engine.conversation(id)?.segment).toBe(1));
      await reader.engine.open(id);
      await reader.engine.settled();
      // Joined before the first message: it has followed segment 0 since, and holds both.
      expect(await reader.engine.loadOlder(id)).toBe(false);
      await eventually(() => expect(texts(reader.engine, id)).toHaveLength(6));
    }
    const [first, , , , last] = ids as [string, string, string, string, string];
    await reader.engine.open(last);

    // While the reader is away, the first message of the first and of the last channel is edited.
    reader.engine.disconnect();
    for (const id of [first, last]) {
      const m = writer.engine.view(id).messages[0];
      if (!m || m.segment !== 0) throw new Error('expected an old message');
      await writer.engine.edit(id, m.localId, `${m.text} (edited)`);
    }
    await writer.engine.settled();
    reader.engine.connect();
    await reader.engine.settled();
    // The channel on screen follows its older segment again: the edit is there once settled.
    expect(texts(reader.engine, last)[0]).toBe('c4 m1 (edited)');
    // The first channel's older segment rests (settled() does not wait for it) until it is opened.
    expect(texts(reader.engine, first)[0]).toBe('c0 m1');
    await reader.engine.open(first);
    await reader.engine.settled();
    expect(texts(reader.engine, first)[0]).toBe('c0 m1 (edited)');
    // Acting on a resting segment follows it first: a reaction to an old message of another channel.
    const third = ids[2] as string;
    const old = reader.engine.view(third).messages[0];
    if (!old) throw new Error('no old message');
    await reader.engine.react(third, old.key, '👍', true);
    await reader.engine.settled();
    await eventually(() =>
      expect(writer.engine.view(third).messages[0]?.reactions).toEqual([
        { emoji: '👍', userIds: [reader.id] },
      ]),
    );
  });
});
