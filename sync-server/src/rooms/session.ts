import type { EncodedFrames, Frame } from '@commonroom/protocol';
import type { Actor } from '../auth/policy.ts';

/** One authenticated socket, as the rooms see it. The ws edge implements it. */
export interface Session {
  readonly id: number;
  readonly actor: Actor;
  readonly subscriptions: Set<string>;
  /**
   * Queues frames for this socket. Everything queued in one turn of the event loop leaves as one message
   * (or as few as the limits allow), in order, when the turn's synchronous work is done.
   */
  send(frames: readonly Frame[]): void;
  /**
   * Queues frames already encoded once for many sockets (P5). `soon`: they need not leave this turn; they
   * join the socket's next message, or leave on their own within a few milliseconds (index places, which
   * would otherwise cost every reader a second socket write per message).
   */
  sendEncoded(frames: EncodedFrames, when?: 'now' | 'soon'): void;
  close(code: number, reason: string): void;
}
