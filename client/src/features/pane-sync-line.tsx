import { useSyncLine } from './sync-indicator.tsx';

/**
 * The sync line again, under a conversation's header on a phone, where the sidebar (and its sync line) is
 * out of sight: shown only when something is not as usual (offline, connecting, messages not sent), so a
 * student writing on a train sees "Offline · 1 message waiting" where they write. Desktops hide it (CSS):
 * the sidebar's line is on screen. Not a live region: the sidebar's line announces the same changes.
 */
export function PaneSyncLine() {
  const { s, uploads, text, tone } = useSyncLine();
  if (s.connection === 'online' && s.rejected + uploads.failed === 0) return null;
  return (
    <p className={`pane-sync sync sync-${tone}`} data-testid="pane-sync-status">
      <span className="dot" aria-hidden="true" />
      {text}
    </p>
  );
}
