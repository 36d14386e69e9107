import type { Engine } from '@commonroom/engine';
import type { Conversation } from '@commonroom/protocol';
import { useEngine } from '../hooks/engine-context.tsx';

export function conversationTitle(engine: Engine, c: Conversation): string {
  if (c.kind !== 'dm') return c.name ?? 'channel';
  const me = engine.me()?.id;
  const others = c.dmMembers.filter((m) => m.id !== me).map((m) => m.displayName);
  return others.length > 0 ? others.join(', ') : 'Just you';
}

export function PresenceDot({ userId }: { userId: string }) {
  const engine = useEngine();
  const p = engine.presenceOf(userId);
  const status = p?.status ?? 'offline';
  const label = status === 'offline' ? 'offline' : status;
  return (
    <span className={`presence presence-${status}`} role="img" aria-label={label} title={p?.text || label} />
  );
}
