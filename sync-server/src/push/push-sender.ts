import type { Agent } from 'node:https';
import type { PushPayload } from '@commonroom/protocol';
import type { Logger } from 'pino';
import webpush from 'web-push';
import type { VapidKeys } from '../config.ts';
import type { PushSubscriptionRow, PushSubscriptionStore } from '../storage/push-subscriptions.ts';

export type PushSenderDeps = {
  store: PushSubscriptionStore;
  vapid: VapidKeys & { subject: string };
  log: Logger;
  /**
   * Whether this device (its session) is online, visible and showing the conversation (devices report it,
   * P9): it hears of the message there, so no push. Online but hidden, or showing another conversation, is
   * pushed to.
   */
  showing: (device: { userId: string; tokenHash: string }, conversationId: string | null) => boolean;
  /** Whether the person chose do not disturb (issue 15 §3): nothing but clearing pushes reaches them. */
  doNotDisturb?: (userId: string) => boolean;
  /** The HTTPS agent for push services (tests trust their loopback push service's certificate with it). */
  agent?: Agent;
  /** How long a push service may take to answer. */
  timeoutMs?: number;
};

export type PushOutcome = { sent: number; gone: number; failed: number; skipped: number };

/**
 * Sends Web Push messages through the `web-push` library: VAPID (RFC 8292) and aes128gcm payload
 * encryption (RFC 8291), so a push service carries only ciphertext. A subscription the service calls gone
 * (404, 410) is deleted at once; other failures are counted and a subscription failing for long is
 * dropped (push-subscriptions.ts). Never throws: a push is a courtesy, the message itself is already stored
 * and reaches the device at its next sync.
 */
export function createPushSender(d: PushSenderDeps) {
  const details = { subject: d.vapid.subject, publicKey: d.vapid.publicKey, privateKey: d.vapid.privateKey };
  const sendOne = async (s: PushSubscriptionRow, body: string, urgency: 'normal' | 'high') => {
    try {
      const res = await webpush.sendNotification(
        { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
        body,
        {
          vapidDetails: details,
          // A day: after that the conversation is better read than announced.
          TTL: 86_400,
          urgency,
          timeout: d.timeoutMs ?? 10_000,
          ...(d.agent ? { agent: d.agent } : {}),
        },
      );
      if (res.statusCode >= 200 && res.statusCode < 300) d.store.delivered(s.endpoint);
      return 'sent' as const;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        d.store.gone(s.endpoint);
        return 'gone' as const;
      }
      d.store.failed(s.endpoint);
      d.log.warn({ status, err: status ? undefined : err }, 'push delivery failed');
      return 'failed' as const;
    }
  };

  return {
    /** Sends `payload` to each of the person's devices that is not showing its conversation now. */
    async toUser(userId: string, payload: PushPayload): Promise<PushOutcome> {
      const out: PushOutcome = { sent: 0, gone: 0, failed: 0, skipped: 0 };
      const body = JSON.stringify(payload);
      const urgency = payload.kind === 'clear' ? 'normal' : 'high';
      const subs = d.store.liveOf(userId);
      // A push that clears a read notification is still sent in DND: it takes away, it does not disturb.
      if (payload.kind !== 'clear' && d.doNotDisturb?.(userId)) {
        out.skipped = subs.length;
        return out;
      }
      const results = await Promise.all(
        subs.map((s) =>
          payload.kind !== 'clear' && d.showing(s, payload.conversationId)
            ? Promise.resolve('skipped' as const)
            : sendOne(s, body, urgency),
        ),
      );
      for (const r of results) out[r]++;
      return out;
    },
  };
}

export type PushSender = ReturnType<typeof createPushSender>;
