import {
  messageKey,
  readMarksOf,
  readSeqOf,
  type FileRef,
  type MessageKey,
  type SegmentDocs,
} from '@commonroom/model';
import {
  authorDoc,
  modDoc,
  type Conversation,
  type ConversationId,
  type Me,
  type UserId,
} from '@commonroom/protocol';
import type { ActionPayloads } from './actions.ts';
import { isIncomplete } from './doc-state.ts';
import { ownMessageOf, type ConversationView } from './engine-view.ts';
import type { Outbox } from './outbox.ts';
import type { Replicas } from './replicas.ts';

/**
 * What a person does in a conversation, each an outbox action on the document it belongs to: one's own
 * author document for messages, reactions and read marks, the moderation document for pins and removals,
 * always in the segment that holds the message (P13).
 */

export function createConversationActions(deps: {
  outbox: Outbox;
  replicas: Replicas;
  me: () => Me | null;
  requireMe: () => Me;
  deviceId: () => string;
  conversationOf: (id: string) => Conversation;
  view: (conversationId: string) => ConversationView;
  segmentsOf: (conversationId: string) => SegmentDocs[];
  /** The segment a message's record was in when its document was last rebuilt (P13, issue 12 B7). */
  knownSegmentOf: (conversationAndKey: string) => number | undefined;
  now: () => number;
  /** The server's clock as this device best knows it (read times are stamped with it, P8). */
  serverNow: () => number;
  newId: () => string;
  emit: () => void;
}) {
  const { outbox, replicas } = deps;
  const act = outbox.act;
  const ownDoc = (conversationId: string, segment = deps.conversationOf(conversationId).segment): string =>
    authorDoc(conversationId as ConversationId, deps.requireMe().id as UserId, segment);
  const theModDoc = (conversationId: string, segment = deps.conversationOf(conversationId).segment): string =>
    modDoc(conversationId as ConversationId, segment);

  /**
   * Everything about a message lives in the segment that holds it (P13): the one the view shows it in; for
   * one's own message the view may not hold (its document is being rebuilt, or its send still waits), the
   * segment its send waits in, or the one its record was in before the rebuild. Never the newest by default
   * when the record's segment is known: the server refuses an edit there (`not-your-message`, issue 12 B7).
   */
  const segmentOfMessage = (conversationId: string, key: string): number => {
    const shown = deps.view(conversationId).state.byKey.get(key)?.segment;
    if (shown !== undefined) return shown;
    const me = deps.me();
    if (me && key.startsWith(`${me.id}:`)) {
      const localId = key.slice(me.id.length + 1);
      for (const e of outbox.entries.values())
        if (e.kind === 'send' && e.conversationId === conversationId && e.payload.id === localId) {
          const parsed = replicas.get(e.doc)?.parsed;
          if (parsed) return parsed.segment;
        }
    }
    return deps.knownSegmentOf(`${conversationId} ${key}`) ?? deps.conversationOf(conversationId).segment;
  };
  const ownMessageDoc = (conversationId: string, localId: string): string =>
    ownDoc(conversationId, segmentOfMessage(conversationId, messageKey(deps.requireMe().id, localId)));

  return {
    ownDoc,
    send: async (
      conversationId: string,
      text: string,
      opt: {
        parent?: string;
        alsoChannel?: boolean;
        files?: FileRef[];
        /**
         * The message's local id, chosen by a caller that must be able to send again after a crash without
         * sending twice (the attachment queue: a send is applied once per id, see applyAction).
         */
        id?: string;
      } = {},
    ): Promise<string> => {
      const id = opt.id ?? deps.newId();
      const payload: ActionPayloads['send'] = {
        id,
        text,
        ts: deps.now(),
        ...(opt.parent ? { parent: opt.parent } : {}),
        ...(opt.alsoChannel ? { alsoChannel: true } : {}),
        ...(opt.files && opt.files.length > 0 ? { files: opt.files } : {}),
      };
      await act(conversationId, ownDoc(conversationId), 'send', payload);
      return messageKey(deps.requireMe().id, id);
    },
    edit: async (conversationId: string, localId: string, text: string): Promise<void> => {
      const doc = ownMessageDoc(conversationId, localId);
      await act(conversationId, doc, 'edit', { localId, text, ts: deps.now() });
    },
    delete: async (conversationId: string, localId: string): Promise<void> => {
      const doc = ownMessageDoc(conversationId, localId);
      await act(conversationId, doc, 'delete', { localId, ts: deps.now() });
    },
    react: async (conversationId: string, key: MessageKey, emoji: string, on: boolean): Promise<void> => {
      const doc = ownDoc(conversationId, segmentOfMessage(conversationId, key));
      await act(conversationId, doc, 'react', { key, emoji, on, ts: deps.now() });
    },
    pin: async (conversationId: string, key: MessageKey, on: boolean): Promise<void> => {
      const doc = theModDoc(conversationId, segmentOfMessage(conversationId, key));
      await act(conversationId, doc, 'pin', { key, by: deps.requireMe().id, ts: deps.now(), on });
    },
    remove: async (conversationId: string, key: MessageKey, reason?: string): Promise<void> => {
      const doc = theModDoc(conversationId, segmentOfMessage(conversationId, key));
      await act(conversationId, doc, 'remove', {
        key,
        by: deps.requireMe().id,
        ts: deps.now(),
        ...(reason ? { reason } : {}),
      });
    },
    /** Marks everything that has arrived so far as read (by arrival order, so late messages stay unread). */
    markRead: async (conversationId: string): Promise<void> => {
      const v = deps.view(conversationId);
      const mine = replicas.get(ownDoc(conversationId));
      if (v.state.lastSeq > (mine ? readSeqOf(mine.doc) : 0))
        await act(conversationId, ownDoc(conversationId), 'read', {
          deviceId: deps.deviceId(),
          seq: v.state.lastSeq,
          ts: deps.serverNow(),
        });
    },
    /**
     * Marks a message and everything after it unread, on every device of this person. Read marks live in
     * each segment's own document, so every loaded one that reaches past the message moves back.
     */
    markUnread: async (conversationId: string, key: MessageKey): Promise<void> => {
      const m = deps.view(conversationId).state.byKey.get(key);
      if (!m || m.seq === null) return;
      const seq = m.seq;
      for (const seg of deps.segmentsOf(conversationId)) {
        const doc = ownDoc(conversationId, seg.segment);
        const r = replicas.get(doc);
        // Mid-rebuild the replica shows no marks: the replay decides on the server's copy.
        const incomplete = r !== undefined && isIncomplete(r.phase);
        if (r && (incomplete || readSeqOf(r.doc) >= seq))
          await act(conversationId, doc, 'unread', {
            deviceId: deps.deviceId(),
            seq,
            ...(incomplete ? {} : { seen: readMarksOf(r.doc) }),
          });
      }
    },
    /**
     * Forgets refused actions (the person has seen them): one outbox entry by id, or everything refused about
     * one of the person's own messages (its send, or an edit or delete of it) by message key.
     */
    dismiss: async (entryOrMessageKey: string): Promise<void> => {
      const me = deps.me();
      for (const e of [...outbox.entries.values()]) {
        const local = ownMessageOf(e);
        const key = me && local !== null ? messageKey(me.id, local) : null;
        if (e.status === 'rejected' && (e.id === entryOrMessageKey || key === entryOrMessageKey))
          await outbox.drop([e]);
      }
      deps.emit();
    },
  };
}
