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
});
