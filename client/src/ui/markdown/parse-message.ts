import { findMentions } from '@commonroom/model';
import type { Nodes, Root } from 'mdast';
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
export const CHAT_SUBSET: Options = {
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

/*
 * Bounds on what is parsed as Markdown. micromark's emphasis and link resolution grow faster than the text
 * on adversarial input (measured here: 2,600 × "_a* " took 4.8 s, 4,000 nested list markers 8.9 s), and
 * deep nesting would also recurse deeply when drawn. One message must never freeze every reader's phone,
 * so a message past these bounds is shown as plain text (its words, mentions and links intact). Real chat
 * messages stay far below them; code inside ``` fences does not count.
 */
const MAX_DELIMITERS = 120; // * and _ outside code fences
const MAX_BRACKETS = 100; // [ ( that could open links
const MAX_NESTING = 8; // quote and list markers at the start of one line

/** Quote and list markers opening a line (`> - 1. x` has three): how deeply the line nests. */
function leadingMarkers(line: string): number {
  let n = 0;
  let i = 0;
  const blank = (c: string | undefined) => c === ' ' || c === '\t' || c === undefined;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    const c = line[i];
    if (c === '>') {
      i++;
    } else if ((c === '-' || c === '*' || c === '+') && blank(line[i + 1])) {
      i++;
    } else {
      let j = i;
      while (j - i < 9 && (line[j] ?? '') >= '0' && (line[j] ?? '') <= '9') j++;
      if (j === i || (line[j] !== '.' && line[j] !== ')')) return n;
      i = j + 1;
    }
    n++;
  }
}

/** Whether a message is simple enough to parse as Markdown (see the bounds above). Linear in the text. */
export function formattable(text: string): boolean {
  let delimiters = 0;
  let brackets = 0;
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s{0,3}(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    if (leadingMarkers(line) > MAX_NESTING) return false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '*' || c === '_') delimiters++;
      else if (c === '[' || c === '(') brackets++;
    }
    if (delimiters > MAX_DELIMITERS || brackets > MAX_BRACKETS) return false;
  }
  return true;
}

/*
 * Most chat messages are one line of words with no Markdown in them: their tree is one paragraph holding
 * the text, built here without the parser (micromark was the largest part of drawing a screen of messages
 * at a cold start, issue 20). "Plain": one line that starts with a letter (not a list number or marker,
 * quote, fence or heading), has no space at either end (the parser would trim it), and holds only letters,
 * digits, spaces and punctuation that means nothing inline in the chat subset (no `*_\`[]()<>!&#|`, no
 * tabs). test/parse-message.test.ts checks such texts give the parser's own tree.
 */
const PLAIN = /^\p{L}[\p{L}\p{M}\p{N} ,.;:?'"@~%=/+-]*$/u;

export const isPlain = (text: string): boolean => PLAIN.test(text) && !text.endsWith(' ');

/** The message's syntax tree. Pure: the same text always gives the same tree. Check `formattable` first. */
export function parseMessage(text: string): Root {
  const hit = cache.get(text);
  if (hit) {
    // Most recently used last, so the oldest is the first to go.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const tree: Root = isPlain(text)
    ? { type: 'root', children: [{ type: 'paragraph', children: [{ type: 'text', value: text }] }] }
    : restoreMentions(fromMarkdown(shieldMentions(text), CHAT_SUBSET));
  cache.set(text, tree);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
  return tree;
}

/*
 * Mentions win over emphasis (issue 18): a handle may hold `_` (`@_sam_`, `@jo_smith_`), which Markdown
 * would read as italics and cut the handle apart. Each `_` inside a handle is swapped for a character
 * Markdown gives no meaning to before parsing, and swapped back in every string of the tree after, so the
 * mention reaches the text node whole (where textParts finds and highlights it) and code shows what was
 * typed. U+E000 is a private-use character: no keyboard types it, and a message that holds one already is
 * parsed unshielded (rarer than rare, and then only its italics could be wrong).
 */
const SHIELD = '\uE000';

function shieldMentions(text: string): string {
  if (!text.includes('_') || !text.includes('@') || text.includes(SHIELD)) return text;
  let out = '';
  let at = 0;
  for (const m of findMentions(text)) {
    out += text.slice(at, m.start) + text.slice(m.start, m.end).replaceAll('_', SHIELD);
    at = m.end;
  }
  return out + text.slice(at);
}

function restoreMentions(tree: Root): Root {
  const walk = (n: Nodes): void => {
    if ('value' in n && n.value.includes(SHIELD)) n.value = n.value.replaceAll(SHIELD, '_');
    if ('url' in n && n.url.includes(SHIELD)) n.url = n.url.replaceAll(SHIELD, '_');
    if ('alt' in n && n.alt?.includes(SHIELD)) n.alt = n.alt.replaceAll(SHIELD, '_');
    if ('children' in n) for (const c of n.children) walk(c);
  };
  walk(tree);
  return tree;
}
