import {
  deleteMessage,
  editMessage,
  hasMessage,
  markRead,
  markUnreadFrom,
  modRoots,
  removeMessage,
  sendMessage,
  setPin,
  setReaction,
  type FileRef,
  type MessageKey,
} from '@commonroom/model';
import type * as Y from 'yjs';
import type { ActionKind } from './storage.ts';

/**
 * Each user action as a replayable intent. The outbox stores the intent with the update it produced; after
 * a refusal the document is rebuilt from the server and the remaining intents are applied again, so they
 * must be idempotent against a state that may already hold them (Replicache-style rebase).
 */
export type ActionPayloads = {
  send: {
    id: string;
    text: string;
    ts: number;
    parent?: string;
    alsoChannel?: boolean;
    files?: FileRef[];
  };
  edit: { localId: string; text: string; ts: number };
  delete: { localId: string; ts: number };
  react: { key: MessageKey; emoji: string; on: boolean; ts: number };
  read: { deviceId: string; seq: number; ts?: number };
  /** `seen`: each device's mark when taken (see markUnreadFrom); absent on entries saved before it existed. */
  unread: { deviceId: string; seq: number; seen?: Record<string, number> };
  pin: { key: MessageKey; by: string; ts: number; on: boolean };
  remove: { key: MessageKey; by: string; ts: number; reason?: string };
};

export function applyAction(doc: Y.Doc, kind: ActionKind, payload: Record<string, unknown>): void {
  switch (kind) {
    case 'send': {
      const p = payload as ActionPayloads['send'];
      if (hasMessage(doc, p.id)) return;
      sendMessage(doc, {
        id: p.id,
        text: p.text,
        ts: p.ts,
        ...(p.parent !== undefined ? { parent: p.parent } : {}),
        ...(p.alsoChannel === true ? { alsoChannel: true } : {}),
        ...(p.files !== undefined && p.files.length > 0 ? { files: p.files } : {}),
      });
      return;
    }
    case 'edit': {
      const p = payload as ActionPayloads['edit'];
      editMessage(doc, p.localId, p.text, p.ts);
      return;
    }
    case 'delete': {
      const p = payload as ActionPayloads['delete'];
      deleteMessage(doc, p.localId, p.ts);
      return;
    }
    case 'react': {
      const p = payload as ActionPayloads['react'];
      setReaction(doc, p.key, p.emoji, p.on, p.ts);
      return;
    }
    case 'read': {
      const p = payload as ActionPayloads['read'];
      markRead(doc, p.deviceId, p.seq, p.ts);
      return;
    }
    case 'unread': {
      const p = payload as ActionPayloads['unread'];
      markUnreadFrom(doc, p.deviceId, p.seq, p.seen);
      return;
    }
    case 'pin': {
      const p = payload as ActionPayloads['pin'];
      const pinned = modRoots(doc).pins.has(p.key);
      if (pinned !== p.on) setPin(doc, p.key, p.by, p.ts, p.on);
      return;
    }
    case 'remove': {
      const p = payload as ActionPayloads['remove'];
      if (!modRoots(doc).removed.has(p.key)) removeMessage(doc, p.key, p.by, p.ts, p.reason);
      return;
    }
  }
}
