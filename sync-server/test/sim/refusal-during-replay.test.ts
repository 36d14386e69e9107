import { engineInternals } from '@commonroom/engine/testing';
import { modRoots } from '@commonroom/model';
import { modDoc, type ConversationId } from '@commonroom/protocol';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { carriesRefusal, createSimWorld } from './sim-world.ts';

vi.mock('../../src/storage/ids.ts', () => import('./seeded-ids.ts'));

/**
 * The convergence test under CPU load (seeds 70 and 72) once found a student's device keeping a pin or
 * removal the server had refused, for good: the refusal arrived while the engine was replaying its waiting
 * actions onto the server's copy, right after the replay had applied that action again, and the rebuild it
 * asked for was dropped because one was already running. The engine now rebuilds once more after such a
 * replay (the phase's `again` mark, rebuild.ts).
 *
 * Here in the simulation: a student, offline, pins one message and removes another; back online, the
 * server refuses both (not a moderator) on a network that delays, duplicates and cuts, with a device store
 * taking up to 30 ms a call; once the refusals are dismissed, nothing of either may be left on the device.
 * Each seed replays exactly.
 *
 * Unreachable this way on a real socket while the app stays open (issue 19 note; 250 convergence seeds with
 * a hostile store and network pass with the `again` mark reverted, as do the 40 here): the replay starts
 * only on the step 2 answering the rebuild's own step 1 (73f6f17), and the server refuses a frame at once
 * but answers a step 1 only after every commit pending when it came (subscriptions.ts, `afterPending`), so
 * on one socket every answer to a frame sent before that step 1 arrives before the copy. Nothing is sent
 * from a document while its copy is incomplete, and a socket's unanswered frames die with it. An answer
 * the engine is still handling when the copy arrives (settle awaits a device write before it rebuilds) is
 * for an action the copy already reflects: the refused one is marked refused at once, so the replay skips
 * it, and an acknowledged one left the outbox at once. The old fault injector reached the race by swapping
 * two messages on one socket, which a WebSocket never does.
 *
 * It was reachable when the app closed mid-rebuild: reopened, it applied the actions left unapplied to the
 * server's copy ('applying') while frames of the document were in flight (seed 129 found it). Since h12x
 * such a start rebuilds the document and sends nothing until its replay ends, so what remains is a move to
 * a newer segment (P13) replayed while frames are in flight; this scene guards the outcome, not the fix.
 */

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

async function scene(seed: number): Promise<void> {
  const world = await createSimWorld(seed);
  try {
    const tutor = await world.device(0, await world.account('tutor'));
    const studentLogin = await world.account('student');
    let x = seed >>> 0;
    const student = await world.device(1, studentLogin, {
      storageDelayMs: () => (x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) % 31,
      faults: { cutMeanMs: 0, duplicateRate: 0.3, maxDelayMs: 40 },
      cutAfter: (data, dir) => (dir === 'in' && carriesRefusal(data) ? 0.3 : 0),
    });
    const clock = world.scheduler;
    const until = async (check: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !check(); waited += 10) {
        if (waited > 60_000) throw new Error(`seed ${seed}: ${what} never happened`);
        await clock.sleep(10);
      }
    };
    await world.run(async () => {
      const general = tutor.engine.conversations().find((c) => c.name === 'general')?.id ?? '';
      tutor.engine.connect();
      await tutor.engine.open(general);
      const first = await tutor.engine.send(general, 'first');
      const second = await tutor.engine.send(general, 'second');
      await tutor.engine.settled();

      const e = student.engine;
      e.connect();
      await e.open(general);
      await e.settled();
      // Offline, the student pins one message and removes another: the server refuses both (T4).
      e.disconnect();
      await e.pin(general, first, true);
      await e.remove(general, second, 'test');
      student.network.setFaulty(true);
      e.connect();
      await until(() => e.outbox().filter((o) => o.status === 'rejected').length === 2, 'both refusals');
      expect(
        e
          .outbox()
          .map((o) => o.kind)
          .sort(),
      ).toEqual(['pin', 'remove']);
      student.network.setFaulty(false);
      e.retryNow();
      for (const o of e.outbox()) await e.dismiss(o.id);
      await e.settled();
      const m = e.view(general).state.byKey;
      expect(m.get(second)?.removed ?? null, `seed ${seed}: the removal stayed`).toBeNull();
      expect(m.get(first)?.pinned ?? null, `seed ${seed}: the pin stayed`).toBeNull();
      // The device's copy of the moderation document is the server's: nothing of the student's in it.
      const state = engineInternals(e)
        .replicaStates(general)
        .get(modDoc(general as ConversationId, 0));
      const copy = new Y.Doc();
      Y.applyUpdate(copy, state as Uint8Array);
      expect([...modRoots(copy).removed.keys()]).toEqual([]);
      expect([...modRoots(copy).pins.keys()]).toEqual([]);
      tutor.engine.disconnect();
      e.disconnect();
    });
  } finally {
    await world.destroy();
  }
}

describe("a refusal during a replay leaves nothing of the refused action on the device (a student's pin and removal)", () => {
  for (const seed of SEEDS) it(`seed ${seed}`, () => scene(seed));
});
