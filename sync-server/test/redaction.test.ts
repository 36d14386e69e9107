import { createMemoryStorage, type Engine, type EngineStorage } from '@commonroom/engine';
import { threadReplies } from '@commonroom/model';
import { ReportReply, RetentionSettings } from '@commonroom/protocol';
import { authorDoc, idxDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * Issue 14 §3, docs/PROTOCOL.md P16: a message deleted by its author or removed by a moderator leaves every
 * device, not only the view. Real server on loopback (temp SQLite file), real engines over real sockets;
 * each device's storage is searched byte for byte for the words after the change reached it.
 */

type User = Awaited<ReturnType<typeof addUser>>;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function includesBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every stored byte of a device: document rows, outbox entries (their updates too), metadata. */
async function deviceHolds(storage: EngineStorage, text: string): Promise<string[]> {
  const needle = utf8(text);
  const found: string[] = [];
  for (const name of await storage.listDocs())
    for (const u of await storage.loadDoc(name)) if (includesBytes(u, needle)) found.push(`doc ${name}`);
  for (const e of await storage.listOutbox()) {
    if (e.update && includesBytes(e.update, needle)) found.push(`outbox update ${e.id}`);
    if (JSON.stringify(e.payload).includes(text)) found.push(`outbox payload ${e.id}`);
  }
  const keys = ['conversations', 'users', 'me', 'order', 'safeguarding-reports'];
  const meta = await storage.getMetaMany(keys);
  meta.forEach((v, i) => {
    if (v !== undefined && JSON.stringify(v).includes(text)) found.push(`meta ${keys[i]}`);
  });
  return found;
}

describe('content leaves every device (issue 14 §3, P16)', () => {
  let ts: TestServer;
  let admin: Engine;
  let ben: User;
  let amy: User;
  let tutor: User;
  let general: string;
  const amyStorage = createMemoryStorage();
  const benStorage = createMemoryStorage();

  /** The server's stored updates of a document, searched for the words. */
  const serverDocHolds = (doc: string, text: string): boolean => {
    const rows = ts.server.db.prepare('SELECT data FROM doc_updates WHERE doc = ?').all(doc) as {
      data: Uint8Array;
    }[];
    return rows.some((r) => includesBytes(r.data, utf8(text)));
  };
  const benDoc = (segment = 0): string => authorDoc(general as ConversationId, ben.id as UserId, segment);

  const post = async (from: User, text: string, opt = {}): Promise<string> => {
    const key = await from.engine.send(general, text, opt);
    await from.engine.settled();
    for (const o of [amy, ben, tutor])
      await eventually(() => expect(typeof o.engine.view(general).state.byKey.get(key)?.seq).toBe('number'));
    return key;
  };

  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    ben = await addUser(ts, admin, 'student', { name: 'Ben', storage: benStorage });
    amy = await addUser(ts, admin, 'student', { name: 'Amy', storage: amyStorage });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tutor' });
    general = channel(admin, 'general');
    for (const u of [ben, amy, tutor]) await u.engine.open(general);
  });
  afterAll(async () => {
    for (const u of [ben, amy, tutor]) u.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });

  it('a moderator removal takes the words off an online reader, the author and the server documents', async () => {
    const words = 'removal-words-7f3a something unkind';
    const key = await post(ben, words);
    expect(await deviceHolds(amyStorage, 'removal-words-7f3a')).not.toEqual([]);
    await tutor.engine.remove(general, key, 'unkind');
    await tutor.engine.settled();
    for (const [u, storage] of [
      [amy, amyStorage],
      [ben, benStorage],
    ] as const)
      await eventually(async () => {
        const m = u.engine.view(general).state.byKey.get(key);
        expect(m?.removed?.by).toBe(tutor.id);
        expect(m?.text).toBe('');
        expect(await deviceHolds(storage, 'removal-words-7f3a')).toEqual([]);
      });
    // The placeholder keeps its place in the channel for everyone.
    expect(amy.engine.view(general).messages.some((m) => m.key === key && m.removed)).toBe(true);
    // The server's documents no longer hold it (compacted after the commit); the safeguarding store does.
    await eventually(() => expect(serverDocHolds(benDoc(), 'removal-words-7f3a')).toBe(false));
    expect(ts.server.internals.messages.get(general, ben.id, key.split(':')[1] ?? '')?.text).toBe(words);
  });

  it('a reader offline during the removal loses the words on its next contact', async () => {
    const key = await post(ben, 'offline-words-91c2 please remove');
    amy.engine.disconnect();
    await tutor.engine.remove(general, key, 'spam');
    await tutor.engine.settled();
    expect(await deviceHolds(amyStorage, 'offline-words-91c2')).not.toEqual([]);
    amy.engine.connect();
    await amy.engine.settled();
    await eventually(async () => {
      expect(amy.engine.view(general).state.byKey.get(key)?.removed).not.toBeNull();
      expect(await deviceHolds(amyStorage, 'offline-words-91c2')).toEqual([]);
    });
  });

  it('a device that starts again from storage after the removal reached it holds no trace', async () => {
    const key = await post(ben, 'restart-words-55aa');
    await tutor.engine.remove(general, key);
    await tutor.engine.settled();
    await eventually(async () => expect(await deviceHolds(amyStorage, 'restart-words-55aa')).toEqual([]));
    // A second engine on the same storage (the app opened again) shows the placeholder from storage alone.
    const again = makeEngine(ts.url, { storage: amyStorage });
    await again.init();
    await again.open(general);
    expect(again.view(general).state.byKey.get(key)?.removed).not.toBeNull();
    expect(again.view(general).state.byKey.get(key)?.text).toBe('');
  });

  it("an author's own delete takes the words and their edits off every device", async () => {
    const key = await post(ben, 'delete-words-0b1d first');
    const localId = key.split(':')[1] ?? '';
    await ben.engine.edit(general, localId, 'delete-words-0b1d edited');
    await ben.engine.settled();
    await eventually(() =>
      expect(amy.engine.view(general).state.byKey.get(key)?.text).toBe('delete-words-0b1d edited'),
    );
    await ben.engine.delete(general, localId);
    await ben.engine.settled();
    for (const storage of [amyStorage, benStorage])
      await eventually(async () => expect(await deviceHolds(storage, 'delete-words-0b1d')).toEqual([]));
    expect(amy.engine.view(general).messages.some((m) => m.key === key)).toBe(false);
    await eventually(() => expect(serverDocHolds(benDoc(), 'delete-words-0b1d')).toBe(false));
    // The server keeps the originals for safeguarding review.
    expect(
      ts.server.internals.messages.revisions(general, ben.id, localId).map((r) => r.previousText),
    ).toEqual(['delete-words-0b1d first', 'delete-words-0b1d edited']);
  });

  it('a removed thread reply stays a placeholder in its thread; a deleted parent with replies stays "deleted"', async () => {
    const parent = await post(amy, 'thread parent 3c');
    const reply = await post(ben, 'reply-words-7e21', { parent });
    await tutor.engine.remove(general, reply);
    await tutor.engine.settled();
    await eventually(async () => {
      const thread = threadReplies(amy.engine.view(general).state, parent);
      expect(thread.map((m) => [m.key, m.text, m.removed !== null])).toEqual([[reply, '', true]]);
      expect(await deviceHolds(amyStorage, 'reply-words-7e21')).toEqual([]);
    });
    await amy.engine.delete(general, parent.split(':')[1] ?? '');
    await amy.engine.settled();
    await eventually(async () => {
      const p = ben.engine.view(general).messages.find((m) => m.key === parent);
      expect(p).toMatchObject({ deleted: true, text: '', replyCount: 1 });
      expect(await deviceHolds(benStorage, 'thread parent 3c')).toEqual([]);
    });
  });

  it('an edit of a message taken out leaves no trace, and a second delete is harmless', async () => {
    const key = await post(ben, 'reuse-words-44');
    const localId = key.split(':')[1] ?? '';
    await tutor.engine.remove(general, key);
    await tutor.engine.settled();
    await eventually(() => expect(ben.engine.view(general).state.byKey.get(key)?.removed).not.toBeNull());
    // An edit written before the removal reached the device: accepted (no error for a race) and its words
    // taken out again in the same commit.
    await ben.engine.edit(general, localId, 'edit-words-after-removal');
    await ben.engine.settled();
    expect(ben.engine.outbox()).toEqual([]);
    await eventually(async () => {
      expect(await deviceHolds(amyStorage, 'edit-words-after-removal')).toEqual([]);
      expect(await deviceHolds(benStorage, 'edit-words-after-removal')).toEqual([]);
      expect(serverDocHolds(benDoc(), 'edit-words-after-removal')).toBe(false);
    });
    expect(ben.engine.view(general).state.byKey.get(key)?.text).toBe('');
    await ben.engine.delete(general, localId);
    await ben.engine.settled();
    expect(ben.engine.outbox()).toEqual([]);
    // The index records the tombstone; the projection says it was taken out.
    const row = ts.server.db
      .prepare(
        'SELECT redacted_at FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
      )
      .get(general, ben.id, localId) as { redacted_at: number | null };
    expect(row.redacted_at).not.toBeNull();
    expect(idxDoc(general as ConversationId)).toBe(`c/${general}/0/idx`);
  });

  it('an id whose message was taken out is still used: sending it again is refused (P11)', async () => {
    const key = await post(ben, 'dup-words-1');
    const localId = key.split(':')[1] ?? '';
    await tutor.engine.remove(general, key);
    await tutor.engine.settled();
    const raw = await connectRaw(ts.url, await login(ts.url, ben.email, ben.password));
    try {
      const base = await raw.fetchDoc(benDoc());
      if (!(base instanceof Y.Doc)) throw new Error('no copy');
      const again = craftUpdate(
        (d) => d.getArray('msgs').push([{ id: localId, text: 'dup-words-2', ts: Date.now() }]),
        base,
      );
      expect(await raw.write(benDoc(), again)).toEqual({ kind: 'reject', code: 'duplicate-id' });
      // Also once the author document was read again (a refusal reloads it; the ids held are then read
      // from the document and the index's tombstones).
      const other = await raw.fetchDoc(benDoc());
      if (!(other instanceof Y.Doc)) throw new Error('no copy');
      const bad = craftUpdate((d) => d.getMap('edits').set('no-such-id', { text: 'x', ts: 1 }), other);
      expect(await raw.write(benDoc(), bad)).toEqual({ kind: 'reject', code: 'not-your-message' });
      expect(await raw.write(benDoc(), again)).toEqual({ kind: 'reject', code: 'duplicate-id' });
    } finally {
      raw.close();
    }
  });

  it('deleted or removed messages left unredacted (a database from before) are taken out at start', async () => {
    const key = await post(ben, 'legacy-words-c0de');
    const localId = key.split(':')[1] ?? '';
    // The projection alone says deleted: what a database written before P16 holds.
    ts.server.internals.messages.recordDelete(general, ben.id, localId, Date.now());
    expect(await ts.server.internals.rooms.catchUpRedactions()).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      expect(await deviceHolds(amyStorage, 'legacy-words-c0de')).toEqual([]);
      expect(serverDocHolds(benDoc(), 'legacy-words-c0de')).toBe(false);
    });
  });

  it('a message marked unredacted whose words are already out (nothing left to write) is marked, not looped on', async () => {
    const key = await post(ben, 'already-out-words-5e1f');
    const localId = key.split(':')[1] ?? '';
    await tutor.engine.remove(general, key);
    await tutor.engine.settled();
    expect(serverDocHolds(benDoc(), 'already-out-words-5e1f')).toBe(false);
    // The projection forgot the mark (a database restored from an older copy): the catch-up finds the words
    // already gone, so its commit has no document update, only the mark, which must still be written.
    ts.server.db
      .prepare(
        'UPDATE messages SET redacted_at = NULL WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
      )
      .run(general, ben.id, localId);
    await ts.server.internals.rooms.catchUpRedactions();
    expect(ts.server.internals.messages.toRedact(500)).toEqual([]);
  });
});

describe('retention takes expired words off every device (issue 14 §7 with P16)', () => {
  const DAY = 86_400_000;
  let clock = Date.UTC(2026, 8, 1);
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startServer({ now: () => clock, env: { SESSION_TTL_HOURS: String(24 * 365) } });
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('expired messages leave the reader and the server documents; pinned ones and open cases stay', async () => {
    const admin = await loginAdmin(ts);
    const readerStorage = createMemoryStorage();
    const ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    const amy = await addUser(ts, admin, 'student', { name: 'Amy', storage: readerStorage });
    const tutor = await addUser(ts, admin, 'tutor', { name: 'Tutor' });
    const general = channel(admin, 'general');
    for (const u of [ben, amy, tutor]) await u.engine.open(general);
    const send = async (text: string): Promise<string> => {
      const key = await ben.engine.send(general, text);
      await ben.engine.settled();
      return key;
    };
    const old = await send('expired-words-aa01');
    const pinned = await send('pinned-words-bb02');
    const reported = await send('reported-words-cc03');
    await tutor.engine.pin(general, pinned, true);
    await tutor.engine.settled();
    await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: 'retention-report-1',
      conversationId: general,
      authorId: ben.id,
      localId: reported.split(':')[1],
      reason: 'bullying',
    });
    await eventually(async () =>
      expect(await deviceHolds(readerStorage, 'expired-words-aa01')).not.toEqual([]),
    );
    // Forty days on, with channels kept thirty: the job runs.
    clock += 40 * DAY;
    const fresh = await send('fresh-words-dd04');
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: 30 });
    await ts.server.internals.retention.run();
    const bensDoc = authorDoc(general as ConversationId, ben.id as UserId);
    const serverHolds = (text: string): boolean =>
      (
        ts.server.db.prepare('SELECT data FROM doc_updates WHERE doc = ?').all(bensDoc) as {
          data: Uint8Array;
        }[]
      ).some((r) => includesBytes(r.data, utf8(text)));
    await eventually(async () => {
      expect(await deviceHolds(readerStorage, 'expired-words-aa01')).toEqual([]);
      expect(serverHolds('expired-words-aa01')).toBe(false);
    });
    const shown = amy.engine.view(general).messages.map((m) => m.key);
    expect(shown).not.toContain(old);
    expect(shown).toEqual(expect.arrayContaining([pinned, reported, fresh]));
    expect(await deviceHolds(readerStorage, 'pinned-words-bb02')).not.toEqual([]);
    expect(await deviceHolds(readerStorage, 'reported-words-cc03')).not.toEqual([]);
    for (const u of [ben, amy, tutor]) u.engine.disconnect();
    admin.disconnect();
  });
});
