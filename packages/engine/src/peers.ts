import type { Conversation, PresenceState } from '@commonroom/protocol';
import type { ConnectionState } from './connection.ts';
import type { OutboxEntry } from './storage.ts';

/**
 * Several tabs of one browser share one device storage and must not each open a socket. One tab (the
 * leader) holds the connection; every engine tells its peers what it stored, and applies what they stored,
 * so all tabs show the same thing. The transport (BroadcastChannel) and the election (Web Locks) live in
 * the client; these are the messages, plain data that survive structured cloning.
 */
export type PeerEvent =
  /** A change this tab stored (from the server, or a local action). */
  | { t: 'doc'; doc: string; update: Uint8Array }
  /** A document was rebuilt from the server: its whole new state. */
  | { t: 'replace'; doc: string; state: Uint8Array }
  | { t: 'outbox-put'; entry: OutboxEntry }
  | { t: 'outbox-del'; ids: string[] }
  | { t: 'status'; connection: ConnectionState; lastSyncedAt: number | null; updateNeeded: boolean }
  /** A person's presence as the server told it (ephemeral.ts PresenceInfo). */
  | {
      t: 'presence';
      userId: string;
      status: PresenceState;
      emoji: string;
      text: string;
      until: number;
      lastSeen: number;
    }
  | { t: 'typing'; conversationId: string; parent: string; userId: string; active: boolean }
  | { t: 'conversations'; list: Conversation[] }
  /** A follower opened a conversation (a preview): the leader follows its documents. */
  | { t: 'open'; conversationId: string };
