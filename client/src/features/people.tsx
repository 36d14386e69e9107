import type { Engine, PresenceInfo } from '@commonroom/engine';
import type { Conversation } from '@commonroom/protocol';
import { useEngine } from '../hooks/engine-context.tsx';

export function conversationTitle(engine: Engine, c: Conversation): string {
  if (c.kind !== 'dm') return c.name ?? 'channel';
  const me = engine.me()?.id;
  const others = c.dmMembers.filter((m) => m.id !== me).map((m) => m.displayName);
  return others.length > 0 ? others.join(', ') : 'Just you';
}

const WORDS = { online: 'Active', away: 'Away', dnd: 'Do not disturb', offline: 'Offline' } as const;

/**
 * "5 min ago", "2 h ago", "3 days ago". Not ui/format's relativeTime (a date after a day): importing it
 * here split that module off the first screen's chunk, which cost more than these few lines.
 */
function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  return h < 24 ? `${h} h ago` : `${Math.round(h / 24)} ${h < 36 ? 'day' : 'days'} ago`;
}

/**
 * A person's presence in plain words: "Away", "Do not disturb", "Last seen 2 h ago" (issue 15 §3); '' when
 * this device does not know it (offline, or someone who shares only large channels: PROTOCOL.md P9).
 */
export function presenceWords(p: PresenceInfo | undefined, now: number): string {
  if (!p) return '';
  if (p.status === 'offline' && p.lastSeen > 0) return `Last seen ${ago(now - p.lastSeen)}`;
  return WORDS[p.status];
}

/** Their custom status, "📚 In class until 3pm", or ''. */
export const statusText = (p: PresenceInfo | undefined): string => (p ? `${p.emoji} ${p.text}`.trim() : '');

/** The coloured dot; `decorative` where the same words are written beside it (said once, not twice). */
export function PresenceDot({ userId, decorative = false }: { userId: string; decorative?: boolean }) {
  const p = useEngine().presenceOf(userId);
  const s = statusText(p);
  const label = `${presenceWords(p, Date.now()) || WORDS.offline}${s ? `, ${s}` : ''}`;
  const cls = `presence presence-${p?.status ?? 'offline'}`;
  if (decorative) return <span className={cls} aria-hidden="true" />;
  return <span className={cls} role="img" aria-label={label} title={label} />;
}

/** Status and presence in words, for a DM's header, member lists and the people picker. */
export function PresenceLine({ userId }: { userId: string }) {
  const p = useEngine().presenceOf(userId);
  if (!p) return null;
  const s = statusText(p);
  return (
    <span className="presence-line">
      {s && <span className="status-text">{s} · </span>}
      {presenceWords(p, Date.now())}
    </span>
  );
}
