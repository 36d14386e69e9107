import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  activityOf,
  appendToIndex,
  deleteMessage,
  markRead,
  mergeActivity,
  readConversation,
  removeMessage,
  sendMessage,
  type ActivityItem,
  type IndexTuple,
} from '../src/index.ts';

const amy = { id: 'amy', username: null, displayName: 'Amy Lee' };

/** A one-segment conversation: each message in its author's document, indexed in the order given. */
function conversation(msgs: { by: string; id: string; text: string; ts: number; parent?: string }[]) {
  const docs = new Map<string, Y.Doc>();
  const doc = (by: string) => {
    let d = docs.get(by);
    if (!d) docs.set(by, (d = new Y.Doc()));
    return d;
  };
  const idx = new Y.Doc();
  const mod = new Y.Doc();
  for (const m of msgs)
    sendMessage(doc(m.by), {
      id: m.id,
      text: m.text,
      ts: m.ts,
      ...(m.parent ? { parent: m.parent } : {}),
    });
  appendToIndex(
    idx,
    msgs.map((m): IndexTuple => [m.by, m.id]),
  );
  const read = () => readConversation([{ segment: 0, idx, mod, authors: docs }]);
  return { docs, doc, idx, mod, read };
}

const brief = (items: ActivityItem[]) => items.map((i) => `${i.key} ${i.reason}${i.unread ? ' unread' : ''}`);

describe('activityOf (issue 15 §2)', () => {
  it('lists mentions of me and @channel/@here/@everyone by others, newest first, not my own or other people', () => {
    const c = conversation([
      { by: 'ben', id: 'b1', text: 'hello @Amy.Lee', ts: 1 },
      { by: 'ben', id: 'b2', text: 'hello @Sam', ts: 2 },
      { by: 'tutor', id: 't1', text: '@channel class moved', ts: 3 },
      { by: 'tutor', id: 't2', text: '@here anyone?', ts: 4 },
      { by: 'tutor', id: 't3', text: '@everyone fire drill', ts: 5 },
      { by: 'amy', id: 'a1', text: 'me, @Amy.Lee', ts: 6 },
      { by: 'ben', id: 'b3', text: 'mail amy@amy.lee', ts: 7 },
    ]);
    expect(brief(activityOf(c.read(), amy, 'c1'))).toEqual([
      'tutor:t3 mention unread',
      'tutor:t2 mention unread',
      'tutor:t1 mention unread',
      'ben:b1 mention unread',
    ]);
  });

  it('lists replies in threads I started or replied in (after I joined), once, a mention winning', () => {
    const c = conversation([
      { by: 'amy', id: 'a1', text: 'my question', ts: 1 },
      { by: 'ben', id: 'b1', text: 'an answer', ts: 2, parent: 'amy:a1' },
      { by: 'ben', id: 'b2', text: 'thanks @Amy.Lee', ts: 3, parent: 'amy:a1' },
      { by: 'sam', id: 's1', text: 'sam asks', ts: 4 },
      { by: 'ben', id: 'b3', text: 'before amy came', ts: 5, parent: 'sam:s1' },
      { by: 'amy', id: 'a2', text: 'amy joins', ts: 6, parent: 'sam:s1' },
      { by: 'ben', id: 'b4', text: 'after amy came', ts: 7, parent: 'sam:s1' },
      { by: 'sam', id: 's2', text: 'not a thread of mine', ts: 8 },
      { by: 'ben', id: 'b5', text: 'reply elsewhere', ts: 9, parent: 'sam:s2' },
    ]);
    const items = activityOf(c.read(), amy, 'c1');
    expect(brief(items)).toEqual(['ben:b4 reply unread', 'ben:b2 mention unread', 'ben:b1 reply unread']);
    expect(items[0]).toMatchObject({ conversationId: 'c1', parent: 'sam:s1', authorId: 'ben', ts: 7 });
  });

  it('is unread while after my read mark, whichever of my devices moved it (merged by maximum)', () => {
    const c = conversation([
      { by: 'ben', id: 'b1', text: '@Amy.Lee one', ts: 1 },
      { by: 'ben', id: 'b2', text: '@Amy.Lee two', ts: 2 },
      { by: 'ben', id: 'b3', text: '@Amy.Lee three', ts: 3 },
    ]);
    markRead(c.doc('amy'), 'phone', 1);
    markRead(c.doc('amy'), 'desktop', 2);
    const r = mergeActivity([activityOf(c.read(), amy, 'c1')], 10);
    expect(brief(r.items)).toEqual(['ben:b3 mention unread', 'ben:b2 mention', 'ben:b1 mention']);
    expect(r.unread).toBe(1);
  });

  it('leaves out deleted and removed messages and messages the server has not placed yet', () => {
    const c = conversation([
      { by: 'ben', id: 'b1', text: '@Amy.Lee deleted later', ts: 1 },
      { by: 'ben', id: 'b2', text: '@Amy.Lee removed by a moderator', ts: 2 },
      { by: 'ben', id: 'b3', text: '@Amy.Lee stays', ts: 3 },
    ]);
    deleteMessage(c.doc('ben'), 'b1', 10);
    removeMessage(c.mod, 'ben:b2', 'tutor', 11);
    // Not in the index: no arrival position, so not counted (it has not arrived for anyone).
    sendMessage(c.doc('ben'), { id: 'b4', text: '@Amy.Lee unplaced', ts: 4 });
    expect(brief(activityOf(c.read(), amy, 'c1'))).toEqual(['ben:b3 mention unread']);
  });

  it('merges conversations newest first, up to a limit, counting every unread entry', () => {
    const one = conversation([
      { by: 'ben', id: 'b1', text: '@Amy.Lee 1', ts: 10 },
      { by: 'ben', id: 'b2', text: '@Amy.Lee 3', ts: 30 },
    ]);
    const two = conversation([
      { by: 'sam', id: 's1', text: '@Amy.Lee 2', ts: 20 },
      { by: 'sam', id: 's2', text: '@Amy.Lee 4', ts: 40 },
    ]);
    const lists = [activityOf(one.read(), amy, 'one'), activityOf(two.read(), amy, 'two')];
    const r = mergeActivity(lists, 3);
    expect(r.items.map((i) => `${i.conversationId} ${i.text}`)).toEqual([
      'two @Amy.Lee 4',
      'one @Amy.Lee 3',
      'two @Amy.Lee 2',
    ]);
    expect(r.unread).toBe(4);
    expect(mergeActivity([], 5)).toEqual({ items: [], unread: 0 });
  });

  it('ties on time are broken by arrival, so every device lists the same order', () => {
    const c = conversation([
      { by: 'ben', id: 'b1', text: '@Amy.Lee first', ts: 5 },
      { by: 'sam', id: 's1', text: '@Amy.Lee second', ts: 5 },
    ]);
    expect(brief(activityOf(c.read(), amy, 'c1'))).toEqual([
      'sam:s1 mention unread',
      'ben:b1 mention unread',
    ]);
  });
});
