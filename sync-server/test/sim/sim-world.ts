import { createEngine, createMemoryStorage, type Engine, type EngineStorage } from '@commonroom/engine';
import { Me, decodeMessage, type Role } from '@commonroom/protocol';
import {
  createSimNetwork,
  seeded,
  type NetworkFaults,
  type Scheduler,
  type SimNetwork,
} from '@commonroom/testkit';
import { z } from 'zod';
import type { Config } from '../../src/config.ts';
import { ADMIN } from '../harness.ts';
import { createSimServer, SIM_URL, type SimServer } from './sim-server.ts';

/**
 * A simulated college for one seed: the server (sim-server.ts), accounts made through its admin API, and
 * devices whose engines run on the scheduler's clock and timers, with seeded ids and Yjs client ids, each
 * on its own simulated network. Test files using it must `vi.mock('../../src/storage/ids.ts', () =>
 * import('./seeded-ids.ts'))` (vi.mock applies to the file that calls it).
 *
 * Accounts are made and devices logged in before `run`: a login hashes a password on a worker thread,
 * which the scheduler cannot see. Everything after goes inside `run`.
 */

const UserReply = z.object({ user: Me });

export type SimDevice = {
  engine: Engine;
  network: SimNetwork;
  id: string;
  /**
   * The app closed and opened again on this device: a new engine over the same device store, restored as
   * at a start and not connected (what the store kept is all it has). Disconnect the old one first; its
   * store calls not yet made are never made (see deviceStore, `closable`).
   */
  reopen(): Promise<Engine>;
};

export type SimWorld = Awaited<ReturnType<typeof createSimWorld>>;

/** Whether a server message carries a refusal (a cut right after one is where rebuild races live). */
export const carriesRefusal = (data: Uint8Array): boolean => {
  const m = decodeMessage(data, Number.POSITIVE_INFINITY);
  return m.ok && m.frames.some((f) => f.type === 'reject');
};

/**
 * One device's store, kept while its app closes and opens again, as IndexedDB is. `open()` is what one run
 * of the app sees of it; once the next run opens it, a call of the closed one that has not reached the
 * store yet never does, and never returns: the page is gone, and a transaction it had not committed is
 * aborted with it. With `delayMs` each call takes virtual time, one after another, like IndexedDB's: a frame
 * or a cut can land between a step and its write (slow only once `slow()` says so: the logins before the
 * run happen with no clock running). Not `closable`: every run gets the store itself (a run that only
 * reopens the app at the end, with the old one idle, needs no fence, and a seed's calls stay as they were).
 */
export function deviceStore(
  scheduler: Scheduler,
  o: { delayMs?: () => number; slow: () => boolean; closable: boolean },
): { open(): EngineStorage } {
  const inner = createMemoryStorage();
  let queue: Promise<unknown> = Promise.resolve();
  let app = 0;
  const { delayMs } = o;
  return {
    open(): EngineStorage {
      const mine = ++app;
      if (!delayMs && !o.closable) return inner;
      const out = {} as Record<string, unknown>;
      for (const [k, f] of Object.entries(inner) as [string, (...a: unknown[]) => Promise<unknown>][])
        out[k] = async (...args: unknown[]) => {
          if (delayMs) {
            const p = o.slow() ? queue.then(() => scheduler.sleep(delayMs())) : queue;
            queue = p;
            await p;
          }
          if (o.closable && app !== mine) return new Promise(() => undefined);
          return f(...args);
        };
      return out as unknown as EngineStorage;
    },
  };
}

export async function createSimWorld(seed: number, opts: { limits?: Partial<Config['limits']> } = {}) {
  const sim: SimServer = await createSimServer(seed, opts);
  const { scheduler } = sim;
  const clientIds = seeded(seed * 17 + 9);
  let running = false;
  let accounts = 0;

  const engine = (
    index: number,
    socketFactory: SimNetwork['socketFactory'],
    storage: EngineStorage = createMemoryStorage(),
  ): Engine =>
    createEngine({
      baseUrl: SIM_URL,
      storage,
      socketFactory,
      fetch: sim.fetch,
      manualCookies: true,
      random: seeded(seed * 7_919 + index),
      clientIds: () => Math.floor(clientIds() * 2 ** 31),
      now: scheduler.now,
      timers: scheduler.timers,
      backoff: { minMs: 20, maxMs: 200 },
    });

  const admin = engine(999, () => {
    throw new Error('the admin does not connect');
  });
  await admin.init();
  await admin.login(ADMIN.email, ADMIN.password);

  return {
    scheduler,
    server: sim.server,
    /** A new account, made through the admin API. */
    async account(role: Role): Promise<{ id: string; email: string; password: string }> {
      accounts++;
      const login = { email: `sim-${role}${accounts}@college.test`, password: `password-${accounts}-long` };
      const { user } = await admin.api.request('POST', '/api/admin/users', UserReply, {
        displayName: `${role} ${accounts}`,
        role,
        ...login,
      });
      return { id: user.id, ...login };
    },
    /**
     * A device logged in to `login`'s account, not connected, faults off. `storageDelayMs` makes its store
     * take that long per call once the run starts.
     */
    async device(
      index: number,
      login: { email: string; password: string },
      o: {
        faults?: Partial<NetworkFaults>;
        storageDelayMs?: () => number;
        cutAfter?: (data: Uint8Array, direction: 'in' | 'out') => number;
        trace?: (event: string, data?: Uint8Array) => void;
        /** The app may close mid-run (`reopen` while the old one is busy): fence each run's store calls. */
        closable?: boolean;
      } = {},
    ): Promise<SimDevice> {
      const network = createSimNetwork({
        scheduler,
        random: seeded(seed * 1_000 + index + 1),
        accept: (end, _url, headers) => sim.accept(end, headers),
        ...(o.faults ? { faults: o.faults } : {}),
        ...(o.cutAfter ? { cutAfter: o.cutAfter } : {}),
        ...(o.trace ? { trace: o.trace } : {}),
      });
      network.setFaulty(false);
      const store = deviceStore(scheduler, {
        ...(o.storageDelayMs ? { delayMs: o.storageDelayMs } : {}),
        slow: () => running,
        closable: o.closable ?? false,
      });
      const e = engine(index, network.socketFactory, store.open());
      await e.init();
      await e.login(login.email, login.password);
      let opened = 0;
      const reopen = async (): Promise<Engine> => {
        const again = engine(index + 100 * ++opened, network.socketFactory, store.open());
        await again.init();
        return again;
      };
      return { engine: e, network, id: e.me()?.id ?? '', reopen };
    },
    /** Runs `body` to its end on the virtual clock (fails if it deadlocks or runs past `limitMs`). */
    run<T>(body: () => Promise<T>, limitMs = 3_600_000): Promise<T> {
      running = true;
      return scheduler.run(body(), limitMs);
    },
    destroy: (): Promise<void> => sim.destroy(),
  };
}
