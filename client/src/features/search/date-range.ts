/**
 * The search screen's "When" filter as times (issue 16). Quick choices cover what people ask for ("the
 * deadline post from this week") without typing a date; a custom range takes two calendar days. Days are
 * the device's local days. Both halves of a search filter on the time written on the message, the one its
 * conversation shows: `after` included, `before` excluded.
 */

export type When = 'any' | 'today' | 'week' | 'month' | 'custom';

export const WHEN_CHOICES: readonly { value: When; label: string }[] = [
  { value: 'any', label: 'Any time' },
  { value: 'today', label: 'Today' },
  { value: 'week', label: 'Past 7 days' },
  { value: 'month', label: 'Past 30 days' },
  { value: 'custom', label: 'Choose dates…' },
];

export type Range = { after?: number; before?: number };

/** Local midnight at the start of the day `days` after the day of `t` (DST-safe: built from the date). */
function dayStart(t: number, days = 0): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days).getTime();
}

/** A date input's value (yyyy-mm-dd, whatever the device shows) as the local midnight starting it. */
function parseDay(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
}

/**
 * The times of a choice, at `now`. "Past 7 days" is today and the six days before it, as a calendar shows
 * them. A custom range includes both of its days; a missing end is open; ends typed backwards are swapped.
 */
export function rangeOf(when: When, custom: { from: string; to: string }, now: number): Range {
  switch (when) {
    case 'any':
      return {};
    case 'today':
      return { after: dayStart(now) };
    case 'week':
      return { after: dayStart(now, -6) };
    case 'month':
      return { after: dayStart(now, -29) };
    case 'custom': {
      const a = parseDay(custom.from);
      const b = parseDay(custom.to);
      const [lo, hi] = a !== null && b !== null && b < a ? [b, a] : [a, b];
      return { ...(lo !== null ? { after: lo } : {}), ...(hi !== null ? { before: dayStart(hi, 1) } : {}) };
    }
  }
}

/**
 * A custom range in words ("Sat 10 October 2026 to Mon 12 October 2026"): a date field shows digits in the
 * device's order, and 10/12 reads as two different days in the UK and the US; the words say which.
 */
export function describeDays(days: { from: string; to: string }): string {
  const r = rangeOf('custom', days, 0);
  const f = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  if (r.after !== undefined && r.before !== undefined)
    return `${f.format(r.after)} to ${f.format(r.before - 1)}`;
  if (r.after !== undefined) return `From ${f.format(r.after)} on`;
  if (r.before !== undefined) return `Up to ${f.format(r.before - 1)}`;
  return 'Choose a first day, a last day or both.';
}
