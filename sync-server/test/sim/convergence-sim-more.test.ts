import { describe, expect, it, vi } from 'vitest';
import { CI_SEEDS, simulate } from './simulate.ts';

vi.mock('../../src/storage/ids.ts', () => import('./seeded-ids.ts'));

/**
 * The second half of CI's convergence seeds (convergence-sim.test.ts runs the first, the replay check and
 * the regression seeds): two files, so vitest's two workers share them. Skipped when SIM_SEEDS picks
 * seeds to explore (scripts/sim-seeds.sh runs the other file).
 */
describe.skipIf(process.env.SIM_SEEDS !== undefined)(
  'convergence in the simulation, second half of the seeds',
  () => {
    for (let seed = CI_SEEDS / 2 + 1; seed <= CI_SEEDS; seed++)
      it(`seed ${seed}`, { timeout: 180_000 }, async () => {
        expect((await simulate(seed)).messages).toBeGreaterThan(0);
      });
  },
);
