import type { SyncStatus } from '@commonroom/engine';
import { clockTime } from '../ui/format.ts';

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * "3 messages and 2 changes waiting", "1 message waiting", "2 changes waiting": what waits, in the words a
 * person uses (a change is an edit, a delete, a reaction or a pin). Read marks are not counted at all.
 */
export function waitingWords(messages: number, changes: number): string {
  const said = [
    ...(messages > 0 ? [count(messages, 'message', 'messages')] : []),
    ...(changes > 0 ? [count(changes, 'change', 'changes')] : []),
  ];
  return `${said.join(' and ')} waiting`;
}

/**
 * The sync line in words: "Online", "Offline · 3 messages waiting · last synced 10:42", or, when the server said the
 * person sends too fast (`slow-down`, docs/PROTOCOL.md P10, P12), that the messages wait and when they go
 * again. Honest, and no retry button: the engine retries by itself.
 */
export function syncSummary(
  engine: SyncStatus,
  now: number,
  uploads: { count: number; failed: number } = { count: 0, failed: 0 },
): { text: string; tone: 'ok' | 'busy' | 'off' } {
  // A message waiting for its files to upload (attachments/upload-queue.ts) is not in the engine's outbox
  // yet, but to the person it is a message waiting like any other: counted as a message, not a change,
  // and a refused upload as one not sent.
  const s: SyncStatus = {
    ...engine,
    waiting: engine.waiting + uploads.count,
    waitingMessages: engine.waitingMessages + uploads.count,
    rejected: engine.rejected + uploads.failed,
  };
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
  if (s.waiting > 0) parts.push(waitingWords(s.waitingMessages, s.waiting - s.waitingMessages));
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
