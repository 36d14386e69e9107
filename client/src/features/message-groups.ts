import type { EngineMessage } from '@commonroom/engine';

/** Messages this close together from one person read as one run: one name and avatar (issue 18). */
export const GROUP_WINDOW_MS = 5 * 60_000;

/**
 * Whether `m` continues the run of `prev`, the message just above it with nothing between (the list
 * passes undefined after a day divider or the "New messages" line, which always start a new run). A thread
 * reply shown in the channel and the message after one with replies start a new run: their "replied to a
 * thread" and "N replies" lines belong to one message and must not read as the run's.
 */
export function continuesGroup(prev: EngineMessage | undefined, m: EngineMessage): boolean {
  if (!prev || prev.authorId !== m.authorId) return false;
  if (m.parent !== null || prev.parent !== null || prev.replyCount > 0) return false;
  const gap = m.ts - prev.ts;
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}
