import type { Conversation, Me, RefusalCode } from '@commonroom/protocol';
import type { Outbox } from './outbox.ts';
import type { PeerEvent } from './peers.ts';
import type { Rebuilds } from './rebuild.ts';
import type { Replica, Replicas } from './replicas.ts';
import type { EngineStorage, OutboxEntry } from './storage.ts';
import { refusalHandling } from './refusal-handling.ts';

/**
 * The server's answers to the outbox's frames (P5, P12, P13, P14): an acknowledgement takes the actions out;
 * a refusal blames one, isolates several, pauses, moves them to a newer segment, or rebuilds the document.
 */

export type Refusal = { code: RefusalCode; message: string };

export function createAnswers(deps: {
  outbox: Outbox;
  rebuilds: Rebuilds;
  replicas: Replicas;
  storage: EngineStorage;
  conversations: Map<string, Conversation>;
  me: () => Me | null;
  isOnline: () => boolean;
  /** The person's own document of a conversation's current segment. */
  ownDoc: (conversationId: string) => string;
  refreshConversations: () => Promise<unknown>;
  refreshLater: () => void;
  openConversationDocs: (c: Conversation) => Promise<Replica[]>;
  subscribe: (rs: Replica[]) => void;
  retryLater: (doc: string) => void;
  synced: () => void;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
  reportError: (code: string, message: string) => void;
}) {
  const { outbox, rebuilds, replicas } = deps;

  /** Entries of `doc` about one of `ids` (own messages): an edit, a delete or a reaction to it. */
  const aboutMessages = (e: OutboxEntry, ids: ReadonlySet<string>): boolean => {
    const me = deps.me();
    if (e.kind === 'edit' || e.kind === 'delete') return ids.has(e.payload.localId as string);
    if (e.kind === 'react' && me) {
      const key = e.payload.key as string;
      return key.startsWith(`${me.id}:`) && ids.has(key.slice(me.id.length + 1));
    }
    return false;
  };

  /**
   * `doc`'s segment is closed (P13): every message still waiting in it, and whatever waits about those
   * messages (an edit of one not yet sent), moves to the newest segment and is applied there. The refusal
   * itself proves a newer segment exists, so the move never waits for HTTP: when the conversation list
   * cannot be fetched, the next segment is taken, and a later refusal moves on again (issue 12 B6, B8).
   */
  const moveToNewestSegment = async (doc: string): Promise<void> => {
    const from = replicas.get(doc)?.parsed;
    if (!from || !deps.me()) return;
    try {
      await deps.refreshConversations();
    } catch {
      deps.refreshLater();
    }
    const c = deps.conversations.get(from.conversationId);
    if (c && c.segment <= from.segment) {
      const next = { ...c, segment: from.segment + 1 };
      deps.conversations.set(c.id, next);
      const rs = await deps.openConversationDocs(next);
      if (deps.isOnline()) deps.subscribe(rs);
    }
    // Only what still waits in the closed document (a concurrent refusal may have moved it already) and is
    // saved on the device (an action still being saved sends to its own document; refused, it moves then).
    const waitingHere = (e: OutboxEntry): boolean =>
      e.doc === doc && e.status === 'pending' && !outbox.unsaved.has(e.id);
    const all = [...outbox.entries.values()];
    const ids = new Set(
      all.filter((e) => waitingHere(e) && e.kind === 'send').map((e) => e.payload.id as string),
    );
    const moving = all.filter((e) => waitingHere(e) && (e.kind === 'send' || aboutMessages(e, ids)));
    const target = c ? deps.ownDoc(c.id) : null;
    if (target !== null && target !== doc)
      for (const e of moving) {
        e.doc = target;
        e.update = null;
        await deps.storage.putOutbox(e);
        deps.toPeers({ t: 'outbox-put', entry: e });
      }
    await rebuilds.rebuild(doc);
    if (target === null || target === doc || moving.length === 0) return;
    await rebuilds.applyMoved(target, moving);
  };

  /**
   * What a refusal or late acknowledgement changes in the outbox is stored only after the rebuild that
   * follows has cleared the document's stored copy (`rebuildThenStore`): stored first, an app closed in
   * between (a phone killing the page) left on the device a copy holding the refused or re-applied change
   * with no entry left to take it out, and nothing at the next start rebuilt it, so that device alone
   * kept a refused edit, a pin or a removal for good. In the other order, the entry is still waiting at the
   * next start: sent again, it is refused or found applied again, and the rebuild follows then.
   */
  const rebuildThenStore = async (
    rebuild: () => Promise<void>,
    store: (() => Promise<void>)[],
  ): Promise<void> => {
    await rebuild();
    for (const write of store) await replicas.afterWrites(write);
  };

  /**
   * An edit or delete of one's own message whose send still waits in the same document. The server refuses
   * it as `not-your-message` when the frame that carried the send went before it and was refused for
   * something that blames nothing (`already-applied` of another action beside it, `missing-history`,
   * `slow-down`...): the edit names no Yjs item of the send, so the server cannot call it missing history.
   * Blamed, the person's edit was marked refused for good while the message itself went through (seed 158
   * of the simulation). It blames nothing: the rebuild sends the message again, then this.
   */
  const awaitsItsSend = (e: OutboxEntry | undefined): boolean =>
    e !== undefined &&
    (e.kind === 'edit' || e.kind === 'delete') &&
    [...outbox.entries.values()].some(
      (s) =>
        s.kind === 'send' && s.status === 'pending' && s.doc === e.doc && s.payload.id === e.payload.localId,
    );

  /** A refusal that blames nothing by itself (or one action alone): see P12. */
  const refused = async (
    rejected: Refusal,
    doc: string,
    carried: number,
    mine: readonly OutboxEntry[],
    rebuildAfterFrame: () => Promise<void>,
  ): Promise<void> => {
    const handling =
      rejected.code === 'not-your-message' && mine.length === 1 && awaitsItsSend(mine[0])
        ? 'blameless'
        : refusalHandling(rejected.code);
    const store: (() => Promise<void>)[] = [];
    if (handling === 'delivered' && mine.length === 1 && mine[0]?.kind === 'send') {
      // The server holds a message of ours with this id (P11), stored from this frame's earlier form: in
      // another segment before a rollover moved it, or before a rebuild re-applied it. It is delivered;
      // sending it again would be refused again, forever.
      store.push(outbox.forget(mine));
    } else if (handling === 'applied') {
      // The server has this action from before a rebuild; the copy re-applied it (P14). It is done only when
      // the frame named that one action alone: in a frame of several, the stored one may be an action
      // acknowledged meanwhile (no longer here), and a new message is never named at all. Either way the
      // server's copy is taken again, without the re-application.
      const only = carried === 1 ? mine[0] : undefined;
      if (only && only.kind !== 'send') store.push(outbox.forget([only]));
      else if (carried > 1) outbox.isolate(doc, mine);
    } else {
      const single = mine.length === 1 ? mine[0] : undefined;
      // A duplicate id on anything but one message alone blames nothing either (P11).
      if (single && handling === 'blames') {
        single.status = 'rejected';
        single.error = rejected;
        store.push(async () => {
          await deps.storage.putOutbox(single);
          deps.toPeers({ t: 'outbox-put', entry: single });
        });
        deps.reportError(rejected.code, rejected.message);
      } else if (mine.length > 1 && handling !== 'overtaken') {
        // Several actions in one refused frame: resend them one by one to find the one the server refuses.
        // Not when overtaken: that blames none of them (an earlier frame was refused or overtaken).
        outbox.isolate(doc, mine);
      }
    }
    deps.emit();
    await rebuildThenStore(rebuildAfterFrame, store);
  };

  /** The answer to frame `ref` (`rejected` null: acknowledged). `doc`: the document a refusal names. */
  const settle = async (ref: number, rejected: Refusal | null, doc: string): Promise<void> => {
    const frame = outbox.inflight.get(ref);
    outbox.inflight.delete(ref);
    const entries = (frame?.ids ?? []).flatMap((id) => outbox.entries.get(id) ?? []);
    /** Takes the server's copy again, unless one asked for after this frame is on its way. */
    const rebuildAfterFrame = async (d: string): Promise<void> => {
      if (!rebuilds.copyComingAfter(frame)) await rebuilds.rebuild(d);
    };
    if (!rejected) {
      outbox.acknowledged();
      const stale = frame !== undefined && frame.generation !== outbox.generationOf(frame.doc);
      if (frame && stale) {
        // Sent before a rebuild, stored after it: a copy answered before the server stored it lacks what
        // it stored (it is not relayed back to us), and that copy's replay may have applied these actions
        // again, a change no entry is left to send. Take the server's copy once more; the entries leave
        // the device only after (see rebuildThenStore).
        const store = outbox.forget(entries);
        if (entries.length > 0) deps.synced();
        deps.emit();
        await rebuildThenStore(() => rebuildAfterFrame(frame.doc), [store]);
        return;
      }
      await outbox.drop(entries);
      if (entries.length > 0) deps.synced();
      if (frame) {
        if (!outbox.hasPendingIn(frame.doc)) outbox.unisolate(frame.doc);
        outbox.sendPendingFor(frame.doc);
      }
      deps.emit();
      return;
    }
    switch (refusalHandling(rejected.code)) {
      case 'retry-later':
        deps.retryLater(doc);
        return;
      case 'slow-down':
        // Sending faster than the server takes (P10): nothing was stored, nothing is wrong with the actions.
        // They keep waiting, in order, and go again after a pause (P12).
        outbox.slowDown();
        deps.emit();
        return;
      case 'move-segment':
        await moveToNewestSegment(doc);
        return;
      case 'delivered':
      case 'applied':
      case 'blameless':
      case 'overtaken':
      case 'blames':
        break;
    }
    // A refusal is about the document the frame went to: an entry moved since to a newer segment (P13) is
    // no longer this frame's, and is neither blamed nor dropped here.
    const mine = entries.filter((e) => e.doc === doc);
    await refused(rejected, doc, frame?.ids.length ?? 0, mine, () => rebuildAfterFrame(doc));
  };

  return { settle };
}
