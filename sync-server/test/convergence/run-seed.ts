import type { Engine } from '@commonroom/engine';
import { engineInternals } from '@commonroom/engine/testing';
import { seeded } from '@commonroom/testkit';
import type { TestableServer } from '../../src/testing.ts';
import {
  FULL_RUN,
  ROLES,
  TWIN,
  newIntent,
  type Client,
  type Clock,
  describeEngine,
  type Person,
  type RunSize,
} from './cast.ts';
import {
  checkIntent,
  checkRefusals,
  documentDifferences,
  firstDifference,
  project,
  type Projection,
} from './oracle.ts';
import { KINDS, act, online, raceScene, readScene, until, type Kind } from './scenario.ts';

/**
 * One seeded run of the convergence fuzz, in a world given to it: the real server on loopback with real
 * sockets and time (convergence.test.ts, a smoke test), or the simulation (sim/convergence-sim.test.ts).
 *
 * Five people (tutors and students; one student on two devices) act at random in #general while their
 * sockets fail, and go offline for a while. The mix is every action of issue 4: messages, thread replies
 * (some also to the channel), edits, deletes, reactions on and off, pins and removals by tutors, mark read
 * and mark unread, @mentions; and what the rules refuse: students trying @channel (in messages and edits),
 * pins and removals. The two-device student also plays two scenes (scenario.ts). Then the faults stop,
 * every engine settles, and all six replicas must show the same conversation, the same as a fresh device
 * syncing from scratch, with every acknowledged action in it once, and the rules held (oracle.ts); and each
 * device, closed and opened again offline, shows what it showed (what it stored is what it showed). Where
 * the world closes apps (`closesApps`), people also close the app mid-run and open it again.
 */

/** One device of the run: its engine (logged in, not connected) and its faults. */
export type Device = {
  engine: Engine;
  id: string;
  setFaulty(on: boolean): void;
  stats(): Record<string, number>;
  /**
   * The app closed and opened again: a new engine over the same device store, restored as at a start, not
   * connected. The old engine must be closed first (two apps on one store would be two tabs).
   */
  reopen(): Promise<Engine>;
  trace: string[];
};

export type World = {
  clock: Clock;
  server: TestableServer;
  /** A logged-in engine for `role`'s new account (`login` given: that account's second device). */
  device(
    index: number,
    role: (typeof ROLES)[number],
    login?: { email: string; password: string },
  ): Promise<Device & { email: string; password: string }>;
  /** Runs the body: as it is in real time; to its end through the scheduler in a simulation. */
  run<T>(body: () => Promise<T>): Promise<T>;
  /** Why the run's faults were too few to prove anything, or null. */
  tooFewFaults(devices: readonly Device[]): string | null;
  /** People close the app mid-run and open it again (Device.reopen then fences the old app's store). */
  closesApps?: boolean;
};

export type RunReport = { messages: number; actions: Record<string, number>; faults: string };

async function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let over = false;
  const timeout = clock.sleep(ms).then(() => {
    over = true;
  });
  await Promise.race([p, timeout]);
  if (over) throw new Error(`timed out after ${ms} ms: ${what()}`);
  return p;
}

/** Polls until every replica shows the same as `engines[0]`, or gives the first difference. */
async function agree(
  clock: Clock,
  engines: readonly Engine[],
  conv: string,
  people: readonly Person[],
): Promise<{ reference: Projection; diff: string | null }> {
  const deadline = clock.now() + 10_000;
  let reference = project(engines[0] as Engine, conv, people);
  let diff: string | null = 'not compared';
  while (clock.now() < deadline) {
    reference = project(engines[0] as Engine, conv, people);
    diff = null;
    for (const [i, e] of engines.entries()) {
      const d = i === 0 ? null : firstDifference(reference, project(e, conv, people));
      if (d) {
        diff = `client 0 vs client ${i}: ${d}`;
        break;
      }
    }
    if (diff === null) break;
    await clock.sleep(50);
  }
  return { reference, diff };
}

export async function runConvergence(
  world: World,
  seed: number,
  size: RunSize = FULL_RUN,
): Promise<RunReport> {
  const { clock } = world;
  const clients: Client[] = [];
  const devices: Device[] = [];
  let twinLogin: { email: string; password: string } | undefined;
  for (const [i, { role, person }] of [
    ...ROLES.map((role, person) => ({ role, person })),
    { role: ROLES[TWIN] as (typeof ROLES)[number], person: TWIN },
  ].entries()) {
    const first = clients.find((c) => c.person === person);
    const d = await world.device(i, role, first ? twinLogin : undefined);
    if (person === TWIN && !first) twinLogin = { email: d.email, password: d.password };
    const me = d.engine.me();
    if (!me) throw new Error('not logged in');
    devices.push(d);
    clients.push({
      index: i,
      person,
      role,
      id: d.id,
      me: { id: d.id, displayName: me.displayName, username: me.username },
      engine: d.engine,
      clock,
      intent: first?.intent ?? newIntent(),
      offlineSteps: 0,
      reopen: null,
      log: [],
      trace: d.trace,
    });
  }
  // The fresh device that checks the end state logs in now: a login hashes a password on a worker thread,
  // which a simulation cannot schedule.
  const fresh = await world.device(clients.length, 'student');
  const general = clients[0]?.engine.conversations().find((x) => x.name === 'general')?.id;
  if (!general) throw new Error('no #general');
  try {
    return await world.run(() => body(world, seed, size, general, clients, devices, fresh.engine));
  } finally {
    for (const c of clients) c.engine.disconnect();
    fresh.engine.disconnect();
  }
}

/**
 * What a device shows is what it stored: closed and opened again offline, it shows the same. A write the
 * device lost or misordered (a replay stored before the clearing of the copy it replaced, P12) shows only
 * here, since the engines still hold it in memory.
 */
async function reopenedOffline(
  clients: readonly Client[],
  devices: readonly Device[],
  general: string,
  people: readonly Person[],
): Promise<void> {
  for (const [i, c] of clients.entries()) {
    c.engine.disconnect();
    await engineInternals(c.engine).flushStorage();
    const shown = project(c.engine, general, people);
    const reopened = await (devices[i] as Device).reopen();
    await reopened.open(general);
    const d = firstDifference(shown, project(reopened, general, people));
    if (d !== null)
      throw new Error(`client ${c.index}, closed and opened again offline, shows otherwise: ${d}`);
  }
}

/**
 * Gives each device but the two-device person's (their scenes hold on to both engines while the mix goes
 * on) a way to close the app and open it again, back in #general (the mix's 'reopen').
 */
function letAppsClose(
  clients: readonly Client[],
  devices: readonly Device[],
  general: string,
  listen: (c: Client, e: Engine) => void,
): void {
  for (const [i, c] of clients.entries())
    if (c.person !== TWIN)
      c.reopen = async () => {
        c.engine.disconnect();
        const e = await (devices[i] as Device).reopen();
        listen(c, e);
        c.engine = e;
        if (c.offlineSteps === 0) e.connect();
        await e.open(general);
      };
}

async function body(
  world: World,
  seed: number,
  size: RunSize,
  general: string,
  clients: Client[],
  devices: Device[],
  fresh: Engine,
): Promise<RunReport> {
  const { clock } = world;
  let phase = 'setup';
  const done = new Map<Kind, number>();
  try {
    const people: Person[] = clients.filter((c) => c.index === c.person).map((c) => c.me);
    for (const c of clients) {
      c.engine.connect();
      await c.engine.open(general);
    }
    await Promise.all(
      clients.map((c) => withTimeout(clock, c.engine.settled(), 10_000, () => describeEngine(c))),
    );

    phase = 'actions under faults';
    for (const d of devices) d.setFaulty(true);
    const errors: string[] = [];
    const listen = (c: Client, e: Engine): void => {
      e.onError((err) => {
        // The refusals the rules call for are checked one by one below.
        const expected =
          c.role === 'student' && (err.code === 'broadcast-mention' || err.code === 'not-a-moderator');
        if (!expected) errors.push(`client ${c.index}: ${err.code} ${err.message}`);
      });
    };
    for (const c of clients) listen(c, c.engine);
    const primary = clients[TWIN] as Client;
    const second = clients[ROLES.length] as Client;
    if (world.closesApps) letAppsClose(clients, devices, general, listen);
    let primaryStep = 0;
    // The two-device scenes run beside the random mix (which goes on, on both devices), at set points of it.
    const scenes = async (): Promise<void> => {
      await until(
        clock,
        () => primaryStep >= size.raceSceneStep,
        () => 'the mix stalled',
        60_000,
      );
      await raceScene(primary, second, general, size.raceSceneStep);
      await until(
        clock,
        () => primaryStep >= size.readSceneStep,
        () => 'the mix stalled',
        60_000,
      );
      await readScene(primary, second, general, seeded(seed * 13 + 7));
    };
    await Promise.all([
      scenes(),
      ...clients.map(async (c) => {
        const rng = seeded(seed * 104_729 + c.index);
        for (let step = 0; step < size.actions; step++) {
          if (c === primary) primaryStep = step;
          await act(c, general, rng, step, people, done, primary.intent.reserved);
          await clock.sleep(Math.floor(rng() * 120));
        }
        if (c === primary) primaryStep = size.actions;
        if (c.offlineSteps > 0) online(c);
      }),
    ]);
    for (const c of clients) online(c);

    phase = 'settling';
    // The network is good again: as the browser's online event does, every device retries at once instead
    // of waiting out a backoff that a run of failed handshakes may have stretched to 30 s.
    for (const [i, c] of clients.entries()) {
      devices[i]?.setFaulty(false);
      c.engine.retryNow();
    }
    await Promise.all(
      clients.map((c) =>
        withTimeout(clock, c.engine.settled(), 20_000, () => clients.map(describeEngine).join('\n')),
      ),
    );
    const problems: string[] = [];
    await checkRefusals(clients, problems);

    phase = 'comparing replicas';
    const engines = clients.map((c) => c.engine);
    const { reference, diff } = await agree(clock, engines, general, people);
    if (diff !== null)
      throw new Error(`replicas differ after settling: ${diff}\n${documentDifferences(clients, general)}`);

    phase = 'fresh device';
    fresh.connect();
    await fresh.open(general);
    await withTimeout(clock, fresh.settled(), 10_000, () => 'fresh engine did not settle');
    const freshDiff = (await agree(clock, [clients[0]?.engine as Engine, fresh], general, people)).diff;
    if (freshDiff !== null) throw new Error(`a fresh device sees something else: ${freshDiff}`);

    phase = 'reopened offline';
    await reopenedOffline(clients, devices, general, people);

    phase = 'intent';
    checkIntent(world.server, general, clients, reference, problems);
    if (problems.length > 0)
      throw new Error(`acknowledged actions are not reflected:\n  ${problems.slice(0, 20).join('\n  ')}`);
    if (errors.length > 0) throw new Error(`engines reported errors:\n  ${errors.slice(0, 20).join('\n  ')}`);
    // Every action of issue 4 happened in this run, or it proves less than it says.
    const missing = KINDS.filter((k) => (done.get(k) ?? 0) === 0 && (k !== 'reopen' || world.closesApps));
    if (missing.length > 0) throw new Error(`the run never did: ${missing.join(', ')}`);
    // The run must actually have been faulty, or it proves nothing.
    const few = world.tooFewFaults(devices);
    if (few !== null) throw new Error(`the run injected too few faults: ${few}`);
    return {
      messages: reference.all.length,
      actions: Object.fromEntries(done),
      faults: devices.map((d) => JSON.stringify(d.stats())).join(' '),
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const stats = devices.map((d, i) => `client ${i}: ${JSON.stringify(d.stats())}`).join('\n');
    throw new Error(`convergence failed for seed ${seed} (${phase}): ${msg}\nfault stats:\n${stats}`, {
      cause: err,
    });
  }
}
