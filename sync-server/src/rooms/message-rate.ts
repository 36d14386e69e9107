/**
 * How many new messages each person may add: a token bucket per person (a burst, then so many a minute),
 * over every conversation (docs/PROTOCOL.md P10). A person over it is refused with `slow-down` and a wait;
 * the engine keeps the messages and sends them again later, so nothing is lost (P12).
 *
 * Once refused, a person stays refused until the wait is over, even for a frame that would fit: frames a
 * device sent before it heard the refusal would otherwise overtake the refused messages, and arrival order
 * is the conversation's order (P7).
 */
export type MessageRate = ReturnType<typeof createMessageRate>;

export function createMessageRate(opts: {
  perMinute: number;
  burst: number;
  now: () => number;
  /** The shortest wait after a refusal, so frames already on their way are refused too (see above). */
  minPauseMs?: number;
}) {
  const minPauseMs = opts.minPauseMs ?? 1_000;
  const perMs = opts.perMinute / 60_000;
  const people = new Map<string, { tokens: number; at: number; blockedUntil: number }>();
  return {
    /**
     * Takes `n` new messages from `userId`'s allowance: 0 when they may be added, else the milliseconds to
     * wait. A frame of more than the burst needs a full bucket, so every frame passes eventually.
     */
    /** Milliseconds `userId` is still refused after a `slow-down` (0: not refused now). */
    blockedFor(userId: string): number {
      const p = people.get(userId);
      const left = p ? p.blockedUntil - opts.now() : 0;
      return left > 0 ? left : 0;
    },
    take(userId: string, n: number): number {
      if (n <= 0) return 0;
      const t = opts.now();
      let p = people.get(userId);
      if (!p) people.set(userId, (p = { tokens: opts.burst, at: t, blockedUntil: 0 }));
      p.tokens = Math.min(opts.burst, p.tokens + (t - p.at) * perMs);
      p.at = t;
      if (t < p.blockedUntil) return p.blockedUntil - t;
      const need = Math.min(n, opts.burst);
      if (p.tokens >= need) {
        p.tokens -= need;
        return 0;
      }
      const wait = Math.max(minPauseMs, Math.ceil((need - p.tokens) / perMs));
      p.blockedUntil = t + wait;
      return wait;
    },
  };
}
