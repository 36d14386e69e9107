import { authorRoots } from '@commonroom/model';
import { authorDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createRefusalBudget } from '../src/rooms/refusal-budget.ts';
import { addUser, channel, loginAdmin, startServer } from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * A person who keeps breaking the document's rules is refused before their writes are even judged (P10).
 * Such refusals no longer reload the document (T12, refusal-cost.test.ts), but each is judged, logged and
 * written to the audit log. Real server, raw frames.
 */

const count = (ts: Awaited<ReturnType<typeof startServer>>, sql: string, ...args: string[]): number =>
  (ts.server.db.prepare(sql).get(...args) as { n: number }).n;

describe("refusals on the document's rules are budgeted per person (P10)", () => {
  it('P10: past the budget, every write is refused unapplied with slow-down, and nothing is stored', async () => {
    const ts = await startServer({ limits: { refusalsPerMinute: 4 } });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const other = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const doc = authorDoc(general, s.id as UserId);
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      // Refused on the document's rules: a read mark below zero.
      const badMark = (i: number): Uint8Array => {
        const d = new Y.Doc();
        authorRoots(d).read.set(`device${i}`, -5);
        return Y.encodeStateAsUpdate(d);
      };
      for (let i = 0; i < 4; i++)
        expect(await raw.write(doc, badMark(i))).toEqual({ kind: 'reject', code: 'bad-read' });
      // The fifth bad one, and then an honest message, are refused before they are judged.
      expect(await raw.write(doc, badMark(4))).toEqual({ kind: 'reject', code: 'slow-down' });
      const message = craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'held', text: 'hello', ts: 1 }]));
      expect(await raw.write(doc, message)).toEqual({ kind: 'reject', code: 'slow-down' });
      expect(count(ts, 'SELECT COUNT(*) AS n FROM messages WHERE author_id = ?', s.id)).toBe(0);
      // Audited as the person's doing only while they were judged; the held-off ones are not audited rows.
      expect(
        count(
          ts,
          "SELECT COUNT(*) AS n FROM audit_log WHERE actor_id = ? AND action = 'write.refused'",
          s.id,
        ),
      ).toBe(4);
      expect(raw.closed).toBeNull();
      // Another person is not held off by someone else's refusals.
      const raw2 = await connectRaw(ts.url, await login(ts.url, other.email, other.password));
      const otherMessage = craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'fine', text: 'hi', ts: 1 }]));
      expect(await raw2.write(authorDoc(general, other.id as UserId), otherMessage)).toEqual({ kind: 'ack' });
      raw.close();
      raw2.close();
    } finally {
      await ts.destroy();
    }
  });

  it('P10: the hold ends with its window, and windows are per person', () => {
    let t = 1_000;
    const budget = createRefusalBudget({ perWindow: 3, windowMs: 60_000, now: () => t });
    for (let i = 0; i < 3; i++) budget.spend('a');
    budget.spend('b');
    expect(budget.heldFor('a')).toBe(60_000);
    expect(budget.heldFor('b')).toBe(0);
    t += 59_999;
    expect(budget.heldFor('a')).toBe(1);
    t += 1;
    expect(budget.heldFor('a')).toBe(0);
    // A new window starts at the next refusal.
    budget.spend('a');
    expect(budget.heldFor('a')).toBe(0);
  });
});
