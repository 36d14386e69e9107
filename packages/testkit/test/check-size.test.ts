import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/check-size.mjs (`npm run size`), run as `npm run check:static` runs it, on fixture files whose
// counts are known by construction: blank and comment lines do not count, a nested function's lines are
// its own (bar the line it starts on, which holds the enclosing code), a multi-line template's lines count.

const script = resolve(import.meta.dirname, '../../../scripts/check-size.mjs');
const run = promisify(execFile);
let dir: string;

/** `statements` lines of the form `  a += 1;`, each a counted line. */
const statements = (n: number, indent = '  ') => Array.from({ length: n }, () => `${indent}a += 1;`);

/**
 * A function of exactly `own` own lines, with a nested 50-line function, comments, blank lines and a
 * three-line template in it: header 1 + `let a` 1 + template 3 + body + nested header 1 + return 1 + `}` 1.
 */
const functionOf = (name: string, own: number) =>
  [
    `/** ${name}: a JSDoc comment,`,
    ' * over two lines. */',
    `export function ${name}(n: number): string {`,
    '  // a line comment',
    '  /* a block',
    '     comment */',
    '',
    '  let a = n;',
    '  const t = `one',
    '  two',
    '  three`;',
    ...statements(own - 8),
    '  const inner = (x: number) => {',
    ...statements(48, '    ').map((s) => s.replace('a', 'x')),
    '    return x;',
    '  };',
    '',
    '  return t + inner(a);',
    '}',
    '',
  ].join('\n');

/** A factory closure whose span is far over 80 lines but whose own lines (the wiring) are few. */
const factory = [
  'export function createCounter() {',
  '  let a = 0;',
  '  return {',
  ...['up', 'down', 'reset'].flatMap((m) => [`    ${m}: () => {`, ...statements(60, '      '), '    },']),
  '  };',
  '}',
].join('\n');

/** A file of `lines` counted lines, padded with as many comment and blank lines. */
const fileOf = (lines: number) =>
  Array.from({ length: lines }, (_, i) => `// note ${i}\n\nexport const v${i} = ${i};`).join('\n');

async function checkSize(...files: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, ...files.map((f) => join(dir, f))], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, out: err.stderr };
  }
}

describe('scripts/check-size.mjs', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'check-size-'));
    writeFileSync(join(dir, 'at-limit.ts'), functionOf('atLimit', 80));
    writeFileSync(join(dir, 'over-limit.ts'), functionOf('overLimit', 81));
    writeFileSync(join(dir, 'factory.ts'), factory);
    writeFileSync(join(dir, 'file-400.ts'), fileOf(400));
    writeFileSync(join(dir, 'file-401.ts'), fileOf(401));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a function of 80 own lines, a long factory of short methods and a 400-line file', async () => {
    const { code, out } = await checkSize('at-limit.ts', 'factory.ts', 'file-400.ts');
    expect(code).toBe(0);
    expect(out).toMatch(/^size: OK \(3 files/);
  });

  it('names a function of 81 own lines and a file of 401, one line each with where and how many', async () => {
    const { code, out } = await checkSize('over-limit.ts', 'file-401.ts', 'at-limit.ts');
    expect(code).toBe(1);
    expect(out.trim().split('\n')).toEqual([
      'over-limit.ts:3 overLimit 81 own lines (limit 80)',
      'file-401.ts:1 (whole file) 401 lines (limit 400)',
      'size: 2 over the limit (files 400 lines, functions 80)',
    ]);
  });

  it('says which path it was given does not exist, rather than passing', async () => {
    const { code, out } = await checkSize('at-limit.ts', 'no-such.ts');
    expect(code).toBe(2);
    expect(out.trim()).toBe(`size: no such file or directory: ${join(dir, 'no-such.ts')}`);
  });
});
