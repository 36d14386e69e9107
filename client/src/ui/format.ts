import { ROLE_LABELS, type Role } from '@commonroom/protocol';

/** Words and times as people read them. Pure functions, given "now", so tests and screenshots are stable. */

// One formatter per format, made on first use: `toLocale…String` with options builds a new one per call.
const formatters = new Map<string, Intl.DateTimeFormat>();
const formatWith = (ts: number, options: Intl.DateTimeFormatOptions): string => {
  const key = JSON.stringify(options);
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(undefined, options)));
  return f.format(ts);
};

export function relativeTime(ts: number, now: number): string {
  const s = Math.round((now - ts) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return formatWith(ts, { day: 'numeric', month: 'short' });
}

export function clockTime(ts: number): string {
  return formatWith(ts, { hour: '2-digit', minute: '2-digit' });
}

/**
 * "1:34" or "13:34": the time in a grouped message's narrow gutter (issue 18), without AM/PM, as Slack
 * shows it; "01:34 PM" was wider than the avatar's column and ran into the text. The full time is in its
 * tooltip and the message's label.
 */
export function gutterTime(ts: number): string {
  return formatWith(ts, { hour: 'numeric', minute: '2-digit' })
    .replace(/\s*[AaPp]\.?\s?[Mm]\.?$/, '')
    .trim();
}

export function dayLabel(ts: number, now: number): string {
  const d = new Date(ts);
  const today = new Date(now);
  const yesterday = new Date(now - 86_400_000);
  const same = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (same(d, today)) return 'Today';
  if (same(d, yesterday)) return 'Yesterday';
  return formatWith(ts, { weekday: 'long', day: 'numeric', month: 'long' });
}

export const roleLabel = (r: Role): string => ROLE_LABELS[r];

export function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? '')
      .join('') || '?'
  );
}
