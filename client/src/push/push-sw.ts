/**
 * The service worker's push side (issue 15 §1), loaded into the generated service worker with
 * `importScripts('/push-sw.js')` (vite.config.ts). A push carries a small JSON payload encrypted to this
 * device (RFC 8291); this shows it as a system notification, replaces an older one of the same
 * conversation (`tag`), closes them when told a message was read elsewhere (`clear`), and on a click opens
 * the app at that message. No imports or exports: this file is its own classic script, outside the app's bundle.
 *
 * The client's TypeScript has the DOM's types, not the WebWorker's, so the few service worker types used
 * here are declared by hand.
 */

type Payload = {
  kind: 'dm' | 'mention' | 'reply' | 'announcement' | 'message' | 'report' | 'clear';
  title: string;
  body: string;
  tag: string;
  url: string;
};
type WindowClient = {
  url: string;
  visibilityState: string;
  focus(): Promise<unknown>;
  postMessage(m: unknown): void;
};
type ExtendableEvent = Event & { waitUntil(p: Promise<unknown>): void };
type PushEvent = ExtendableEvent & { data: { json(): unknown } | null };
type NotificationEvent = ExtendableEvent & { notification: Notification & { data: unknown } };
type Registration = {
  showNotification(title: string, options: NotificationOptions & { renotify?: boolean }): Promise<void>;
  getNotifications(filter?: { tag?: string }): Promise<Notification[]>;
};
type Scope = {
  registration: Registration;
  clients: {
    matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<unknown>;
  };
  addEventListener(type: 'push', f: (e: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', f: (e: NotificationEvent) => void): void;
};

// In a function: importScripts runs this in the service worker's global scope, which the generated
// service worker shares; nothing here should become a global.
(() => {
  const sw = self as unknown as Scope;
  const KINDS = new Set(['dm', 'mention', 'reply', 'announcement', 'message', 'report', 'clear']);

  /** The payload, if it is one: a push service could deliver anything, so nothing is taken on trust. */
  function read(data: PushEvent['data']): Payload | null {
    try {
      const p = data?.json() as Partial<Payload> | null;
      if (!p || typeof p !== 'object' || !KINDS.has(String(p.kind))) return null;
      const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
      const url = str(p.url, 500);
      return {
        kind: p.kind as Payload['kind'],
        title: str(p.title, 200) || 'Commonroom',
        body: str(p.body, 300),
        tag: str(p.tag, 200),
        // Only a path of this app: a notification must never open another site.
        url: url.startsWith('/') && !url.startsWith('//') ? url : '/',
      };
    } catch {
      return null;
    }
  }

  async function show(p: Payload): Promise<void> {
    if (p.kind === 'clear') {
      for (const n of await sw.registration.getNotifications({ tag: p.tag })) n.close();
      return;
    }
    // The app open and in front shows the message itself; the server also skips devices that are online.
    const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const inFront = windows.filter((w) => w.visibilityState === 'visible');
    if (inFront.length > 0) {
      // Told instead: an open app may sync at once rather than wait for its socket to notice.
      for (const w of inFront) w.postMessage({ type: 'commonroom-pushed', kind: p.kind, tag: p.tag });
      return;
    }
    await sw.registration.showNotification(p.title, {
      body: p.body,
      tag: p.tag,
      renotify: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: p.url },
    });
  }

  // One at a time, in the order they came: two messages of one conversation handled side by side could
  // finish out of order, and the older would replace the newer.
  let queue: Promise<void> = Promise.resolve();
  sw.addEventListener('push', (e) => {
    const p = read(e.data);
    if (!p) return;
    queue = queue.then(() => show(p)).catch(() => undefined);
    e.waitUntil(queue);
  });

  sw.addEventListener('notificationclick', (e) => {
    e.notification.close();
    const data = e.notification.data as { url?: unknown } | null;
    // Only a path of this app (`//host` is another site), as `read` made sure when it was shown.
    const url =
      typeof data?.url === 'string' && data.url.startsWith('/') && !data.url.startsWith('//')
        ? data.url
        : '/';
    e.waitUntil(
      (async () => {
        const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
        const open = windows[0];
        if (open) {
          // The app takes it from here (app.tsx listens): no reload, nothing waiting to send is disturbed.
          // A link to a message (`/#/c/<id>/m/<key>`) opens it in its conversation, or its thread.
          open.postMessage({ type: 'commonroom-open', url });
          await open.focus();
          return;
        }
        await sw.clients.openWindow(url);
      })(),
    );
  });
})();
