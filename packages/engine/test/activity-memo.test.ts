import { appendToIndex, readConversation, sendMessage, type IndexTuple } from '@commonroom/model';
import type { Conversation, Me } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createActivity } from '../src/activity.ts';
import type { ConversationView } from '../src/engine-view.ts';

/**
 * The engine's Activity is read on every render (the sidebar's count): it must not walk every message each
 * time. Kept while the engine's version stands; after a change only conversations whose view changed are
 * walked again (views are cached by their documents, so an unchanged conversation keeps its view object).
 */

const me = { id: 'amy', username: null, displayName: 'Amy Lee' } as unknown as Me;

/** A conversation of `n` messages by Ben, every tenth mentioning Amy, as the engine's view holds it. */
function viewOf(n: number, tag: string): ConversationView {
  const ben = new Y.Doc();
  const idx = new Y.Doc();
  const order: IndexTuple[] = [];
  for (let i = 0; i < n; i++) {
    sendMessage(ben, { id: `${tag}${i}`, text: i % 10 === 0 ? `@Amy.Lee ${tag} ${i}` : `line ${i}`, ts: i });
    order.push(['ben', `${tag}${i}`]);
  }
  appendToIndex(idx, order);
  const state = readConversation([{ segment: 0, idx, mod: null, authors: new Map([['ben', ben]]) }]);
  return { state } as unknown as ConversationView;
}

describe('engine activity: memoised by version and by view', () => {
  it('answers from memory while nothing changed, and walks again only the conversation that changed', () => {
    const views = new Map([
      ['c1', viewOf(200, 'a')],
      ['c2', viewOf(200, 'b')],
    ]);
    let version = 1;
    const walked: string[] = [];
    const activity = createActivity({
      version: () => version,
      me: () => me,
      conversations: () => [...views.keys()].map((id) => ({ id, isMember: true }) as Conversation),
      view: (id) => {
        walked.push(id);
        return views.get(id) as ConversationView;
      },
    });
    const first = activity();
    expect(first.unread).toBe(40);
    expect(first.items[0]?.text).toBe('@Amy.Lee a 190');
    // Same version: not even the views are asked for.
    walked.length = 0;
    expect(activity()).toBe(first);
    expect(walked).toEqual([]);

    // Something changed elsewhere, no view did: the same answer (the same object) from the kept lists.
    version++;
    expect(activity()).toBe(first);

    // One conversation changed: its list is new, the other's entries are the very same objects.
    views.set('c1', viewOf(201, 'a'));
    version++;
    const next = activity();
    expect(next).not.toBe(first);
    expect(next.unread).toBe(41);
    const fromC2 = (a: typeof first) => a.items.filter((i) => i.conversationId === 'c2');
    expect(fromC2(next).every((item, k) => item === fromC2(first)[k])).toBe(true);
  });
});
