import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendToIndex,
  applyAndInspect,
  authorRoots,
  deleteMessage,
  markRead,
  markUnreadFrom,
  mentionCount,
  readConversation,
  readMarksOf,
  readSeqOf,
  removeMessage,
  seenBy,
  sendMessage,
  summariseModChanges,
  unreadCount,
} from '../src/index.ts';

/** Syncs two replicas of one document both ways (two devices of one person meeting again). */
function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

/** A channel of five messages from alice, read by bob, carol and dave (carol read up to 4, dave up to 2). */
function build() {
  const alice = new Y.Doc();
  const bob = new Y.Doc();
  const carol = new Y.Doc();
  const dave = new Y.Doc();
  const idx = new Y.Doc();
  for (let i = 1; i <= 5; i++) {
    sendMessage(alice, {
      id: `a${i}`,
      text: i === 3 ? 'hi @Bob.Brown' : i === 5 ? '@channel fire drill' : `m${i}`,
      ts: i,
    });
    appendToIndex(idx, [['alice', `a${i}`]]);
  }
  markRead(carol, 'phone', 4, 1_000);
  markRead(dave, 'laptop', 2, 900);
  return { alice, bob, carol, dave, idx };
}

const stateOf = (docs: ReturnType<typeof build>) =>
  readConversation([
    {
      segment: 0,
      idx: docs.idx,
      mod: null,
      authors: new Map([
        ['alice', docs.alice],
        ['bob', docs.bob],
        ['carol', docs.carol],
        ['dave', docs.dave],
      ]),
    },
  ]);

const bob = { id: 'bob', username: null, displayName: 'Bob Brown' };

describe('markUnreadFrom (mark unread from a message)', () => {
  it('moves every device mark at or past the message back to just before it, and no other', () => {
    const d = new Y.Doc();
    markRead(d, 'phone', 5, 100);
    markRead(d, 'desktop', 3, 90);
    markRead(d, 'tablet', 1, 80);
    markUnreadFrom(d, 'phone', 3);
    expect(authorRoots(d).read.toJSON()).toEqual({ phone: 2, desktop: 2, tablet: 1 });
    expect(readSeqOf(d)).toBe(2);
    // From the very first message: nothing is read.
    markUnreadFrom(d, 'phone', 1);
    expect(readSeqOf(d)).toBe(0);
  });

  it('applied again later (a replay after a rebuild), it does not undo what another device read since', () => {
    const d = new Y.Doc();
    markRead(d, 'desktop', 20, 100);
    markRead(d, 'phone', 20, 100);
    // The phone marks unread from 12, seeing both marks at 20.
    const seen = readMarksOf(d);
    markUnreadFrom(d, 'phone', 12, seen);
    expect(authorRoots(d).read.toJSON()).toEqual({ desktop: 11, phone: 11 });
    // Later the desktop reads on to 35 and a new laptop to 30; then the phone's unread is applied again.
    markRead(d, 'desktop', 35, 200);
    markRead(d, 'laptop', 30, 210);
    markUnreadFrom(d, 'phone', 12, seen);
    expect(authorRoots(d).read.toJSON()).toEqual({ desktop: 35, laptop: 30, phone: 11 });
    expect(readSeqOf(d)).toBe(35);
    // Without what it saw (taken before the copy was there), every mark past it moves back.
    markUnreadFrom(d, 'phone', 12);
    expect(readSeqOf(d)).toBe(11);
  });

  it('does nothing (no update) when nothing was read that far', () => {
    const d = new Y.Doc();
    markRead(d, 'phone', 2, 100);
    let updates = 0;
    d.on('update', () => updates++);
    markUnreadFrom(d, 'phone', 5);
    expect(updates).toBe(0);
    expect(readSeqOf(d)).toBe(2);
  });

  it('on one device reaches the other device after sync; a later mark read there clears it', () => {
    const phone = new Y.Doc();
    const desktop = new Y.Doc();
    markRead(desktop, 'desktop', 5, 100);
    sync(phone, desktop);
    markUnreadFrom(phone, 'phone', 4);
    sync(phone, desktop);
    expect(readSeqOf(desktop)).toBe(3);
    markRead(desktop, 'desktop', 5, 200);
    sync(phone, desktop);
    expect(readSeqOf(phone)).toBe(5);
  });

  it('raises the unread count and the mention count of the person; marking read clears both', () => {
    const docs = build();
    markRead(docs.bob, 'phone', 5, 500);
    expect(unreadCount(stateOf(docs), 'bob')).toBe(0);
    expect(mentionCount(stateOf(docs), bob)).toBe(0);
    markUnreadFrom(docs.bob, 'phone', 3);
    expect(unreadCount(stateOf(docs), 'bob')).toBe(3);
    // Message 3 names Bob, message 5 is @channel.
    expect(mentionCount(stateOf(docs), bob)).toBe(2);
    markRead(docs.bob, 'phone', 5, 600);
    expect(unreadCount(stateOf(docs), 'bob')).toBe(0);
    expect(mentionCount(stateOf(docs), bob)).toBe(0);
  });

  it('concurrent mark read and mark unread on two devices: both replicas agree, whichever wins', () => {
    const outcomes = new Set<number>();
    for (let run = 0; run < 30; run++) {
      const phone = new Y.Doc();
      const desktop = new Y.Doc();
      markRead(desktop, 'desktop', 4, 100);
      sync(phone, desktop);
      // Offline: the phone marks unread from message 2 (moving the desktop's mark too), while the desktop
      // reads on to message 6. Both wrote the desktop's key; the documents pick one, the same everywhere.
      markUnreadFrom(phone, 'phone', 2);
      markRead(desktop, 'desktop', 6, 200);
      sync(phone, desktop);
      expect(authorRoots(phone).read.toJSON()).toEqual(authorRoots(desktop).read.toJSON());
      outcomes.add(readSeqOf(phone));
    }
    expect([...outcomes].every((o) => o === 1 || o === 6)).toBe(true);
  });
});

describe('mention and unread counts', () => {
  it("count @handle and @channel for the mentioned person only, never one's own messages", () => {
    const docs = build();
    const s = stateOf(docs);
    expect(mentionCount(s, bob)).toBe(2);
    expect(mentionCount(s, { id: 'carol', displayName: 'Carol' })).toBe(1);
    expect(mentionCount(s, { id: 'dave', displayName: 'Dave' })).toBe(1);
    expect(mentionCount(s, { id: 'alice', displayName: 'Alice' })).toBe(0);
    expect(unreadCount(s, 'carol')).toBe(1);
    expect(unreadCount(s, 'dave')).toBe(3);
  });

  it('deleted and removed messages are not unread and mention nobody', () => {
    const docs = build();
    deleteMessage(docs.alice, 'a3', 10);
    const mod = new Y.Doc();
    removeMessage(mod, 'alice:a5', 'tutor', 11);
    const s = readConversation([
      {
        segment: 0,
        idx: docs.idx,
        mod,
        authors: new Map([
          ['alice', docs.alice],
          ['bob', docs.bob],
        ]),
      },
    ]);
    expect(unreadCount(s, 'bob')).toBe(3);
    expect(mentionCount(s, bob)).toBe(0);
  });
});

describe('readTimes and seenBy (read receipts)', () => {
  it('say who read up to a message and when, oldest read first, never the author', () => {
    const docs = build();
    const s = stateOf(docs);
    expect(s.readTimes.get('carol')).toBe(1_000);
    const m2 = s.byKey.get('alice:a2');
    const m4 = s.byKey.get('alice:a4');
    const m5 = s.byKey.get('alice:a5');
    if (!m2 || !m4 || !m5) throw new Error('missing messages');
    expect(seenBy(s, m2)).toEqual([
      { userId: 'dave', at: 900 },
      { userId: 'carol', at: 1_000 },
    ]);
    expect(seenBy(s, m4)).toEqual([{ userId: 'carol', at: 1_000 }]);
    expect(seenBy(s, m5)).toEqual([]);
    // The author reading their own message is not a receipt.
    markRead(docs.alice, 'desk', 5, 1_200);
    expect(seenBy(stateOf(docs), m5)).toEqual([]);
  });

  it('the time is that of the device holding the highest mark (a phone reading less later does not count)', () => {
    const docs = build();
    markRead(docs.bob, 'desktop', 5, 2_000);
    markRead(docs.bob, 'phone', 3, 3_000);
    expect(stateOf(docs).readTimes.get('bob')).toBe(2_000);
    // Two devices at the same mark: the later of their times.
    markRead(docs.bob, 'phone', 5, 2_500);
    expect(stateOf(docs).readTimes.get('bob')).toBe(2_500);
  });

  it('a message not yet indexed has no receipts; marks without a time show time 0', () => {
    const docs = build();
    sendMessage(docs.alice, { id: 'late', text: 'not indexed yet', ts: 9 });
    authorRoots(docs.bob).read.set('old-device', 5);
    const s = stateOf(docs);
    const late = s.byKey.get('alice:late');
    if (!late) throw new Error('missing message');
    expect(seenBy(s, late)).toEqual([]);
    expect(s.readTimes.get('bob')).toBe(0);
    const m5 = s.byKey.get('alice:a5');
    if (!m5) throw new Error('missing message');
    expect(seenBy(s, m5)).toEqual([{ userId: 'bob', at: 0 }]);
  });

  it('after mark unread the receipt goes back too', () => {
    const docs = build();
    markUnreadFrom(docs.carol, 'phone', 3);
    const s = stateOf(docs);
    const m3 = s.byKey.get('alice:a3');
    if (!m3) throw new Error('missing message');
    expect(s.readSeqs.get('carol')).toBe(2);
    expect(seenBy(s, m3)).toEqual([]);
  });
});

describe('moderation validation: two moderators removing one message at once (T5)', () => {
  it('both removals are accepted, whichever record wins; undoing a removal is still refused', () => {
    let replaced = 0;
    for (let run = 0; run < 30; run++) {
      const server = new Y.Doc();
      const t1 = new Y.Doc();
      const t2 = new Y.Doc();
      removeMessage(t1, 'bob:b1', 't1', 1);
      removeMessage(t2, 'bob:b1', 't2', 2, 'unkind');
      const first = summariseModChanges(applyAndInspect(server, Y.encodeStateAsUpdate(t1), 'x'));
      const second = summariseModChanges(applyAndInspect(server, Y.encodeStateAsUpdate(t2), 'x'));
      expect(first).toMatchObject({ ok: true, removals: [{ key: 'bob:b1', by: 't1' }] });
      expect(second).toMatchObject({ ok: true });
      if (second.ok && second.removals.length > 0) replaced++;
      expect(server.getMap('removed').has('bob:b1')).toBe(true);
      // Undo: delete the key. Refused.
      const undo = new Y.Doc();
      Y.applyUpdate(undo, Y.encodeStateAsUpdate(server));
      const before = Y.encodeStateVector(undo);
      undo.getMap('removed').delete('bob:b1');
      const target = new Y.Doc();
      Y.applyUpdate(target, Y.encodeStateAsUpdate(server));
      expect(
        summariseModChanges(applyAndInspect(target, Y.encodeStateAsUpdate(undo, before), 'x')),
      ).toMatchObject({ ok: false, code: 'bad-moderation' });
    }
    // Random client ids: in some runs the second record replaced the first (the case that was refused).
    expect(replaced).toBeGreaterThan(0);
  });
});
