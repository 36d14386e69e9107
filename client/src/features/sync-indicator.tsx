import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { clockTime } from '../ui/format.ts';

/**
 * Online, connecting, or "Offline · 3 waiting · last synced 10:42": honest, and no retry button. When the
 * server needs a newer app, says so with the one thing to do.
 */
export function SyncIndicator() {
  const engine = useEngine();
  useEngineVersion();
  const s = engine.status();
  const parts: string[] = [];
  let tone = 'ok';
  if (s.connection === 'online') parts.push(s.waiting > 0 ? 'Sending…' : 'Online');
  else if (s.connection === 'connecting') {
    parts.push('Connecting…');
    tone = 'busy';
  } else {
    parts.push('Offline');
    tone = 'off';
  }
  if (s.waiting > 0) parts.push(`${s.waiting} waiting`);
  if (s.saving > 0) parts.push('saving on this device…');
  if (s.rejected > 0) parts.push(`${s.rejected} not sent`);
  if (s.connection !== 'online' && s.lastSyncedAt !== null)
    parts.push(`last synced ${clockTime(s.lastSyncedAt)}`);
  return (
    <>
      <p className={`sync sync-${tone}`} role="status" aria-live="polite" data-testid="sync-status">
        <span className="dot" aria-hidden="true" />
        {parts.join(' · ')}
      </p>
      {s.updateNeeded && (
        <div className="sync-update" role="alert">
          <p>A new version of Commonroom is ready. Messages waiting stay on this device until you reload.</p>
          <button type="button" onClick={() => void reloadUpdated()}>
            Reload now
          </button>
        </div>
      )}
    </>
  );
}

/** Takes the new service worker (and with it the new app) before reloading, so the reload is not the old app. */
async function reloadUpdated(): Promise<void> {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    await reg?.update();
  } catch {
    // Offline again, or no service worker (development): a plain reload is all there is.
  }
  location.reload();
}
