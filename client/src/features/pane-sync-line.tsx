import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { usePendingUploads } from '../hooks/use-pending-uploads.ts';
import { syncSummary } from './sync-summary.ts';

/**
 * The sync line again, under a conversation's header on a phone, where the sidebar (and its sync line) is
 * out of sight: shown only when something is not as usual (offline, connecting, messages not sent), so a
 * student writing on a train sees "Offline · 1 message waiting" where they write. Desktops hide it (CSS):
 * the sidebar's line is on screen. Not a live region: the sidebar's line announces the same changes.
 */
export function PaneSyncLine() {
  const engine = useEngine();
  useEngineVersion();
  const uploads = usePendingUploads();
  const s = engine.status();
  if (s.connection === 'online' && s.rejected + uploads.failed === 0) return null;
  const { text, tone } = syncSummary(s, Date.now(), uploads);
  return (
    <p className={`pane-sync sync sync-${tone}`} data-testid="pane-sync-status">
      <span className="dot" aria-hidden="true" />
      {text}
    </p>
  );
}
