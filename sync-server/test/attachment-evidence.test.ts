import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import type { FileRef } from '@commonroom/model';
import { LeadReply, ReportReply, RetentionSettings, type MessageFileInfo } from '@commonroom/protocol';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';
import { attachment, fetchBytes, settledAttachment, sha256, upload, type AttachmentJson } from './uploads.ts';

/**
 * A gone message's files as safeguarding evidence (issue 17 with issue 14, migration 21). A deleted or
 * removed message takes its files from every member at once; a lead still sees that a file was there and
 * which (name, size, type, SHA-256), as long as the message's text is kept. A message with an open case
 * keeps its files for the leads alone until the case closes; then they go like any other. Real server,
 * real HTTP and sockets, temp SQLite file and data folder.
 */

type User = Awaited<ReturnType<typeof addUser>>;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const refOf = (a: AttachmentJson): FileRef => ({ id: a.id, name: a.name, size: a.size, type: a.type });
const HOUR = 3_600_000;

const ItemFiles = z.object({
  message: z.nullable(
    z.object({ removed: z.boolean(), deleted: z.boolean(), files: z.array(z.looseObject({})) }),
  ),
});

describe('files of gone messages, for safeguarding (issue 17, migration 21)', () => {
  let ts: TestServer;
  let skew = 0;
  let admin: Engine;
  let amy: User;
  let ben: User;
  let tutor: User;
  let lead: User;
  const cookies: Record<string, string> = {};
  let general: string;

  const filePath = (hash: string): string =>
    join(ts.dataDir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash);
  const ready = async (who: string, conversation: string, filename: string, body: string) => {
    const id = await upload(ts.url, cookies[who] ?? '', { conversation, filename, bytes: text(body) });
    const a = await settledAttachment(ts.url, cookies[who] ?? '', id);
    expect(a.status).toBe('ready');
    return a;
  };
  /** Ben sends a message with one file; returns its key and the attachment. */
  const benSends = async (filename: string, body: string) => {
    const a = await ready('ben', general, filename, body);
    const key = await ben.engine.send(general, `see ${filename}`, { files: [refOf(a)] });
    await ben.engine.settled();
    return { key, a, localId: key.split(':')[1] ?? '' };
  };
  let reportSeq = 0;
  const report = (localId: string) =>
    amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: `evidence-report-${++reportSeq}`,
      conversationId: general,
      authorId: ben.id,
      localId,
      reason: 'bullying',
      detail: '',
    });
  const itemFiles = async (itemId: number) =>
    (await lead.engine.api.request('GET', `/api/safeguarding/items/${itemId}`, ItemFiles)).message;
  const auditCount = (action: string): number =>
    ts.server.db
      .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE action = ?')
      .get(action)?.n ?? 0;

  beforeAll(async () => {
    ts = await startServer({ now: () => Date.now() + skew, limits: { attachmentSweepMs: 50 } });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tutor' });
    lead = await addUser(ts, admin, 'staff', { name: 'Lena Lead' });
    await admin.api.request('PUT', `/api/admin/users/${lead.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    for (const [k, u] of Object.entries({ amy, ben, tutor, lead }))
      cookies[k] = await login(ts.url, u.email, u.password);
    general = channel(amy.engine, 'general');
    await ben.engine.open(general);
    await tutor.engine.open(general);
  });
  afterAll(async () => {
    for (const e of [admin, amy.engine, ben.engine, tutor.engine, lead.engine]) e.disconnect();
    await ts.destroy();
  });

  it('a removed message in an open case: members lose the file at once, the lead still opens it (audited); closing the case lets it go, its record stays', async () => {
    const { key, a, localId } = await benSends('photo-of-board.txt', 'what the report is about');
    const hash = sha256(text('what the report is about'));
    const { itemId } = await report(localId);
    await eventually(() => expect(tutor.engine.view(general).state.byKey.has(key)).toBe(true));
    await tutor.engine.remove(general, key, 'reported');
    await tutor.engine.settled();

    // Members, the author too: gone (404 for the data and for a link minted before).
    const before = await settledAttachment(ts.url, cookies.lead ?? '', a.id);
    await eventually(async () => {
      expect((await attachment(ts.url, cookies.amy ?? '', a.id)).status).toBe(404);
      expect((await attachment(ts.url, cookies.ben ?? '', a.id)).status).toBe(404);
    });
    expect((await fetchBytes(ts.url, cookies.amy ?? '', before.url)).res.status).toBe(404);

    // The lead: the review lists it as held, and its bytes open; the look is written down.
    const viewed = auditCount('safeguarding.file_viewed');
    const m = await itemFiles(itemId);
    expect(m?.removed).toBe(true);
    const files = (m?.files ?? []) as MessageFileInfo[];
    expect(files).toEqual([
      expect.objectContaining({ id: a.id, name: 'photo-of-board.txt', sha256: hash, state: 'held' }),
    ]);
    const forLead = await settledAttachment(ts.url, cookies.lead ?? '', a.id);
    const got = await fetchBytes(ts.url, cookies.lead ?? '', forLead.url);
    expect(got.res.status).toBe(200);
    expect(new TextDecoder().decode(got.bytes)).toBe('what the report is about');
    expect(auditCount('safeguarding.file_viewed')).toBeGreaterThan(viewed);
    expect(existsSync(filePath(hash))).toBe(true);

    // Closed: the file goes to the sweep; the record (name, size, type, hash) stays for the leads.
    await lead.engine.api.request('PATCH', `/api/safeguarding/items/${itemId}`, z.unknown(), {
      status: 'closed',
      outcome: 'Spoke to Ben; message removed.',
    });
    await eventually(() => {
      expect(ts.server.internals.attachmentStore.get(a.id)).toBeNull();
      expect(existsSync(filePath(hash))).toBe(false);
    });
    expect((await attachment(ts.url, cookies.lead ?? '', a.id)).status).toBe(404);
    expect(((await itemFiles(itemId))?.files ?? []) as MessageFileInfo[]).toEqual([
      expect.objectContaining({ id: a.id, sha256: hash, size: a.size, state: 'deleted' }),
    ]);
    // The case's export carries the record too, in the JSON and the readable HTML.
    for (const format of ['json', 'html'] as const) {
      const res = await fetch(`${ts.url}/api/safeguarding/exports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: cookies.lead ?? '' },
        body: JSON.stringify({
          subject: { kind: 'case', id: String(itemId) },
          format,
          reason: 'Requested by the police liaison officer',
        }),
      });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain(hash);
      expect(body).toContain('photo-of-board.txt');
      if (format === 'html') expect(body).toContain('file deleted; this record kept');
    }
  });

  it('a removed message with no case: the file is deleted at once, and only its record is kept', async () => {
    const { key, a, localId } = await benSends('no-case.txt', 'removed with no report');
    const hash = sha256(text('removed with no report'));
    await eventually(() => expect(tutor.engine.view(general).state.byKey.has(key)).toBe(true));
    await tutor.engine.remove(general, key, 'off topic');
    await tutor.engine.settled();
    await eventually(() => {
      expect(ts.server.internals.attachmentStore.get(a.id)).toBeNull();
      expect(existsSync(filePath(hash))).toBe(false);
    });
    expect((await attachment(ts.url, cookies.lead ?? '', a.id)).status).toBe(404);
    // A report made afterwards shows what was there.
    const { itemId } = await report(localId);
    expect(((await itemFiles(itemId))?.files ?? []) as MessageFileInfo[]).toEqual([
      expect.objectContaining({ id: a.id, name: 'no-case.txt', sha256: hash, state: 'deleted' }),
    ]);
  });

  it('an author deleting their own reported message does not take the file from the lead while the case is open', async () => {
    const { a, localId } = await benSends('deleted-by-author.txt', 'the author deletes this');
    const { itemId } = await report(localId);
    await ben.engine.delete(general, localId);
    await ben.engine.settled();
    await eventually(async () =>
      expect((await attachment(ts.url, cookies.amy ?? '', a.id)).status).toBe(404),
    );
    const m = await itemFiles(itemId);
    expect(m?.deleted).toBe(true);
    expect((m?.files ?? []) as MessageFileInfo[]).toEqual([
      expect.objectContaining({ id: a.id, state: 'held' }),
    ]);
    const forLead = await settledAttachment(ts.url, cookies.lead ?? '', a.id);
    expect((await fetchBytes(ts.url, cookies.lead ?? '', forLead.url)).res.status).toBe(200);
  });

  it('a live message: the lead reviewing a report sees its file as stored and opens it', async () => {
    const { a, localId } = await benSends('live.txt', 'still in the channel');
    const { itemId } = await report(localId);
    expect(((await itemFiles(itemId))?.files ?? []) as MessageFileInfo[]).toEqual([
      expect.objectContaining({ id: a.id, state: 'stored' }),
    ]);
    expect((await attachment(ts.url, cookies.lead ?? '', a.id)).status).toBe(200);
  });

  it('the safeguarding store’s own period leaves a live message’s files alone: they go with the message, not with the stored copy of its text', async () => {
    const { a, localId } = await benSends('still-live.txt', 'a live photo of the board');
    const hash = sha256(text('a live photo of the board'));
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { safeguardingDays: 1 });
    skew = 2 * 24 * HOUR;
    try {
      await ts.server.internals.retention.run();
      // The stored copy of its text is purged; the message, and its file, are still everyone's.
      const row = ts.server.db
        .prepare<[string, string], { p: number | null }>(
          'SELECT purged_at AS p FROM messages WHERE author_id = ? AND local_id = ?',
        )
        .get(ben.id, localId);
      expect(row?.p).not.toBeNull();
      await ts.server.internals.attachments.sweepNow();
      expect(ts.server.internals.attachmentStore.get(a.id)).not.toBeNull();
      expect(existsSync(filePath(hash))).toBe(true);
      const seen = await settledAttachment(ts.url, cookies.amy ?? '', a.id);
      expect((await fetchBytes(ts.url, cookies.amy ?? '', seen.url)).res.status).toBe(200);
    } finally {
      skew = 0;
      await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { safeguardingDays: null });
    }
  });

  it('retention takes the message, its files and their records alike', async () => {
    const { key, a } = await benSends('expiring.txt', 'expires with its record');
    await eventually(() => expect(tutor.engine.view(general).state.byKey.has(key)).toBe(true));
    await tutor.engine.remove(general, key, 'old');
    await tutor.engine.settled();
    const records = () =>
      ts.server.db
        .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM attachment_records WHERE id = ?')
        .get(a.id)?.n ?? 0;
    await eventually(() => expect(records()).toBe(1));
    // The records go with the safeguarding store's copy of the text (its own period), not at redaction.
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, {
      channelsDays: 1,
      safeguardingDays: 1,
    });
    skew = 2 * 24 * HOUR;
    try {
      await ts.server.internals.retention.run();
      await eventually(() => expect(records()).toBe(0));
    } finally {
      skew = 0;
      await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, {
        channelsDays: null,
        safeguardingDays: null,
      });
    }
  });
});
