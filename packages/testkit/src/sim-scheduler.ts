/**
 * A virtual clock and the one queue of everything that happens later in a simulation: timers the code under
 * test sets (through injected `Timers`) and frames on their way across the simulated network. Nothing waits
 * for real time: `run` takes the earliest event, moves the clock to it and runs it, once the process has done
 * all the work it can do now (promises, and the `setImmediate` chains the server's group commit uses).
 *
 * Events due at the same time run in the order they were scheduled, so a seed replays exactly: the same
 * choices in the same order give the same interleaving, bit for bit. That holds only while nothing in the
 * run waits on real I/O (a socket, a file, a worker thread): everything must go through this queue.
 */

export type SimTimers = {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (t: unknown) => void;
};

type Event = { at: number; seq: number; fn: () => void; cancelled: boolean };

export type Scheduler = ReturnType<typeof createScheduler>;

/** How many turns of the event loop `run` waits, with nothing scheduled, before it calls the run stuck. */
const QUIET_TURNS = 64;

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export function createScheduler(opts: { start?: number } = {}) {
  let clock = opts.start ?? Date.UTC(2026, 0, 5, 9, 0, 0);
  let seq = 0;
  /** Sorted by (at, seq); a simulation has at most a few thousand pending events. */
  const queue: Event[] = [];
  let events = 0;

  const insert = (e: Event): void => {
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = queue[mid] as Event;
      if (m.at < e.at || (m.at === e.at && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, e);
  };

  /** Runs `fn` `ms` after now (0: after everything already due now). Returns a handle for `cancel`. */
  const at = (ms: number, fn: () => void): Event => {
    const e: Event = { at: clock + Math.max(0, Math.floor(ms)), seq: seq++, fn, cancelled: false };
    insert(e);
    return e;
  };
  const cancel = (e: unknown): void => {
    if (e && typeof e === 'object' && 'cancelled' in e) (e as Event).cancelled = true;
  };

  /** Lets the process finish the work it can do without time passing: promises and immediates. */
  const quiet = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await nextTurn();
  };

  /** Takes the next event that was not cancelled, or null. */
  const next = (): Event | null => {
    for (;;) {
      const e = queue.shift();
      if (!e) return null;
      if (!e.cancelled) return e;
    }
  };

  return {
    now: (): number => clock,
    /** Timers for the code under test: they fire only as `run` moves the clock. */
    timers: { setTimeout: (fn, ms) => at(ms, fn), clearTimeout: cancel } as SimTimers,
    at,
    cancel,
    sleep: (ms: number): Promise<void> => new Promise((r) => at(ms, r)),
    /** Events run so far (for reports). */
    events: (): number => events,
    pending: (): number => queue.filter((e) => !e.cancelled).length,
    /**
     * Runs events until `task` settles and returns its result. Fails when nothing is left to run and `task`
     * is still waiting (a deadlock: a device waits for something that will never come), or when the clock
     * passes `limitMs` from now (a livelock, such as a device reconnecting forever).
     */
    async run<T>(task: Promise<T>, limitMs = 3_600_000): Promise<T> {
      let done = false;
      const watched = task.then(
        (v) => {
          done = true;
          return v;
        },
        (err: unknown) => {
          done = true;
          throw err;
        },
      );
      // Handled here; the caller sees the rejection through the returned promise.
      watched.catch(() => undefined);
      const until = clock + limitMs;
      for (;;) {
        await quiet();
        let idle = 0;
        while (!done && queue.length === 0 && idle < QUIET_TURNS) {
          await nextTurn();
          idle++;
        }
        if (done) return watched;
        const e = next();
        if (!e) throw new Error(`simulation stuck at ${clock}: nothing scheduled and the task waits`);
        if (e.at > until) throw new Error(`simulation still running after ${limitMs} virtual ms`);
        clock = e.at;
        events++;
        e.fn();
      }
    },
  };
}
