/** Debian's Chromium as the browser tests and the cold-start benchmark launch it (CHROMIUM_PATH to override). */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless flags for this closed network: nothing may reach out (no sync, updates, QUIC or GPU). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
