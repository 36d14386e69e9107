import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRetentionJob, RETENTION_EVERY_MS, type RedactTarget } from '../src/services/retention.ts';
import { createAuditLog } from '../src/storage/audit.ts';
import { createConversationStore } from '../src/storage/conversations.ts';
import { openDatabase, type Db } from '../src/storage/db.ts';
import { createMessageStore } from '../src/storage/messages.ts';
import { createRetentionStore } from '../src/storage/retention.ts';
import { createSafeguardingStore } from '../src/storage/safeguarding.ts';

/**
 * The retention job (issue 14 §7, THREAT_MODEL T16) on a real SQLite file with an injected clock and
 * injected timers. `redact` is a real function that records its targets and, like the rooms' redactor,
 * marks them redacted except the pinned ones it keeps.
 */
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

describe('retention job (T16)', () => {
  let dir: string;
  let db: Db;
  let clock: number;
  let calls: RedactTarget[][];
  let pinned: Set<string>;
  let timers: { f: () => void; ms: number; cleared: boolean }[];

  const now = () => clock;
  let seq = 0;
  const setup = () => {
    const conversations = createConversationStore(db, now);
    const messages = createMessageStore(db);
    const safeguarding = createSafeguardingStore(db, now);
    const audit = createAuditLog(db, now);
    const store = createRetentionStore(db, now);
    const job = (batch = 200) =>
      createRetentionJob({
        store,
        settings: () => store.read(),
        redact: async (targets, why) => {
          expect(why).toBe('expired');
          calls.push([...targets]);
          const mark = db.prepare(
            'UPDATE messages SET redacted_at = ? WHERE conversation_id = ? AND author_id = ? AND local_id = ?',
          );
          let n = 0;
          for (const t of targets)
            if (!pinned.has(`${t.conversationId}:${t.localId}`))
              n += mark.run(clock, t.conversationId, t.authorId, t.localId).changes;
          return Promise.resolve(n);
        },
        audit,
        log: pino({ level: 'silent' }),
        now,
        timers: {
          setTimeout: (f, ms) => {
            timers.push({ f, ms, cleared: false });
            return timers.length as unknown as ReturnType<typeof setTimeout>;
          },
          clearTimeout: (t) => {
            const entry = timers[(t as unknown as number) - 1];
            if (entry) entry.cleared = true;
          },
        },
        batch,
      });
    for (const [id, kind] of [
      ['pub', 'public'],
      ['priv', 'private'],
      ['ann', 'announcement'],
      ['dm1', 'dm'],
    ] as const)
      conversations.create({ id, kind, name: kind === 'dm' ? null : id, createdBy: null });
    /** A message received `ageDays` days before now. */
    const msg = (conversationId: string, localId: string, ageDays: number, text = `text of ${localId}`) => {
      messages.insert({
        conversationId,
        authorId: 'u-amy',
        localId,
        seq: ++seq,
        parentKey: null,
        text,
        clientTs: clock - ageDays * DAY,
        receivedAt: clock - ageDays * DAY,
      });
    };
    const auditRuns = () =>
      db
        .prepare<[], { actor_id: string | null; detail: string }>(
          "SELECT actor_id, detail FROM audit_log WHERE action = 'retention.run' ORDER BY id",
        )
        .all();
    return { store, job, msg, messages, safeguarding, auditRuns };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commonroom-retention-'));
    db = openDatabase(join(dir, 'commonroom.sqlite'));
    clock = T0;
    calls = [];
    pinned = new Set();
    timers = [];
    seq = 0;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (targets: RedactTarget[][]) => targets.flat().map((t) => t.localId);

  it('T16: keeps everything when no period is set (the default), and writes nothing to the audit log', async () => {
    const s = setup();
    s.msg('pub', 'old', 5000);
    const run = await s.job().run();
    expect(calls).toEqual([]);
    expect(run).toEqual({
      channels: { expired: 0, redacted: 0 },
      dms: { expired: 0, redacted: 0 },
      safeguarding: { revisions: 0, texts: 0, cases: 0 },
    });
    expect(s.auditRuns()).toEqual([]);
    expect(s.store.read()).toEqual({ channelsDays: null, dmsDays: null, safeguardingDays: null });
  });

  it('T16: selects channel messages (public, private, announcement) older than the channel period, DMs by their own, with the right targets', async () => {
    const s = setup();
    s.store.write({ channelsDays: 30 });
    s.msg('pub', 'pub-old', 31);
    s.msg('priv', 'priv-old', 40);
    s.msg('ann', 'ann-old', 365);
    s.msg('pub', 'pub-new', 29);
    s.msg('dm1', 'dm-old', 400);
    s.msg('dm1', 'dm-new', 2);
    await s.job().run();
    // Oldest first; only channels: DMs are kept forever until their own period is set.
    expect(ids(calls)).toEqual(['ann-old', 'priv-old', 'pub-old']);
    expect(calls.flat()[0]).toEqual({ conversationId: 'ann', authorId: 'u-amy', localId: 'ann-old', seq: 3 });

    calls = [];
    s.store.write({ dmsDays: 7 });
    const run = await s.job().run();
    // The channel messages were redacted last time: skipped now. The old DM goes, the new one stays.
    expect(ids(calls)).toEqual(['dm-old']);
    expect(run.dms).toEqual({ expired: 1, redacted: 1 });
    expect(run.channels).toEqual({ expired: 0, redacted: 0 });

    // Time passes (the injected clock): the new channel message is now past its period too.
    calls = [];
    clock += 2 * DAY;
    await s.job().run();
    expect(ids(calls)).toEqual(['pub-new']);
  });

  it('T16: a message an open safeguarding case is about is kept until the case is closed; a closed case does not protect it', async () => {
    const s = setup();
    s.store.write({ channelsDays: 10 });
    s.msg('pub', 'reported', 20);
    s.msg('pub', 'closed-case', 20);
    s.msg('pub', 'plain', 20);
    const open = s.safeguarding.raiseKeyword({
      conversationId: 'pub',
      authorId: 'u-amy',
      localId: 'reported',
      matched: ['x'],
      excerpt: 'x',
      writtenAt: clock,
      receivedAt: clock,
    });
    const closed = s.safeguarding.raiseKeyword({
      conversationId: 'pub',
      authorId: 'u-amy',
      localId: 'closed-case',
      matched: ['y'],
      excerpt: 'y',
      writtenAt: clock,
      receivedAt: clock,
    });
    s.safeguarding.update(closed, { status: 'closed', outcome: 'no concern' });
    s.safeguarding.update(open, { status: 'in_review' });
    await s.job().run();
    expect(ids(calls).sort()).toEqual(['closed-case', 'plain']);
    calls = [];
    s.safeguarding.update(open, { status: 'closed', outcome: 'spoken to' });
    await s.job().run();
    expect(ids(calls)).toEqual(['reported']);
  });

  it('T16: works in bounded batches, and messages the redactor keeps (pinned) do not stop the walk or come back in the same run', async () => {
    const s = setup();
    s.store.write({ channelsDays: 1 });
    for (let i = 0; i < 10; i++) s.msg('pub', `m${i}`, 100 - i);
    pinned.add('pub:m0');
    pinned.add('pub:m1');
    pinned.add('pub:m2');
    const run = await s.job(3).run();
    expect(calls.map((c) => c.length)).toEqual([3, 3, 3, 1]);
    expect(ids(calls)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(run.channels).toEqual({ expired: 10, redacted: 7 });
    // The next run offers the pinned ones again (the redactor decides; they may have been unpinned).
    calls = [];
    await s.job(3).run();
    expect(ids(calls)).toEqual(['m0', 'm1', 'm2']);
    // The audit log has one entry per run that removed something, with counts only.
    const runs = s.auditRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.actor_id).toBeNull();
    expect(JSON.parse(runs[0]?.detail ?? '{}')).toMatchObject({ channels: { expired: 10, redacted: 7 } });
  });

  it('T16: the safeguarding store: earlier texts and the server copy of messages past its period go (rows kept), closed cases past it go with reports and notes; open cases and newer ones stay', async () => {
    const s = setup();
    // Channels and DMs keep forever: only the safeguarding store has a period.
    s.store.write({ safeguardingDays: 90 });
    s.msg('pub', 'old', 200, 'an old secret');
    s.messages.recordEdit('pub', 'u-amy', 'old', 'an old secret, edited', clock - 150 * DAY);
    s.msg('dm1', 'case-msg', 200, 'in an open case');
    s.messages.recordEdit('dm1', 'u-amy', 'case-msg', 'in an open case, edited', clock - 150 * DAY);
    s.msg('pub', 'recent', 10, 'recent words');
    s.messages.recordEdit('pub', 'u-amy', 'recent', 'recent words, edited', clock - 5 * DAY);

    const openCase = s.safeguarding.raiseKeyword({
      conversationId: 'dm1',
      authorId: 'u-amy',
      localId: 'case-msg',
      matched: ['z'],
      excerpt: 'in an open case',
      writtenAt: clock,
      receivedAt: clock,
    });
    // A case closed 120 days ago (its reports and notes go with it), and one closed 10 days ago.
    const saved = clock;
    clock = saved - 120 * DAY;
    const oldReport = s.safeguarding.fileReport({
      reportId: 'report-old-1',
      reporterId: 'u-ben',
      conversationId: 'pub',
      authorId: 'u-amy',
      localId: 'old',
      reason: 'bullying',
      detail: 'worried',
      excerpt: 'an old secret',
      writtenAt: clock,
      receivedAt: clock,
    });
    s.safeguarding.addNote(oldReport.itemId, 'u-lead', 'spoke to both students');
    s.safeguarding.update(oldReport.itemId, { status: 'closed', outcome: 'resolved' });
    clock = saved - 10 * DAY;
    const recentClosed = s.safeguarding.raiseKeyword({
      conversationId: 'pub',
      authorId: 'u-amy',
      localId: 'recent',
      matched: ['w'],
      excerpt: 'recent',
      writtenAt: clock,
      receivedAt: clock,
    });
    s.safeguarding.addNote(recentClosed, 'u-lead', 'nothing in it');
    s.safeguarding.update(recentClosed, { status: 'closed', outcome: 'no concern' });
    clock = saved;
    // Notes cannot be deleted while their case exists, open or closed: only removing the case takes them.
    s.safeguarding.addNote(openCase, 'u-lead', 'ongoing');
    for (const id of [openCase, oldReport.itemId])
      expect(() => db.prepare('DELETE FROM safeguarding_notes WHERE item_id = ?').run(id)).toThrow(
        /append-only/,
      );
    // Nor can a case be deleted from under its notes outside such a transaction (foreign keys).
    expect(() => db.prepare('DELETE FROM safeguarding_items WHERE id = ?').run(oldReport.itemId)).toThrow(
      /FOREIGN KEY/,
    );

    const run = await s.job().run();
    expect(calls).toEqual([]);
    expect(run.safeguarding).toEqual({ revisions: 1, texts: 1, cases: 1 });
    const text = (localId: string) =>
      db
        .prepare<[string], { text: string; purged_at: number | null; seq: number }>(
          'SELECT text, purged_at, seq FROM messages WHERE local_id = ?',
        )
        .get(localId);
    expect(text('old')).toEqual({ text: '', purged_at: clock, seq: 1 });
    expect(text('case-msg')).toMatchObject({ text: 'in an open case, edited', purged_at: null });
    expect(text('recent')).toMatchObject({ text: 'recent words, edited', purged_at: null });
    expect(s.messages.revisions('pub', 'u-amy', 'old')).toEqual([]);
    expect(s.messages.revisions('dm1', 'u-amy', 'case-msg')).toHaveLength(1);
    expect(s.messages.revisions('pub', 'u-amy', 'recent')).toHaveLength(1);
    expect(s.safeguarding.item(oldReport.itemId)).toBeNull();
    expect(s.safeguarding.reporters(oldReport.itemId)).toEqual([]);
    expect(s.safeguarding.notes(oldReport.itemId)).toEqual([]);
    expect(s.safeguarding.item(openCase)?.status).toBe('new');
    expect(s.safeguarding.notes(openCase)).toHaveLength(1);
    expect(s.safeguarding.item(recentClosed)?.status).toBe('closed');
    expect(s.safeguarding.notes(recentClosed)).toHaveLength(1);
    // Audited with counts, never content.
    const [entry] = s.auditRuns();
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({
      safeguarding: { revisions: 1, texts: 1, cases: 1 },
      settings: { safeguardingDays: 90 },
    });
    expect(entry?.detail).not.toMatch(/secret|open case|recent words|spoke to/);
    // A second run finds nothing more to do and writes nothing.
    expect((await s.job().run()).safeguarding).toEqual({ revisions: 0, texts: 0, cases: 0 });
    expect(s.auditRuns()).toHaveLength(1);
  });

  it('T16: purges the safeguarding store in bounded batches', async () => {
    const s = setup();
    s.store.write({ safeguardingDays: 1 });
    for (let i = 0; i < 7; i++) {
      s.msg('pub', `b${i}`, 10);
      s.messages.recordEdit('pub', 'u-amy', `b${i}`, `edited ${i}`, clock - 5 * DAY);
    }
    const run = await s.job(2).run();
    expect(run.safeguarding).toEqual({ revisions: 7, texts: 7, cases: 0 });
    expect(
      db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM messages WHERE text != ''").get()?.n,
    ).toBe(0);
    expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM messages').get()?.n).toBe(7);
  });

  it('T16: runs at start, then every hour on the injected timers; never two runs at once; stop ends it', async () => {
    const s = setup();
    s.store.write({ channelsDays: 1 });
    s.msg('pub', 'first', 2);
    const job = s.job();
    job.start();
    await Promise.resolve();
    // The start run: a second `run()` while it is going joins it instead of starting another.
    const joined = job.run();
    await joined;
    expect(ids(calls)).toEqual(['first']);
    await new Promise((r) => setImmediate(r));
    expect(timers.filter((t) => !t.cleared).map((t) => t.ms)).toEqual([RETENTION_EVERY_MS]);
    // An hour later (the injected timer fires) a new expired message goes.
    clock += RETENTION_EVERY_MS;
    s.msg('pub', 'second', 3);
    timers[0]?.f();
    await new Promise((r) => setImmediate(r));
    await job.run();
    expect(ids(calls)).toEqual(['first', 'second']);
    await new Promise((r) => setImmediate(r));
    expect(timers).toHaveLength(2);
    await job.stop();
    expect(timers[1]?.cleared).toBe(true);
  });
});
