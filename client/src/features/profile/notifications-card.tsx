import { ApiError, NetworkError } from '@commonroom/engine';
import { useEffect, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { pushState, turnOffPush, turnOnPush, type PushState } from '../../push/push-device.ts';
import { ErrorText } from '../../ui/error-text.tsx';

const SAYS: Record<PushState, string> = {
  on: 'On. When Commonroom is closed, this device tells you of direct messages, mentions of you, replies in your threads and announcements.',
  off: 'Off. Turn them on to hear of direct messages, mentions, replies and announcements when Commonroom is closed. Nothing is sent while you are using the app.',
  blocked:
    'Blocked in this browser’s settings. To get them, allow notifications for this site in the browser (the padlock beside the address), then come back here.',
  unsupported:
    'This browser cannot show notifications. On an iPhone or iPad, add Commonroom to your Home Screen (Share, then “Add to Home Screen”) and open it from there.',
};

/**
 * Notifications on this device (issue 15 §1): asked for only when the person clicks, with what they will
 * get said first, and what to do when the browser blocks them. Each device chooses for itself.
 */
export function NotificationsCard() {
  const engine = useEngine();
  const [state, setState] = useState<PushState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let alive = true;
    void pushState().then((s) => alive && setState(s));
    return () => {
      alive = false;
    };
  }, []);

  const run = async (f: () => Promise<PushState>) => {
    setError(null);
    setBusy(true);
    try {
      setState(await f());
    } catch (err) {
      setError(
        err instanceof NetworkError
          ? 'You are offline. Connect to change notifications.'
          : err instanceof ApiError || err instanceof Error
            ? err.message
            : 'Something went wrong. Please try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="profile-card" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications on this device</h2>
      <p className="notifications-state" role="status" data-state={state ?? 'checking'}>
        {state === null ? 'Checking…' : SAYS[state]}
      </p>
      <ErrorText message={error} />
      {state === 'off' && (
        <div>
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void run(() => turnOnPush(engine))}
          >
            {busy ? 'Turning on…' : 'Turn on notifications'}
          </button>
        </div>
      )}
      {state === 'on' && (
        <div>
          <button type="button" disabled={busy} onClick={() => void run(() => turnOffPush(engine))}>
            {busy ? 'Turning off…' : 'Turn off on this device'}
          </button>
        </div>
      )}
    </section>
  );
}
