import { createEngine, createMemoryStorage, type Engine } from '@commonroom/engine';
import {
  ItemDetail,
  KeywordList,
  LeadReply,
  QueuePage,
  ReportReply,
  SafeguardingSummary,
  Transcript,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKeywordMatcher } from '../src/services/keyword-match.ts';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  nodeSocket,
  startServer,
  type TestServer,
} from './harness.ts';

/**
 * Safeguarding (issue 14 §1 lead capability, §2 reports and the queue, §5 keyword alerts, §6 monitoring
 * with a reason) over a real server on loopback, a real SQLite file and real engines.
 */
describe('safeguarding', () => {
  let ts: TestServer;
  let admin: Engine;
  let clock = Date.now();
  type Person = Awaited<ReturnType<typeof addUser>>;
  let amy: Person; // student
  let ben: Person; // student
  let tutor: Person;
  let lead: Person; // staff, made a lead
  let general: string;

  beforeAll(async () => {
    ts = await startServer({ now: () => clock });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy Student' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben Student' });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tia Tutor' });
    lead = await addUser(ts, admin, 'staff', { name: 'Lena Lead' });
    general = channel(amy.engine, 'general');
  });
  afterAll(async () => {
    for (const p of [amy, ben, tutor, lead]) p.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });

  const grant = (e: Engine, userId: string, on: boolean) =>
    e.api.request('PUT', `/api/admin/users/${userId}/safeguarding-lead`, LeadReply, { lead: on });
  const auditOf = (action: string) =>
    ts.server.db
      .prepare<[string], { actor_id: string; target: string; detail: string }>(
        'SELECT actor_id, target, detail FROM audit_log WHERE action = ? ORDER BY id',
      )
      .all(action);
  /** Sends and returns the message's local id (the engine answers with its key, `author:id`). */
  const sendId = async (e: Engine, conversationId: string, text: string): Promise<string> =>
    (await e.send(conversationId, text)).split(':')[1] ?? '';
  let reportSeq = 0;
  const report = (
    e: Engine,
    conversationId: string,
    authorId: string,
    localId: string,
    reason = 'bullying',
  ) =>
    e.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: `report-test-${++reportSeq}`,
      conversationId,
      authorId,
      localId,
      reason,
      detail: '',
    });

  it('§1: an admin grants the lead capability to staff only, audited; removing it is audited too', async () => {
    await expect(grant(admin, amy.id, true)).rejects.toMatchObject({ status: 400, code: 'not-staff' });
    await expect(grant(tutor.engine, lead.id, true)).rejects.toMatchObject({ status: 403 });
    expect(await grant(admin, lead.id, true)).toEqual({ lead: true });
    expect(await grant(admin, tutor.id, true)).toEqual({ lead: true });
    expect(await grant(admin, tutor.id, false)).toEqual({ lead: false });
    const flag = await admin.api.request('GET', `/api/admin/users/${lead.id}/safeguarding-lead`, LeadReply);
    expect(flag.lead).toBe(true);
    expect(auditOf('safeguarding.lead_granted').map((r) => r.target)).toEqual([lead.id, tutor.id]);
    expect(auditOf('safeguarding.lead_removed').map((r) => r.target)).toEqual([tutor.id]);
    const summary = await lead.engine.api.request('GET', '/api/safeguarding/summary', SafeguardingSummary);
    expect(summary.lead).toBe(true);
    const adminSummary = await admin.api.request('GET', '/api/safeguarding/summary', SafeguardingSummary);
    expect(adminSummary).toEqual({ lead: false, open: 0, latest: null });
  });

  it('§1 role matrix: student, tutor and admin-without-lead get 403 on every lead route; the lead gets through', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/safeguarding/items'],
      ['GET', '/api/safeguarding/items/1'],
      ['PATCH', '/api/safeguarding/items/1', { status: 'in_review' }],
      ['POST', '/api/safeguarding/items/1/notes', { text: 'a note' }],
      ['POST', '/api/safeguarding/items/1/remove', { reason: 'harmful' }],
      ['GET', '/api/safeguarding/leads'],
      ['GET', '/api/safeguarding/keywords'],
      ['PUT', '/api/safeguarding/keywords', { phrases: ['x'] }],
      ['GET', '/api/safeguarding/conversations'],
      ['POST', `/api/safeguarding/conversations/${general}/open`, { reason: 'checking on a concern' }],
    ];
    for (const who of [amy.engine, tutor.engine, admin])
      for (const [method, path, body] of routes)
        await expect(
          who.api.request(method as 'GET', path, z.unknown(), body),
          `${method} ${path}`,
        ).rejects.toMatchObject({ status: 403, code: 'not-a-lead' });
    // Students and tutors cannot grant the capability either.
    for (const who of [amy.engine, tutor.engine])
      await expect(grant(who, tutor.id, true)).rejects.toMatchObject({ status: 403, code: 'admin-only' });
    // The lead: every route answers (an item that does not exist is a 404, not a 403).
    await expect(lead.engine.api.request('GET', '/api/safeguarding/items', QueuePage)).resolves.toBeTruthy();
    await expect(
      lead.engine.api.request('GET', '/api/safeguarding/items/999999', z.unknown()),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      lead.engine.api.request('GET', '/api/safeguarding/keywords', KeywordList),
    ).resolves.toBeTruthy();
  });

  it('§2: reporting one message twice (same and another reporter) is one item with two reporters; the author is told nothing', async () => {
    const localId = await sendId(ben.engine, general, 'you are useless and everyone hates you');
    await ben.engine.settled();
    await amy.engine.settled();
    const first = await report(amy.engine, general, ben.id, localId, 'bullying');
    // The same report id again (a device resending after a lost answer) files nothing new.
    const again = await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: `report-test-${reportSeq}`,
      conversationId: general,
      authorId: ben.id,
      localId,
      reason: 'bullying',
    });
    const dup = await report(amy.engine, general, ben.id, localId, 'harassment');
    const second = await report(tutor.engine, general, ben.id, localId, 'harassment');
    expect(new Set([first.itemId, again.itemId, dup.itemId, second.itemId]).size).toBe(1);
    const detail = await lead.engine.api.request(
      'GET',
      `/api/safeguarding/items/${first.itemId}`,
      ItemDetail,
    );
    expect(detail.reporters.map((r) => r.name)).toEqual(['Amy Student', 'Tia Tutor']);
    expect(detail.item.reporterCount).toBe(2);
    expect(detail.message?.text).toBe('you are useless and everyone hates you');
    expect(detail.people.find((p) => p.id === ben.id)?.role).toBe('Author');
    // A message one cannot read cannot be reported (and the answer does not say whether it exists).
    const dm = (await ben.engine.openDm([tutor.id])).id;
    const secret = await sendId(ben.engine, dm, 'a private word');
    await ben.engine.settled();
    await expect(report(amy.engine, dm, ben.id, secret)).rejects.toMatchObject({ status: 404 });
    // Nothing in the audit log names the reporter, and nothing was sent to Ben about it.
    expect(
      ts.server.db
        .prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'safeguarding.report%'")
        .get(),
    ).toEqual({ n: 0 });
  });

  it('§2 offline: a report written with no connection is kept in the engine storage, survives the app closing, and is sent once when back online', async () => {
    const target = await sendId(ben.engine, general, 'nobody wants you here');
    await ben.engine.settled();
    await amy.engine.settled();
    const storage = createMemoryStorage();
    let offline = false;
    const device = (): Engine =>
      createEngine({
        baseUrl: ts.url,
        storage,
        socketFactory: nodeSocket,
        manualCookies: true,
        backoff: { minMs: 20, maxMs: 200 },
        fetch: (input, init) =>
          offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init),
      });
    const first = device();
    await first.init();
    await first.login(amy.email, amy.password);
    offline = true;
    const r = await first.reports.report({
      conversationId: general,
      authorId: ben.id,
      localId: target,
      reason: 'bullying',
      detail: 'he keeps saying this',
    });
    expect(r.sent).toBe(false);
    const waiting = async () => ((await storage.getMeta('safeguarding-reports')) as unknown[]).length;
    expect(await waiting()).toBe(1);
    const count = () =>
      ts.server.db
        .prepare<[string], { n: number }>(
          "SELECT COUNT(*) AS n FROM safeguarding_items WHERE kind = 'report' AND local_id = ?",
        )
        .get(target)?.n;
    expect(count()).toBe(0);
    // The app closes; it opens again later with a connection.
    first.disconnect();
    offline = false;
    const second = device();
    await second.init();
    expect(await waiting()).toBe(1);
    const leadVersion = lead.engine.safeguardingVersion();
    const amyVersion = amy.engine.safeguardingVersion();
    second.connect();
    await eventually(async () => expect(await waiting()).toBe(0));
    expect(count()).toBe(1);
    // Connected leads are told their queue changed; nobody else is (the reported person least of all).
    await eventually(() => expect(lead.engine.safeguardingVersion()).toBeGreaterThan(leadVersion));
    expect(amy.engine.safeguardingVersion()).toBe(amyVersion);
    expect(ben.engine.safeguardingVersion()).toBe(0);
    const { items } = await lead.engine.api.request('GET', '/api/safeguarding/items', QueuePage);
    const item = items.find((i) => i.localId === target);
    expect(item).toMatchObject({ kind: 'report', reasons: ['bullying'], reporterCount: 1 });
    second.disconnect();
  });

  it('P15: a report the server refuses (the reporter can no longer read the message) is not dropped silently: the device keeps it, with the words, across a restart, until dismissed', async () => {
    const room = await tutor.engine.createChannel('p15-refused', 'private', 'A small group');
    const Ok = z.object({ ok: z.literal(true) });
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, Ok, {
      userIds: [amy.id, ben.id],
    });
    await eventually(() => expect(ben.engine.conversation(room.id)?.isMember).toBe(true));
    const target = await sendId(ben.engine, room.id, 'you will regret coming in tomorrow');
    await ben.engine.settled();
    const storage = createMemoryStorage();
    let offline = false;
    const device = (): Engine =>
      createEngine({
        baseUrl: ts.url,
        storage,
        socketFactory: nodeSocket,
        manualCookies: true,
        backoff: { minMs: 20, maxMs: 200 },
        fetch: (input, init) =>
          offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init),
      });
    const first = device();
    await first.init();
    await first.login(amy.email, amy.password);
    // Written offline; before it goes, Amy is taken out of the private channel.
    offline = true;
    const r = await first.reports.report({
      conversationId: room.id,
      authorId: ben.id,
      localId: target,
      reason: 'harassment',
      detail: '',
    });
    expect(r.sent).toBe(false);
    const refusedOn = async (e: Engine) => (await e.reports.queue()).refused();
    expect(await refusedOn(first)).toEqual([]);
    await tutor.engine.api.request('DELETE', `/api/conversations/${room.id}/members/${amy.id}`, Ok);
    offline = false;
    first.connect();
    await eventually(async () => expect(await refusedOn(first)).toHaveLength(1));
    expect((await refusedOn(first))[0]).toMatchObject({
      conversationId: room.id,
      authorId: ben.id,
      localId: target,
      reason: 'harassment',
      code: 'no-such-message',
    });
    // No longer waiting (not sent again at each connection), and nothing was filed.
    expect(await storage.getMeta('safeguarding-reports')).toEqual([]);
    const filed = ts.server.db
      .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM safeguarding_items WHERE local_id = ?')
      .get(target)?.n;
    expect(filed).toBe(0);
    // The app closes and opens again: still there, until the person dismisses it.
    first.disconnect();
    const second = device();
    await second.init();
    const kept = await refusedOn(second);
    expect(kept.map((x) => x.localId)).toEqual([target]);
    await (await second.reports.queue()).dismiss(kept[0]?.id ?? '');
    expect(await refusedOn(second)).toEqual([]);
    second.disconnect();
    const third = device();
    await third.init();
    expect(await refusedOn(third)).toEqual([]);
  });

  it('§2 context: the item shows messages before and after, and the edit history with the original', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push(await sendId(amy.engine, general, `context before ${i}`));
    const bad = await sendId(ben.engine, general, 'meet me after college, alone');
    await ben.engine.settled();
    for (let i = 1; i <= 4; i++) await amy.engine.send(general, `context after ${i}`);
    await amy.engine.settled();
    await ben.engine.edit(general, bad, 'see you tomorrow');
    await ben.engine.settled();
    const { itemId } = await report(amy.engine, general, ben.id, bad, 'inappropriate');
    const d = await lead.engine.api.request('GET', `/api/safeguarding/items/${itemId}`, ItemDetail);
    expect(d.context.map((m) => m.text)).toEqual([
      'context before 2',
      'context before 3',
      'context before 4',
      'see you tomorrow',
      'context after 1',
      'context after 2',
      'context after 3',
    ]);
    expect(d.revisions).toEqual([
      expect.objectContaining({
        kind: 'edit',
        previousText: 'meet me after college, alone',
        newText: 'see you tomorrow',
      }),
    ]);
  });

  it('§2 queue: status, assignee and outcome changes and append-only notes are audited', async () => {
    const { items } = await lead.engine.api.request('GET', '/api/safeguarding/items', QueuePage);
    const item = items.find((i) => i.kind === 'report');
    if (!item) throw new Error('no report item');
    expect(item.status).toBe('new');
    const patch = (body: unknown) =>
      lead.engine.api.request(
        'PATCH',
        `/api/safeguarding/items/${item.id}`,
        z.object({ item: z.unknown() }),
        body,
      );
    await patch({ status: 'in_review', assigneeId: lead.id });
    await expect(patch({ status: 'closed' })).rejects.toMatchObject({ status: 400, code: 'outcome-needed' });
    await expect(patch({ assigneeId: tutor.id })).rejects.toMatchObject({ status: 400, code: 'not-a-lead' });
    await lead.engine.api.request('POST', `/api/safeguarding/items/${item.id}/notes`, z.unknown(), {
      text: 'Spoke to Amy; she is safe.',
    });
    await patch({ status: 'closed', outcome: 'Spoke to both students; parents informed.' });
    const d = await lead.engine.api.request('GET', `/api/safeguarding/items/${item.id}`, ItemDetail);
    expect(d.item.status).toBe('closed');
    expect(d.item.assigneeName).toBe('Lena Lead');
    expect(d.item.outcome).toBe('Spoke to both students; parents informed.');
    expect(d.notes.map((n) => [n.authorName, n.text])).toEqual([['Lena Lead', 'Spoke to Amy; she is safe.']]);
    const updates = auditOf('safeguarding.item_updated').filter((r) => r.target === String(item.id));
    expect(updates.map((r) => JSON.parse(r.detail) as unknown)).toEqual([
      { status: { from: 'new', to: 'in_review' }, assignee: { from: 'nobody', to: 'Lena Lead' } },
      { status: { from: 'in_review', to: 'closed' }, outcome: 'Spoke to both students; parents informed.' },
    ]);
    expect(auditOf('safeguarding.note_added').map((r) => r.target)).toContain(String(item.id));
    // Notes are append-only in the database itself.
    expect(() => ts.server.db.prepare("UPDATE safeguarding_notes SET text = 'changed'").run()).toThrow(
      /append-only/,
    );
    expect(() => ts.server.db.prepare('DELETE FROM safeguarding_notes').run()).toThrow(/append-only/);
  });

  it('§5 keyword wildcards: whole words, * inside a word, phrases across spaces, never a regular expression', () => {
    const m = createKeywordMatcher(['kill*', '*harm', 'meet me alone', 's*icide', 'a.b', '  ', '*']);
    expect(m.phrases).toEqual(['kill*', '*harm', 'meet me alone', 's*icide', 'a.b']);
    expect(m.match('I will KILL him')).toEqual(['kill*']);
    expect(m.match('killing time')).toEqual(['kill*']);
    expect(m.match('skill issue')).toEqual([]);
    expect(m.match('thoughts of selfharm')).toEqual(['*harm']);
    expect(m.match('meet   me\nalone tonight')).toEqual(['meet me alone']);
    expect(m.match('meet me alonely')).toEqual([]);
    expect(m.match('suicide')).toEqual(['s*icide']);
    expect(m.match('aXb')).toEqual([]);
    expect(m.match('a.b')).toEqual(['a.b']);
  });

  it('§5: a keyword in a new message and in an edit raises an item; the message is stored unchanged; an offline message records written and received times', async () => {
    await lead.engine.api.request('PUT', '/api/safeguarding/keywords', KeywordList, {
      phrases: ['hurt my*', 'knife'],
    });
    expect(auditOf('safeguarding.keywords_changed').map((r) => JSON.parse(r.detail) as unknown)).toEqual([
      { added: ['hurt my*', 'knife'], removed: [] },
    ]);
    const id = await sendId(amy.engine, general, 'I want to hurt myself');
    await amy.engine.settled();
    // The sender's own view: the message as written, sent, nothing more.
    expect(amy.engine.view(general).messages.find((m) => m.localId === id)?.text).toBe(
      'I want to hurt myself',
    );
    const items = async () =>
      (await lead.engine.api.request('GET', '/api/safeguarding/items?status=all', QueuePage)).items.filter(
        (i) => i.kind === 'keyword',
      );
    await eventually(async () => expect((await items()).length).toBe(1));
    expect((await items())[0]).toMatchObject({ reasons: ['hurt my*'], authorId: amy.id, localId: id });

    const other = await sendId(ben.engine, general, 'what is for lunch');
    await ben.engine.settled();
    await ben.engine.edit(general, other, 'bring a knife');
    await ben.engine.settled();
    await eventually(async () => expect((await items()).length).toBe(2));
    expect((await items())[0]).toMatchObject({
      reasons: ['knife'],
      localId: other,
      excerpt: 'bring a knife',
    });

    // Written offline, delivered an hour later (the server's clock moved on meanwhile).
    amy.engine.disconnect();
    const writtenAt = Date.now();
    const offline = await sendId(amy.engine, general, 'I have a KNIFE in my bag');
    clock += 3_600_000;
    amy.engine.connect();
    await amy.engine.settled();
    await eventually(async () => expect((await items()).length).toBe(3));
    const alert = (await items())[0];
    expect(alert?.localId).toBe(offline);
    expect(alert?.writtenAt).toBeGreaterThanOrEqual(writtenAt);
    expect(alert?.writtenAt).toBeLessThan(writtenAt + 60_000);
    expect((alert?.receivedAt ?? 0) - (alert?.writtenAt ?? 0)).toBeGreaterThan(3_500_000);
    const stored = ts.server.db
      .prepare<[string], { text: string }>('SELECT text FROM messages WHERE local_id = ?')
      .get(offline);
    expect(stored?.text).toBe('I have a KNIFE in my bag');
  });

  it('§6: a lead opens a DM they are not in only with a reason; each opening is audited with it', async () => {
    const dm = (await amy.engine.openDm([ben.id])).id;
    await amy.engine.send(dm, 'just between us');
    await amy.engine.settled();
    const open = (reason: string) =>
      lead.engine.api.request('POST', `/api/safeguarding/conversations/${dm}/open`, Transcript, { reason });
    await expect(open('why')).rejects.toMatchObject({ status: 400 });
    const t = await open('Concern raised by a parent about messages to Amy');
    expect(t.audited).toBe(true);
    expect(t.messages.map((m) => m.text)).toContain('just between us');
    expect(t.conversation.name).toBe('Direct message: Amy Student, Ben Student');
    await open('Follow-up after the meeting with Amy');
    const opened = auditOf('safeguarding.conversation_opened').filter((r) => r.target === dm);
    expect(opened.map((r) => [r.actor_id, (JSON.parse(r.detail) as { reason: string }).reason])).toEqual([
      [lead.id, 'Concern raised by a parent about messages to Amy'],
      [lead.id, 'Follow-up after the meeting with Amy'],
    ]);
    // The list offers DMs too, by the names of the people in them.
    const list = await lead.engine.api.request(
      'GET',
      '/api/safeguarding/conversations',
      z.object({ conversations: z.array(z.object({ id: z.string() })) }),
    );
    expect(list.conversations.map((c) => c.id)).toContain(dm);
    // The sync policy is unchanged: the lead still cannot subscribe to the DM.
    expect(lead.engine.conversations().some((c) => c.id === dm)).toBe(false);
    // A lead who is re-roled to student loses the capability at once.
    await admin.api.request('PATCH', `/api/admin/users/${lead.id}/role`, z.unknown(), { role: 'student' });
    await expect(open('another reason here')).rejects.toMatchObject({ status: 403 });
    await admin.api.request('PATCH', `/api/admin/users/${lead.id}/role`, z.unknown(), { role: 'staff' });
  });
});
