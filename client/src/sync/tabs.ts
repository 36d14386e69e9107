import type { Engine, PeerEvent } from '@commonroom/engine';

/**
 * Tabs of one browser share one connection. Web Locks elect a leader: the tab holding the lock opens the
 * socket; the others apply what it stores, and it sends what they store (packages/engine/src/peers.ts).
 * When the leader tab closes, its lock is released and another tab takes over at once.
 */
type Wire = { peer: PeerEvent } | { whoLeads: true };

let started = false;
/** Whether this tab holds the connection (always, without Web Locks). */
let leader = false;

export function connectTabs(engine: Engine): void {
  // Signed in again after the server ended the session: the tab that holds the connection reopens it.
  if (started) {
    if (leader) engine.connect();
    return;
  }
  started = true;
  if (typeof BroadcastChannel === 'undefined' || !('locks' in navigator)) {
    leader = true;
    engine.connect();
    return;
  }
  const channel = new BroadcastChannel('commonroom-tabs');
  engine.onPeerEvent((peer) => channel.postMessage({ peer } satisfies Wire));
  channel.onmessage = (ev: MessageEvent<Wire>) => {
    const msg = ev.data;
    if ('whoLeads' in msg) {
      if (leader) {
        const s = engine.status();
        channel.postMessage({
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
  channel.postMessage({ whoLeads: true } satisfies Wire);
  void navigator.locks.request('commonroom-connection', async () => {
    leader = true;
    await engine.takeOverConnection();
    // Hold the lock for the life of the tab.
    await new Promise<never>(() => undefined);
  });
}
