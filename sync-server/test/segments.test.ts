import { engineInternals } from '@commonroom/engine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStorage, type Engine } from '@commonroom/engine';
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

  it('P13: loadSegment loads only the segment a search hit is in; scrolling back then fills the gap', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const { id } = await admin.createChannel('one-segment', 'public');
    await writer.engine.join(id);
    await writer.engine.open(id);
    for (let i = 1; i <= 12; i++) {
      await writer.engine.send(id, `s${i}`);
      await writer.engine.settled();
    }
    const reader = await addUser(ts, admin, 'student');
    await reader.engine.join(id);
    await reader.engine.open(id);
    await reader.engine.settled();
    expect(texts(reader.engine, id)).toEqual(['s11', 's12']);
    // A hit in segment 0 (s1 … s5): that segment alone, not segment 1 between it and the newest.
    expect(await reader.engine.loadSegment(id, 0)).toBe(true);
    await reader.engine.settled();
    await eventually(() =>
      expect(texts(reader.engine, id)).toEqual(['s1', 's2', 's3', 's4', 's5', 's11', 's12']),
    );
    expect(reader.engine.view(id).state).toMatchObject({ oldestSegment: 0, missingBetween: true });
    expect(await reader.engine.loadSegment(id, 0)).toBe(false);
    expect(await reader.engine.loadSegment(id, 2)).toBe(false);
    // Scrolling back loads the missing one.
    expect(await reader.engine.loadOlder(id)).toBe(true);
    await reader.engine.settled();
    await eventually(() => expect(texts(reader.engine, id)).toHaveLength(12));
    expect(reader.engine.view(id).state.missingBetween).toBe(false);
    expect(await reader.engine.loadOlder(id)).toBe(false);
    reader.engine.disconnect();
    writer.engine.disconnect();
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
    // Acting on a resting segment follows it first: a reaction to an old message of a channel not opened
    // since before the reconnect (the last two opened were the last channel and, now, the first).
    const second = ids[1] as string;
    const old = reader.engine.view(second).messages[0];
    if (!old || old.segment !== 0) throw new Error('no old message');
    await reader.engine.react(second, old.key, '👍', true);
    await reader.engine.settled();
    expect(reader.engine.status().waiting).toBe(0);
    await eventually(() =>
      expect(writer.engine.view(second).messages[0]?.reactions).toEqual([
        { emoji: '👍', userIds: [reader.id] },
      ]),
    );
  });

  /**
   * Channels each rolled over once (6 messages: 5 in segment 0, 1 in segment 1), joined by everyone given;
   * `readsEarly` (one of them) marks each read after the fourth message, so it has a mark in segment 0.
   */
  async function rolledOver(
    tag: string,
    count: number,
    writer: Engine,
    readers: Engine[],
    readsEarly?: Engine,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let c = 0; c < count; c++) {
      const { id } = await admin.createChannel(`${tag}-${c}`, 'public');
      ids.push(id);
      await writer.join(id);
      for (const r of readers) await r.join(id);
      await writer.open(id);
      if (readsEarly) await readsEarly.open(id);
      for (let i = 1; i <= 6; i++) {
        await writer.send(id, `c${c} m${i}`);
        await writer.settled();
        if (i === 4 && readsEarly) {
          await eventually(() => expect(texts(readsEarly, id)).toHaveLength(4));
          await readsEarly.markRead(id);
          await readsEarly.settled();
        }
      }
      for (const r of readers) {
        await eventually(() => expect(r.conversation(id)?.segment).toBe(1));
        await r.open(id);
        await r.settled();
        await eventually(() => expect(texts(r, id)).toHaveLength(6));
      }
    }
    return ids;
  }

  it('P13: an action another tab takes on a segment the leader tab lets rest is still sent', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const reader = await addUser(ts, admin, 'student', { connect: false });
    const storage = createMemoryStorage();
    const leader = makeEngine(ts.url, { storage });
    await leader.init();
    await leader.login(reader.email, reader.password);
    leader.connect();
    await leader.settled();
    const ids = await rolledOver('tabs', 4, writer.engine, [leader]);
    await engineInternals(leader).flushStorage();
    // A second tab on the same device storage; tabs talk through peer events (peers.ts).
    const follower = makeEngine(ts.url, { storage });
    await follower.init();
    leader.onPeerEvent((e) => void follower.applyPeerEvent(structuredClone(e)));
    follower.onPeerEvent((e) => void leader.applyPeerEvent(structuredClone(e)));
    const x = ids[0] as string;
    await follower.open(x);
    expect(await follower.loadOlder(x)).toBe(true);
    await eventually(() => expect(texts(follower, x)).toHaveLength(6));
    // The leader's tab then opens the three others, and the network blips: x's segment 0 rests there.
    for (const id of ids.slice(1)) await leader.open(id);
    leader.disconnect();
    leader.connect();
    await leader.settled();
    const old = follower.view(x).messages[0];
    if (!old || old.segment !== 0) throw new Error('no old message');
    await follower.react(x, old.key, '🎉', true);
    await eventually(() =>
      expect(writer.engine.view(x).messages[0]?.reactions).toEqual([{ emoji: '🎉', userIds: [reader.id] }]),
    );
    await eventually(() => expect(leader.status().waiting).toBe(0));
    leader.disconnect();
  });

  it("P13: one's read marks in older segments stay followed: a mark unread on the phone reaches the desktop", async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const desktop = await addUser(ts, admin, 'student');
    const phone = makeEngine(ts.url);
    await phone.init();
    await phone.login(desktop.email, desktop.password);
    phone.connect();
    await phone.settled();
    const ids = await rolledOver('marks', 3, writer.engine, [desktop.engine, phone], desktop.engine);
    const x = ids[0] as string;
    await desktop.engine.markRead(x);
    await desktop.engine.settled();
    await eventually(() => expect(phone.view(x).unread).toBe(0));
    // The desktop opens the other two (x is no longer among the last two opened), then reconnects.
    for (const id of ids.slice(1)) await desktop.engine.open(id);
    desktop.engine.disconnect();
    desktop.engine.connect();
    await desktop.engine.settled();
    expect(desktop.engine.view(x).unread).toBe(0);
    // On the phone: mark the second message (segment 0) unread. The desktop's count follows.
    const m2 = phone.view(x).messages[1];
    if (!m2 || m2.segment !== 0) throw new Error('no old message');
    await phone.markUnread(x, m2.key);
    await phone.settled();
    expect(phone.view(x).unread).toBe(5);
    await eventually(() => expect(desktop.engine.view(x).unread).toBe(5));
    phone.disconnect();
  });
});
