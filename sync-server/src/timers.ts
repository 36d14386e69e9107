/**
 * The timers the server's modules schedule with, passed in (STYLE.md 9) so tests can drive them. A leaf:
 * every layer may import it.
 */
export type Timers = {
  setTimeout: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimeout: (t: ReturnType<typeof setTimeout>) => void;
};

/** The process's own timers. */
export const realTimers: Timers = {
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (t) => clearTimeout(t),
};
