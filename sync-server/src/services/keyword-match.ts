/**
 * The keyword alert list (issue 14 §5) as matchers. A phrase matches whole words, case-insensitively,
 * with any run of spaces between its words; `*` stands for any letters or digits inside a word ("kill*"
 * matches "killing", "*harm" matches "selfharm", "s*icide" matches "suicide"). Nothing else is special:
 * a phrase is never a regular expression, so a lead cannot write one that hangs the server.
 */
export type KeywordMatcher = { phrases: readonly string[]; match: (text: string) => string[] };

const WORD = '[\\p{L}\\p{N}]';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** One phrase as a regular expression: escaped, `*` a run of word characters, spaces any whitespace. */
export function phrasePattern(phrase: string): RegExp {
  const words = phrase.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const body = words.map((w) => w.split('*').map(escape).join(`${WORD}*`)).join('\\s+');
  // Whole words: no letter or digit just before or after the phrase.
  return new RegExp(`(?<!${WORD})${body}(?!${WORD})`, 'iu');
}

/** Normalises a list: trimmed, inner spaces collapsed, no duplicates (case-insensitive), no bare `*`. */
export function cleanPhrases(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const p = raw.trim().replace(/\s+/g, ' ');
    if (p.replace(/[*\s]/g, '') === '') continue;
    const key = p.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

export function createKeywordMatcher(phrases: readonly string[]): KeywordMatcher {
  const compiled = cleanPhrases(phrases).map((p) => ({ phrase: p, re: phrasePattern(p) }));
  return {
    phrases: compiled.map((c) => c.phrase),
    match: (text) => (text === '' ? [] : compiled.filter((c) => c.re.test(text)).map((c) => c.phrase)),
  };
}
