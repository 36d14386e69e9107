import type { SessionEndReason } from '@commonroom/protocol';

/**
 * Wipes this browser's copy of an account whose session the server ended with a wiping reason
 * (deactivation, sign out everywhere: THREAT_MODEL T10). College computers are shared: after this nothing of
 * the account's conversations, unsent messages or drafts is left to read. The app shell's precache stays,
 * so the sign-in page still opens offline. The engine decides when (packages/engine/src/session-end.ts);
 * this is only the how. The wipe itself (`wipe-device.ts`) loads when needed: a wipe follows a server's
 * answer, so the device is online then, and the module is precached anyway.
 */

/** What the sign-in page says after the reload that ends a wipe, kept in sessionStorage across it. */
export const NOTICE_KEY = 'commonroom.signed-out-notice';
/** Other tabs of this browser wipe their screens too (they show the same account). */
export const WIPE_CHANNEL = 'commonroom-wipe';

export const WIPE_NOTICES: Partial<Record<SessionEndReason, string>> = {
  'account-deactivated': 'This account was deactivated by your college.',
  'signed-out-everywhere': 'You were signed out on all devices.',
};

/** Another tab wiped the device: this one reloads too, so its screen shows nothing of the account. */
export function reloadOnWipeElsewhere(): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const ch = new BroadcastChannel(WIPE_CHANNEL);
  ch.onmessage = (ev: MessageEvent<unknown>) => {
    if (typeof ev.data === 'string') {
      try {
        sessionStorage.setItem(NOTICE_KEY, ev.data);
      } catch {
        // No sentence then.
      }
      location.replace('/');
    }
  };
  return () => ch.close();
}

/** The sentence a wipe left for the sign-in page (read once). */
export function takeWipeNotice(): string | null {
  try {
    const r = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    return r === null ? null : (WIPE_NOTICES[r as SessionEndReason] ?? null);
  } catch {
    return null;
  }
}
