// better-sqlite3's type, not db.ts's `Db`: db.ts registers these functions, so importing it would be a cycle.
import type Database from 'better-sqlite3';

/**
 * Emoji as searchable words (issue 16). FTS5's unicode61 tokenizer keeps letters and digits only, so "👍"
 * would never be found; each emoji in a message is also written, as a word such as `x1f44dx`, to the index's
 * second column (`marks`), and each emoji in a search is looked for there. One word per pictograph code
 * point: skin tones and variation selectors are left out, so "👍🏽" finds "👍" and the other way round.
 */
const PICTOGRAPH = /\p{Extended_Pictographic}/gu;

/** The emoji of `text` as index words, in order, space-separated ('' when it has none). */
export function emojiWords(text: string): string {
  let out = '';
  for (const m of text.matchAll(PICTOGRAPH))
    out += `${out === '' ? '' : ' '}x${(m[0].codePointAt(0) ?? 0).toString(16)}x`;
  return out;
}

/** `text` with its emoji taken out (each replaced by a space, so "great👍" leaves the word "great"). */
export const withoutEmoji = (text: string): string => text.replace(PICTOGRAPH, ' ');

/**
 * The SQL function the search index's triggers and source view call (migration 18). Registered on every
 * connection before migrating: a connection without it cannot write messages (the triggers fail), which is
 * the safe side: the index never silently falls behind the messages.
 */
export function registerSearchFunctions(db: Database.Database): void {
  db.function('search_marks', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? emojiWords(text) : '',
  );
}
