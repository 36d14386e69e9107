import type { Engine } from '@commonroom/engine';
import {
  CaseExport,
  ConversationExport,
  LeadReply,
  PersonExport,
  ReportReply,
  RetentionSettings,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RedactTarget } from '../src/services/retention.ts';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';

/**
 * Issue 14 §7 over a real server on loopback, a real SQLite file and real engines: the leads' exports
 * (role matrix, content, HTML escaping, audit), the retention settings (admins set, leads read, audited),
 * and the retention job as the server runs it, on the server's injected clock.
 */
const DAY = 86_400_000;
const XSS = '<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes"';

describe('retention and export (issue 14 §7, T16)', () => {
  let ts: TestServer;
  let admin: Engine;
  let clock = Date.UTC(2026, 5, 1);
  const redacted: RedactTarget[][] = [];
  type Person = Awaited<ReturnType<typeof addUser>>;
  let amy: Person; // student
  let ben: Person; // student
  let tutor: Person;
  let lead: Person; // staff, made a lead
  let general: string;
  let dm: string;
  let reported: string;
  let itemId: number;

  beforeAll(async () => {
    ts = await startServer({
      // The tests move the clock on by weeks; sign-ins outlast that, so the same people keep asking.
      env: { SESSION_TTL_HOURS: String(24 * 365) },
      now: () => clock,
      redact: (targets) => {
        redacted.push([...targets]);
        return Promise.resolve(targets.length);
      },
    });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy Student' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben <b>Student</b>' });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tia Tutor' });
    lead = await addUser(ts, admin, 'staff', { name: 'Lena Lead' });
    await admin.api.request('PUT', `/api/admin/users/${lead.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    general = channel(amy.engine, 'general');
    const local = async (e: Engine, c: string, text: string) => (await e.send(c, text)).split(':')[1] ?? '';
    await local(amy.engine, general, 'morning all');
    reported = await local(ben.engine, general, 'first words');
    await ben.engine.settled();
    await ben.engine.edit(general, reported, XSS);
    await local(amy.engine, general, 'please stop');
    dm = (await ben.engine.openDm([amy.id])).id;
    await local(ben.engine, dm, 'a direct word');
    const gone = await local(ben.engine, dm, 'something I regret');
    await ben.engine.settled();
    await ben.engine.delete(dm, gone);
    for (const p of [amy, ben]) await p.engine.settled();
    const r = await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: 'report-export-1',
      conversationId: general,
      authorId: ben.id,
      localId: reported,
      reason: 'bullying',
      detail: `he wrote ${XSS}`,
    });
    itemId = r.itemId;
    await lead.engine.api.request('PATCH', `/api/safeguarding/items/${itemId}`, z.unknown(), {
      status: 'in_review',
    });
    await lead.engine.api.request('POST', `/api/safeguarding/items/${itemId}/notes`, z.unknown(), {
      text: 'Spoke to Ben on Monday.',
    });
  });
  afterAll(async () => {
    for (const p of [amy, ben, tutor, lead]) p.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });

  /** The export route answers a file, so it is read raw (the engine's API client parses JSON only). */
  const exportAs = async (
    e: Engine,
    subject: { kind: 'case' | 'person' | 'conversation'; id: string },
    format: 'json' | 'html',
    reason = 'Requested by the police liaison officer',
  ) => {
    const res = await fetch(`${ts.url}/api/safeguarding/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: e.api.cookie() ?? '' },
      body: JSON.stringify({ subject, format, reason }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const auditOf = (action: string) =>
    ts.server.db
      .prepare<[string], { actor_id: string; target: string; detail: string }>(
        'SELECT actor_id, target, detail FROM audit_log WHERE action = ? ORDER BY id',
      )
      .all(action);

  it('T16 role matrix: student, tutor and admin without the lead flag get 403 for every export; the lead gets 200', async () => {
    const subjects = [
      { kind: 'case', id: String(itemId) },
      { kind: 'person', id: ben.id },
      { kind: 'conversation', id: general },
    ] as const;
    const before = auditOf('safeguarding.exported').length;
    for (const who of [amy.engine, tutor.engine, admin])
      for (const s of subjects)
        for (const f of ['json', 'html'] as const) {
          const r = await exportAs(who, s, f);
          expect(r.status, `${s.kind} ${f}`).toBe(403);
          expect(JSON.parse(r.text)).toMatchObject({ error: 'not-a-lead' });
        }
    // Refused exports write nothing.
    expect(auditOf('safeguarding.exported')).toHaveLength(before);
    for (const s of subjects) expect((await exportAs(lead.engine, s, 'json')).status).toBe(200);
    // Bad input is a clear 400; an unknown subject a 404.
    const bad = await exportAs(lead.engine, { kind: 'case', id: String(itemId) }, 'json', 'short');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toMatch(/say why/);
    expect((await exportAs(lead.engine, { kind: 'case', id: '999999' }, 'json')).status).toBe(404);
    expect((await exportAs(lead.engine, { kind: 'case', id: 'abc' }, 'json')).status).toBe(404);
    expect((await exportAs(lead.engine, { kind: 'person', id: 'nobody' }, 'html')).status).toBe(404);
  });

  it('T16: a case exports as versioned JSON with the item, reports and reporters, status history, notes, the message in context and its original text', async () => {
    const r = await exportAs(lead.engine, { kind: 'case', id: String(itemId) }, 'json');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('content-disposition')).toBe(
      `attachment; filename="commonroom-case-${itemId}-2026-06-01.json"`,
    );
    expect(r.headers.get('cache-control')).toBe('no-store');
    const e = CaseExport.parse(JSON.parse(r.text));
    expect(e).toMatchObject({
      version: 1,
      kind: 'case',
      college: 'Commonroom',
      exportedBy: { id: lead.id, name: 'Lena Lead' },
      exportedAt: clock,
      reason: 'Requested by the police liaison officer',
    });
    expect(e.case.reporters).toEqual([
      expect.objectContaining({
        id: amy.id,
        name: 'Amy Student',
        reason: 'bullying',
        detail: `he wrote ${XSS}`,
      }),
    ]);
    expect(e.case.status).toBe('in_review');
    expect(e.case.history.map((h) => h.action)).toEqual(
      expect.arrayContaining(['safeguarding.item_updated', 'safeguarding.note_added']),
    );
    expect(e.case.history.find((h) => h.action === 'safeguarding.item_updated')?.detail).toEqual({
      status: { from: 'new', to: 'in_review' },
    });
    expect(e.case.notes).toEqual([
      { at: clock, by: { id: lead.id, name: 'Lena Lead' }, text: 'Spoke to Ben on Monday.' },
    ]);
    expect(e.message?.text).toBe(XSS);
    expect(e.message?.revisions).toEqual([
      expect.objectContaining({ kind: 'edit', previousText: 'first words', newText: XSS }),
    ]);
    expect(e.context.map((m) => m.text)).toEqual(expect.arrayContaining(['morning all', XSS, 'please stop']));
    expect(e.conversation.name).toBe('#general');
  });

  it('T16: a person export holds every conversation with originals; a conversation export is in order with deletions marked', async () => {
    const p = PersonExport.parse(
      JSON.parse((await exportAs(lead.engine, { kind: 'person', id: ben.id }, 'json')).text),
    );
    expect(p.person).toEqual({ id: ben.id, name: 'Ben <b>Student</b>', role: 'student' });
    expect(p.messages.map((m) => [m.conversationId, m.text])).toEqual([
      [general, XSS],
      [dm, 'a direct word'],
      [dm, 'something I regret'],
    ]);
    expect(p.messages[2]?.deletedAt).not.toBeNull();
    expect(p.messages[2]?.revisions[0]).toMatchObject({ kind: 'delete', previousText: 'something I regret' });

    const c = ConversationExport.parse(
      JSON.parse((await exportAs(lead.engine, { kind: 'conversation', id: dm }, 'json')).text),
    );
    expect(c.conversation.kind).toBe('dm');
    expect(c.conversation.members.map((m) => m.id).sort()).toEqual([amy.id, ben.id].sort());
    expect(c.messages.map((m) => m.text)).toEqual(['a direct word', 'something I regret']);
    expect(c.messages.map((m) => m.seq)).toEqual([...c.messages.map((m) => m.seq)].sort((a, b) => a - b));
    expect(c.messages.map((m) => m.deletedAt !== null)).toEqual([false, true]);
  });

  it('T16: the HTML export is self-contained, print-friendly and inert: every value escaped, no script, its own CSP; names who, when, why and the college', async () => {
    for (const subject of [
      { kind: 'case', id: String(itemId) },
      { kind: 'person', id: ben.id },
      { kind: 'conversation', id: general },
    ] as const) {
      const r = await exportAs(lead.engine, subject, 'html');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.headers.get('content-disposition')).toMatch(
        /^attachment; filename="commonroom-[a-z0-9-]+\.html"$/,
      );
      const html = r.text;
      // The payload is there as text, escaped; no markup from a person survives.
      expect(html).toContain(
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quotes&quot;',
      );
      // No tag from a person survives (`onerror=` is still there, as text after an escaped `&lt;img`).
      expect(html).not.toMatch(/<script|<img|<b>|<[a-z]+[^>]*\son[a-z]+=/i);
      expect(html).toContain(
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
      );
      expect(html).toContain('@media print');
      expect(html).not.toMatch(/<link|<[a-z]+[^>]*\s(src|href)=/i);
      expect(html).toContain('Commonroom');
      expect(html).toContain('Lena Lead');
      expect(html).toContain('Requested by the police liaison officer');
      expect(html).toContain('Ben &lt;b&gt;Student&lt;/b&gt;');
    }
    const caseHtml = (await exportAs(lead.engine, { kind: 'case', id: String(itemId) }, 'html')).text;
    expect(caseHtml).toContain('Before: “first words”');
    expect(caseHtml).toContain('Spoke to Ben on Monday.');
    const dmHtml = (await exportAs(lead.engine, { kind: 'conversation', id: dm }, 'html')).text;
    expect(dmHtml).toMatch(/deleted by author/);
  });

  it('T16: every export is audited with what, the format and the reason, never the content', async () => {
    const before = auditOf('safeguarding.exported').length;
    await exportAs(lead.engine, { kind: 'conversation', id: dm }, 'html', 'Parent complaint, case 2291');
    const rows = auditOf('safeguarding.exported');
    expect(rows).toHaveLength(before + 1);
    const last = rows[rows.length - 1];
    expect(last?.actor_id).toBe(lead.id);
    expect(last?.target).toBe(dm);
    expect(JSON.parse(last?.detail ?? '{}')).toEqual({
      what: 'conversation',
      format: 'html',
      reason: 'Parent complaint, case 2291',
      messages: 2,
    });
    expect(last?.detail).not.toContain('direct word');
  });

  it('T16: admins set the retention periods (audited, validated); leads and admins read them; students and tutors cannot', async () => {
    const get = (e: Engine) => e.api.request('GET', '/api/retention', RetentionSettings);
    expect(await get(lead.engine)).toEqual({ channelsDays: null, dmsDays: null, safeguardingDays: null });
    for (const who of [amy.engine, tutor.engine])
      await expect(get(who)).rejects.toMatchObject({ status: 403 });
    for (const who of [amy.engine, tutor.engine, lead.engine])
      await expect(
        who.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: 5 }),
      ).rejects.toMatchObject({ status: 403, code: 'admin-only' });
    for (const bad of [{ channelsDays: 0 }, { dmsDays: 1.5 }, { safeguardingDays: 99_999 }, { dmsDays: '7' }])
      await expect(
        admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, bad),
      ).rejects.toMatchObject({ status: 400 });
    const set = await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, {
      channelsDays: 365,
      safeguardingDays: 2555,
    });
    expect(set).toEqual({ channelsDays: 365, dmsDays: null, safeguardingDays: 2555 });
    expect(await get(lead.engine)).toEqual(set);
    // Saving the same again changes nothing and is not audited twice; clearing is "keep forever".
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: 365 });
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { channelsDays: null });
    expect(auditOf('retention.changed').map((r) => JSON.parse(r.detail) as unknown)).toEqual([
      { channelsDays: { from: null, to: 365 }, safeguardingDays: { from: null, to: 2555 } },
      { channelsDays: { from: 365, to: null } },
    ]);
  });

  it('T16: the server runs the job on its clock and hands expired channel messages to the redactor; DMs and open cases are kept', async () => {
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, {
      channelsDays: 30,
      dmsDays: null,
      safeguardingDays: null,
    });
    redacted.length = 0;
    clock += 31 * DAY;
    await ts.server.internals.retention.run();
    const targets = redacted.flat();
    const texts = targets.map(
      (t) =>
        ts.server.db
          .prepare<[string, string, string], { text: string }>(
            'SELECT text FROM messages WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
          )
          .get(t.conversationId, t.authorId, t.localId)?.text,
    );
    expect(texts).toEqual(expect.arrayContaining(['morning all', 'please stop']));
    // The reported message is in an open case; the DM has no period.
    expect(targets.find((t) => t.localId === reported)).toBeUndefined();
    expect(targets.every((t) => t.conversationId !== dm)).toBe(true);
    expect(targets.every((t) => Number.isInteger(t.seq) && t.authorId.length > 0)).toBe(true);
    const [run] = auditOf('retention.run');
    expect(JSON.parse(run?.detail ?? '{}')).toMatchObject({ channels: { redacted: targets.length } });
  });

  it("T16: after the safeguarding store's period, exports mark blanked messages instead of showing them empty; the open case keeps its message", async () => {
    await admin.api.request('PATCH', '/api/admin/retention', RetentionSettings, { safeguardingDays: 1 });
    clock += 2 * DAY;
    const run = await ts.server.internals.retention.run();
    expect(run.safeguarding.texts).toBeGreaterThan(0);
    const c = ConversationExport.parse(
      JSON.parse((await exportAs(lead.engine, { kind: 'conversation', id: general }, 'json')).text),
    );
    const mine = c.messages.filter((m) => m.authorId === amy.id || m.authorId === ben.id);
    expect(mine.map((m) => [m.text, m.purgedAt !== null])).toEqual([
      ['', true],
      [XSS, false],
      ['', true],
    ]);
    // The open case's message keeps its original too.
    expect(mine[1]?.revisions.map((r) => r.previousText)).toEqual(['first words']);
    const html = (await exportAs(lead.engine, { kind: 'conversation', id: general }, 'html')).text;
    expect(
      html.match(/Text no longer kept: removed under the retention policy/g)?.length,
    ).toBeGreaterThanOrEqual(2);
  });
});
