import type { Engine } from '@commonroom/engine';
import { PushKeyReply } from '@commonroom/protocol';
import { z } from 'zod/mini';

/**
 * This device's Web Push subscription (issue 15 §1), outside React: the browser's permission, the
 * PushManager subscription bound to the server's VAPID key, and the server's copy (tied to this session, so
 * signing out ends it there). The notification itself is shown by the service worker (push-sw.ts).
 */

export type PushState = 'unsupported' | 'blocked' | 'off' | 'on';

const Ok = z.object({ ok: z.boolean() });

const supported = (): boolean =>
  'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** What the browser allows and whether this device is subscribed now. */
export async function pushState(): Promise<PushState> {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  if (Notification.permission !== 'granted') return 'off';
  const reg = await navigator.serviceWorker.getRegistration();
  return (await reg?.pushManager.getSubscription()) ? 'on' : 'off';
}

/** Asks for permission (a click must lead here) and subscribes; throws with words a person can read. */
export async function turnOnPush(engine: Engine): Promise<PushState> {
  if (!supported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return 'blocked';
  if (permission !== 'granted') return 'off';
  const reg = await navigator.serviceWorker.ready;
  const { publicKey } = await engine.api.request('GET', '/api/push/key', PushKeyReply);
  let sub = await reg.pushManager.getSubscription();
  try {
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
  } catch (err) {
    throw new Error(
      `This browser could not reach its notification service (${
        err instanceof Error ? err.message : String(err)
      }). Check the connection and try again.`,
    );
  }
  const json = sub.toJSON();
  await engine.api.request('POST', '/api/push/subscriptions', Ok, {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys?.p256dh, auth: json.keys?.auth },
  });
  return 'on';
}

/** Stops pushes to this device: the server forgets it first, then the browser. */
export async function turnOffPush(engine: Engine): Promise<PushState> {
  const reg = await navigator.serviceWorker.getRegistration();
  const sub = await reg?.pushManager.getSubscription();
  if (sub) {
    await engine.api.request('DELETE', '/api/push/subscriptions', Ok, { endpoint: sub.endpoint });
    await sub.unsubscribe();
  }
  return pushState();
}
