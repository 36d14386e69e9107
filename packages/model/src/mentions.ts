/**
 * @mentions as written in message text: `@handle`, where a person's handle is their username or, without
 * one, their display name with dots for spaces (`@Sam.Patel`). Matching ignores case. @channel, @here and
 * @everyone notify everyone; the server lets only staff write them.
 *
 * Handles are letters and digits of any script (Siân, Zoë, José), `_`, and `.` or `-` inside. A handle is
 * never preceded by a letter, digit, `.` or `@`, so `a@b.com` is an email address, not a mention.
 */

const MENTION = /(^|[^\p{L}\p{M}\p{N}_@.])@([\p{L}\p{N}_](?:[\p{L}\p{M}\p{N}_.-]*[\p{L}\p{M}\p{N}_])?)/gu;
const NOT_HANDLE = /[^\p{L}\p{M}\p{N}_.-]+/gu;
const BROADCAST_WORDS = new Set(['channel', 'here', 'everyone']);

export type Mentionable = { username?: string | null; displayName: string };

/**
 * What to type after `@` to mention this person: exactly what findMentions reads back. Characters a handle
 * cannot hold (an apostrophe, an emoji) are left out, so `Sean O'Brien` is `@Sean.OBrien`.
 */
export function mentionHandle(u: Mentionable): string {
  const raw = u.username ?? u.displayName.trim().replace(/\s+/g, '.');
  return raw
    .normalize('NFC')
    .replace(NOT_HANDLE, '')
    .replace(/^[.\-\p{M}]+|[.-]+$/gu, '');
}

/** Each mention in the text with where it is, for highlighting. */
export function findMentions(text: string): { start: number; end: number; handle: string }[] {
  const out: { start: number; end: number; handle: string }[] = [];
  for (const m of text.matchAll(MENTION)) {
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    const handle = m[2] ?? '';
    out.push({ start, end: start + 1 + handle.length, handle });
  }
  return out;
}

export function isBroadcastHandle(handle: string): boolean {
  return BROADCAST_WORDS.has(handle.toLowerCase());
}

/** The one rule both sides use: what a client highlights as @channel is exactly what the server checks. */
export function hasBroadcastMention(text: string): boolean {
  return text.includes('@') && findMentions(text).some((m) => isBroadcastHandle(m.handle));
}

/** Whether the text notifies this person: their handle, or @channel / @here / @everyone. */
export function mentionsPerson(text: string, person: Mentionable): boolean {
  if (!text.includes('@')) return false;
  const mine = mentionHandle(person).toLowerCase();
  return findMentions(text).some((m) => {
    const h = m.handle.normalize('NFC').toLowerCase();
    return h === mine || isBroadcastHandle(h);
  });
}
