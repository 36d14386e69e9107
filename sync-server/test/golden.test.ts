import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channel, eventually, makeEngine, startServer, texts } from './harness.ts';

/**
 * Stored formats must keep loading: a database (schema and Yjs updates) written by version 1 of the server.
 * When a migration or the document model changes, this file must still open and read the same. Made by a
 * v1 server: a student wrote two messages and edited the first; the admin reacted 👍 to and pinned the second.
 */
describe('golden fixtures', () => {
  it('a version-1 database migrates and reads the same', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'commonroom-golden-'));
    copyFileSync(
      join(import.meta.dirname, 'fixtures', 'schema-v1.sqlite'),
      join(dataDir, 'commonroom.sqlite'),
    );
    const ts = await startServer({ dataDir });
    try {
      expect(ts.server.internals.conversations.channels()).toHaveLength(8);
      const student = makeEngine(ts.url);
      await student.init();
      await student.login('student1-73565@college.test', 'password-1-long');
      student.connect();
      const general = channel(student, 'general');
      await student.open(general);
      await student.settled();
      await eventually(() =>
        expect(texts(student, general)).toEqual(['first message in v1 (edited)', 'second message in v1']),
      );
      const [first, second] = student.view(general).messages;
      expect(first?.editedAt).not.toBeNull();
      expect(second?.reactions.map((r) => r.emoji)).toEqual(['👍']);
      expect(second?.pinned).not.toBeNull();
      expect([first?.seq, second?.seq]).toEqual([1, 2]);
      student.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});
