import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendToIndex,
  applyAndInspect,
  deleteMessage,
  editMessage,
  markRead,
  readConversation,
  removeMessage,
  sendMessage,
  setPin,
  setReaction,
  summariseAuthorChanges,
  summariseModChanges,
  threadReplies,
  unreadCount,
  type SegmentDocs,
} from '../src/index.ts';

const plain = (s: ReturnType<typeof readConversation>) =>
  s.messages.map((m) => ({
    key: m.key,
    seq: m.seq,
    text: m.text,
    deleted: m.deleted,
    reactions: m.reactions,
    replies: m.replyCount,
    pinned: m.pinned,
  }));

describe('readConversation (P6–P8)', () => {
  const build = () => {
    const alice = new Y.Doc();
    const bob = new Y.Doc();
    const idx = new Y.Doc();
    const mod = new Y.Doc();
    sendMessage(alice, { id: 'a1', text: 'hello', ts: 10 });
    sendMessage(bob, { id: 'b1', text: 'hi', ts: 5 });
    sendMessage(bob, { id: 'b2', text: 'reply', ts: 20, parent: 'alice:a1' });
    appendToIndex(idx, [
      ['alice', 'a1'],
      ['bob', 'b1'],
      ['bob', 'b2'],
    ]);
    setReaction(bob, 'alice:a1', '👍', true, 30);
    setReaction(alice, 'alice:a1', '👍', true, 31);
    editMessage(alice, 'a1', 'hello all', 40);
    setPin(mod, 'bob:b1', 'tutor', 50, true);
    markRead(bob, 'phone', 1);
    markRead(bob, 'desktop', 3);
    return { alice, bob, idx, mod };
  };

  it('P7: orders by arrival, not by timestamp; threads stay out of the channel', () => {
    const { alice, bob, idx, mod } = build();
    const s = readConversation([
      {
        segment: 0,
        idx,
        mod,
        authors: new Map([
          ['alice', alice],
          ['bob', bob],
        ]),
      },
    ]);
    expect(s.messages.map((m) => m.key)).toEqual(['alice:a1', 'bob:b1']);
    expect(s.byKey.get('alice:a1')).toMatchObject({
      text: 'hello all',
      editedAt: 40,
      replyCount: 1,
      replyAuthors: ['bob'],
    });
    expect(s.byKey.get('alice:a1')?.reactions).toEqual([{ emoji: '👍', userIds: ['alice', 'bob'] }]);
    expect(s.byKey.get('bob:b1')?.pinned).toEqual({ by: 'tutor', ts: 50 });
    expect(threadReplies(s, 'alice:a1').map((m) => m.key)).toEqual(['bob:b2']);
  });

  it("P8: read marks merge by maximum over devices; unread counts others' messages after the mark", () => {
    const { alice, bob, idx, mod } = build();
    const s = readConversation([
      {
        segment: 0,
        idx,
        mod,
        authors: new Map([
          ['alice', alice],
          ['bob', bob],
        ]),
      },
    ]);
    expect(s.readSeqs.get('bob')).toBe(3);
    expect(unreadCount(s, 'bob')).toBe(0);
    expect(unreadCount(s, 'alice')).toBe(1);
  });

  it('P6: a deleted message without replies is gone; with replies it stays as deleted', () => {
    const { alice, bob, idx, mod } = build();
    deleteMessage(alice, 'a1', 60);
    deleteMessage(bob, 'b1', 61);
    const s = readConversation([
      {
        segment: 0,
        idx,
        mod,
        authors: new Map([
          ['alice', alice],
          ['bob', bob],
        ]),
      },
    ]);
    expect(s.messages.map((m) => [m.key, m.deleted])).toEqual([['alice:a1', true]]);
    expect(threadReplies(s, 'alice:a1').map((m) => m.key)).toEqual(['bob:b2']);
  });

  it('P6: a removed message keeps its place as a placeholder for everyone, with no text, edit or reactions', () => {
    const { alice, bob, idx, mod } = build();
    // alice:a1 has a reply, an edit and reactions; bob:b1 has none of them: both stay, emptied.
    removeMessage(mod, 'alice:a1', 'tutor', 61, 'unkind');
    removeMessage(mod, 'bob:b1', 'tutor', 62);
    const s = readConversation([
      {
        segment: 0,
        idx,
        mod,
        authors: new Map([
          ['alice', alice],
          ['bob', bob],
        ]),
      },
    ]);
    expect(s.messages.map((m) => [m.key, m.seq, m.removed?.by])).toEqual([
      ['alice:a1', 1, 'tutor'],
      ['bob:b1', 2, 'tutor'],
    ]);
    for (const m of s.messages) {
      expect(m.text).toBe('');
      expect(m.reactions).toEqual([]);
      expect(m.editedAt).toBeNull();
    }
    expect(s.byKey.get('alice:a1')?.replyCount).toBe(1);
  });

  it('P6: a removed thread reply stays in the thread as a placeholder and still counts as a reply', () => {
    const { alice, bob, idx, mod } = build();
    removeMessage(mod, 'bob:b2', 'tutor', 61);
    // The author deleting a removed message does not make the moderator's placeholder vanish.
    deleteMessage(bob, 'b2', 62);
    const s = readConversation([
      {
        segment: 0,
        idx,
        mod,
        authors: new Map([
          ['alice', alice],
          ['bob', bob],
        ]),
      },
    ]);
    const replies = threadReplies(s, 'alice:a1');
    expect(replies.map((m) => [m.key, m.text, m.removed?.by])).toEqual([['bob:b2', '', 'tutor']]);
    expect(s.byKey.get('alice:a1')?.replyCount).toBe(1);
    expect(unreadCount(s, 'alice')).toBe(1);
  });

  it('P7: the same documents give the same list whatever order they are handed over in (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 4 }), fc.string({ minLength: 1, maxLength: 5 }), fc.nat(100)),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.boolean(),
        (ops, reverse) => {
          const authors = ['u0', 'u1', 'u2', 'u3', 'u4'];
          const docs = new Map(authors.map((a) => [a, new Y.Doc()]));
          const idx = new Y.Doc();
          ops.forEach(([who, text, ts], i) => {
            const a = authors[who] as string;
            sendMessage(docs.get(a) as Y.Doc, { id: `m${i}`, text: text.trim() || 'x', ts });
            if (i % 3 !== 2) appendToIndex(idx, [[a, `m${i}`]]);
          });
          const forward: SegmentDocs = { segment: 0, idx, mod: null, authors: docs };
          const backward: SegmentDocs = { segment: 0, idx, mod: null, authors: new Map([...docs].reverse()) };
          expect(plain(readConversation([reverse ? backward : forward]))).toEqual(
            plain(readConversation([forward])),
          );
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('validation of what an update changed (T2–T5)', () => {
  const changesOf = (base: Y.Doc, build: (d: Y.Doc) => void) => {
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(base));
    const before = Y.encodeStateVector(copy);
    build(copy);
    const update = Y.encodeStateAsUpdate(copy, before);
    const target = new Y.Doc();
    Y.applyUpdate(target, Y.encodeStateAsUpdate(base));
    return applyAndInspect(target, update, 'test');
  };

  it('summarises messages, edits, deletes, reactions and read marks', () => {
    const base = new Y.Doc();
    sendMessage(base, { id: 'a1', text: 'hello', ts: 1 });
    setReaction(base, 'bob:b1', '👍', true, 2);
    const sum = summariseAuthorChanges(
      changesOf(base, (d) => {
        sendMessage(d, { id: 'a2', text: 'more', ts: 3 });
        editMessage(d, 'a1', 'hello!', 4);
        deleteMessage(d, 'a1', 5);
        setReaction(d, 'bob:b1', '👍', false, 6);
        markRead(d, 'dev', 9);
      }),
    );
    expect(sum).toMatchObject({
      ok: true,
      messages: [{ id: 'a2', text: 'more', ts: 3 }],
      edits: [{ localId: 'a1', text: 'hello!', ts: 4 }],
      deletes: [{ localId: 'a1', ts: 5 }],
      reactions: [{ key: 'bob:b1', emoji: '👍', on: false }],
      readMarks: 1,
    });
  });

  it('refuses extra fields, empty text, removal of list items and unknown parts', () => {
    const base = new Y.Doc();
    sendMessage(base, { id: 'a1', text: 'hello', ts: 1 });
    const extra = summariseAuthorChanges(
      changesOf(base, (d) => d.getArray('msgs').push([{ id: 'x', text: 'hi', ts: 1, author: 'bob' }])),
    );
    expect(extra).toMatchObject({ ok: false, code: 'bad-message' });
    const empty = summariseAuthorChanges(
      changesOf(base, (d) => d.getArray('msgs').push([{ id: 'x', text: '   ', ts: 1 }])),
    );
    expect(empty).toMatchObject({ ok: false, code: 'bad-message' });
    const removal = summariseAuthorChanges(changesOf(base, (d) => d.getArray('msgs').delete(0, 1)));
    expect(removal).toMatchObject({ ok: false, code: 'bad-shape' });
    const unknown = summariseAuthorChanges(changesOf(base, (d) => d.getMap('evil').set('x', 1)));
    expect(unknown).toMatchObject({ ok: false, code: 'bad-shape' });
  });

  it('moderation entries are keyed by message, name their writer, and removals stand', () => {
    const base = new Y.Doc();
    removeMessage(base, 'bob:b1', 'tutor', 1);
    expect(summariseModChanges(changesOf(base, (d) => setPin(d, 'bob:b1', 'tutor', 2, true)))).toMatchObject({
      ok: true,
      pins: [{ key: 'bob:b1', on: true, by: 'tutor' }],
    });
    expect(summariseModChanges(changesOf(base, (d) => d.getMap('removed').delete('bob:b1')))).toMatchObject({
      ok: false,
      code: 'bad-moderation',
    });
    expect(
      summariseModChanges(changesOf(base, (d) => d.getMap('pins').set('not a key', { by: 't', ts: 1 }))),
    ).toMatchObject({ ok: false, code: 'bad-shape' });
  });
});
