import type { SyncStatus } from '@commonroom/engine';
import { clockTime } from '../ui/format.ts';

/**
 * The sync line in words: "Online", "Offline · 3 waiting · last synced 10:42", or, when the server said the
 * person sends too fast (`slow-down`, docs/PROTOCOL.md P10, P12), that the messages wait and when they go
 * again. Honest, and no retry button: the engine retries by itself.
 */
export function syncSummary(s: SyncStatus, now: number): { text: string; tone: 'ok' | 'busy' | 'off' } {
  const parts: string[] = [];
  let tone: 'ok' | 'busy' | 'off' = 'ok';
  if (s.connection === 'online') parts.push(s.waiting > 0 ? 'Sending…' : 'Online');
  else if (s.connection === 'connecting') {
    parts.push('Connecting…');
    tone = 'busy';
  } else {
    parts.push('Offline');
    tone = 'off';
  }
  if (s.waiting > 0) parts.push(`${s.waiting} waiting`);
  if (s.waiting > 0 && s.slowedUntil !== null && s.connection === 'online') {
    parts.push(`sending too fast, retrying in ${Math.max(1, Math.ceil((s.slowedUntil - now) / 1000))} s`);
    tone = 'busy';
  }
  if (s.saving > 0) parts.push('saving on this device…');
  if (s.rejected > 0) parts.push(`${s.rejected} not sent`);
  if (s.connection !== 'online' && s.lastSyncedAt !== null)
    parts.push(`last synced ${clockTime(s.lastSyncedAt)}`);
  return { text: parts.join(' · '), tone };
}
