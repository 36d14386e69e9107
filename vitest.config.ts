import { defineConfig } from 'vitest/config';

const CONVERGENCE = 'sync-server/test/convergence.test.ts';

export default defineConfig({
  test: {
    // Checks for Chromium (installs it when it can) and builds the PWA the browser tests load.
    globalSetup: ['client/test/global-setup.ts'],
    // Integration tests start real servers on loopback; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            'packages/*/test/**/*.test.ts',
            'sync-server/test/**/*.test.ts',
            'client/test/**/*.test.ts',
          ],
          exclude: [CONVERGENCE, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The seeded fault-injection run goes last, on its own. It has an open, timing-dependent flake (see
        // the issue 12 note: seeds 4, 6 and 70 under load); sharing the two cores with Chromium made it
        // show far more often than the same seeds run alone. This lowers how often it shows; it fixes nothing.
        extends: true,
        test: { name: 'convergence', include: [CONVERGENCE], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
