import { describe, expect, it, vi } from 'vitest';
import { seedsFromEnv } from '../convergence/cast.ts';
import { CI_SEEDS, REGRESSION_SEEDS, simulate } from './simulate.ts';

vi.mock('../../src/storage/ids.ts', () => import('./seeded-ids.ts'));

/**
 * The convergence fuzz (convergence/run-seed.ts) in the deterministic simulation: the real server's HTTP
 * app and socket hub in memory, engines on a simulated network (@commonroom/testkit's sim-network) that
 * delays, cuts and duplicates, everything on one virtual clock. A seed replays exactly, bit for bit:
 * `SIM_SEEDS=123 npx vitest run sync-server/test/sim/convergence-sim.test.ts` reruns a failure (a range or
 * a comma list; SIM_VERBOSE=1 prints each run's figures), and scripts/sim-seeds.sh FROM TO runs many.
 * Every fourth seed gives the engines a slow device store (each call takes 0–3 virtual ms, like IndexedDB).
 * This file runs the first half of CI's seeds, convergence-sim-more.test.ts the second (two workers).
 */

const full = process.env.SIM_FULL === '1';

describe('convergence in the simulation: 5 people on 6 devices, cuts, duplicates, delays; each seed replays exactly', () => {
  const explore = seedsFromEnv('SIM_SEEDS');
  if (explore) {
    for (const seed of explore)
      it(`seed ${seed}`, { timeout: 300_000 }, async () => {
        expect((await simulate(seed, { full })).messages).toBeGreaterThan(0);
      });
    return;
  }
  it('replays a seed exactly: the same frames at the same virtual times', { timeout: 120_000 }, async () => {
    const a = await simulate(3);
    const b = await simulate(3);
    expect(b).toEqual(a);
  });
  for (const r of REGRESSION_SEEDS)
    it(`seed ${r.seed} (regression: ${r.found})`, { timeout: 180_000 }, async () => {
      expect(
        (await simulate(r.seed, { knobs: r.knobs, closes: r.closes ?? false })).messages,
      ).toBeGreaterThan(0);
    });
  for (let seed = 1; seed <= CI_SEEDS / 2; seed++)
    it(`seed ${seed}`, { timeout: 180_000 }, async () => {
      expect((await simulate(seed)).messages).toBeGreaterThan(0);
    });
});
