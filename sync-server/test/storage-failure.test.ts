import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer, texts } from './harness.ts';

/**
 * The disk refuses a commit (full, failing): nothing is acknowledged or relayed, the writer keeps the
 * message waiting and retries, and a device subscribing meanwhile still gets its answer. A second
 * connection to the real database file adds a trigger that fails every document write, then drops it.
 */
describe('a commit that fails', () => {
  it('is neither acknowledged nor relayed; the writer retries, and a subscriber still gets its state', async () => {
    const ts = await startServer();
    const other = new Database(join(ts.dataDir, 'commonroom.sqlite'));
    try {
      const admin = await loginAdmin(ts);
      const writer = await addUser(ts, admin, 'student');
      const reader = await addUser(ts, admin, 'student');
      const general = channel(writer.engine, 'general');
      await writer.engine.open(general);
      await reader.engine.open(general);
      await writer.engine.send(general, 'stored before the disk failed');
      await writer.engine.settled();
      await eventually(() =>
        expect(texts(reader.engine, general)).toContain('stored before the disk failed'),
      );

      other.exec(`CREATE TRIGGER fail_commit BEFORE INSERT ON doc_updates
                  BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`);
      await writer.engine.send(general, 'written while the disk fails');
      await eventually(() => expect(ts.logs.some((l) => l.msg === 'commit failed')).toBe(true));
      // Someone opening the channel while commits fail is answered (what is stored), not left waiting.
      const late = await addUser(ts, admin, 'student');
      await late.engine.open(general);
      await late.engine.settled();
      expect(texts(late.engine, general)).toEqual(['stored before the disk failed']);
      expect(writer.engine.status().waiting).toBe(1);
      expect(texts(reader.engine, general)).not.toContain('written while the disk fails');

      other.exec('DROP TRIGGER fail_commit');
      await writer.engine.settled();
      for (const e of [reader.engine, late.engine])
        await eventually(() =>
          expect(texts(e, general)).toEqual([
            'stored before the disk failed',
            'written while the disk fails',
          ]),
        );
      const rows = other
        .prepare('SELECT count(*) AS n FROM messages WHERE text = ?')
        .get('written while the disk fails') as { n: number };
      expect(rows.n).toBe(1);
    } finally {
      other.close();
      await ts.destroy();
    }
  });
});
