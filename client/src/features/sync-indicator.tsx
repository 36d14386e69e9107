import { useEffect, useState } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { usePendingUploads } from '../hooks/use-pending-uploads.ts';
import { syncSummary } from './sync-summary.ts';

/**
 * Online, connecting, or "Offline · 3 waiting · last synced 10:42" (words: sync-summary.ts). When the
 * server needs a newer app, says so with the one thing to do.
 */
/** The engine's status and the sync line's words for it, uploads waiting included; redrawn on changes. */
export function useSyncLine() {
  const engine = useEngine();
  useEngineVersion();
  // Messages with files waiting to upload wait too (attachments/upload-queue.ts).
  const uploads = usePendingUploads();
  const s = engine.status();
  return { s, uploads, ...syncSummary(s, Date.now(), uploads) };
}

export function SyncIndicator() {
  const { s, text, tone } = useSyncLine();
  // While slowed down, the countdown is redrawn each second until the engine sends again.
  const [, tick] = useState(0);
  useEffect(() => {
    if (s.slowedUntil === null) return;
    const t = setInterval(() => tick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, [s.slowedUntil]);
  return (
    <>
      <p className={`sync sync-${tone}`} role="status" aria-live="polite" data-testid="sync-status">
        <span className="dot" aria-hidden="true" />
        {text}
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
