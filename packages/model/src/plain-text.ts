/**
 * A message's text without its formatting marks, for places that show plain text: push notifications,
 * search results, screen-reader announcements (issue 18). Messages are a small CommonMark subset (see
 * docs/DESIGN.md, "Message formatting"); this is a light reading of it, not a parser: it may leave a mark
 * in an odd message, and never removes a word. `**bold**` → `bold`, `[notes](https://…)` → `notes`, a code
 * fence line disappears, `> ` and list bullets go (a bullet becomes `• `), `\*` → `*`. Snake_case and
 * `2*3*4` stay as typed: emphasis marks must hug the words they wrap, as in CommonMark.
 */
export function plainText(text: string): string {
  // An escaped mark (`\*`) is hidden from the passes below as a private-use character, then put back bare.
  const hidden = text.replace(/\\([!-/:-@[-`{-~])/g, (_, c: string) =>
    String.fromCharCode(0xe000 + c.charCodeAt(0)),
  );
  return hidden
    .split('\n')
    .filter((line) => !/^\s{0,3}(```|~~~)/.test(line))
    .map((line) => line.replace(/^(\s{0,3}>\s?)+/, '').replace(/^(\s*)[-*+]\s+/, '$1• '))
    .join('\n')
    .replace(/!\[([^\]\n]*)\]\(([^)\s]*)(?:\s+"[^"\n]*")?\)/g, (_, alt: string, url: string) => alt || url)
    .replace(/\[([^\]\n]+)\]\(([^)\s]*)(?:\s+"[^"\n]*")?\)/g, '$1')
    .replace(/<((?:https?|mailto):[^>\s]+)>/gi, '$1')
    .replace(/(`+)([^`\n]+?)\1(?!`)/g, '$2')
    .replace(/(\*\*|__)(?=\S)([^\n]*?\S)\1/g, '$2')
    .replace(/(^|[^\p{L}\p{N}*])\*(?=\S)([^*\n]*?[^\s*])\*(?![\p{L}\p{N}*])/gu, '$1$2')
    .replace(/(^|[^\p{L}\p{N}_])_(?=\S)([^_\n]*?[^\s_])_(?![\p{L}\p{N}_])/gu, '$1$2')
    .replace(/[\ue000-\ue07f]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xe000));
}

/** The same for a fragment cut out of a message (a search snippet): also drops marks left without a pair. */
export function plainFragment(text: string): string {
  return plainText(text).replace(/\*\*|__|`+/g, '');
}
