import { describe, expect, it } from 'vitest';
import { plainFragment, plainText } from '../src/index.ts';

describe('plainText: a formatted message as plain words (issue 18)', () => {
  it.each([
    ['**bold** and _italic_ and *also*', 'bold and italic and also'],
    ['run `npm test` first', 'run npm test first'],
    ['```js\nconst a = 1;\n```', 'const a = 1;'],
    ['> quoted\n> twice', 'quoted\ntwice'],
    ['- one\n- two\n1. three', '• one\n• two\n1. three'],
    ['see [the notes](https://example.com/n) now', 'see the notes now'],
    ['![a cat](https://example.com/cat.png)', 'a cat'],
    ['<https://example.com>', 'https://example.com'],
    ['\\*not bold\\*', '*not bold*'],
    ['snake_case_name and 2*3*4 stay', 'snake_case_name and 2*3*4 stay'],
    ['@amy_student said hi', '@amy_student said hi'],
    ['<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
    ['plain words', 'plain words'],
  ])('%j → %j', (input, out) => {
    expect(plainText(input)).toBe(out);
  });

  it('a fragment loses marks left without their pair', () => {
    expect(plainFragment('the **important')).toBe('the important');
    expect(plainFragment('essay** and `code')).toBe('essay and code');
  });
});
