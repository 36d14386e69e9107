/** Test helpers shared by every package's tests. No DOM; Node APIs only inside functions, when called. */

export { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export { MOBILE, startMobileLink, type MobileLink, type MobileLinkOptions } from './mobile-link.ts';
export { seeded } from './seeded.ts';
export { createScheduler, type Scheduler, type SimTimers } from './sim-scheduler.ts';
export {
  createSimNetwork,
  DEFAULT_NETWORK_FAULTS,
  type Accept,
  type NetworkFaults,
  type NetworkStats,
  type ServerConnection,
  type ServerEnd,
  type SimNetwork,
  type SimSocket,
} from './sim-network.ts';

/**
 * Polls until `check` passes and fails with its last error after `ms`. Only for waiting on a network or a
 * process, never to assert how fast something is. The default is generous because it only matters when a
 * check fails: on CI's two cores, shared by Chromium, a service worker and servers of other test files, a
 * push shown or an acknowledgement after an fsync took over 10 s (clean-clone CI runs).
 */
export async function eventually(check: () => void | Promise<void>, ms = 20_000): Promise<void> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      await check();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw last;
}
