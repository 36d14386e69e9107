import type { Presence } from '../rooms/presence.ts';
import type { PresenceCircle } from '../rooms/presence-circle.ts';
import type { Timers } from '../timers.ts';
import type { HubSession } from './hub-session.ts';

/** How long presence changes are gathered before they go out together (see announce). */
const PRESENCE_BATCH_MS = 250;

/**
 * Who hears of presence (issue 15 §3, PROTOCOL.md P9): a person's changes go only to the devices of the
 * people in their circle (rooms/presence-circle.ts), and a device that says HELLO gets its own person's
 * circle, not everyone seen since the server started. Changes are gathered for PRESENCE_BATCH_MS and each
 * person's latest state goes once: connecting N people at once cost N² socket writes when each change was
 * its own broadcast.
 */
export function createPresenceRelay(d: {
  presence: Presence;
  circle: PresenceCircle;
  sessionsOf: (userId: string) => Iterable<HubSession>;
  timers: Timers;
}) {
  const changed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const flush = (): void => {
    timer = null;
    const ids = [...changed];
    changed.clear();
    for (const id of ids) {
      const part = d.presence.encodedFor(id);
      if (!part) continue;
      for (const listener of d.circle.of(id))
        for (const s of d.sessionsOf(listener)) if (s.helloed) s.sendEncoded(part);
    }
  };

  const announce = (userId: string): void => {
    changed.add(userId);
    timer ??= d.timers.setTimeout(flush, PRESENCE_BATCH_MS);
  };
  d.presence.onExpiry((ids) => ids.forEach(announce));

  return {
    announce,
    /** What a device hears after WELCOME: the presence of its person's circle (one frame each, cached). */
    snapshot(session: HubSession, userId: string): void {
      for (const id of d.circle.of(userId)) {
        const part = d.presence.encodedFor(id);
        if (part) session.sendEncoded(part);
      }
    },
    dispose(): void {
      if (timer !== null) d.timers.clearTimeout(timer);
      timer = null;
      changed.clear();
      d.presence.dispose();
    },
  };
}
