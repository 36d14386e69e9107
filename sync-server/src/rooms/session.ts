import type { Frame } from '@commonroom/protocol';
import type { Actor } from './policy.ts';

/** One authenticated socket, as the rooms see it. The ws edge implements it. */
export interface Session {
  readonly id: number;
  readonly actor: Actor;
  readonly subscriptions: Set<string>;
  send(frames: readonly Frame[]): void;
  /** Sends bytes already encoded once for many sockets. */
  sendEncoded(message: Uint8Array): void;
  close(code: number, reason: string): void;
}
