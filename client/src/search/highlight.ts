import { termSpans } from './normalise.ts';

/**
 * A message's text as parts to render, the matched words marked: the same shape as the server's snippets
 * (@commonroom/protocol SnippetPart, issue 16), so one component shows both. Text, never HTML: each part is
 * rendered as a text node (inside <mark> when it matched), so a message's "<b>" stays letters.
 */
export type TextPart = { text: string; match: boolean };

/** `terms` are the index's matched terms (SearchHit.terms): a word is marked when its term is one of them. */
export function markMatches(text: string, terms: readonly string[]): TextPart[] {
  const want = new Set(terms);
  const parts: TextPart[] = [];
  let at = 0;
  for (const s of termSpans(text)) {
    if (!want.has(s.term)) continue;
    if (s.start > at) parts.push({ text: text.slice(at, s.start), match: false });
    parts.push({ text: text.slice(s.start, s.end), match: true });
    at = s.end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), match: false });
  return parts;
}
