import type { Timers } from './connection.ts';

/**
 * Notices a connection that looks open but carries nothing: a phone that moved from Wi-Fi to mobile data
 * keeps a half-open socket "online" until TCP gives up, minutes later, and a browser cannot ping. While the
 * device has actions waiting, the server answers each frame within milliseconds (an ACK, a REJECT, a step
 * 2), so a long silence with work waiting means the socket is dead: `onStall` drops it and the reconnect
 * sends everything again (P11, P14 make a resend harmless). Idle devices are never disturbed. After a stall
 * the next allowance doubles (up to 16×), so an action that can never be answered costs a reconnect every
 * few minutes at most, not a storm; real progress brings it back to `stallMs`.
 */
export function createStallWatch(o: {
  now: () => number;
  timers: Timers;
  stallMs: number;
  /** Whether the device is online with actions waiting that the server should be answering. */
  hasWork: () => boolean;
  onStall: () => void;
}) {
  let lastProgress = o.now();
  let factor = 1;
  let timer: unknown = null;

  const check = (): void => {
    timer = null;
    if (o.hasWork() && o.now() - lastProgress > o.stallMs * factor) {
      factor = Math.min(factor * 2, 16);
      lastProgress = o.now();
      o.onStall();
    } else if (!o.hasWork()) lastProgress = o.now();
    schedule();
  };
  const schedule = (): void => {
    if (timer !== null) return;
    timer = o.timers.setTimeout(check, Math.max(50, Math.floor(o.stallMs / 4)));
    // A watch alone must not keep a Node process (a test, a script) alive.
    (timer as { unref?: () => void } | null)?.unref?.();
  };

  return {
    /** The server answered a write of ours (ACK or REJECT): the socket carries. */
    progress(): void {
      lastProgress = o.now();
      factor = 1;
    },
    /** A fresh socket (WELCOME): its silence is counted from now, at the allowance reached so far. */
    restart(): void {
      lastProgress = o.now();
    },
    start(): void {
      lastProgress = o.now();
      schedule();
    },
    stop(): void {
      if (timer !== null) o.timers.clearTimeout(timer);
      timer = null;
    },
  };
}
