import type { Conversation } from '@commonroom/protocol';
import { useEffect, useState } from 'react';

/**
 * The reader's own mute in this conversation while it lasts (issue 14 §3). A mute for a period ends on the
 * device's clock too, with a timer, so the composer comes back without waiting for the server to say so.
 */
export function useActiveMute(c: Conversation | null): Conversation['muted'] | null {
  const muted = c?.muted ?? null;
  const [, tick] = useState(0);
  const until = muted?.until ?? null;
  useEffect(() => {
    if (until === null) return;
    const left = until - Date.now();
    if (left <= 0) return;
    // Timers longer than ~24.8 days overflow; a week is the longest period offered.
    const t = setTimeout(() => tick((n) => n + 1), Math.min(left + 500, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [until]);
  if (!muted) return null;
  return muted.until === null || muted.until > Date.now() ? muted : null;
}
