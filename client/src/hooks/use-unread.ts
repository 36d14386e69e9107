import { mentionHandle } from '@commonroom/model';
import { useEffect, useMemo } from 'react';
import { useEngine, useEngineVersion } from './engine-context.tsx';

/** Unread messages over every conversation the person is in, but those they muted (issue 15 §2). */
export function useTotalUnread(): number {
  const engine = useEngine();
  useEngineVersion();
  return engine
    .conversations()
    .filter((c) => c.isMember && c.notify !== 'muted')
    .reduce((n, c) => n + engine.view(c.id).unread, 0);
}

type BadgingNavigator = Navigator & {
  setAppBadge?: (n?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
};

/** The installed app's icon badge, where the browser has the Badging API; any refusal is ignored. */
function setBadge(n: number): void {
  const nav = navigator as BadgingNavigator;
  try {
    void (n > 0 ? nav.setAppBadge?.(n) : nav.clearAppBadge?.())?.catch(() => undefined);
  } catch {
    // No badge here: the title is enough.
  }
}

/** The total unread count in the page title, "(3) Commonroom", and on the app's icon (see setBadge). */
export function useUnreadTitle(appName = 'Commonroom'): void {
  const total = useTotalUnread();
  useEffect(() => {
    document.title = total > 0 ? `(${total}) ${appName}` : appName;
    setBadge(total);
  }, [total, appName]);
  // Signed out: no count left behind.
  useEffect(
    () => () => {
      document.title = appName;
      setBadge(0);
    },
    [appName],
  );
}

/**
 * The lower-case handles that count as "me" in message text, for the stronger mention style (LinkifiedText
 * adds @channel, @here and @everyone).
 */
export function useMentionNames(): ReadonlySet<string> {
  const me = useEngine().me();
  return useMemo(() => new Set(me ? [mentionHandle(me).toLowerCase()] : []), [me]);
}
