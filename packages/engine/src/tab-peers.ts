import type { Conversation } from '@commonroom/protocol';
import type { ConnectionState } from './connection.ts';
import { isIncomplete } from './doc-state.ts';
import type { PeerEvent } from './peers.ts';
import type { PresenceInfo } from './ephemeral.ts';
import type { Replicas } from './replicas.ts';
import type { OutboxEntry } from './storage.ts';

/**
 * This engine's side of tab sharing (peers.ts): it tells the other tabs what it stored, and applies what
 * they stored. A follower tab has no socket: it shows the leader's connection, and the leader sends its
 * waiting actions.
 */

export type LeaderStatus = {
  connection: ConnectionState;
  lastSyncedAt: number | null;
  updateNeeded: boolean;
};

export function createTabPeers(deps: {
  replicas: Replicas;
  /** Takes an outbox entry another tab stored. */
  adopt: (e: OutboxEntry) => void;
  forgetEntries: (ids: readonly string[]) => void;
  sendPendingFor: (doc: string) => void;
  presence: (userId: string, p: PresenceInfo) => void;
  typing: (conversationId: string, parent: string, userId: string, active: boolean) => void;
  setList: (list: readonly Conversation[]) => void;
  onList: (list: readonly Conversation[]) => Promise<void>;
  /** A follower opened a conversation: the leader follows it (when online). */
  open: (conversationId: string) => Promise<void>;
  emit: () => void;
}) {
  const { replicas } = deps;
  const listeners = new Set<(e: PeerEvent) => void>();
  let leaderStatus: LeaderStatus | null = null;

  return {
    toPeers: (e: PeerEvent): void => {
      for (const l of listeners) l(e);
    },
    /** Listens for what this tab stored, to tell the other tabs. */
    onPeerEvent: (listener: (e: PeerEvent) => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** What the leader tab last said of its connection (null: this tab is the leader, or signed in again). */
    leaderStatus: (): LeaderStatus | null => leaderStatus,
    forgetLeader: (): void => {
      leaderStatus = null;
    },
    /** Applies what another tab stored. The leader tab also sends other tabs' waiting actions. */
    apply: async (e: PeerEvent): Promise<void> => {
      switch (e.t) {
        case 'doc': {
          const r = await replicas.open(e.doc);
          replicas.applyPeer(r, e.update);
          return;
        }
        case 'replace': {
          const r = replicas.get(e.doc);
          if (r && !isIncomplete(r.phase)) replicas.replaceFromPeer(r, e.state);
          deps.emit();
          return;
        }
        case 'outbox-put':
          deps.adopt(e.entry);
          deps.emit();
          await replicas.open(e.entry.doc);
          deps.sendPendingFor(e.entry.doc);
          return;
        case 'outbox-del':
          deps.forgetEntries(e.ids);
          deps.emit();
          return;
        case 'status':
          leaderStatus = {
            connection: e.connection,
            lastSyncedAt: e.lastSyncedAt,
            updateNeeded: e.updateNeeded,
          };
          deps.emit();
          return;
        case 'presence': {
          const { t: _t, userId, ...info } = e;
          deps.presence(userId, info);
          return;
        }
        case 'typing':
          deps.typing(e.conversationId, e.parent, e.userId, e.active);
          return;
        case 'conversations':
          deps.setList(e.list);
          await deps.onList(e.list);
          deps.emit();
          return;
        case 'open':
          await deps.open(e.conversationId);
          return;
      }
    },
  };
}
