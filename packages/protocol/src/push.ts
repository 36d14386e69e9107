// zod/mini, as http.ts: read by the server and by the lazy notification settings; the first screen needs none.
import * as z from 'zod/mini';

/**
 * Web Push (issue 15 §1). A device registers the subscription its browser's PushManager made: the push
 * service's endpoint and the keys the server encrypts to (RFC 8291). The endpoint is a URL the server
 * will POST to, so only https is taken, and only the browser's own key shapes.
 */

const B64url = (min: number, max: number, what: string) =>
  z.string().check(z.regex(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}={0,2}$`), what));

export const PushSubscriptionRequest = z.object({
  endpoint: z
    .string()
    .check(
      z.maxLength(2048, 'a push endpoint is at most 2,048 characters'),
      z.regex(/^https:\/\/[^\s]+$/, 'a push endpoint is an https address'),
    ),
  keys: z.object({
    /** The browser's P-256 public key, uncompressed (65 bytes, 87 base64url characters). */
    p256dh: B64url(86, 88, 'p256dh is a P-256 public key in base64url'),
    /** The 16-byte authentication secret (22 base64url characters). */
    auth: B64url(21, 24, 'auth is a 16-byte secret in base64url'),
  }),
});
export type PushSubscriptionRequest = z.infer<typeof PushSubscriptionRequest>;

export const PushUnsubscribeRequest = z.object({ endpoint: z.string().check(z.maxLength(2048)) });
export type PushUnsubscribeRequest = z.infer<typeof PushUnsubscribeRequest>;

/** GET /api/push/key: what `PushManager.subscribe` needs as its applicationServerKey. */
export const PushKeyReply = z.object({ publicKey: z.string() });
export type PushKeyReply = z.infer<typeof PushKeyReply>;

/**
 * What a push carries, encrypted end to end to the device: enough for the service worker to show a
 * notification (the first line only; nothing for a muted conversation is ever sent) and to open the
 * message. `tag` groups a conversation's notifications, so a newer one replaces the older, and a read
 * elsewhere can clear them (`kind: 'clear'`).
 */
export const PushPayload = z.object({
  // 'message': any other message, for someone who asked for every message (notify.ts).
  kind: z.enum(['dm', 'mention', 'reply', 'announcement', 'message', 'report', 'clear']),
  title: z.string().check(z.maxLength(200)),
  body: z.string().check(z.maxLength(300)),
  tag: z.string().check(z.maxLength(200)),
  /** The app path the notification opens. */
  url: z.string().check(z.maxLength(500), z.regex(/^\//, 'an app path')),
  conversationId: z.nullable(z.string().check(z.maxLength(100))),
});
export type PushPayload = z.infer<typeof PushPayload>;
