import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { clockTime } from '../ui/format.ts';

/** Online, connecting, or "Offline · 3 waiting · last synced 10:42": honest, and no retry button. */
export function SyncIndicator() {
  const engine = useEngine();
  useEngineVersion();
  const s = engine.status();
  const parts: string[] = [];
  let tone = 'ok';
  if (s.connection === 'online') parts.push(s.waiting > 0 ? 'Sending…' : 'Online');
  else if (s.connection === 'connecting') {
    parts.push('Connecting…');
    tone = 'busy';
  } else {
    parts.push('Offline');
    tone = 'off';
  }
  if (s.waiting > 0) parts.push(`${s.waiting} waiting`);
  if (s.saving > 0) parts.push('saving on this device…');
  if (s.rejected > 0) parts.push(`${s.rejected} not sent`);
  if (s.connection !== 'online' && s.lastSyncedAt !== null)
    parts.push(`last synced ${clockTime(s.lastSyncedAt)}`);
  return (
    <p className={`sync sync-${tone}`} role="status" aria-live="polite" data-testid="sync-status">
      <span className="dot" aria-hidden="true" />
      {parts.join(' · ')}
    </p>
  );
}
