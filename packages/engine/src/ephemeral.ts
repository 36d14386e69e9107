import type { DeviceState, Frame, PresenceState } from '@commonroom/protocol';
import type { PeerEvent } from './peers.ts';

/**
 * Presence and typing (issue 15 §3, §4; P9): what the server tells of the people around. Nothing of it is
 * stored on the device; it is forgotten when the socket drops and heard again on the next one. What this
 * device tells the server of itself (its state, the conversation it shows) is kept to be said again after
 * each reconnect, and sent only when it changes.
 */

export type PresenceInfo = {
  status: PresenceState;
  emoji: string;
  text: string;
  /** When the custom status (and DND) ends, by the server's clock; 0: until changed. */
  until: number;
  /** When they were last connected (0: never seen). */
  lastSeen: number;
};

/** The person's own choice (issue 15 §3): do not disturb, a custom status until a time. */
export type StatusChoice = { dnd: boolean; emoji: string; text: string; until: number };

/** A typing hint shows this long after it was heard (the typist's device repeats it every 3 s). */
export const TYPING_SHOWN_MS = 5_000;

const threadKey = (conversationId: string, parent: string): string => `${conversationId}\n${parent}`;

export function createEphemeral(deps: {
  now: () => number;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
  /** Sends frames on the socket; false when offline. */
  send: (frames: Frame[]) => boolean;
}) {
  const presence = new Map<string, PresenceInfo>();
  /** conversation + thread → person → when they were last heard typing there (this device's clock). */
  const typing = new Map<string, Map<string, number>>();
  /** What this device last said of itself, and whether the server has heard it on this socket. */
  let device: { state: DeviceState; showing: string } = { state: 'active', showing: '' };
  let deviceSent = false;

  const setPresence = (userId: string, p: PresenceInfo): void => {
    presence.set(userId, p);
    deps.emit();
  };
  const setTyping = (conversationId: string, parent: string, userId: string, active: boolean): void => {
    const key = threadKey(conversationId, parent);
    let m = typing.get(key);
    if (!m) typing.set(key, (m = new Map()));
    if (active) m.set(userId, deps.now());
    else m.delete(userId);
    deps.emit();
  };
  const sendDevice = (): void => {
    deviceSent = deps.send([{ type: 'deviceState', ...device }]);
  };

  return {
    /** Heard from the server: shown here and told to the other tabs. */
    presenceHeard: (userId: string, p: PresenceInfo): void => {
      setPresence(userId, p);
      deps.toPeers({ t: 'presence', userId, ...p });
    },
    typingHeard: (conversationId: string, parent: string, userId: string, active: boolean): void => {
      setTyping(conversationId, parent, userId, active);
      deps.toPeers({ t: 'typing', conversationId, parent, userId, active });
    },
    /** Heard from the leader tab. */
    presenceFromPeer: setPresence,
    typingFromPeer: setTyping,
    /** The socket dropped: nothing of this is known any more, and the next socket hears the device anew. */
    clear: (): void => {
      presence.clear();
      typing.clear();
      deviceSent = false;
    },
    /** A new socket said HELLO: it hears this device's state first. */
    welcomed: sendDevice,
    /** Sets (and stores, on the server) the person's DND and custom status; false when offline. */
    setStatus: (c: StatusChoice): boolean => deps.send([{ type: 'presenceSet', ...c }]),
    /**
     * This device's state (in use, idle, hidden) and the conversation it shows ('' for none): the server
     * makes the person's presence from it and pushes nothing for a conversation on screen. Sent only when
     * it changes.
     */
    reportDevice: (state: DeviceState, showing: string): void => {
      if (deviceSent && device.state === state && device.showing === showing) return;
      device = { state, showing };
      sendDevice();
    },
    /** Says this person is typing in a conversation, or in a thread of it (`parent`, its parent's key). */
    typing: (conversationId: string, parent = ''): boolean =>
      deps.send([{ type: 'typingSet', conversationId, parent }]),
    presenceOf: (userId: string): PresenceInfo | undefined => presence.get(userId),
    /** Who is typing there now; a hint fades TYPING_SHOWN_MS after it was last heard. */
    typingIn: (conversationId: string, parent = ''): string[] => {
      const m = typing.get(threadKey(conversationId, parent));
      if (!m) return [];
      const t = deps.now();
      return [...m].filter(([, at]) => t - at < TYPING_SHOWN_MS).map(([u]) => u);
    },
  };
}
