import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendToIndex,
  deleteMessage,
  readConversation,
  recordGone,
  redactMessages,
  removeMessage,
  sendMessage,
  threadReplies,
} from '../src/index.ts';

/** P16 in the pure view: what a replica shows once the server took a message's words out. */
describe('tombstones in the view (P16)', () => {
  const setup = () => {
    const author = new Y.Doc();
    const idx = new Y.Doc();
    const mod = new Y.Doc();
    sendMessage(author, { id: 'p', text: 'parent words', ts: 1 });
    sendMessage(author, { id: 'r', text: 'reply words', ts: 2, parent: 'ben:p' });
    sendMessage(author, { id: 'x', text: 'plain words', ts: 3 });
    appendToIndex(idx, [
      ['ben', 'p'],
      ['ben', 'r'],
      ['ben', 'x'],
    ]);
    const read = () => readConversation([{ segment: 0, idx, mod, authors: new Map([['ben', author]]) }]);
    return { author, idx, mod, read };
  };

  it('a removed reply keeps its place in its thread, with no words', () => {
    const { author, idx, mod, read } = setup();
    removeMessage(mod, 'ben:r', 'tutor', 5, 'unkind');
    recordGone(idx, 'ben', redactMessages(author, ['r'], 'removed'));
    expect(JSON.stringify(Y.encodeStateAsUpdate(author))).not.toContain('reply words');
    const state = read();
    expect(threadReplies(state, 'ben:p').map((m) => [m.key, m.text, m.removed?.by])).toEqual([
      ['ben:r', '', 'tutor'],
    ]);
    expect(state.byKey.get('ben:p')?.replyCount).toBe(1);
  });

  it('a deleted parent with replies stays as "deleted" in its place; deleted without replies is gone', () => {
    const { author, idx, read } = setup();
    deleteMessage(author, 'p', 4);
    deleteMessage(author, 'x', 4);
    recordGone(idx, 'ben', redactMessages(author, ['p', 'x'], 'deleted'));
    const state = read();
    expect(state.messages.map((m) => [m.key, m.text, m.deleted])).toEqual([['ben:p', '', true]]);
  });

  it('removed, then deleted by its author on a device that had not heard: both hold', () => {
    const { author, idx, mod, read } = setup();
    removeMessage(mod, 'ben:x', 'tutor', 5);
    recordGone(idx, 'ben', redactMessages(author, ['x'], 'removed'));
    deleteMessage(author, 'x', 6);
    expect(read().byKey.get('ben:x')).toMatchObject({ deleted: true, text: '' });
    expect(read().byKey.get('ben:x')?.removed?.by).toBe('tutor');
  });

  it('an expired message still held by a replica that has the tombstone is hidden like a deleted one', () => {
    const { idx, read } = setup();
    recordGone(idx, 'ben', [{ localId: 'x', gone: { ts: 3, why: 'expired' } }]);
    expect(read().messages.map((m) => m.key)).toEqual(['ben:p']);
  });
});
