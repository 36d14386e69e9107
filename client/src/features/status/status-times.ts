/** How long a custom status lasts (issue 15 §3): the presets, and the end each gives from "now". */
export const CLEAR_AFTER = [
  { key: '30m', label: '30 minutes' },
  { key: '1h', label: '1 hour' },
  { key: 'today', label: 'Today' },
  { key: 'week', label: 'This week' },
  { key: 'never', label: "Don't clear" },
] as const;
export type ClearAfter = (typeof CLEAR_AFTER)[number]['key'];

/**
 * When a status chosen at `now` ends (0: until changed). "Today" ends at midnight, "this week" at the
 * end of Sunday, both on this device's calendar: what the person means by them.
 */
export function statusEnd(after: ClearAfter, now: number): number {
  if (after === 'never') return 0;
  if (after === '30m') return now + 30 * 60_000;
  if (after === '1h') return now + 60 * 60_000;
  const d = new Date(now);
  // getDay: 0 is Sunday; the week ends when Sunday does.
  if (after === 'week') d.setDate(d.getDate() + ((7 - d.getDay()) % 7));
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}

/** Ready-made statuses for a college day; the person may write their own. */
export const PRESETS: readonly { emoji: string; text: string; after: ClearAfter }[] = [
  { emoji: '📚', text: 'In class', after: '1h' },
  { emoji: '🍽️', text: 'At lunch', after: '30m' },
  { emoji: '🚌', text: 'On my way', after: '30m' },
  { emoji: '🤒', text: 'Off sick', after: 'today' },
  { emoji: '🏖️', text: 'On holiday', after: 'week' },
];
