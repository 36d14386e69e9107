import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { chromiumPath } from '@commonroom/testkit';

/**
 * Before the browser tests: make sure Debian's Chromium is there (install it when we can, as .ci/run does,
 * or stop with the exact command), and build the PWA the server will serve.
 */

function ensureChromium(): void {
  const CHROMIUM = chromiumPath();
  if (existsSync(CHROMIUM)) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (canInstall) {
    process.stdout.write("Chromium not found: installing Debian's chromium for the browser tests…\n");
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      // Fall through to the message below.
    }
  }
  if (!existsSync(CHROMIUM))
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}. Install it with:\n  sudo apt-get install -y chromium\n` +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary. (npx playwright install cannot work here: no browser downloads.)',
    );
}

export default async function setup(): Promise<void> {
  // Exploring simulation seeds (scripts/sim-seeds.sh, SIM_SEEDS) runs no browser test: building the PWA
  // there cost each chunk's process half a minute, and two chunks built into one dist/ at once.
  if (process.env.SIM_SEEDS !== undefined) return;
  ensureChromium();
  const root = join(import.meta.dirname, '..');
  // Vitest runs with NODE_ENV=test; the browser tests must exercise the production build (service worker on).
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  } finally {
    process.env.NODE_ENV = before;
  }
}
