/**
 * Refusals on the document's rules (a read mark out of range, an edit of another person's message, @channel
 * from a student, …) are judged before the update is applied (`inspectUpdate`) and no longer reload the
 * document (docs/THREAT_MODEL.md T12, issue 12 A1). Each still costs an inspection, a log line and an audit
 * row. An honest device meets such a refusal when its person does something not allowed, a handful of
 * times; a device that keeps sending them is filling the audit log and spending the server's time on
 * purpose. Past `perWindow` of them in `windowMs`, the person's writes are refused before they are judged,
 * with the retryable `slow-down`, until the window ends (P10): each refusal then costs a scan. The few
 * reloads a write can still cause (an accepted update Yjs then fails to apply: the safety net in
 * sync-rooms.ts `apply`) are counted here too. Per person, not per socket: opening more sockets does not buy more.
 */
export type RefusalBudget = ReturnType<typeof createRefusalBudget>;

export function createRefusalBudget(opts: { perWindow: number; windowMs: number; now: () => number }) {
  const people = new Map<string, { count: number; since: number }>();
  /** Forgets windows that ended, so a long-running server does not keep everyone ever refused. */
  const prune = (t: number): void => {
    for (const [id, p] of people) if (t - p.since >= opts.windowMs) people.delete(id);
  };
  return {
    /** Notes one refusal on the rules, or one reload, spent on `userId`. */
    spend(userId: string): void {
      const t = opts.now();
      let p = people.get(userId);
      if (!p || t - p.since >= opts.windowMs) {
        if (people.size >= 10_000) prune(t);
        people.set(userId, (p = { count: 0, since: t }));
      }
      p.count++;
    },
    /** Milliseconds `userId`'s writes are refused unjudged (0: within the budget). */
    heldFor(userId: string): number {
      const p = people.get(userId);
      if (!p || p.count < opts.perWindow) return 0;
      const left = p.since + opts.windowMs - opts.now();
      return left > 0 ? left : 0;
    },
  };
}
