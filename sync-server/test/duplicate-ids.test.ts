import type { Engine } from '@commonroom/engine';
import { asConversationId, asUserId, authorDoc } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login, type RawClient } from './raw-client.ts';

/**
 * P11: a new message with an id its author already used is refused (`duplicate-id`), in the same segment
 * (checked against the author document in memory) and across segments (the author's ids in older
 * segments, read from the message table once per loaded document), across restarts and refusals.
 */

const SEGMENT = 4;

describe('P11: duplicate message ids, checked in memory and against older segments', () => {
  let ts: TestServer;
  let admin: Engine;
  let person: Awaited<ReturnType<typeof addUser>>;
  let cookie: string;
  let general: string;
  beforeAll(async () => {
    ts = await startServer({ limits: { segmentSize: SEGMENT } });
    admin = await loginAdmin(ts);
    person = await addUser(ts, admin, 'student', { name: 'Dana', connect: false });
    cookie = await login(ts.url, person.email, person.password);
    general = channel(admin, 'general');
  });
  afterAll(async () => {
    admin.disconnect();
    await ts.destroy();
  });

  const docOf = (segment: number): string =>
    authorDoc(asConversationId(general), asUserId(person.id), segment);
  const fetchCopy = async (raw: RawClient, doc: string): Promise<Y.Doc> => {
    const d = await raw.fetchDoc(doc);
    if (!(d instanceof Y.Doc)) throw new Error(`refused: ${d.revoked}`);
    return d;
  };
  /** Writes new messages with these ids on top of the server's current copy of `doc`. */
  const post = async (raw: RawClient, doc: string, ids: string[]) => {
    const base = await fetchCopy(raw, doc);
    return raw.write(
      doc,
      craftUpdate(
        (d) => d.getArray('msgs').push(ids.map((id) => ({ id, text: `message ${id}`, ts: Date.now() }))),
        base,
      ),
    );
  };
  const segmentNow = async (): Promise<number> => {
    await admin.refreshConversations();
    return admin.conversation(general)?.segment ?? -1;
  };

  it('refuses an id used before in the same segment, twice in one update, or while the first is committing', async () => {
    const raw = await connectRaw(ts.url, cookie);
    try {
      const seg = await segmentNow();
      expect(await post(raw, docOf(seg), ['first-id'])).toEqual({ kind: 'ack' });
      expect(await post(raw, docOf(seg), ['first-id'])).toEqual({ kind: 'reject', code: 'duplicate-id' });
      expect(await post(raw, docOf(seg), ['twice-id', 'twice-id'])).toEqual({
        kind: 'reject',
        code: 'duplicate-id',
      });
      // Both built on the same copy and sent together: the second arrives while the first commits.
      const base = await fetchCopy(raw, docOf(seg));
      const u1 = craftUpdate((d) => d.getArray('msgs').push([{ id: 'racing-id', text: 'a', ts: 1 }]), base);
      const other = await fetchCopy(raw, docOf(seg));
      const u2 = craftUpdate((d) => d.getArray('msgs').push([{ id: 'racing-id', text: 'b', ts: 2 }]), other);
      const [a, b] = await Promise.all([raw.write(docOf(seg), u1), raw.write(docOf(seg), u2)]);
      expect([a, b]).toEqual([{ kind: 'ack' }, { kind: 'reject', code: 'duplicate-id' }]);
      // After those refusals (judged before applying: the document is untouched), the ids held are right:
      // old refused, new taken.
      expect(await post(raw, docOf(seg), ['racing-id'])).toEqual({ kind: 'reject', code: 'duplicate-id' });
      expect(await post(raw, docOf(seg), ['fresh-id'])).toEqual({ kind: 'ack' });
    } finally {
      raw.close();
    }
  });

  it('refuses an id used in an older segment, before and after a restart; a new id is taken', async () => {
    let raw = await connectRaw(ts.url, cookie);
    const used: string[] = [];
    const first = await segmentNow();
    // Fill segments until the conversation has moved on at least once past where this person wrote.
    let n = 0;
    while ((await segmentNow()) === first) {
      const id = `older-${n++}`;
      const r = await post(raw, docOf(first), [id]);
      expect(r).toEqual({ kind: 'ack' });
      used.push(id);
    }
    const now = await segmentNow();
    expect(now).toBeGreaterThan(first);
    for (const id of [used[0] ?? '', 'first-id', 'fresh-id'])
      expect(await post(raw, docOf(now), [id])).toEqual({ kind: 'reject', code: 'duplicate-id' });
    expect(await post(raw, docOf(now), ['newer-1'])).toEqual({ kind: 'ack' });
    // The older segment takes no new message at all (P13).
    expect(await post(raw, docOf(first), ['newer-2'])).toEqual({ kind: 'reject', code: 'segment-closed' });
    // Refused, but not a rule broken: the audit keeps the duplicate ids, not the engine's routine resend.
    const refused = ts.server.internals.audit
      .list(500, 'write.refused')
      .map((e) => (e.detail as { code?: string }).code);
    expect(refused).toContain('duplicate-id');
    expect(refused).not.toContain('segment-closed');
    raw.close();

    // A restart: every document loads again, the older ids come from the table again.
    await ts.stop();
    const again = await startServer({ dataDir: ts.dataDir, limits: { segmentSize: SEGMENT } });
    try {
      const c2 = await login(again.url, person.email, person.password);
      raw = await connectRaw(again.url, c2);
      for (const id of [used.at(-1) ?? '', 'newer-1'])
        expect(await post(raw, docOf(now), [id])).toEqual({ kind: 'reject', code: 'duplicate-id' });
      expect(await post(raw, docOf(now), ['newer-3'])).toEqual({ kind: 'ack' });
      raw.close();
    } finally {
      await again.stop();
    }
  });
});
