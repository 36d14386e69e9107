/**
 * @mentions as written in message text: `@handle`, where a person's handle is their username or, without
 * one, their display name with dots for spaces (`@Sam.Patel`). Matching ignores case. @channel, @here and
 * @everyone notify everyone; the server lets only staff write them.
 */

const MENTION = /(^|[^\w@.])@([\w][\w.-]*[\w]|[\w])/g;
const BROADCAST_WORDS = new Set(['channel', 'here', 'everyone']);

export type Mentionable = { username?: string | null; displayName: string };

export function mentionHandle(u: Mentionable): string {
  return u.username ?? u.displayName.trim().replace(/\s+/g, '.');
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
    const h = m.handle.toLowerCase();
    return h === mine || isBroadcastHandle(h);
  });
}
