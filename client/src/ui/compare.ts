/**
 * Sorting names without slowing the first screen. A page's first `localeCompare` (or `Intl.Collator`) sets
 * up ICU collation, 11–16 ms here, and the sidebar sorted with it on every start (about 50 ms in all).
 */

/**
 * Channel names are lowercase ASCII slugs (`ChannelName` in packages/protocol/src/http.ts: a-z, 0-9, `-`
 * and `_`), so their order needs no collation: code units order them as a reader expects.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

let collator: Intl.Collator | undefined;

/** People's names need the locale's order: one collator, made the first time a list of people is sorted. */
export function byLocale(a: string, b: string): number {
  collator ??= new Intl.Collator();
  return collator.compare(a, b);
}
