import { describe, expect, it } from 'vitest';
import type { AsyncDocStore } from '../src/storage/doc-store-async.ts';
import type { AsyncMessageStore, NewMessage } from '../src/storage/messages-async.ts';
import { someUpdate } from './commit-backends.ts';

/**
 * The one conformance suite every AsyncMessageStore passes (the SQLite adapter on a real file, PostgreSQL
 * on a fresh database): docs/SCALE-OUT.md §1–§3. Every write goes through the document store's commit
 * (`appendBatch(…, alongside)`), the only place the projection is written.
 */
export type MessageStoreMaker<Tx> = () => Promise<{
  store: AsyncMessageStore<Tx>;
  docs: AsyncDocStore<Tx>;
  /** Resolves once a transaction waits for a row lock (commit-backends.ts). */
  lockWaited: () => Promise<void>;
  close: () => Promise<void>;
}>;

const C = 'c-general';
const msg = (authorId: string, localId: string, seq: number, more: Partial<NewMessage> = {}): NewMessage => ({
  conversationId: C,
  authorId,
  localId,
  seq,
  parentKey: null,
  text: `${authorId} ${localId}`,
  clientTs: 1_000 + seq,
  receivedAt: 2_000 + seq,
  ...more,
});

export function asyncMessageStoreSuite<Tx>(name: string, make: MessageStoreMaker<Tx>): void {
  type Commit = (w: (tx: Tx) => Promise<void>) => Promise<void>;
  type Made = Awaited<ReturnType<MessageStoreMaker<Tx>>>;
  const withStore = async (
    f: (store: AsyncMessageStore<Tx>, commit: Commit, made: Made) => Promise<void>,
  ): Promise<void> => {
    const s = await make();
    try {
      await f(s.store, (w) => s.docs.appendBatch([], w), s);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncMessageStore conformance: ${name}`, () => {
    it('an inserted message reads back with its place; the conversation’s last place follows', () =>
      withStore(async (store, commit) => {
        expect(await store.lastSeq(C)).toBe(0);
        expect(await store.exists(C, 'amy', 'm1')).toBe(false);
        expect(await store.get(C, 'amy', 'm1')).toBeUndefined();
        await commit(async (tx) => {
          await store.insert(tx, msg('amy', 'm1', 1));
          await store.insert(tx, msg('ben', 'm1', 2, { parentKey: 'amy:m1', text: 'a reply' }));
        });
        expect(await store.exists(C, 'amy', 'm1')).toBe(true);
        expect(await store.get(C, 'amy', 'm1')).toEqual({
          seq: 1,
          text: 'amy m1',
          parentKey: null,
          editedAt: null,
          deletedAt: null,
          removedBy: null,
        });
        expect(await store.get(C, 'ben', 'm1')).toMatchObject({
          seq: 2,
          text: 'a reply',
          parentKey: 'amy:m1',
        });
        expect(await store.lastSeq(C)).toBe(2);
        expect(await store.lastSeq('c-other')).toBe(0);
        expect(await store.revisions(C, 'amy', 'm1')).toEqual([]);
      }));

    it('inserting a stored message again is refused and fails its whole commit; the first is kept', () =>
      withStore(async (store, commit) => {
        await commit((tx) => store.insert(tx, msg('amy', 'm1', 1)));
        await expect(
          commit(async (tx) => {
            await store.insert(tx, msg('amy', 'm2', 2));
            await store.insert(tx, msg('amy', 'm1', 3, { text: 'again' }));
          }),
        ).rejects.toThrow();
        expect(await store.get(C, 'amy', 'm1')).toMatchObject({ seq: 1, text: 'amy m1' });
        expect(await store.exists(C, 'amy', 'm2')).toBe(false);
        // A place is given once per conversation, whoever wrote there.
        await expect(commit((tx) => store.insert(tx, msg('ben', 'm9', 1)))).rejects.toThrow();
        await commit((tx) => store.insert(tx, { ...msg('ben', 'm9', 1), conversationId: 'c-other' }));
        expect(await store.lastSeq(C)).toBe(1);
      }));

    it('edits, a delete and a removal each keep the previous text as a revision, oldest first', () =>
      withStore(async (store, commit) => {
        await commit((tx) => store.insert(tx, msg('amy', 'm1', 1, { text: 'first' })));
        await commit((tx) => store.recordEdit(tx, C, 'amy', 'm1', 'second', 3_000));
        await commit(async (tx) => {
          await store.recordEdit(tx, C, 'amy', 'm1', 'third', 3_100);
          await store.recordDelete(tx, C, 'amy', 'm1', 3_200);
        });
        await commit((tx) => store.recordRemoval(tx, C, 'amy', 'm1', 'mod-sam', 3_300));
        expect(await store.get(C, 'amy', 'm1')).toEqual({
          seq: 1,
          text: 'third',
          parentKey: null,
          editedAt: 3_100,
          deletedAt: 3_200,
          removedBy: 'mod-sam',
        });
        expect(await store.revisions(C, 'amy', 'm1')).toEqual([
          { kind: 'edit', previousText: 'first', newText: 'second', byUser: 'amy', at: 3_000 },
          { kind: 'edit', previousText: 'second', newText: 'third', byUser: 'amy', at: 3_100 },
          { kind: 'delete', previousText: 'third', newText: null, byUser: 'amy', at: 3_200 },
          { kind: 'removal', previousText: 'third', newText: null, byUser: 'mod-sam', at: 3_300 },
        ]);
      }));

    it('two commits editing one message at once chain: the second keeps the first one’s text', () =>
      withStore(async (store, commit, { lockWaited }) => {
        await commit((tx) => store.insert(tx, msg('amy', 'm1', 1, { text: 'first' })));
        let release = (): void => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        // The first holds its transaction open after its edit; the second edits meanwhile. On PostgreSQL it
        // waits for the first's row lock and then reads its text; a plain read would see 'first' and lose a step.
        const a = commit(async (tx) => {
          await store.recordEdit(tx, C, 'amy', 'm1', 'from a', 3_000);
          await gate;
        });
        const b = commit((tx) => store.recordEdit(tx, C, 'amy', 'm1', 'from b', 3_100));
        await lockWaited();
        release();
        await Promise.all([a, b]);
        const revisions = await store.revisions(C, 'amy', 'm1');
        expect(revisions.map((r) => r.previousText)).toEqual(['first', revisions[0]?.newText]);
        expect((await store.get(C, 'amy', 'm1'))?.text).toBe(revisions[1]?.newText);
      }));

    it('an edit, delete or removal of a message not stored does nothing', () =>
      withStore(async (store, commit) => {
        await commit((tx) => store.insert(tx, msg('amy', 'm1', 1)));
        await commit(async (tx) => {
          await store.recordEdit(tx, C, 'amy', 'nope', 'x', 3_000);
          await store.recordDelete(tx, C, 'amy', 'nope', 3_000);
          await store.recordRemoval(tx, C, 'ben', 'm1', 'mod-sam', 3_000);
        });
        expect(await store.exists(C, 'amy', 'nope')).toBe(false);
        expect(await store.revisions(C, 'amy', 'nope')).toEqual([]);
        expect(await store.revisions(C, 'ben', 'm1')).toEqual([]);
        expect(await store.get(C, 'amy', 'm1')).toMatchObject({
          text: 'amy m1',
          editedAt: null,
          removedBy: null,
        });
      }));

    it('deleted and removed messages are to redact until marked redacted (P16), at most `limit`', () =>
      withStore(async (store, commit) => {
        await commit(async (tx) => {
          for (const [i, id] of ['m1', 'm2', 'm3', 'm4', 'm5'].entries())
            await store.insert(tx, msg('amy', id, i + 1));
          await store.insert(tx, msg('ben', 'm1', 6));
          await store.recordEdit(tx, C, 'amy', 'm1', 'edited only', 3_000);
          await store.recordDelete(tx, C, 'amy', 'm2', 3_000);
          await store.recordRemoval(tx, C, 'amy', 'm3', 'mod-sam', 3_000);
          await store.recordDelete(tx, C, 'amy', 'm4', 3_000);
          await store.recordRemoval(tx, C, 'ben', 'm1', 'mod-sam', 3_000);
        });
        const byKey = (rows: { authorId: string; localId: string }[]) =>
          rows.map((r) => `${r.authorId}:${r.localId}`).sort();
        const due = await store.toRedact(100);
        expect(byKey(due)).toEqual(['amy:m2', 'amy:m3', 'amy:m4', 'ben:m1']);
        expect(due.find((r) => r.localId === 'm3' && r.authorId === 'amy')).toEqual({
          conversationId: C,
          authorId: 'amy',
          localId: 'm3',
          seq: 3,
          removed: true,
        });
        expect(due.find((r) => r.localId === 'm2')).toMatchObject({ seq: 2, removed: false });
        expect(await store.toRedact(2)).toHaveLength(2);
        // Another author's message of the same local id is not theirs to mark; no ids marks nothing.
        await commit(async (tx) => {
          await store.markRedacted(tx, C, 'amy', ['m2', 'm3', 'm1'], 4_000);
          await store.markRedacted(tx, C, 'ben', [], 4_000);
        });
        expect(byKey(await store.toRedact(100))).toEqual(['amy:m4', 'ben:m1']);
        await commit((tx) => store.markRedacted(tx, C, 'ben', ['m1'], 4_000));
        await commit((tx) => store.markRedacted(tx, C, 'amy', ['m4'], 4_000));
        expect(await store.toRedact(100)).toEqual([]);
      }));

    it("an author's ids below a place: theirs only, in this conversation only, strictly below", () =>
      withStore(async (store, commit) => {
        await commit(async (tx) => {
          await store.insert(tx, msg('amy', 'a1', 10));
          await store.insert(tx, msg('ben', 'b1', 11));
          await store.insert(tx, msg('amy', 'a2', 12));
          await store.insert(tx, msg('amy', 'a3', 20));
          await store.insert(tx, { ...msg('amy', 'x1', 1), conversationId: 'c-other' });
        });
        expect((await store.idsBelow(C, 'amy', 20)).sort()).toEqual(['a1', 'a2']);
        expect((await store.idsBelow(C, 'amy', 21)).sort()).toEqual(['a1', 'a2', 'a3']);
        expect(await store.idsBelow(C, 'amy', 10)).toEqual([]);
        expect(await store.idsBelow(C, 'ben', 100)).toEqual(['b1']);
        expect(await store.idsBelow(C, 'cat', 100)).toEqual([]);
      }));

    it("a thread's people: the parent's author (even without a reply) and each replier once", () =>
      withStore(async (store, commit) => {
        expect(await store.threadPeople(C, 'amy:m1')).toEqual(['amy']);
        await commit(async (tx) => {
          await store.insert(tx, msg('amy', 'm1', 1));
          await store.insert(tx, msg('ben', 'r1', 2, { parentKey: 'amy:m1' }));
          await store.insert(tx, msg('ben', 'r2', 3, { parentKey: 'amy:m1' }));
          await store.insert(tx, msg('cat', 'r1', 4, { parentKey: 'amy:m1' }));
          await store.insert(tx, msg('dan', 'r1', 5, { parentKey: 'ben:r1' }));
          await store.insert(tx, {
            ...msg('eve', 'r1', 1, { parentKey: 'amy:m1' }),
            conversationId: 'c-other',
          });
        });
        expect((await store.threadPeople(C, 'amy:m1')).sort()).toEqual(['amy', 'ben', 'cat']);
        expect((await store.threadPeople(C, 'ben:r1')).sort()).toEqual(['ben', 'dan']);
      }));

    it('a commit whose alongside throws after writing projection rows stores nothing of the batch (P4)', () =>
      withStore(async (store, commit, { docs }) => {
        await commit((tx) => store.insert(tx, msg('amy', 'm1', 1, { text: 'kept' })));
        await expect(
          docs.appendBatch([{ doc: 'author-doc', data: someUpdate('hello') }], async (tx) => {
            await store.insert(tx, msg('amy', 'm2', 2));
            await store.recordEdit(tx, C, 'amy', 'm1', 'lost', 3_000);
            await store.markRedacted(tx, C, 'amy', ['m1'], 3_000);
            throw new Error('the commit fails after the rows');
          }),
        ).rejects.toThrow('the commit fails after the rows');
        expect(await docs.count('author-doc')).toBe(0);
        expect(await store.exists(C, 'amy', 'm2')).toBe(false);
        expect(await store.get(C, 'amy', 'm1')).toMatchObject({ text: 'kept', editedAt: null });
        expect(await store.revisions(C, 'amy', 'm1')).toEqual([]);
        expect(await store.lastSeq(C)).toBe(1);
        // The same batch again, not failing, stores both halves.
        await docs.appendBatch([{ doc: 'author-doc', data: someUpdate('hello') }], (tx) =>
          store.insert(tx, msg('amy', 'm2', 2)),
        );
        expect(await docs.count('author-doc')).toBe(1);
        expect(await store.exists(C, 'amy', 'm2')).toBe(true);
      }));
  });
}
