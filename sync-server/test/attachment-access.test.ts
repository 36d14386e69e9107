import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import { authorRoots, type FileRef } from '@commonroom/model';
import {
  OkReply,
  RetentionSettings,
  authorDoc,
  type ConversationId,
  type UserId,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login, type RawClient } from './raw-client.ts';
import {
  attachment,
  fetchBytes,
  settledAttachment,
  sha256,
  tusCreate,
  tusPatch,
  upload,
  type AttachmentJson,
} from './uploads.ts';

/**
 * Who may see and send attachments (issue 17, docs/THREAT_MODEL.md T20): the bytes only for readers of the
 * conversation now (left: 403), behind links that expire and cannot be altered; a message's file references
 * only to the author's own ready uploads to that conversation, otherwise refused before the ack; a deleted
 * or removed message takes its files, and an upload never sent is swept after a day. Real server, real
 * HTTP and sockets, temp SQLite file and data folder, the server's clock moved by the test.
 */

type User = Awaited<ReturnType<typeof addUser>>;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const refOf = (a: AttachmentJson): FileRef => ({ id: a.id, name: a.name, size: a.size, type: a.type });
const HOUR = 3_600_000;

describe('attachment access and references (issue 17, T20)', () => {
  let ts: TestServer;
  let skew = 0;
  let admin: Engine;
  let amy: User;
  let ben: User;
  let carol: User;
  let tutor: User;
  const cookies: Record<string, string> = {};
  let general: string;
  let dm: string;

  const filePath = (hash: string): string =>
    join(ts.dataDir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash);

  /** Uploads `body` as `who` and waits until it is ready. */
  const ready = async (who: string, conversation: string, filename: string, body: string) => {
    const id = await upload(ts.url, cookies[who] ?? '', { conversation, filename, bytes: text(body) });
    const a = await settledAttachment(ts.url, cookies[who] ?? '', id);
    expect(a.status).toBe('ready');
    return a;
  };

  beforeAll(async () => {
    ts = await startServer({ now: () => Date.now() + skew, limits: { attachmentSweepMs: 50 } });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    carol = await addUser(ts, admin, 'student', { name: 'Carol' });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tutor' });
    for (const [k, u] of Object.entries({ amy, ben, carol, tutor }))
      cookies[k] = await login(ts.url, u.email, u.password);
    general = channel(amy.engine, 'general');
    dm = (await amy.engine.openDm([ben.id])).id;
  });
  afterAll(async () => {
    for (const e of [admin, amy.engine, ben.engine, carol.engine, tutor.engine]) e.disconnect();
    await ts.destroy();
  });

  it('T20: in a DM, the other member reads the file; a non-member gets 403 for its data and its bytes, link or not', async () => {
    const a = await ready('amy', dm, 'notes.txt', 'private notes for Ben');
    await amy.engine.open(dm);
    await amy.engine.send(dm, '', { files: [refOf(a)] });
    await amy.engine.settled();
    const seen = await settledAttachment(ts.url, cookies.ben ?? '', a.id);
    expect((await fetchBytes(ts.url, cookies.ben ?? '', seen.url)).res.status).toBe(200);
    expect((await attachment(ts.url, cookies.carol ?? '', a.id)).status).toBe(403);
    const stolen = await fetchBytes(ts.url, cookies.carol ?? '', seen.url);
    expect(stolen.res.status).toBe(403);
    expect(new TextDecoder().decode(stolen.bytes)).not.toContain('private notes');
    expect((await fetchBytes(ts.url, '', seen.url)).res.status).toBe(401);
  });

  it('T20: a member who left a private channel gets 403 from then on, with a link that worked a moment before', async () => {
    const room = await tutor.engine.createChannel('project-room', 'private');
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, OkReply, {
      userIds: [amy.id, ben.id],
    });
    expect(ts.server.internals.conversations.isMember(room.id, ben.id)).toBe(true);
    const a = await ready('tutor', room.id, 'handout.txt', 'the handout');
    await tutor.engine.open(room.id);
    await tutor.engine.send(room.id, 'handout', { files: [refOf(a)] });
    await tutor.engine.settled();
    const link = (await settledAttachment(ts.url, cookies.ben ?? '', a.id)).url;
    expect((await fetchBytes(ts.url, cookies.ben ?? '', link)).res.status).toBe(200);
    await ben.engine.leave(room.id);
    expect((await fetchBytes(ts.url, cookies.ben ?? '', link)).res.status).toBe(403);
    expect((await attachment(ts.url, cookies.ben ?? '', a.id)).status).toBe(403);
  });

  it('T20: an expired link, or one with its signature, expiry or copy altered, is refused (403)', async () => {
    const a = await ready('amy', general, 'expiry.txt', 'expiring');
    const url = new URL(a.url, ts.url);
    const sig = url.searchParams.get('sig') ?? '';
    const exp = url.searchParams.get('exp') ?? '';
    const tampered = (s: string, e: string, copy = 'file') =>
      `/api/attachments/${a.id}/${copy}?exp=${e}&sig=${s}`;
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect((await fetchBytes(ts.url, cookies.amy ?? '', tampered(sig, exp))).res.status).toBe(200);
    expect((await fetchBytes(ts.url, cookies.amy ?? '', tampered(flip(sig), exp))).res.status).toBe(403);
    expect(
      (await fetchBytes(ts.url, cookies.amy ?? '', tampered(sig, String(Number(exp) + HOUR)))).res.status,
    ).toBe(403);
    expect((await fetchBytes(ts.url, cookies.amy ?? '', tampered(sig, exp, 'thumb'))).res.status).toBe(403);
    expect((await fetchBytes(ts.url, cookies.amy ?? '', `/api/attachments/${a.id}/file`)).res.status).toBe(
      403,
    );
    skew = HOUR + 1000;
    try {
      const late = await fetchBytes(ts.url, cookies.amy ?? '', a.url);
      expect(late.res.status).toBe(403);
      expect(JSON.parse(new TextDecoder().decode(late.bytes))).toMatchObject({ error: 'link-expired' });
    } finally {
      skew = 0;
    }
  });

  describe('T20: forged file references in a message are refused before the ack', () => {
    let raw: RawClient;
    beforeAll(async () => {
      raw = await connectRaw(ts.url, cookies.ben ?? '');
    });
    afterAll(() => raw.close());

    const forge = (conversation: string, files: FileRef[], id: string) =>
      raw.write(
        authorDoc(conversation as ConversationId, ben.id as UserId),
        craftUpdate((d) => authorRoots(d).msgs.push([{ id, text: 'forged', ts: Date.now(), files }])),
      );
    const stored = (id: string): boolean => ts.server.internals.messages.exists(general, ben.id, id);

    it("someone else's upload", async () => {
      const amys = await ready('amy', general, 'amys.txt', 'amy wrote this');
      expect(await forge(general, [refOf(amys)], 'f1')).toEqual({ kind: 'reject', code: 'bad-attachment' });
      expect(stored('f1')).toBe(false);
      expect(ts.server.internals.attachmentStore.get(amys.id)?.messageKey).toBeNull();
    });
    it('an upload to another conversation', async () => {
      const inDm = await ready('ben', dm, 'dm-only.txt', 'for the dm');
      expect(await forge(general, [refOf(inDm)], 'f2')).toEqual({ kind: 'reject', code: 'bad-attachment' });
      expect(stored('f2')).toBe(false);
    });
    it('an upload not finished', async () => {
      const res = await tusCreate(ts.url, cookies.ben ?? '', {
        conversation: general,
        filename: 'half.txt',
        size: 100,
      });
      const id = res.headers.get('location')?.split('/').pop() ?? '';
      const ref = { id, name: 'half.txt', size: 100, type: 'text/plain' };
      expect(await forge(general, [ref], 'f3')).toEqual({ kind: 'reject', code: 'bad-attachment' });
      expect(stored('f3')).toBe(false);
    });
    it('a made-up id', async () => {
      const ref = { id: 'made-up-attachment-id', name: 'x.txt', size: 1, type: 'text/plain' };
      expect(await forge(general, [ref], 'f4')).toEqual({ kind: 'reject', code: 'bad-attachment' });
    });
    it('a file already in another message, or twice in one', async () => {
      const mine = await ready('ben', general, 'once.txt', 'only once');
      expect(await forge(general, [refOf(mine)], 'f5')).toEqual({ kind: 'ack' });
      expect(stored('f5')).toBe(true);
      expect(ts.server.internals.attachmentStore.get(mine.id)?.messageKey).toBe(`${ben.id}:f5`);
      expect(await forge(general, [refOf(mine)], 'f6')).toEqual({ kind: 'reject', code: 'bad-attachment' });
      const two = await ready('ben', general, 'twice.txt', 'twice in one');
      expect(await forge(general, [refOf(two), refOf(two)], 'f7')).toEqual({
        kind: 'reject',
        code: 'bad-attachment',
      });
      expect(stored('f6') || stored('f7')).toBe(false);
    });
    it('its own ready upload described otherwise than stored (a text file labelled a picture, a size, a box)', async () => {
      const notes = await ready('ben', general, 'notes.txt', 'plain notes');
      const lies: FileRef[] = [
        { ...refOf(notes), type: 'image/png' },
        { ...refOf(notes), size: notes.size + 1 },
        { ...refOf(notes), w: 640, h: 480 },
      ];
      for (const [i, lie] of lies.entries())
        expect(await forge(general, [lie], `f8${i}`)).toEqual({ kind: 'reject', code: 'bad-attachment' });
      // The name is the author's to choose: renamed, the same upload is accepted.
      expect(await forge(general, [{ ...refOf(notes), name: 'Week 3 notes.txt' }], 'f9')).toEqual({
        kind: 'ack',
      });
    });
  });

  it('a deleted message and a moderator-removed message take their files (rows and bytes), and only theirs', async () => {
    await amy.engine.open(general);
    const a = await ready('amy', general, 'delete-me.txt', 'words to delete');
    const shared = await ready('amy', general, 'shared-1.txt', 'same bytes twice');
    const twin = await ready('ben', general, 'shared-2.txt', 'same bytes twice');
    const key = await amy.engine.send(general, 'with files', { files: [refOf(a), refOf(shared)] });
    await amy.engine.settled();
    const hash = sha256(text('words to delete'));
    const sharedHash = sha256(text('same bytes twice'));
    expect(existsSync(filePath(hash))).toBe(true);
    await amy.engine.delete(general, key.split(':')[1] ?? '');
    await amy.engine.settled();
    await eventually(() => {
      expect(ts.server.internals.attachmentStore.get(a.id)).toBeNull();
      expect(existsSync(filePath(hash))).toBe(false);
    });
    // Ben's upload of the same bytes keeps the file.
    expect(ts.server.internals.attachmentStore.get(shared.id)).toBeNull();
    expect(existsSync(filePath(sharedHash))).toBe(true);
    expect((await settledAttachment(ts.url, cookies.ben ?? '', twin.id)).status).toBe('ready');

    // A moderator's removal.
    const b = await ready('ben', general, 'remove-me.txt', 'words a moderator removes');
    await ben.engine.open(general);
    const benKey = await ben.engine.send(general, 'rule breaking', { files: [refOf(b)] });
    await ben.engine.settled();
    await tutor.engine.open(general);
    await eventually(() => expect(tutor.engine.view(general).state.byKey.has(benKey)).toBe(true));
    await tutor.engine.remove(general, benKey, 'not allowed');
    await tutor.engine.settled();
    await eventually(() => {
      expect(ts.server.internals.attachmentStore.get(b.id)).toBeNull();
      expect(existsSync(filePath(sha256(text('words a moderator removes'))))).toBe(false);
    });
    expect((await attachment(ts.url, cookies.ben ?? '', b.id)).status).toBe(404);
  });

  it('retention: a message past the channel period leaves with its files (the retention job, T16)', async () => {
    await ben.engine.open(general);
    const a = await ready('ben', general, 'old-notes.txt', 'notes that expire');
    await ben.engine.send(general, 'old notes', { files: [refOf(a)] });
    await ben.engine.settled();
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: 1 });
    skew = 2 * 24 * HOUR;
    try {
      await ts.server.internals.retention.run();
      await eventually(() => {
        expect(ts.server.internals.attachmentStore.get(a.id)).toBeNull();
        expect(existsSync(filePath(sha256(text('notes that expire'))))).toBe(false);
      });
    } finally {
      skew = 0;
      await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: null });
    }
  });

  it('the day before an unsent upload is swept counts from its becoming ready, and from its uploader last reading it', async () => {
    const body = text('slow upload over the weekend');
    const created = await tusCreate(ts.url, cookies.carol ?? '', {
      conversation: general,
      filename: 'weekend.txt',
      size: body.length,
    });
    const id = created.headers.get('location')?.split('/').pop() ?? '';
    const store = ts.server.internals.attachmentStore;
    const sweep = () => ts.server.internals.attachments.sweepNow();
    try {
      expect((await tusPatch(ts.url, cookies.carol ?? '', id, 0, body.subarray(0, 4))).status).toBe(204);
      // Friday to Saturday: the rest arrives 20 hours after the upload began, and it becomes ready then.
      skew = 20 * HOUR;
      expect((await tusPatch(ts.url, cookies.carol ?? '', id, 4, body.subarray(4))).status).toBe(204);
      expect((await settledAttachment(ts.url, cookies.carol ?? '', id)).status).toBe('ready');
      // A day after it began, but not after it became ready (and was last read).
      skew = 43 * HOUR;
      await sweep();
      expect(store.get(id)?.status).toBe('ready');
      // The device, still waiting to send the message (another file of it to come), reads it again.
      expect((await attachment(ts.url, cookies.carol ?? '', id)).status).toBe(200);
      skew = 66 * HOUR;
      await sweep();
      expect(store.get(id)?.status).toBe('ready');
      // The same message's other file, still uploading, keeps it: the device polls only unfinished files.
      const other = await tusCreate(ts.url, cookies.carol ?? '', {
        conversation: general,
        filename: 'big.txt',
        size: 8,
      });
      const otherId = other.headers.get('location')?.split('/').pop() ?? '';
      expect((await tusPatch(ts.url, cookies.carol ?? '', otherId, 0, text('1234'))).status).toBe(204);
      skew = 89 * HOUR;
      await sweep();
      expect(store.get(id)?.status).toBe('ready');
      // A day after all that, both go.
      skew = 91 * HOUR;
      await sweep();
      expect(store.get(id)).toBeNull();
      expect(store.get(otherId)).toBeNull();
    } finally {
      skew = 0;
    }
  });

  it('an upload never sent is swept after a day, its file with it', async () => {
    const a = await ready('carol', general, 'forgotten.txt', 'never sent');
    const hash = sha256(text('never sent'));
    skew = 25 * HOUR;
    try {
      await ts.server.internals.attachments.sweepNow();
      expect(ts.server.internals.attachmentStore.get(a.id)).toBeNull();
      await eventually(() => expect(existsSync(filePath(hash))).toBe(false));
    } finally {
      skew = 0;
    }
  });
});
