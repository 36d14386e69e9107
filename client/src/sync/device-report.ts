import type { Engine } from '@commonroom/engine';

/**
 * Without a key, a tap or the pointer moving for this long, a visible device counts as idle, and a person
 * idle or hidden on every device shows as away (issue 15 §3). Ten minutes: a lesson's quiet reading or a
 * long message read is not "away", while someone who left the library computer on shows so within one
 * break between lessons.
 */
export const IDLE_MS = 10 * 60_000;

const INPUTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

export type DeviceReport = { changed(): void; stop(): void };

/**
 * Tells the server this device's state (in use, idle, hidden) and the conversation on screen (`showing`):
 * it makes the person's presence from it and pushes nothing for a conversation being read. The engine
 * sends only changes, and again on each new socket; `changed` says the conversation shown changed.
 */
export function startDeviceReport(engine: Engine, showing: () => string | null): DeviceReport {
  let last = Date.now();
  const report = () =>
    engine.reportDevice(
      document.visibilityState === 'hidden' ? 'hidden' : Date.now() - last >= IDLE_MS ? 'idle' : 'active',
      showing() ?? '',
    );
  const input = () => {
    const wasIdle = Date.now() - last >= IDLE_MS;
    last = Date.now();
    if (wasIdle) report();
  };
  report();
  const check = setInterval(report, 60_000);
  for (const e of INPUTS) addEventListener(e, input, { passive: true, capture: true });
  document.addEventListener('visibilitychange', report);
  return {
    changed: report,
    stop() {
      clearInterval(check);
      for (const e of INPUTS) removeEventListener(e, input, { capture: true });
      document.removeEventListener('visibilitychange', report);
    },
  };
}
