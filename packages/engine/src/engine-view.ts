import {
  mentionCount,
  messageKey,
  readConversation,
  unreadCount,
  type ConversationState,
  type MessageView,
  type SegmentDocs,
} from '@commonroom/model';
import { isRefusalCode, parseDocName, refusalText, type Conversation, type Me } from '@commonroom/protocol';
import type * as Y from 'yjs';
import type { ActionPayloads } from './actions.ts';
import type { Replica } from './replicas.ts';
import type { OutboxEntry } from './storage.ts';

/** What a person sees of a conversation: the merged documents plus the honest state of their own actions. */

/** `saving`: shown, not yet durable on this device (milliseconds); `waiting`: stored here, not yet acknowledged. */

/** A refusal in the words the app shows (codes.ts); a code kept from an older version, as the server said it. */
const said = (err: { code: string; message: string } | null | undefined): string | null =>
  err ? (isRefusalCode(err.code) ? refusalText(err.code, err.message) : err.message) : null;

export type MessageStatus = 'saving' | 'sent' | 'waiting' | 'rejected';
export type EngineMessage = MessageView & { status: MessageStatus; error: string | null };
export type ConversationView = {
  conversation: Conversation | null;
  messages: EngineMessage[];
  state: ConversationState;
  unread: number;
  /** Unread messages that mention this person (or @channel / @here). */
  mentions: number;
  readSeq: number;
  /** Any message's delivery state, thread replies included (the list above holds top-level ones). */
  statusOf: (key: string) => { status: MessageStatus; error: string | null };
  /** Refused thread replies, shown in their thread where the person left them. */
  rejectedReplies: EngineMessage[];
};

/** Every loaded segment of a conversation, as the model's merge wants them. */
export function segmentDocs(replicas: Iterable<Replica>, conversationId: string): SegmentDocs[] {
  const bySegment = new Map<number, { idx: Y.Doc | null; mod: Y.Doc | null; authors: Map<string, Y.Doc> }>();
  for (const r of replicas) {
    if (r.parsed.conversationId !== conversationId) continue;
    let seg = bySegment.get(r.parsed.segment);
    if (!seg) bySegment.set(r.parsed.segment, (seg = { idx: null, mod: null, authors: new Map() }));
    if (r.parsed.kind === 'idx') seg.idx = r.doc;
    else if (r.parsed.kind === 'mod') seg.mod = r.doc;
    else seg.authors.set(r.parsed.userId, r.doc);
  }
  return [...bySegment].map(([segment, d]) => ({ segment, ...d }));
}

/** The message an outbox entry is about, when it is about one of the person's own messages. */
export function ownMessageOf(e: OutboxEntry): string | null {
  if (e.kind === 'send') return e.payload.id as string;
  if (e.kind === 'edit' || e.kind === 'delete') return e.payload.localId as string;
  return null;
}

export function buildView(args: {
  conversation: Conversation | null;
  conversationId: string;
  segments: SegmentDocs[];
  outbox: Iterable<OutboxEntry>;
  /** Outbox entries whose device write has not finished. */
  unsaved: ReadonlySet<string>;
  me: Me | null;
}): ConversationView {
  const { conversationId, me } = args;
  const state = readConversation(args.segments);
  const entries = [...args.outbox].filter((e) => e.conversationId === conversationId);
  const pending = new Map<string, OutboxEntry>();
  for (const e of entries) {
    const local = ownMessageOf(e);
    if (local && me) pending.set(messageKey(me.id, local), e);
  }
  const statusOf = (key: string): { status: MessageStatus; error: string | null } => {
    const e = pending.get(key);
    return {
      status: !e
        ? 'sent'
        : e.status === 'rejected'
          ? 'rejected'
          : args.unsaved.has(e.id)
            ? 'saving'
            : 'waiting',
      error: said(e?.error),
    };
  };
  const messages: EngineMessage[] = state.messages.map((m) => ({ ...m, ...statusOf(m.key) }));
  const rejectedReplies: EngineMessage[] = [];
  // A refused message is no longer in the document; show it where the person left it, marked as refused.
  for (const e of entries) {
    if (e.kind !== 'send' || e.status !== 'rejected' || !me) continue;
    const p = e.payload as ActionPayloads['send'];
    const key = messageKey(me.id, p.id);
    if (state.byKey.has(key)) continue;
    (p.parent !== undefined && p.alsoChannel !== true ? rejectedReplies : messages).push({
      key,
      authorId: me.id,
      localId: p.id,
      segment: parseDocName(e.doc)?.segment ?? 0,
      seq: null,
      text: p.text,
      files: p.files ?? [],
      ts: p.ts,
      editedAt: null,
      deleted: false,
      removed: null,
      pinned: null,
      parent: p.parent ?? null,
      alsoChannel: p.alsoChannel === true,
      replyCount: 0,
      lastReplyTs: null,
      replyAuthors: [],
      reactions: [],
      status: 'rejected',
      error: said(e.error) ?? 'not accepted',
    });
  }
  const readSeq = me ? (state.readSeqs.get(me.id) ?? 0) : 0;
  return {
    conversation: args.conversation,
    messages,
    state,
    unread: me ? unreadCount(state, me.id) : 0,
    mentions: me ? mentionCount(state, me) : 0,
    readSeq,
    statusOf,
    rejectedReplies,
  };
}

/**
 * Views are read many times per change (the sidebar reads every conversation on each render), and a merge
 * walks every message. Each view is kept until one of its documents, its outbox entries, the conversation
 * or the person changes.
 */
export function createViewCache(build: (conversationId: string) => ConversationView) {
  const cache = new Map<
    string,
    { conversation: unknown; me: unknown; fingerprint: string; view: ConversationView }
  >();
  return {
    get(
      conversationId: string,
      inputs: {
        conversation: Conversation | null;
        me: Me | null;
        replicas: Iterable<Replica>;
        outbox: Iterable<OutboxEntry>;
        unsaved: ReadonlySet<string>;
      },
    ): ConversationView {
      const parts: string[] = [];
      for (const r of inputs.replicas)
        if (r.parsed.conversationId === conversationId) parts.push(`${r.name}@${r.version}`);
      parts.sort();
      for (const e of inputs.outbox)
        if (e.conversationId === conversationId)
          parts.push(
            `${e.id}:${e.status}:${e.error?.code ?? ''}:${inputs.unsaved.has(e.id) ? 'unsaved' : ''}`,
          );
      const fingerprint = parts.join('|');
      const hit = cache.get(conversationId);
      if (
        hit &&
        hit.conversation === inputs.conversation &&
        hit.me === inputs.me &&
        hit.fingerprint === fingerprint
      )
        return hit.view;
      const view = build(conversationId);
      cache.set(conversationId, { conversation: inputs.conversation, me: inputs.me, fingerprint, view });
      return view;
    },
    clear: (): void => cache.clear(),
  };
}
