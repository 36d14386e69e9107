import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/**
 * EXPERIMENT, off by default (`npm run bench -- --experiment=cork`): what Commonroom would gain by sending
 * everything one commit produces for a socket in one write. Every ws `send` corks the socket's TCP stream
 * until the end of the current task, so the ACK, the author-document relay and the index relay for a
 * socket leave in one writev instead of three. Only the Commonroom server process gets it; the figures in
 * BENCHMARKS.md's tables are measured without it. The real fix belongs in sync-server (see the notes).
 */
export function corkSendsPerTask(): void {
  const proto = WebSocket.prototype as unknown as {
    send: (this: { _socket?: Socket }, ...args: unknown[]) => void;
  };
  const original = proto.send;
  const corked = new Set<Socket>();
  const flush = (): void => {
    for (const s of corked) s.uncork();
    corked.clear();
  };
  proto.send = function (this: { _socket?: Socket }, ...args: unknown[]): void {
    const s = this._socket;
    if (s && !corked.has(s)) {
      if (corked.size === 0) queueMicrotask(flush);
      corked.add(s);
      s.cork();
    }
    original.apply(this, args);
  };
}
