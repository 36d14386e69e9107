import {
  AUTHOR_ROOTS,
  hasBroadcastMention,
  RECEIPT_MAX_MEMBERS,
  IDX_ROOTS,
  MOD_ROOTS,
  SEGMENT_STRIDE,
  appendToIndex,
  idxRoots,
  mergeCost,
  registerAuthor,
  removeMessage,
  messageKey,
  inspectUpdate,
  authorRoots,
  splitMessageKey,
  summariseAuthorChanges,
  summariseModChanges,
  goneIdsOf,
  type Changes,
  type GoneWhy,
  type IndexTuple,
} from '@commonroom/model';
import {
  LIMITS,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  encodeFrames,
  idxDoc,
  modDoc,
  parseDocName,
  scanStateVector,
  scanUpdate,
  type ConversationId,
  type DocName,
  type Frame,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { DocStore } from '../storage/doc-store.ts';
import type { AppliedActions } from '../storage/applied-actions.ts';
import type { DocClients } from '../storage/doc-clients.ts';
import type { MessageStore } from '../storage/messages.ts';
import type { CommitQueue, PendingWrite } from './commit-queue.ts';
import { createCommitQueue } from './commit-queue.ts';
import type { LoadedDoc, Timers } from './loaded-docs.ts';
import { createLoadedDocs } from './loaded-docs.ts';
import type { MessageRate } from './message-rate.ts';
import type { RefusalBudget } from './refusal-budget.ts';
import { NO_SUCH_CONVERSATION, type Actor, type Policy } from './policy.ts';
import { committed, createRedaction, serverChange } from './redaction.ts';
import type { Session } from './session.ts';

/**
 * The live documents and who is subscribed to them: subscribe (sync step 1), write (step 2 / update),
 * validate, group-commit, acknowledge, relay (docs/PROTOCOL.md P2–P12, docs/THREAT_MODEL.md T1–T12).
 */

/** Inspecting or applying an update this slow is logged: it points at a document that needs a look. */
const SLOW_APPLY_MS = 100;
const ROOTS: Record<DocName['kind'], ReadonlySet<string>> = {
  author: AUTHOR_ROOTS,
  mod: MOD_ROOTS,
  idx: IDX_ROOTS,
};

export type SyncRooms = ReturnType<typeof createSyncRooms>;

export type WriteOutcome = 'queued' | 'rejected' | 'closed';

export function createSyncRooms(deps: {
  store: DocStore;
  conversations: ConversationStore;
  messages: MessageStore;
  appliedActions: AppliedActions;
  docClients: DocClients;
  audit: AuditLog;
  policy: Policy;
  log: Logger;
  now: () => number;
  timers: Timers;
  idleDocMs: number;
  compactAfter: number;
  segmentSize: number;
  /** New messages per person (P10): over it a write is refused with `slow-down`, to be sent again. */
  messageRate: MessageRate;
  /** Refusals per person before their writes are refused unjudged (P10, refusal-budget.ts). */
  refusals: RefusalBudget;
  /** New messages one update may add (P10; `LIMITS.maxNewMessagesPerFrame` but for the bench). */
  newMessagesPerUpdate: number;
  /** Yjs client ids for loaded documents (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
  /**
   * Sees every message and edit once it is accepted, in the commit that stores it (keyword alerts, issue
   * 14 §5). It cannot refuse or change anything, and must not throw.
   */
  watch?: (e: {
    conversationId: string;
    authorId: string;
    localId: string;
    text: string;
    writtenAt: number;
    receivedAt: number;
    kind: 'message' | 'edit';
  }) => void;
}) {
  const { conversations, messages, appliedActions, audit, policy, log, now } = deps;
  const docs = createLoadedDocs({
    store: deps.store,
    idleMs: deps.idleDocMs,
    compactAfter: deps.compactAfter,
    timers: deps.timers,
    onError: (err, doc) => log.error({ err, doc }, 'compaction failed'),
    ...(deps.clientIds ? { clientIds: deps.clientIds } : {}),
  });
  const queue: CommitQueue = createCommitQueue((entries, alongside) =>
    deps.store.appendBatch(entries, alongside),
  );
  /** Index documents changed in the commit being prepared, with their state vector before it. */
  const idxInBatch = new Map<LoadedDoc, Uint8Array>();
  /** Conversations whose current segment filled up in the commit being prepared. */
  const rollovers = new Set<string>();
  /** Message ids accepted but still committing: a second send of the same id in that window is a duplicate. */
  const committingIds = new Set<string>();
  /** `user/action` ids accepted but still committing: a re-application in that window is one too (P14). */
  const committingActions = new Set<string>();
  /** conversation id → sessions subscribed to any of its documents (typing indicators, revocation). */
  const byConversation = new Map<string, Set<Session>>();
  /** Refs each socket has written with. A repeated frame is dropped, so a ref never gets two answers (P11). */
  const seenRefs = new WeakMap<Session, Set<number>>();
  const isRepeatedRef = (s: Session, ref: number): boolean => {
    if (ref === 0) return false;
    let seen = seenRefs.get(s);
    if (!seen) seenRefs.set(s, (seen = new Set()));
    if (seen.has(ref)) return true;
    seen.add(ref);
    if (seen.size > 10_000) seen.delete(seen.values().next().value as number);
    return false;
  };

  const reject = (s: Session, ref: number, doc: string, code: string, message: string): WriteOutcome => {
    if (ref !== 0) s.send([{ type: 'reject', ref, doc, code, message }]);
    else s.send([{ type: 'error', code, message: `${doc}: ${message}` }]);
    return 'rejected';
  };

  const refuseAndAudit = (
    s: Session,
    ref: number,
    doc: string,
    code: string,
    message: string,
  ): WriteOutcome => {
    log.warn({ user: s.actor.id, doc, code }, `refused write: ${message}`);
    audit.record(s.actor.id, 'write.refused', doc, { code, message });
    return reject(s, ref, doc, code, message);
  };

  const closeMalformed = (s: Session, doc: string, reason: string): WriteOutcome => {
    log.warn({ user: s.actor.id, doc, reason }, 'malformed update; closing socket');
    audit.record(s.actor.id, 'socket.malformed', doc, { reason });
    s.close(4003, `malformed update: ${reason}`.slice(0, 120));
    return 'closed';
  };

  const lookup = (name: string): { parsed: DocName; conv: ConversationRow } | null => {
    const parsed = parseDocName(name);
    if (!parsed) return null;
    const conv = conversations.get(parsed.conversationId);
    if (!conv || parsed.segment > conv.segment) return null;
    return { parsed, conv };
  };

  const addSubscriber = (s: Session, l: LoadedDoc): void => {
    l.subscribers.add(s);
    s.subscriptions.add(l.name);
    const c = l.parsed.conversationId;
    let set = byConversation.get(c);
    if (!set) byConversation.set(c, (set = new Set()));
    set.add(s);
  };

  const removeSubscriber = (s: Session, name: string): void => {
    s.subscriptions.delete(name);
    const l = docs.peek(name);
    if (!l) return;
    l.subscribers.delete(s);
    docs.maybeIdle(l);
    const c = l.parsed.conversationId;
    const stillInConversation = [...s.subscriptions].some((n) => parseDocName(n)?.conversationId === c);
    if (!stillInConversation) byConversation.get(c)?.delete(s);
  };

  const relay = (l: LoadedDoc, update: Uint8Array, except: Session | null): void => {
    if (l.subscribers.size === 0) return;
    // Encoded once, the same bytes to every socket (writing per socket is ~20× slower).
    const part = encodeFrames([
      { type: 'sync', doc: l.name, ref: 0, syncType: SYNC_UPDATE, payload: update },
    ]);
    for (const s of l.subscribers) if (s !== except) s.sendEncoded(part);
  };

  /**
   * Step 1 from a client: subscribe and answer with what it lacks (step 2, carrying the step 1's ref) plus
   * our state vector (P2, P3).
   */
  const subscribe = (s: Session, name: string, sv: Uint8Array, ref = 0): void => {
    const found = lookup(name);
    // Missing (or not yet reached) and hidden are answered alike, with the same frame and words (P2).
    if (!found || !policy.canRead(s.actor, found.conv).ok) {
      log.info({ user: s.actor.id, doc: name }, 'refused subscribe');
      s.send([{ type: 'revoked', doc: name, reason: NO_SUCH_CONVERSATION.message }]);
      return;
    }
    if (!s.subscriptions.has(name) && s.subscriptions.size >= LIMITS.maxSubscriptionsPerSocket) {
      reject(
        s,
        0,
        name,
        'too-many-documents',
        `one connection follows at most ${LIMITS.maxSubscriptionsPerSocket} documents`,
      );
      return;
    }
    const svOk = scanStateVector(sv);
    if (!svOk.ok) {
      closeMalformed(s, name, svOk.reason);
      return;
    }
    const l = docs.get(name);
    addSubscriber(s, l);
    // Answer after anything still committing is durable: nothing leaves the server before it is stored.
    queue.afterPending(() => {
      if (!l.subscribers.has(s)) return;
      let diff: Uint8Array;
      try {
        diff = docs.diffFor(l, sv);
      } catch {
        closeMalformed(s, name, 'unusable state vector');
        return;
      }
      s.send([{ type: 'sync', doc: name, ref, syncType: SYNC_STEP2, payload: diff }]);
      s.sendEncoded(docs.step1Of(l));
    });
  };

  const unsubscribe = (s: Session, name: string): void => removeSubscriber(s, name);

  /**
   * Whether the author of `l` (an author document) already used message id `id` in this conversation: in
   * this segment (the ids `l` held before the update being judged, kept in memory) or in an older one
   * (read once per loaded document: older segments take no new messages, P13). One query per message
   * was a sixteenth of the server's CPU under load.
   */
  const idUsed = (l: LoadedDoc, known: ReadonlySet<string>, conv: ConversationRow, id: string): boolean => {
    if (known.has(id)) return true;
    if (l.parsed.kind !== 'author' || l.parsed.segment === 0) return false;
    l.olderIds ??= new Set(messages.idsBelow(conv.id, l.parsed.userId, l.parsed.segment * SEGMENT_STRIDE));
    return l.olderIds.has(id);
  };

  /**
   * The message ids an author document holds (before the update being judged). Kept in step with the
   * document: accepted messages are added as they are applied, and a reload drops the set.
   */
  const idsHeld = (l: LoadedDoc): Set<string> =>
    (l.messageIds ??= new Set([
      ...authorRoots(l.doc)
        .msgs.toArray()
        .map((m) => m.id),
      ...goneIn(l),
    ]));

  /** Ids of an author document's messages whose content the server took out (P16): still used. */
  const goneIn = (l: LoadedDoc): string[] =>
    l.parsed.kind === 'author'
      ? goneIdsOf(docs.get(idxDoc(l.parsed.conversationId, l.parsed.segment)).doc, l.parsed.userId)
      : [];

  /**
   * Read marks name what exists (P8, issue 12 D17): a place no further than the conversation's newest
   * message (its current segment's base plus that index's length, the in-memory index counting what is
   * still committing), and a time no later than now plus `LIMITS.readTimeSkewMs`. The index is looked at only
   * when a mark moves past the base of the current segment.
   */
  const readMarkBound = (
    conv: ConversationRow,
    maxSeq: number,
    maxAt: number,
    at: number,
  ): { ok: false; code: string; message: string } | null => {
    if (maxAt > at + LIMITS.readTimeSkewMs)
      return { ok: false, code: 'bad-read', message: 'a read time cannot be in the future' };
    const base = conv.segment * SEGMENT_STRIDE;
    if (maxSeq <= base) return null;
    const newest =
      base + idxRoots(docs.get(idxDoc(conv.id as ConversationId, conv.segment)).doc).order.length;
    return maxSeq > newest
      ? { ok: false, code: 'bad-read', message: 'a read mark cannot reach past the newest message' }
      : null;
  };

  /**
   * Checks what an update would do (`inspectUpdate`, before it is applied) against the document's rules.
   * What it reads of the document is the document before the update (`known`: its message ids) plus what
   * the update itself inserts, which is what the document holds once it is applied. Returns a refusal, or
   * the messages to index and the projection rows to write (given the sequence numbers the index assigned).
   */
  const judge = (
    s: Session,
    l: LoadedDoc,
    known: ReadonlySet<string>,
    parsed: DocName,
    conv: ConversationRow,
    changes: Changes,
  ):
    | { ok: false; code: string; message: string }
    | {
        ok: true;
        index: IndexTuple[];
        listAuthor: boolean;
        project: (seqs: number[]) => void;
        /** Messages whose content leaves the author's document in the same commit (P16). */
        gone?: { authorId: string; ids: string[]; why: GoneWhy }[];
      } => {
    const at = now();
    if (parsed.kind === 'author') {
      const sum = summariseAuthorChanges(changes);
      if (!sum.ok) return sum;
      if (sum.messages.length > 0 || sum.edits.length > 0 || sum.deletes.length > 0) {
        const post = policy.canPost(s.actor, conv);
        if (!post.ok) return post;
      }
      // A muted person may still delete their own words; new words, changed words and reactions wait.
      if (sum.messages.length > 0 || sum.edits.length > 0 || sum.reactions.length > 0) {
        const mute = policy.notMuted(s.actor, conv);
        if (!mute.ok) return mute;
      }
      if (sum.messages.length > deps.newMessagesPerUpdate)
        return {
          ok: false,
          code: 'too-many-messages',
          message: `at most ${deps.newMessagesPerUpdate} new messages in one update`,
        };
      if (sum.reactions.length > 0) {
        const react = policy.canReact(s.actor, conv);
        if (!react.ok) return react;
      }
      const readBound = readMarkBound(conv, sum.maxReadSeq, sum.maxReadAt, at);
      if (readBound) return readBound;
      // Edits and deletes name a message by its id in this same document: one's own, by construction (T2):
      // one it held already, or one this update adds (and does not take back). The list itself cannot lose
      // a message (summariseAuthorChanges refuses that), so these are the ids it holds once applied.
      const adds = sum.messages.length === 0 ? null : new Set(sum.messages.map((m) => m.id));
      for (const t of [...sum.edits, ...sum.deletes])
        if (!known.has(t.localId) && !adds?.has(t.localId))
          return { ok: false, code: 'not-your-message', message: 'you can only change your own messages' };
      /**
       * Edits of messages whose content was already taken out (deleted on another device meanwhile, removed
       * by a moderator, expired: P16; `known` counts their ids). Accepted, so a race between two of one's
       * devices is no error, and taken out again in the same commit: the words never stay in the document.
       */
      const gone = sum.edits.length === 0 ? null : new Set(goneIn(l));
      const editsOfGone = sum.edits.filter((e) => gone?.has(e.localId)).map((e) => e.localId);
      // New messages go to the newest segment only; a device that missed a rollover resends there (P13).
      if (sum.messages.length > 0 && parsed.segment !== conv.segment)
        return {
          ok: false,
          code: 'segment-closed',
          message: 'this conversation moved on to a new part; resend there',
        };
      const seen = new Set<string>();
      const broadcastOk = policy.mayBroadcastMention(s.actor);
      for (const m of sum.messages) {
        if (
          seen.has(m.id) ||
          committingIds.has(`${conv.id}/${s.actor.id}/${m.id}`) ||
          idUsed(l, known, conv, m.id)
        )
          return { ok: false, code: 'duplicate-id', message: `message id ${m.id} is already used` };
        seen.add(m.id);
      }
      for (const text of [...sum.messages.map((m) => m.text), ...sum.edits.map((e) => e.text)])
        if (!broadcastOk && hasBroadcastMention(text))
          return {
            ok: false,
            code: 'broadcast-mention',
            message: 'only staff can notify everyone with @channel or @here',
          };
      // Last, once everything else passed: only messages that would be stored use up the allowance.
      const wait = deps.messageRate.take(s.actor.id, sum.messages.length);
      if (wait > 0)
        return {
          ok: false,
          code: 'slow-down',
          message: `sending too fast; try again in ${Math.ceil(wait / 1000)} s`,
        };
      return {
        ok: true,
        gone:
          sum.deletes.length > 0 || editsOfGone.length > 0
            ? [
                {
                  authorId: s.actor.id,
                  ids: [...sum.deletes.map((x) => x.localId), ...editsOfGone],
                  why: 'deleted',
                },
              ]
            : [],
        index: sum.messages.map((m) => [s.actor.id, m.id]),
        // Where receipts show (RECEIPT_MAX_MEMBERS), a reader is listed like an author so others follow
        // their document and see their read marks; in larger channels nobody follows thousands for nothing.
        listAuthor:
          sum.reactions.some((r) => r.on) ||
          (sum.readMarks > 0 &&
            (conv.kind === 'dm' || conversations.memberCount(conv.id) <= RECEIPT_MAX_MEMBERS)),
        project: (seqs) => {
          sum.messages.forEach((m, i) =>
            messages.insert({
              conversationId: conv.id,
              authorId: s.actor.id,
              localId: m.id,
              seq: seqs[i] ?? 0,
              parentKey: m.parent ?? null,
              text: m.text,
              clientTs: m.ts,
              receivedAt: at,
            }),
          );
          for (const e of sum.edits) messages.recordEdit(conv.id, s.actor.id, e.localId, e.text, at);
          for (const d of sum.deletes) messages.recordDelete(conv.id, s.actor.id, d.localId, at);
          const watch = deps.watch;
          if (watch) {
            const base = { conversationId: conv.id, authorId: s.actor.id, receivedAt: at };
            for (const m of sum.messages)
              watch({ ...base, localId: m.id, text: m.text, writtenAt: m.ts, kind: 'message' });
            for (const e of sum.edits)
              watch({ ...base, localId: e.localId, text: e.text, writtenAt: e.ts, kind: 'edit' });
          }
        },
      };
    }
    if (parsed.kind === 'mod') {
      const sum = summariseModChanges(changes);
      if (!sum.ok) return sum;
      // Both people in a DM may pin; removing someone else's words there is not theirs to do.
      if (sum.removals.length > 0 && conv.kind === 'dm')
        return {
          ok: false,
          code: 'not-a-moderator',
          message: 'messages in a direct message are deleted by their author',
        };
      const named = [...sum.pins.map((p) => p.by), ...sum.removals.map((r) => r.by)];
      if (named.some((by) => by !== null && by !== s.actor.id))
        return { ok: false, code: 'forged-moderator', message: 'moderation entries must name their author' };
      const byAuthor = new Map<string, string[]>();
      for (const r of sum.removals) {
        const { authorId, localId } = splitMessageKey(r.key);
        byAuthor.set(authorId, [...(byAuthor.get(authorId) ?? []), localId]);
      }
      return {
        ok: true,
        gone: [...byAuthor].map(([authorId, ids]) => ({ authorId, ids, why: 'removed' as const })),
        index: [],
        listAuthor: false,
        project: () => {
          for (const r of sum.removals) {
            const { authorId, localId } = splitMessageKey(r.key);
            messages.recordRemoval(conv.id, authorId, localId, s.actor.id, at);
            audit.record(s.actor.id, 'message.removed', `${conv.id}/${r.key}`, { reason: r.reason ?? '' });
          }
        },
      };
    }
    return { ok: false, code: 'server-only', message: 'the index is written by the server only' };
  };

  const settle = (d: LoadedDoc, u: Uint8Array): void => {
    d.inFlight--;
    d.uncommitted.splice(d.uncommitted.indexOf(u), 1);
  };

  /**
   * An index document changed by the commit being prepared. However many messages the commit holds, the
   * index gets one stored update and one relay per commit, encoded when the commit is flushed: per message
   * it was a second row, a second frame to every reader and an encode each time.
   */
  const indexInBatch = (batch: PendingWrite, target: LoadedDoc, before: Uint8Array): void => {
    idxInBatch.set(target, before);
    target.inFlight++;
    let update: Uint8Array | null = null;
    batch.prepare.push(() => {
      idxInBatch.delete(target);
      update = Y.encodeStateAsUpdate(target.doc, before);
      target.uncommitted.push(update);
      batch.entries.push({ doc: target.name, data: update });
      // Relayed after every author update of the commit: readers get the messages, then their places.
      batch.after.push(() => {
        if (update) {
          settle(target, update);
          relay(target, update, null);
        }
        docs.maybeIdle(target);
      });
    });
    batch.failed.push(() => {
      idxInBatch.delete(target);
      if (update) settle(target, update);
      else target.inFlight--;
      docs.reload(target);
    });
  };

  /** A server-written update of `l` in `batch`: held until durable, then relayed to every subscriber. */
  const track = (batch: PendingWrite, l: LoadedDoc, update: Uint8Array): void => {
    l.inFlight++;
    l.uncommitted.push(update);
    batch.entries.push({ doc: l.name, data: update });
    batch.after.push(() => {
      settle(l, update);
      relay(l, update, null);
      docs.maybeIdle(l);
    });
    batch.failed.push(() => {
      settle(l, update);
      docs.reload(l);
    });
  };

  const redaction = createRedaction({
    docs,
    queue,
    messages,
    now,
    log,
    segmentStride: SEGMENT_STRIDE,
    track,
    changeIndex: (batch, target, change) => {
      const before = idxInBatch.has(target) ? null : Y.encodeStateVector(target.doc);
      change(target.doc);
      if (before) indexInBatch(batch, target, before);
    },
  });

  /** Step 2 or update from a client: authorise by document, scan, judge, apply, then commit (T1–T8, T12). */
  const write = (
    s: Session,
    name: string,
    ref: number,
    update: Uint8Array,
    actions: readonly string[] = [],
  ): WriteOutcome => {
    // A copy of a write already answered: refused then applied, the client would hold the wrong verdict.
    if (isRepeatedRef(s, ref)) return 'rejected';
    const found = lookup(name);
    if (!found) return refuseAndAudit(s, ref, name, NO_SUCH_CONVERSATION.code, NO_SUCH_CONVERSATION.message);
    const { parsed, conv } = found;
    const read = policy.canRead(s.actor, conv);
    if (!read.ok) return refuseAndAudit(s, ref, name, read.code, read.message);
    if (parsed.kind === 'idx')
      return refuseAndAudit(s, ref, name, 'server-only', 'the index is written by the server only');
    if (parsed.kind === 'author' && parsed.userId !== s.actor.id)
      return refuseAndAudit(s, ref, name, 'not-your-document', "you cannot write another person's messages");
    if (parsed.kind === 'author') {
      const own = policy.canWriteOwn(s.actor, conv);
      if (!own.ok) return refuseAndAudit(s, ref, name, own.code, own.message);
    }
    if (parsed.kind === 'mod' && !policy.canModerate(s.actor, conv))
      return refuseAndAudit(s, ref, name, 'not-a-moderator', 'only moderators pin or remove messages here');

    const scan = scanUpdate(update, {
      maxStructs: LIMITS.maxStructsPerUpdate,
      maxClockSpan: LIMITS.maxClockSpanPerUpdate,
      maxValueDepth: LIMITS.maxValueDepth,
      allowedRoots: ROOTS[parsed.kind],
    });
    if (!scan.ok) return closeMalformed(s, name, scan.reason);

    // A person held off (sending faster than the allowance, or refused too often) is refused before the
    // update is even inspected (P10, refusal-budget.ts).
    const held = Math.max(deps.messageRate.blockedFor(s.actor.id), deps.refusals.heldFor(s.actor.id));
    if (held > 0)
      return reject(s, ref, name, 'slow-down', `sending too fast; try again in ${Math.ceil(held / 1000)} s`);

    const l = docs.get(name);
    // In a shared document each Yjs client id belongs to the first user who wrote with it: another writer
    // using it would have that user's next pin or removal acknowledged and ignored by Yjs as already held.
    // Judged from the scan, before anything is applied, so the refusal costs no reload (T13).
    let newClients: number[] = [];
    if (parsed.kind === 'mod') {
      const owners = (l.clientOwners ??= deps.docClients.ownersOf(name));
      if (scan.clients.some((c) => (owners.get(c) ?? s.actor.id) !== s.actor.id))
        return refuseAndAudit(
          s,
          ref,
          name,
          'not-your-client-id',
          "this update writes as another person's device (its Yjs client id)",
        );
      newClients = scan.clients.filter((c) => !owners.has(c));
    }
    // The merge's work is bounded by counting before anything is applied, so a costly update neither
    // blocks the event loop nor costs a reload to refuse (P10). Refused, not closed: an honest engine
    // sends a refused frame's actions again one per frame, each far below these bounds.
    if (
      scan.clients.length > LIMITS.maxClientsPerUpdate ||
      mergeCost(l.doc, scan.items, scan.deletes, {
        budget: LIMITS.maxMergeWorkPerUpdate,
        perPlace: LIMITS.maxConcurrentPerPlace,
      }) > LIMITS.maxMergeWorkPerUpdate
    )
      return refuseAndAudit(
        s,
        ref,
        name,
        'too-costly',
        `this update would take the server too long to merge (more than ${LIMITS.maxClientsPerUpdate} writers, or too many concurrent changes at one place); take the server's copy and send it again`,
      );

    const stored =
      actions.length === 0
        ? []
        : [
            ...actions.filter((a) => committingActions.has(`${s.actor.id}/${a}`)),
            ...appliedActions.storedOf(
              s.actor.id,
              actions.filter((a) => !committingActions.has(`${s.actor.id}/${a}`)),
            ),
          ];

    const known: ReadonlySet<string> = parsed.kind === 'author' ? idsHeld(l) : new Set();
    // Judged before it is applied (issue 12 A1, T12): `inspectUpdate` reports what applying it would
    // change, so a refusal leaves the document untouched and costs no reload. Only an accepted update is
    // applied.
    let changes: Changes;
    const started = performance.now();
    try {
      changes = inspectUpdate(l.doc, update);
    } catch (err) {
      // What Yjs would throw on (an origin that cannot exist): nothing was applied.
      log.warn({ err, user: s.actor.id, doc: name }, 'update could not be read against the document');
      return closeMalformed(s, name, 'update could not be applied');
    }
    if (changes.pending)
      return reject(
        s,
        ref,
        name,
        'missing-history',
        'this update depends on changes the server does not have; resync',
      );
    if (stored.length > 0 && (changes.inserts.length > 0 || changes.removals.length > 0)) {
      // A device re-applied, after a rebuild, an action already stored in its first form: kept, it would
      // undo what others did since (P14). Not audited: it is the engine recovering, not a person's doing.
      return reject(
        s,
        ref,
        name,
        'already-applied',
        `already stored: ${stored.slice(0, 8).join(', ')}${stored.length > 8 ? ', …' : ''}`,
      );
    }
    const verdict = judge(s, l, known, parsed, conv, changes);
    if (!verdict.ok) {
      // A message sent to a segment that just rolled over is the engine's everyday case (it resends in the
      // new one), not someone breaking a rule: it would fill the safeguarding audit at every rollover.
      if (verdict.code === 'segment-closed') return reject(s, ref, name, verdict.code, verdict.message);
      // Sending faster than the per-person allowance is refused to be retried (P10); logged, not audited.
      if (verdict.code === 'slow-down') {
        log.info({ user: s.actor.id, doc: name }, 'new messages over the rate; slow-down');
        return reject(s, ref, name, verdict.code, verdict.message);
      }
      // `duplicate-id` is an honest engine's everyday recovery (P11: a message stored from a frame's earlier
      // form), and `muted` what an honest device meets with messages queued before the mute reached it (its
      // engine sends them one by one to find which are refused); every other refusal here is something the
      // person did that the rules do not allow. Those cost no reload any more, but each is a log line and an
      // audit row: the budget keeps one person from writing thousands of them (P10, refusal-budget.ts).
      if (verdict.code !== 'duplicate-id' && verdict.code !== 'muted') deps.refusals.spend(s.actor.id);
      return refuseAndAudit(s, ref, name, verdict.code, verdict.message);
    }
    // Accepted: applied now. The reload that follows a failure here is the only one a write can still
    // cause, the safety net for what is only known after applying: Yjs throwing half-way through an update
    // it was inspected to accept, or holding part of it back as pending after all. Neither is expected
    // (the inspection replays Yjs's own integration); both are counted against the refusal budget.
    try {
      Y.applyUpdate(l.doc, update, s);
    } catch (err) {
      docs.invalidate(l);
      deps.refusals.spend(s.actor.id);
      log.error({ err, user: s.actor.id, doc: name }, 'accepted update failed to apply');
      return closeMalformed(s, name, 'update could not be applied');
    }
    if (l.doc.store.pendingStructs !== null || l.doc.store.pendingDs !== null) {
      docs.invalidate(l);
      deps.refusals.spend(s.actor.id);
      log.error({ user: s.actor.id, doc: name }, 'accepted update left history pending');
      return reject(
        s,
        ref,
        name,
        'missing-history',
        'this update depends on changes the server does not have; resync',
      );
    }
    const took = performance.now() - started;
    if (took > SLOW_APPLY_MS)
      log.warn({ doc: name, ms: Math.round(took), bytes: update.length }, 'slow update');
    // Applied and accepted: the document holds them now (a failed commit reloads it and drops the set).
    if (parsed.kind === 'author') for (const [, id] of verdict.index) l.messageIds?.add(id);
    if (newClients.length > 0) {
      for (const c of newClients) l.clientOwners?.set(c, s.actor.id);
      queue.current().alongside.push(() => deps.docClients.bind(name, newClients, s.actor.id));
    }

    const batch = queue.current();
    l.inFlight++;
    l.uncommitted.push(update);
    batch.entries.push({ doc: name, data: update });
    let seqs: number[] = [];
    if (verdict.index.length > 0 || verdict.listAuthor) {
      const target = docs.get(idxDoc(parsed.conversationId, parsed.segment));
      const first = !idxInBatch.has(target);
      const before = first ? Y.encodeStateVector(target.doc) : null;
      let changed = false;
      if (verdict.index.length > 0) {
        const base = parsed.segment * SEGMENT_STRIDE;
        seqs = appendToIndex(target.doc, verdict.index).map((place) => base + place);
        changed = true;
        // A full segment rolls over in the same commit: later messages start the next one (P13).
        if (idxRoots(target.doc).order.length >= deps.segmentSize) rollovers.add(conv.id);
      }
      if (registerAuthor(target.doc, s.actor.id)) changed = true;
      if (changed && before) indexInBatch(batch, target, before);
      else if (!idxInBatch.has(target)) docs.maybeIdle(target);
    }
    batch.alongside.push(() => verdict.project(seqs));
    const recorded = actions.filter((a) => !stored.includes(a));
    if (recorded.length > 0) batch.alongside.push(() => appliedActions.record(s.actor.id, recorded, now()));
    const actionKeys = recorded.map((a) => `${s.actor.id}/${a}`);
    actionKeys.forEach((k) => committingActions.add(k));
    if (rollovers.has(conv.id)) {
      const next = parsed.segment + 1;
      batch.alongside.push(() => conversations.advanceSegment(conv.id, parsed.segment, next));
      batch.after.push(() => {
        rollovers.delete(conv.id);
        const notice = encodeFrames([
          {
            type: 'notice',
            kind: 'conversation-changed',
            json: JSON.stringify({ id: conv.id, segment: next }),
          },
        ]);
        for (const other of byConversation.get(conv.id) ?? []) other.sendEncoded(notice);
      });
      batch.failed.push(() => rollovers.delete(conv.id));
    }
    const ids = verdict.index.map(([a, m]) => `${conv.id}/${a}/${m}`);
    ids.forEach((k) => committingIds.add(k));
    const release = (): void => {
      ids.forEach((k) => committingIds.delete(k));
      actionKeys.forEach((k) => committingActions.delete(k));
    };
    batch.after.push(() => {
      release();
      settle(l, update);
      if (ref !== 0) s.send([{ type: 'ack', ref }]);
      relay(l, update, s);
      docs.maybeIdle(l);
    });
    batch.failed.push((err) => {
      log.error({ err, doc: name }, 'commit failed');
      release();
      settle(l, update);
      l.clientOwners = null;
      docs.reload(l);
      reject(s, ref, name, 'storage-failed', 'the server could not store this; it will be retried');
    });
    // A delete or a moderator's removal takes the words out of the author's document in the same commit,
    // so they leave every device with the mark that hides them (P16).
    for (const g of verdict.gone ?? [])
      redaction.inBatch(batch, conv.id, parsed.segment, g.authorId, g.ids, g.why);
    return 'queued';
  };

  /** Answers once everything already queued is durable, for writes with nothing new (a resend). */
  const ackAfterPending = (s: Session, ref: number): void => {
    queue.afterPending(() => s.send([{ type: 'ack', ref }]));
  };

  const handleSync = (s: Session, f: Extract<Frame, { type: 'sync' }>): WriteOutcome | 'subscribed' => {
    if (f.syncType === SYNC_STEP1) {
      subscribe(s, f.doc, f.payload, f.ref);
      return 'subscribed';
    }
    return write(s, f.doc, f.ref, f.payload, f.actions);
  };

  return {
    handleSync,
    subscribe,
    unsubscribe,
    write,
    ackAfterPending,
    /** Drops every subscription of a closing socket. */
    dropSession(s: Session): void {
      // Everything at once: removing one by one scanned the remaining subscriptions each time (n²).
      const left = new Set<string>();
      for (const name of s.subscriptions) {
        const l = docs.peek(name);
        if (l) {
          l.subscribers.delete(s);
          docs.maybeIdle(l);
        }
        const c = l?.parsed.conversationId ?? parseDocName(name)?.conversationId;
        if (c !== undefined) left.add(c);
      }
      s.subscriptions.clear();
      for (const c of left) byConversation.get(c)?.delete(s);
    },
    /** Stops delivery of a conversation to one user at once: membership removed, or access lost (T9). */
    revokeConversation(
      conversationId: string,
      userId: string,
      sessions: Iterable<Session>,
      reason: string,
    ): void {
      for (const s of sessions) {
        if (s.actor.id !== userId) continue;
        const names = [...s.subscriptions].filter((n) => parseDocName(n)?.conversationId === conversationId);
        for (const n of names) removeSubscriber(s, n);
        if (names.length > 0) s.send(names.map((doc) => ({ type: 'revoked' as const, doc, reason })));
      }
    },
    sessionsIn(conversationId: string): ReadonlySet<Session> {
      return byConversation.get(conversationId) ?? new Set();
    },
    canRead(actor: Actor, conversationId: string): boolean {
      const c = conversations.get(conversationId);
      return c !== null && policy.canRead(actor, c).ok;
    },
    /** Whether `actor` may post messages in the conversation now (typing is relayed only then, P9). */
    canPost(actor: Actor, conversationId: string): boolean {
      const c = conversations.get(conversationId);
      return c !== null && policy.canPost(actor, c).ok && policy.notMuted(actor, c).ok;
    },
    /**
     * A safeguarding lead's removal (issue 14 §3), written by the server into the moderation document of the
     * segment holding the message, with its words taken out in the same commit (P16): what a moderator's
     * removal does, for a lead who is not a moderator of that conversation. Resolves once durable: false
     * when there is no such message or it was already removed.
     */
    removeAsServer(
      conversationId: string,
      authorId: string,
      localId: string,
      by: string,
      reason: string,
    ): Promise<boolean> {
      const row = messages.get(conversationId, authorId, localId);
      if (!row || row.removedBy !== null) return Promise.resolve(false);
      const segment = Math.floor(row.seq / SEGMENT_STRIDE);
      const l = docs.get(modDoc(conversationId as ConversationId, segment));
      const key = messageKey(authorId, localId);
      const at = now();
      const { update } = serverChange(l.doc, () => removeMessage(l.doc, key, by, at, reason));
      if (!update) return Promise.resolve(false);
      const batch = queue.current();
      track(batch, l, update);
      batch.alongside.push(() => {
        messages.recordRemoval(conversationId, authorId, localId, by, at);
        audit.record(by, 'message.removed', `${conversationId}/${key}`, { reason, via: 'safeguarding' });
      });
      redaction.inBatch(batch, conversationId, segment, authorId, [localId], 'removed');
      return committed(batch, true);
    },
    /** Takes messages' content out of their author documents, durably (P16; retention, §7). */
    redact: redaction.redact,
    /** Redacts deleted or removed messages left unredacted (a database from before P16); run at start. */
    catchUpRedactions: redaction.catchUp,
    drain: () => queue.drain(),
    loadedCount: () => docs.loadedCount(),
    reloadCount: () => docs.reloadCount(),
    dispose: () => docs.dispose(),
  };
}
