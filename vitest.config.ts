import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'sync-server/test/**/*.test.ts', 'client/test/**/*.test.ts'],
    // Checks for Chromium (installs it when it can) and builds the PWA the browser tests load.
    globalSetup: ['client/test/global-setup.ts'],
    // Integration tests start real servers on loopback; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
