// Thumbnails of recent conversations fetched ahead (issue 17), on the real file cache (Dexie over
// fake-indexeddb; the browser test runs it on Chromium's IndexedDB against a real server): which thumbnails,
// in what order, within the budget without pushing out what the person opened, and never while the browser
// asks to save data. The conversations are plain message views, as the engine gives them.
import 'fake-indexeddb/auto';
import type { FileRef, MessageView } from '@commonroom/model';
import { describe, expect, it } from 'vitest';
import { createFileCache } from '../src/attachments/file-cache.ts';
import {
  createThumbPrefetch,
  IMAGES_PER_CONVERSATION,
  prefetchTargets,
  RECENT_CONVERSATIONS,
  type PrefetchSource,
} from '../src/attachments/thumb-prefetch.ts';
import { CommonroomDb } from '../src/sync/commonroom-db.ts';

let dbs = 0;
const ME = { id: 'u-me' };

const image = (id: string): FileRef => ({ id, name: `${id}.jpg`, size: 1000, type: 'image/jpeg' });
const pdf = (id: string): FileRef => ({ id, name: `${id}.pdf`, size: 1000, type: 'application/pdf' });

function msg(key: string, ts: number, files: FileRef[], extra: Partial<MessageView> = {}): MessageView {
  return {
    key,
    authorId: 'u-other',
    localId: key,
    segment: 0,
    seq: ts,
    text: '',
    files,
    ts,
    editedAt: null,
    deleted: false,
    removed: null,
    pinned: null,
    parent: null,
    alsoChannel: false,
    replyCount: 0,
    lastReplyTs: null,
    replyAuthors: [],
    reactions: [],
    ...extra,
  };
}

/** Conversations as the engine shows them: each a list of messages. */
function source(convs: Record<string, MessageView[]>, me: () => { id: string } | null = () => ME) {
  const views = new Map<string, { state: { byKey: Map<string, MessageView> } }>();
  const listeners = new Set<() => void>();
  const s: PrefetchSource & { set(id: string, ms: MessageView[]): void } = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    me,
    conversations: () => Object.keys(convs).map((id) => ({ id, isMember: true })),
    view: (id) => views.get(id) ?? { state: { byKey: new Map() } },
    set(id, ms) {
      convs[id] = ms;
      views.set(id, { state: { byKey: new Map(ms.map((m) => [m.key, m])) } });
      for (const l of listeners) l();
    },
  };
  for (const [id, ms] of Object.entries(convs)) s.set(id, ms);
  return s;
}

async function deviceFor(budget: number) {
  let t = 1000;
  const db = new CommonroomDb(`prefetch-${++dbs}`);
  await db.meta.put({ key: 'me', value: ME });
  const cache = createFileCache(db, () => t++);
  await cache.setBudget(budget);
  return { db, cache, now: () => t++ };
}

const bytes = (n: number) => new Blob([new Uint8Array(n)]);

describe('thumbnails of recent conversations, fetched ahead (issue 17)', () => {
  it('the newest images of the most recently active conversations, a few of each first; nothing of deleted or removed messages, no other files', () => {
    const convs: Record<string, MessageView[]> = {};
    // 12 conversations, c0 the most recently active; each with 60 images, one per message, and a PDF.
    for (let c = 0; c < 12; c++)
      convs[`c${c}`] = [
        ...Array.from({ length: 60 }, (_, i) =>
          msg(`c${c}:m${i}`, 10_000 - c * 100 + i, [image(`c${c}i${i}`)]),
        ),
        msg(`c${c}:pdf`, 1, [pdf(`c${c}pdf`)]),
      ];
    convs.c0?.push(
      msg('c0:gone', 20_000, [image('deleted')], { deleted: true }),
      msg('c0:removed', 20_001, [image('removed')], {
        removed: { by: 'u-mod', at: 1, reason: null } as unknown as MessageView['removed'],
      }),
    );
    const targets = prefetchTargets(source(convs));
    expect(targets).toHaveLength(RECENT_CONVERSATIONS * IMAGES_PER_CONVERSATION);
    // The newest of each recent conversation first, the most recently active conversation first.
    expect(targets.slice(0, 3).map((t) => t.id)).toEqual(['c0i59', 'c1i59', 'c2i59']);
    expect(targets[RECENT_CONVERSATIONS]?.id).toBe('c0i58');
    const ids = new Set(targets.map((t) => t.id));
    expect(['c10i59', 'c11i59', 'c0i9', 'deleted', 'removed', 'c0pdf'].filter((id) => ids.has(id))).toEqual(
      [],
    );
    expect(targets[0]).toEqual({ id: 'c0i59', conversationId: 'c0', messageKey: 'c0:m59' });
  });

  it('fits in the budget beside what the person opened, never pushing it out; the person opening files pushes thumbnails out first; a shown thumbnail counts as opened', async () => {
    const { db, cache, now } = await deviceFor(1000);
    // The person opened two files (600 bytes) before.
    await cache.put('own1', 'file', bytes(300));
    await cache.put('own2', 'file', bytes(300));
    const convs = {
      a: [1, 2, 3, 4, 5].map((i) => msg(`a:${i}`, 100 + i, [image(`a${i}`)])),
    };
    const src = source(convs);
    const asked: string[] = [];
    const p = createThumbPrefetch({
      source: src,
      cache,
      thumb: async (id) => {
        asked.push(id);
        return bytes(100);
      },
      allowed: () => true,
      later: (fn) => fn(),
      now,
    });
    await p.pass();
    // Room for four thumbnails of 100 bytes beside the person's 600: the newest four.
    expect(asked).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);
    const kept = async () => (await db.files.toArray()).map((f) => f.key).sort();
    expect(await kept()).toEqual(['a2/thumb', 'a3/thumb', 'a4/thumb', 'a5/thumb', 'own1/file', 'own2/file']);
    // Nothing changed: a second pass fetches nothing.
    await p.pass();
    expect(asked).toHaveLength(5);
    // The person opens a file of 300 bytes: thumbnails fetched ahead make room, their own files stay.
    await cache.put('own3', 'file', bytes(300));
    expect(await kept()).toEqual(['a5/thumb', 'own1/file', 'own2/file', 'own3/file']);
    // A thumbnail shown in the list counts as opened: it is kept like the person's own from now on.
    expect(await cache.get('a5', 'thumb')).not.toBeNull();
    await expect.poll(async () => (await db.files.get('a5/thumb'))?.prefetched).toBe(false);
    // A new image in the conversation: no room beside the person's 1000 bytes, nothing of theirs goes.
    src.set('a', [...convs.a, msg('a:6', 200, [image('a6')])]);
    await p.pass();
    expect(await kept()).toEqual(['a5/thumb', 'own1/file', 'own2/file', 'own3/file']);
    db.close();
  });

  it('a newer pass replaces older thumbnails fetched ahead; the message deleted, its thumbnail goes; another person signed in, nothing lands', async () => {
    const { db, cache, now } = await deviceFor(300);
    let saveData = false;
    let me: { id: string } | null = ME;
    const src = source({ a: [msg('a:1', 1, [image('a1')]), msg('a:2', 2, [image('a2')])] }, () => me);
    const asked: string[] = [];
    let during: (() => Promise<void>) | null = null;
    const p = createThumbPrefetch({
      source: src,
      cache,
      thumb: async (id) => {
        asked.push(id);
        await during?.();
        return bytes(100);
      },
      allowed: () => !saveData,
      later: (fn) => fn(),
      now,
    });
    // The browser asks to save data: nothing is fetched.
    saveData = true;
    await p.pass();
    expect(asked).toEqual([]);
    saveData = false;
    await p.pass();
    expect(asked).toEqual(['a2', 'a1']);
    // A more recent conversation with two images: the older conversation's thumbnails make room.
    src.set('b', [msg('b:1', 10, [image('b1')]), msg('b:2', 11, [image('b2')])]);
    await p.pass();
    const kept = async () => (await db.files.toArray()).map((f) => f.key).sort();
    // b2, a2 (the newest of each), then b1: a1 went.
    expect(await kept()).toEqual(['a2/thumb', 'b1/thumb', 'b2/thumb']);
    // b2's message deleted: its thumbnail leaves the device at the next pass, a1 comes back in its place.
    src.set('b', [msg('b:1', 10, [image('b1')]), msg('b:2', 11, [], { deleted: true })]);
    await p.pass();
    expect(await kept()).toEqual(['a1/thumb', 'a2/thumb', 'b1/thumb']);
    // Signed out while a thumbnail was on its way: the device was cleared, and it is not stored after.
    await cache.clear();
    during = async () => {
      me = null;
      await db.meta.clear();
    };
    src.set('c', [msg('c:1', 20, [image('c1')])]);
    await p.pass();
    expect(await kept()).toEqual([]);
    db.close();
  });
});
