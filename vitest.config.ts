import { defineConfig } from 'vitest/config';

const CONVERGENCE = 'sync-server/test/convergence.test.ts';

export default defineConfig({
  test: {
    // Checks for Chromium (installs it when it can) and builds the PWA the browser tests load.
    globalSetup: ['client/test/global-setup.ts'],
    // Integration tests start real servers on loopback; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    // Generous, as it only matters when a test hangs: a browser test that goes through a phone and a desktop
    // size (each a new context, a sign-in and the service worker taking control) took 20 s on a quiet machine
    // and over 60 s with two test files and Chromium sharing CI's two cores.
    testTimeout: 120_000,
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
        // The real-socket convergence smoke test (three seeds; the fuzz itself runs on the deterministic
        // simulation, sync-server/test/sim) goes last, on its own: on real sockets and timers it depends on
        // the machine's pace, and sharing the two cores with Chromium made that show.
        extends: true,
        test: { name: 'convergence', include: [CONVERGENCE], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
