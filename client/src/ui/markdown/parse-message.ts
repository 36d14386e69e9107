import type { Root } from 'mdast';
import { fromMarkdown, type Options } from 'mdast-util-from-markdown';

/**
 * Messages are CommonMark, cut down to what a chat needs (docs/DESIGN.md, "Message formatting"): bold,
 * italic, inline code, fenced code blocks, lists, quotes, links and line breaks. micromark's own switch
 * turns the rest off at the tokenizer, so it never becomes a node:
 * - raw HTML (`htmlFlow`, `htmlText`): `<b>` stays the letters a person typed, never markup;
 * - headings (`# `, and a line of `---` under text) and thematic breaks: a chat line starting with `#` or
 *   a `---` under a line is not meant as a title or a rule;
 * - indented code: four spaces of indent in a chat message are not meant as code (fences are);
 * - link reference definitions (`[x]: url`): a line that looks like one stays text;
 * - character references (`&amp;`): what was typed shows as typed, and the parser never decodes a name
 *   (its browser build would decode it through a detached element's innerHTML).
 * Images (`![alt](url)`) are parsed so they can be shown as a link, never as an <img>: pictures come as
 * attachments, which the server checks.
 */
const CHAT_SUBSET: Options = {
  extensions: [
    {
      disable: {
        null: [
          'htmlFlow',
          'htmlText',
          'headingAtx',
          'setextUnderline',
          'thematicBreak',
          'codeIndented',
          'definition',
          'characterReference',
        ],
      },
    },
  ],
};

// Rows are drawn again as the list scrolls and re-renders: the last few hundred trees are kept, so a
// message is parsed about once while it is on screen.
const CACHE_SIZE = 400;
const cache = new Map<string, Root>();

/** The message's syntax tree. Pure: the same text always gives the same tree. */
export function parseMessage(text: string): Root {
  const hit = cache.get(text);
  if (hit) {
    // Most recently used last, so the oldest is the first to go.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const tree = fromMarkdown(text, CHAT_SUBSET);
  cache.set(text, tree);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
  return tree;
}
