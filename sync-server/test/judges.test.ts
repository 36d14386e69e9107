import {
  deleteMessage,
  editMessage,
  inspectUpdate,
  markRead,
  messageKey,
  removeMessage,
  sendMessage,
  setPin,
  setReaction,
  type Changes,
} from '@commonroom/model';
import { seeded } from '@commonroom/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPolicy, type Actor, type Policy } from '../src/auth/policy.ts';
import { judgeAuthor, judgeIndex, judgeMod, type AuthorFacts, type Verdict } from '../src/rooms/judges.ts';
import { createConversationStore, type ConversationStore } from '../src/storage/conversations.ts';
import { openDatabase, type Db } from '../src/storage/db.ts';
import { createUserStore } from '../src/storage/users.ts';

/**
 * The judges on their own (rooms/judges.ts): real Yjs documents and the updates a device would send,
 * inspected as the server inspects them, held against the real policy over a real (in-memory) SQLite
 * database. No socket, no server: each rule of docs/THREAT_MODEL.md a judge owns, one case each. The
 * socket tests (threat-model.test.ts, refusal-cost.test.ts, …) show the same rules end to end.
 */

const T0 = 1_700_000_000_000;

/** The update `change` makes to a copy of `doc`, and what applying it to `doc` would change. */
function changesOf(doc: Y.Doc, change: (d: Y.Doc) => void, clientID = 7): Changes {
  const copy = new Y.Doc();
  copy.clientID = clientID;
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const sv = Y.encodeStateVector(copy);
  change(copy);
  return inspectUpdate(doc, Y.encodeStateAsUpdate(copy, sv));
}

const refusal = (v: Verdict): string | null => (v.ok ? null : v.code);

let db: Db;
let conversations: ConversationStore;
let policy: Policy;
const people: Record<'student' | 'other' | 'tutor', Actor> = {
  student: { id: 'u-student', role: 'student' },
  other: { id: 'u-other', role: 'student' },
  tutor: { id: 'u-tutor', role: 'tutor' },
};

beforeEach(() => {
  db = openDatabase(':memory:');
  const users = createUserStore(db, () => T0);
  conversations = createConversationStore(db, () => T0);
  for (const a of Object.values(people))
    users.insert({
      id: a.id,
      email: `${a.id}@college.test`,
      username: null,
      displayName: a.id,
      role: a.role,
      passwordHash: 'x',
      cohort: null,
    });
  conversations.create({ id: 'c-general', kind: 'public', name: 'general', createdBy: null });
  conversations.create({ id: 'c-news', kind: 'announcement', name: 'news', createdBy: null });
  conversations.create({ id: 'c-dm', kind: 'dm', name: null, dmKey: 'dm-key', createdBy: null });
  for (const c of ['c-general', 'c-news'])
    for (const a of Object.values(people)) conversations.addMember(c, a.id);
  conversations.addMember('c-dm', people.student.id);
  conversations.addMember('c-dm', people.tutor.id);
  policy = createPolicy(conversations, {
    dmPolicy: () => 'anyone',
    roleOf: (id) => Object.values(people).find((a) => a.id === id)?.role ?? null,
  });
});

afterEach(() => db.close());

/** The facts for `actor` writing to their author document of segment 0 of `conv`, overridable. */
function facts(actor: Actor, conv: string, over: Partial<AuthorFacts> = {}): AuthorFacts {
  const row = conversations.get(conv);
  if (!row) throw new Error(`no conversation ${conv}`);
  return {
    actor,
    conv: row,
    segment: 0,
    at: T0,
    policy,
    maxNewMessages: 20,
    known: new Set(),
    goneIds: () => [],
    idTaken: () => false,
    indexLength: () => 0,
    memberCount: () => conversations.memberCount(conv),
    takeAllowance: () => 0,
    // No uploads exist here: any file a message references is refused as made up (T20).
    checkFiles: (list) =>
      list.some((m) => m.files !== undefined)
        ? { ok: false, code: 'bad-attachment', message: 'no such upload' }
        : null,
    ...over,
  };
}

describe('the author judge (T2, T3, T14; P8, P10, P11, P13, P16)', () => {
  it('accepts a member’s new message and says where it goes in the index and what to record', () => {
    const doc = new Y.Doc();
    const changes = changesOf(doc, (d) => sendMessage(d, { id: 'm1', text: 'hello', ts: T0 }));
    const v = judgeAuthor(changes, facts(people.student, 'c-general'));
    expect(v).toMatchObject({ ok: true, index: [[people.student.id, 'm1']], gone: [], listAuthor: false });
    if (v.ok && v.record.kind === 'author')
      expect(v.record.sum.messages.map((m) => m.text)).toEqual(['hello']);
  });

  it('T3: a student does not post in an announcement channel, but reacts there', () => {
    const doc = new Y.Doc();
    const post = changesOf(doc, (d) => sendMessage(d, { id: 'm1', text: 'hi', ts: T0 }));
    expect(refusal(judgeAuthor(post, facts(people.student, 'c-news')))).toBe('announcement-only');
    const react = changesOf(doc, (d) => setReaction(d, messageKey(people.tutor.id, 't1'), '👍', true, T0));
    expect(judgeAuthor(react, facts(people.student, 'c-news'))).toMatchObject({ ok: true, listAuthor: true });
  });

  it('T2: edits and deletes name only messages of this document', () => {
    const doc = new Y.Doc();
    const edit = changesOf(doc, (d) => editMessage(d, 'not-mine', 'changed', T0));
    expect(refusal(judgeAuthor(edit, facts(people.student, 'c-general')))).toBe('not-your-message');
    const known = facts(people.student, 'c-general', { known: new Set(['mine']) });
    expect(
      judgeAuthor(
        changesOf(doc, (d) => editMessage(d, 'mine', 'changed', T0)),
        known,
      ).ok,
    ).toBe(true);
  });

  it('P16: deleting one’s message, or editing one already taken out, takes the words out in the commit', () => {
    const doc = new Y.Doc();
    const f = facts(people.student, 'c-general', { known: new Set(['a', 'b']), goneIds: () => ['b'] });
    const del = judgeAuthor(
      changesOf(doc, (d) => deleteMessage(d, 'a', T0)),
      f,
    );
    expect(del).toMatchObject({
      ok: true,
      gone: [{ authorId: people.student.id, ids: ['a'], why: 'deleted' }],
    });
    const edit = judgeAuthor(
      changesOf(doc, (d) => editMessage(d, 'b', 'again', T0)),
      f,
    );
    expect(edit).toMatchObject({ ok: true, gone: [{ ids: ['b'], why: 'deleted' }] });
  });

  it('P11: a message id already held, committing or used in an older segment is a duplicate', () => {
    const doc = new Y.Doc();
    const send = changesOf(doc, (d) => sendMessage(d, { id: 'm1', text: 'again', ts: T0 }));
    const held = facts(people.student, 'c-general', { known: new Set(['m1']) });
    expect(refusal(judgeAuthor(send, held))).toBe('duplicate-id');
    const taken = facts(people.student, 'c-general', { idTaken: (id) => id === 'm1' });
    expect(refusal(judgeAuthor(send, taken))).toBe('duplicate-id');
  });

  it('P13: new messages go to the newest segment only', () => {
    conversations.advanceSegment('c-general', 0, 1);
    const send = changesOf(new Y.Doc(), (d) => sendMessage(d, { id: 'm1', text: 'late', ts: T0 }));
    expect(refusal(judgeAuthor(send, facts(people.student, 'c-general')))).toBe('segment-closed');
    expect(judgeAuthor(send, facts(people.student, 'c-general', { segment: 1 })).ok).toBe(true);
  });

  it('P10: more new messages than one update may hold, or than the allowance, are refused', () => {
    const random = seeded(19);
    const n = 3 + Math.floor(random() * 5);
    const many = changesOf(new Y.Doc(), (d) => {
      for (let i = 0; i < n; i++) sendMessage(d, { id: `m${i}`, text: `message ${i}`, ts: T0 });
    });
    const small = facts(people.student, 'c-general', { maxNewMessages: n - 1 });
    expect(refusal(judgeAuthor(many, small))).toBe('too-many-messages');
    let asked = 0;
    const slow = facts(people.student, 'c-general', {
      takeAllowance: (k) => {
        asked = k;
        return 2_500;
      },
    });
    expect(judgeAuthor(many, slow)).toMatchObject({ ok: false, code: 'slow-down' });
    expect(asked).toBe(n);
  });

  it('the allowance is taken last: a refused update uses none of it', () => {
    let taken = 0;
    const f = facts(people.student, 'c-news', { takeAllowance: (k) => ((taken += k), 0) });
    const post = changesOf(new Y.Doc(), (d) => sendMessage(d, { id: 'm1', text: 'hi', ts: T0 }));
    expect(refusal(judgeAuthor(post, f))).toBe('announcement-only');
    expect(taken).toBe(0);
  });

  it('only staff notify everyone with @channel', () => {
    const post = changesOf(new Y.Doc(), (d) => sendMessage(d, { id: 'm1', text: 'hey @channel', ts: T0 }));
    expect(refusal(judgeAuthor(post, facts(people.student, 'c-general')))).toBe('broadcast-mention');
    expect(judgeAuthor(post, facts(people.tutor, 'c-general')).ok).toBe(true);
  });

  it('P8: a read mark names what exists, and a read time is not in the future', () => {
    const read = changesOf(new Y.Doc(), (d) => markRead(d, 'device-1', 5, T0));
    expect(refusal(judgeAuthor(read, facts(people.student, 'c-general', { indexLength: () => 4 })))).toBe(
      'bad-read',
    );
    expect(judgeAuthor(read, facts(people.student, 'c-general', { indexLength: () => 5 }))).toMatchObject({
      ok: true,
      // Three members: receipts show, so the reader is listed for others to follow.
      listAuthor: true,
    });
    const future = changesOf(new Y.Doc(), (d) => markRead(d, 'device-1', 1, T0 + 2 * 3_600_000));
    expect(refusal(judgeAuthor(future, facts(people.student, 'c-general', { indexLength: () => 5 })))).toBe(
      'bad-read',
    );
  });
});

describe('the moderation judge (T4, P16)', () => {
  const key = messageKey(people.student.id, 'm1');

  it('accepts a removal that names its moderator and takes the words out of the author’s document', () => {
    const changes = changesOf(new Y.Doc(), (d) => removeMessage(d, key, people.tutor.id, T0, 'unkind'));
    const v = judgeMod(changes, { actor: people.tutor, conv: conversations.get('c-general')!, at: T0 });
    expect(v).toMatchObject({
      ok: true,
      gone: [{ authorId: people.student.id, ids: ['m1'], why: 'removed' }],
    });
  });

  it('refuses an entry that names someone else as its moderator', () => {
    const changes = changesOf(new Y.Doc(), (d) => setPin(d, key, people.other.id, T0, true));
    const v = judgeMod(changes, { actor: people.tutor, conv: conversations.get('c-general')!, at: T0 });
    expect(refusal(v)).toBe('forged-moderator');
  });

  it('in a DM, pins are the members’ but removals are not', () => {
    const conv = conversations.get('c-dm')!;
    const pin = changesOf(new Y.Doc(), (d) => setPin(d, key, people.tutor.id, T0, true));
    expect(judgeMod(pin, { actor: people.tutor, conv, at: T0 }).ok).toBe(true);
    const removal = changesOf(new Y.Doc(), (d) => removeMessage(d, key, people.tutor.id, T0));
    expect(refusal(judgeMod(removal, { actor: people.tutor, conv, at: T0 }))).toBe('not-a-moderator');
  });
});

describe('the index judge (T5)', () => {
  it('refuses every write: the index is the server’s', () => {
    expect(judgeIndex()).toMatchObject({ ok: false, code: 'server-only' });
  });
});
