import fc from 'fast-check';
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { describe, expect, it } from 'vitest';
import { CHAT_SUBSET, isPlain, parseMessage } from '../src/ui/markdown/parse-message.ts';

/**
 * parseMessage builds the tree of a plain one-line message itself instead of running the Markdown parser
 * (issue 20: the parser was the largest part of drawing the first screen of messages). That shortcut must
 * give exactly the parser's tree, and must not be taken for anything the parser would read as Markdown.
 */

/** A tree without its source positions (nothing draws them; the shortcut has none). */
const strip = (n: Nodes): unknown => {
  const { position: _, ...rest } = n;
  return 'children' in n ? { ...rest, children: n.children.map(strip) } : rest;
};
const parsed = (text: string): unknown => strip(fromMarkdown(text, CHAT_SUBSET));

const plain = [
  'Hello',
  'See you in room 4 after the break',
  'Bench message 5 from writer 0: see you in room 4 after the break ~0:5@2351671525945~',
  'Is the deadline on Friday? I think so, 5pm.',
  'Ask @sam or @jo.smith about it',
  'Café notes, naïve question: does Über-Kurs = 2+2 - 1 / 3 at 50%?',
  'It\'s "fine" - see https://example.com/a/b?c=d',
  'Two  spaces inside stay',
  'A line with --- inside is no rule',
];

const markdown = [
  '- a list',
  '1. numbered',
  '12) numbered too',
  '> a quote',
  '# a heading',
  '**bold** text',
  'some _italic_',
  'inline `code`',
  '[a link](https://example.com)',
  'an <https://example.com> autolink',
  'a hard\\',
  'two lines\nof text',
  ' leading space',
  'trailing space ',
  'tab\tinside',
  '~~~ fence',
  '',
  '   ',
];

describe('parseMessage: plain messages skip the parser', () => {
  it.each(plain)('%j is plain and gets the parser’s tree', (text) => {
    expect(isPlain(text)).toBe(true);
    expect(parseMessage(text)).toEqual(parsed(text));
  });

  // Each has Markdown in it, or space the parser trims, or more than one line: the parser reads it.
  it.each(markdown)('%j is not taken as plain', (text) => {
    expect(isPlain(text)).toBe(false);
    expect(strip(parseMessage(text))).toEqual(parsed(text));
  });

  it('any text the shortcut takes gets exactly the parser’s tree (generated texts)', () => {
    const chars = fc.constantFrom(...'aZé9 ,.;:?\'"@~%=/+-ü\u0301ß'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 40 }),
        fc.constantFrom('a', 'Ö', 'x'),
        (rest, first) => {
          const text = first + rest;
          if (!isPlain(text)) return;
          expect(parseMessage(text)).toEqual(parsed(text));
        },
      ),
      { seed: 20, numRuns: 1_000 },
    );
  });
});
