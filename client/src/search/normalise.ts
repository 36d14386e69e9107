/**
 * How message text becomes search terms, the same for what is indexed and what is typed: case and accent
 * folding (Chloé = chloe), plural folding (deadlines = deadline, classes = class, stories = story), an
 * @mention is the name (@Zoë finds "zoe" and "@zoe"), emoji are terms of their own, a link is one term
 * (and its words).
 */

/** Letters, digits and emoji runs; everything else (spaces, punctuation, @, #) separates terms. */
const TERM =
  /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}]+)*|\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\u200d\p{Extended_Pictographic}|\ufe0f)*/gu;

// Most text is plain ASCII: it skips the Unicode decomposition, the costliest step of indexing.
// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const ASCII = /^[\x00-\x7f]*$/;
export const fold = (s: string): string =>
  ASCII.test(s) ? s.toLowerCase() : s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * English plural folding, deliberately light: a stemmer that also cut -ing and -ed would turn a word being
 * typed ("meet" → "meeting") into a different stem on each keystroke. Short words and -ss, -us, -is endings
 * are left alone (class, bus, this).
 */
export function singular(term: string): string {
  if (term.length <= 3 || !/[a-z]s$/.test(term)) return term;
  if (/(ss|us|is|ous)$/.test(term)) return term;
  if (term.endsWith('ies') && term.length > 4) return `${term.slice(0, -3)}y`;
  if (/(ches|shes|sses|xes|zes)$/.test(term)) return term.slice(0, -2);
  return term.slice(0, -1);
}

/** A term as it is indexed: folded, apostrophes dropped (don't = dont), plural folded. */
export const normaliseTerm = (raw: string): string => singular(fold(raw).replace(/['’]/g, ''));

/** The terms of a text, in order (duplicates kept: the index counts them). Folds once, then splits. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of fold(text).matchAll(TERM)) {
    const t = singular(m[0].replace(/['’]/g, ''));
    if (t) out.push(t);
  }
  return out;
}

/**
 * Whether a search has something to look for: a letter, a digit or an emoji. Punctuation and spaces alone
 * ("!!!", "- -") have none, and must not list every message.
 */
export const hasTerms = (q: string): boolean => terms(q).length > 0;

/** Where each term of `text` sits, for marking matches in the original words. */
export function termSpans(text: string): { start: number; end: number; term: string }[] {
  const out: { start: number; end: number; term: string }[] = [];
  for (const m of text.matchAll(TERM)) {
    const t = normaliseTerm(m[0]);
    if (t) out.push({ start: m.index, end: m.index + m[0].length, term: t });
  }
  return out;
}

/** A link as the server's filter counts one (GET /api/search `links`): http://, https:// or www. */
const LINK = /\bhttps?:\/\/\S|\bwww\.\S/i;
export const hasLink = (text: string): boolean => LINK.test(text);
