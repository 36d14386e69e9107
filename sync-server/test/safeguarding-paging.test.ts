import type { Engine } from '@commonroom/engine';
import { KeywordList, LeadReply, QueuePage, Transcript, type QueueItem } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  eventually,
  loginAdmin,
  startServer,
  type TestServer,
} from './harness.ts';

/**
 * Keyset paging of the safeguarding queue and of a monitoring transcript (issue 14 §2, §6; T14): pages in
 * a stable order with a cursor, no OFFSET; paging through more than one page sees every item once, also
 * while new items arrive; each older page of a monitored conversation is audited like its opening. A real
 * server on loopback, a real SQLite file, items raised by real messages.
 */
describe('safeguarding paging', () => {
  let ts: TestServer;
  let admin: Engine;
  type Person = Awaited<ReturnType<typeof addUser>>;
  let lead: Person;
  let writer: Person;
  let general: string;
  beforeAll(async () => {
    ts = await startServer({ limits: MANY_MESSAGES });
    admin = await loginAdmin(ts);
    lead = await addUser(ts, admin, 'staff', { name: 'Lena Lead' });
    writer = await addUser(ts, admin, 'student', { name: 'Will Writer' });
    general = channel(writer.engine, 'general');
    await admin.api.request('PUT', `/api/admin/users/${lead.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    await lead.engine.api.request('PUT', '/api/safeguarding/keywords', KeywordList, { phrases: ['flagged'] });
  });
  afterAll(async () => {
    for (const p of [lead, writer]) p.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });

  const itemCount = () =>
    ts.server.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM safeguarding_items').get()?.n ?? 0;
  const send = async (texts: string[]) => {
    for (const t of texts) await writer.engine.send(general, t);
    await writer.engine.settled();
  };
  const page = (cursor: string | null, limit: number, status = 'open') =>
    lead.engine.api.request(
      'GET',
      `/api/safeguarding/items?status=${status}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      QueuePage,
    );

  it('T14 queue: pages of the queue, newest first, see every item once, also when items arrive between pages; a bad cursor is a clear 400', async () => {
    await send(Array.from({ length: 130 }, (_, i) => `flagged message ${i}`));
    await eventually(() => expect(itemCount()).toBe(130));
    const all = ts.server.db
      .prepare<[], { id: number }>('SELECT id FROM safeguarding_items ORDER BY id DESC')
      .all()
      .map((r) => r.id);

    const seen: QueueItem[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: z.infer<typeof QueuePage> = await page(cursor, 50);
      seen.push(...p.items);
      sizes.push(p.items.length);
      cursor = p.nextCursor;
      // New alerts arrive while the lead reads: they are newer than every page, so none shifts a page.
      if (pages++ === 0) {
        await send(['flagged while paging 1', 'flagged while paging 2']);
        await eventually(() => expect(itemCount()).toBe(132));
      }
    } while (cursor !== null);
    expect(sizes).toEqual([50, 50, 30]);
    expect(seen.map((i) => i.id)).toEqual(all);
    expect(new Set(seen.map((i) => i.id)).size).toBe(130);
    // The default page (what the app asks for) and the filters page the same way.
    const first = await lead.engine.api.request('GET', '/api/safeguarding/items', QueuePage);
    expect(first.items).toHaveLength(50);
    expect(first.nextCursor).toBe(String(first.items.at(-1)?.id));
    const closed = await page(null, 50, 'closed');
    expect(closed).toEqual({ items: [], nextCursor: null });

    for (const bad of ['abc', '-1', '1e5', '9'.repeat(20)])
      await expect(page(bad, 50)).rejects.toMatchObject({ status: 400, code: 'bad-cursor' });
    await expect(page(null, 0)).rejects.toMatchObject({ status: 400, code: 'bad-limit' });
    await expect(page(null, 501)).rejects.toMatchObject({ status: 400, code: 'bad-limit' });
    // Students are refused whatever the cursor.
    await expect(
      writer.engine.api.request('GET', `/api/safeguarding/items?cursor=${cursor ?? '5'}`, z.unknown()),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('T14 transcript: a monitored conversation is read newest page first, older pages in arrival order, each message once, and each page is audited with the reason', async () => {
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Pages' });
    const dm = (await amy.engine.openDm([writer.id])).id;
    const lines = Array.from({ length: 120 }, (_, i) => `dm line ${String(i).padStart(3, '0')}`);
    for (const t of lines) await amy.engine.send(dm, t);
    await amy.engine.settled();
    const reason = 'Checking the history after a concern was raised';
    const open = (cursor?: string) =>
      lead.engine.api.request('POST', `/api/safeguarding/conversations/${dm}/open?limit=50`, Transcript, {
        reason,
        ...(cursor ? { cursor } : {}),
      });
    const pages: string[][] = [];
    let t = await open();
    pages.push(t.messages.map((m) => m.text));
    while (t.nextCursor !== null) {
      t = await open(t.nextCursor);
      pages.push(t.messages.map((m) => m.text));
    }
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    // Read back to front, the pages are the conversation in order, each line once.
    expect(pages.reverse().flat()).toEqual(lines);
    const audited = ts.server.internals.audit
      .list(20, 'safeguarding.conversation_opened')
      .filter((e) => e.target === dm)
      .map((e) => e.detail as { reason: string; before?: number });
    expect(audited).toHaveLength(3);
    expect(audited.every((d) => d.reason === reason)).toBe(true);
    expect(audited.filter((d) => d.before !== undefined)).toHaveLength(2);
    await expect(open('x1')).rejects.toMatchObject({ status: 400 });
    amy.engine.disconnect();
  });
});
