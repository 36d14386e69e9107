import type { Engine, PeerEvent } from '@commonroom/engine';

/**
 * Tabs of one browser share one connection. Web Locks elect a leader: the tab holding the lock opens the
 * socket; the others apply what it stores, and it sends what they store (packages/engine/src/peers.ts).
 * When the leader tab closes, its lock is released and another tab takes over at once.
 */
type Wire = { peer: PeerEvent } | { whoLeads: true } | { signedIn: true };

let started = false;
/** Whether this tab holds the connection (always, without Web Locks). */
let leader = false;
let channel: BroadcastChannel | null = null;

export function connectTabs(engine: Engine): void {
  // Signed in again after the server ended the session: the tab that holds the connection reopens it. A
  // session is the browser's (one cookie for every tab), so signing in again in any tab tells the others:
  // the tab holding the connection may be a background one still showing the sign-in page.
  if (started) {
    if (leader) engine.connect();
    else channel?.postMessage({ signedIn: true } satisfies Wire);
    return;
  }
  started = true;
  if (typeof BroadcastChannel === 'undefined' || !('locks' in navigator)) {
    leader = true;
    engine.connect();
    return;
  }
  const tabs = new BroadcastChannel('commonroom-tabs');
  channel = tabs;
  engine.onPeerEvent((peer) => tabs.postMessage({ peer } satisfies Wire));
  tabs.onmessage = (ev: MessageEvent<Wire>) => {
    const msg = ev.data;
    if ('signedIn' in msg) {
      // Another tab signed in again. A tab whose session had ended starts afresh from what is stored (the
      // account, the outbox every tab shares), as at opening; one still signed in only reconnects, if it
      // holds the connection. Either way the waiting work of every tab is sent again.
      if (engine.me() === null || engine.status().connection === 'signed-out') location.reload();
      else if (leader) engine.connect();
      return;
    }
    if ('whoLeads' in msg) {
      if (leader) {
        const s = engine.status();
        tabs.postMessage({
          peer: {
            t: 'status',
            connection: s.connection,
            lastSyncedAt: s.lastSyncedAt,
            updateNeeded: s.updateNeeded,
          },
        } satisfies Wire);
      }
      return;
    }
    void engine.applyPeerEvent(msg.peer);
  };
  tabs.postMessage({ whoLeads: true } satisfies Wire);
  void navigator.locks.request('commonroom-connection', async () => {
    leader = true;
    await engine.takeOverConnection();
    // Hold the lock for the life of the tab.
    await new Promise<never>(() => undefined);
  });
}
