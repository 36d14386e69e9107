import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MessageText } from '../src/ui/markdown/message-text.tsx';
import { formattable } from '../src/ui/markdown/parse-message.ts';

/**
 * One message must never freeze or crash its readers' apps (review of issue 18): input that would make the
 * Markdown parser work super-linearly, or nest deeply enough to overflow the renderer's recursion, is shown
 * as plain text instead. Found by a reviewer: `'- '.repeat(1000)` and `'>'.repeat(4000)` overflowed the
 * stack when drawn, and 2,600 × "_a* " took seconds to parse.
 */

const hostile = {
  'nested list markers': `${'- '.repeat(1000)}hi`,
  'nested quotes': `${'>'.repeat(4000)}x`,
  'quote and list markers mixed': `${'> 1. '.repeat(500)}x`,
  'an emphasis delimiter storm': `${'*'.repeat(2000)}x${'*'.repeat(2000)}`,
  'alternating delimiters': '_a* '.repeat(2600),
  'link openers': '[a]('.repeat(2000),
};

const ordinary = [
  'See you at **3pm** in _room 4_, bring `npm test` output.',
  '> Quoting Tess:\n> - first\n> - second\n\n1. one\n2. two',
  `Code with stars stays formatted:\n\`\`\`\n${'a * b * c_d_e '.repeat(200)}\n\`\`\``,
  `A long ordinary message. ${'Words and more words, with a link https://example.com. '.repeat(120)}`,
];

describe('Markdown bounds', () => {
  it('ordinary messages, code blocks full of stars included, are formatted', () => {
    for (const text of ordinary) expect(formattable(text), text.slice(0, 40)).toBe(true);
  });

  it.each(Object.entries(hostile))('%s: shown as plain text, drawn without throwing', (_, text) => {
    expect(formattable(text)).toBe(false);
    const html = renderToStaticMarkup(createElement(MessageText, { text }));
    expect(html.startsWith('<p class="text">')).toBe(true);
    expect(html).not.toMatch(/<(ul|ol|blockquote|em|strong|a)\b/);
  });

  it('nesting up to the bound still formats; one more level is plain', () => {
    expect(formattable(`${'> '.repeat(8)}deep`)).toBe(true);
    expect(formattable(`${'> '.repeat(9)}deeper`)).toBe(false);
    const html = renderToStaticMarkup(createElement(MessageText, { text: `${'> '.repeat(8)}deep` }));
    expect(html.match(/<blockquote>/g)).toHaveLength(8);
  });

  it('a link whose text reads as another address says where it really goes', () => {
    const spoof = renderToStaticMarkup(
      createElement(MessageText, { text: '[https://moodle.college.ac.uk](https://evil.example/login)' }),
    );
    expect(spoof).toContain('href="https://evil.example/login"');
    expect(spoof).toContain('(evil.example)');
    const honest = renderToStaticMarkup(
      createElement(MessageText, {
        text: '[www.college.ac.uk/timetable](https://college.ac.uk/timetable) and [the notes](https://evil.example)',
      }),
    );
    expect(honest).not.toContain('link-host');
  });
});
