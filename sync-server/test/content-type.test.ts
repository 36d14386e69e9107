import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeContent } from '../src/files/content-type.ts';

/**
 * What an upload is judged to be (files/content-type.ts, docs/THREAT_MODEL.md T20), on real files in a temp
 * folder: markup anywhere in a text file is refused, not only in its first chunk, and programs and scripts
 * are refused by name even when their bytes are plain text. The end-to-end path is attachments.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'commonroom-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const judge = (body: string, name: string) => {
  const path = join(dir, String(n++));
  writeFileSync(path, body);
  return judgeContent(path, name);
};

const CHUNK = 64 * 1024;

describe('judgeContent (issue 17, T20)', () => {
  it('a page after 64 KB of padding is refused as markup, also with its tag cut across two chunks', async () => {
    const late = await judge(`${'a'.repeat(70 * 1024)}\n<html><script>alert(1)</script></html>`, 'notes.txt');
    expect(late).toEqual({ ok: false, error: expect.stringMatching(/Web pages.*cannot be attached/) });
    const cut = await judge(`${'a'.repeat(CHUNK - 3)}<script>alert(1)</script>`, 'notes.txt');
    expect(cut.ok).toBe(false);
    const far = await judge(`${'line of text\n'.repeat(20_000)}<iframe src=x>`, 'notes.txt');
    expect(far.ok).toBe(false);
  });

  it('long plain text, and code in a language nothing runs on a double-click, are text', async () => {
    expect(await judge('The essay. '.repeat(30_000), 'essay.txt')).toEqual({
      ok: true,
      type: 'text/plain',
      image: null,
    });
    expect((await judge('print("hello")\n', 'main.py')).ok).toBe(true);
    // A multi-byte character cut between two chunks is still text.
    expect(await judge(`${'a'.repeat(CHUNK - 1)}é and more`, 'accents.txt')).toMatchObject({
      ok: true,
      type: 'text/plain',
    });
  });

  it('scripts and programs are refused by name in plain words, whatever their bytes', async () => {
    for (const name of [
      'run.bat',
      'x.vbs',
      'app.js',
      'setup.ps1',
      'go.cmd',
      'install.sh',
      'a.exe',
      'RUN.BAT',
      'run.bat. ',
    ]) {
      const v = await judge('echo hello\n', name);
      expect(v, name).toEqual({
        ok: false,
        error: expect.stringMatching(/^Programs and scripts .* cannot be attached/),
      });
    }
    expect((await judge('<b>hi</b>', 'page.hta')).ok).toBe(false);
  });
});
