import type { Frame } from '@commonroom/protocol';
import type { PeerEvent } from './peers.ts';

/**
 * Presence and typing: what is true only while people are connected. Nothing of it is stored; it is
 * forgotten when the socket drops and heard again on the next one.
 */

export type PresenceInfo = { status: string; text: string; lastSeen: number };

export function createEphemeral(deps: {
  now: () => number;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
  /** Sends frames on the socket; false when offline. */
  send: (frames: Frame[]) => boolean;
}) {
  const presence = new Map<string, PresenceInfo>();
  /** conversation → person → when they last typed there (this device's clock). */
  const typing = new Map<string, Map<string, number>>();

  const setPresence = (userId: string, p: PresenceInfo): void => {
    presence.set(userId, p);
    deps.emit();
  };
  const setTyping = (conversationId: string, userId: string): void => {
    let m = typing.get(conversationId);
    if (!m) typing.set(conversationId, (m = new Map()));
    m.set(userId, deps.now());
    deps.emit();
  };

  return {
    /** Heard from the server: shown here and told to the other tabs. */
    presenceHeard: (userId: string, p: PresenceInfo): void => {
      setPresence(userId, p);
      deps.toPeers({ t: 'presence', userId, ...p });
    },
    typingHeard: (conversationId: string, userId: string): void => {
      setTyping(conversationId, userId);
      deps.toPeers({ t: 'typing', conversationId, userId });
    },
    /** Heard from the leader tab. */
    presenceFromPeer: setPresence,
    typingFromPeer: setTyping,
    /** The socket dropped: nothing of this is known any more. */
    clear: (): void => {
      presence.clear();
      typing.clear();
    },
    setPresence: (status: 'online' | 'away' | 'busy', text = ''): boolean => {
      return deps.send([{ type: 'presenceSet', status, text }]);
    },
    typing: (conversationId: string): boolean => {
      return deps.send([{ type: 'typingSet', conversationId }]);
    },
    presenceOf: (userId: string): PresenceInfo | undefined => presence.get(userId),
    typingIn: (conversationId: string, withinMs = 5_000): string[] => {
      const m = typing.get(conversationId);
      if (!m) return [];
      const t = deps.now();
      return [...m].filter(([, at]) => t - at < withinMs).map(([u]) => u);
    },
  };
}
