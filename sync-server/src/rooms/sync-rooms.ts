import { SEGMENT_STRIDE, idxRoots, inspectUpdate, mergeCost, type Changes } from '@commonroom/model';
import {
  LIMITS,
  SYNC_STEP1,
  idxDoc,
  scanUpdate,
  type ConversationId,
  type Frame,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import { NO_SUCH_CONVERSATION, type Actor, type Policy } from '../auth/policy.ts';
import type { AppliedActions } from '../storage/applied-actions.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { DocClients } from '../storage/doc-clients.ts';
import type { DocStore } from '../storage/doc-store.ts';
import type { MessageStore } from '../storage/messages.ts';
import type { Timers } from '../timers.ts';
import { createAnswers, type WriteOutcome } from './answers.ts';
import { createCommitQueue, type CommitQueue } from './commit-queue.ts';
import { createIndexBatch } from './index-batch.ts';
import { judgeFiles, type AttachmentRefs } from './attachment-refs.ts';
import { judgeAuthor, judgeIndex, judgeMod, type Accepted, type Verdict } from './judges.ts';
import { createLoadedDocs, type LoadedDoc } from './loaded-docs.ts';
import type { MessageRate } from './message-rate.ts';
import { createProjection, readMoved, storedMessages, type Watched } from './projection.ts';
import type { ReadMoved, StoredMessage } from './stored-message.ts';
import { createRedaction } from './redaction.ts';
import { createSeenWrites } from './seen-writes.ts';
import type { RefusalBudget } from './refusal-budget.ts';
import type { Session } from './session.ts';
import { createSubscriptions } from './subscriptions.ts';
import {
  ROOTS_BY_KIND,
  authoriseClients,
  authoriseWrite,
  lookupDocument,
  type FoundDocument,
} from './write-authorisation.ts';

/**
 * The live documents and who is subscribed to them (docs/PROTOCOL.md P2–P16, docs/THREAT_MODEL.md
 * T1–T14). A write goes through one pipeline, top to bottom here: admit (decode the name, authorise by
 * document, scan the bytes, bound the cost), inspect (what it would change, before it is applied), judge
 * (judges.ts), apply, commit (with its index, projection and redactions; group-committed), then acknowledge
 * and relay once durable. Subscriptions and relay are subscriptions.ts; the commit's documents and the index
 * are index-batch.ts; what was written before (refs, ids, actions) is seen-writes.ts.
 */

/** Inspecting or applying an update this slow is logged: it points at a document that needs a look. */
const SLOW_APPLY_MS = 100;

export type SyncRooms = ReturnType<typeof createSyncRooms>;
export type { WriteOutcome };

/** A write let in: the document, its conversation, and the Yjs client ids it uses for the first time. */
type Admitted = FoundDocument & { l: LoadedDoc; newClients: number[] };
/** What an admitted write would do, read before it is applied. */
type Inspected = { changes: Changes; known: ReadonlySet<string>; stored: string[]; started: number };

/** What the rooms are made from: the stores they read and write, the policy, limits, clock and timers. */
export type SyncRoomsDeps = {
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
  watch?: (e: Watched) => void;
  /**
   * Hears of new messages once their commit has committed, in the turn that relays them (push
   * notifications, issue 15; the end of the author's typing hint): never before, so a push never announces
   * what a failed commit lost. Must not throw.
   */
  stored?: (messages: readonly StoredMessage[]) => void;
  /** Hears of a person's read mark moving, once committed (a read clears their pushed notifications). */
  readMoved?: (r: ReadMoved) => void;
  /** Uploaded files, which new messages reference (issue 17, T20). */
  attachments: AttachmentRefs;
  /**
   * The disk failed to keep what was committed (an fsync error): nothing more may be acknowledged, and
   * the process should stop so that a restart reads what the disk really holds (storage/wal-sync.ts).
   */
  durabilityLost: (err: unknown) => void;
};

export function createSyncRooms(deps: SyncRoomsDeps) {
  const { conversations, messages, appliedActions, audit, policy, log, now } = deps;
  const docs = createLoadedDocs({
    store: deps.store,
    idleMs: deps.idleDocMs,
    compactAfter: deps.compactAfter,
    timers: deps.timers,
    onError: (err, doc) => log.error({ err, doc }, 'compaction failed'),
    ...(deps.clientIds ? { clientIds: deps.clientIds } : {}),
  });
  const queue: CommitQueue = createCommitQueue({
    commit: (entries, alongside) => deps.store.appendBatch(entries, alongside),
    durable: () => deps.store.durable(),
    lost: deps.durabilityLost,
  });
  const answers = createAnswers({
    log,
    audit,
    refusals: deps.refusals,
    whenStored: (send) => queue.afterStored(send),
  });
  const { reject, refuseAndAudit, closeMalformed } = answers;
  const lookup = (name: string): FoundDocument | null => lookupDocument(conversations, name);
  const subscriptions = createSubscriptions({ docs, queue, policy, log, answers, lookup });
  const batches = createIndexBatch({
    docs,
    conversations,
    segmentSize: deps.segmentSize,
    relay: subscriptions.relay,
    notifyConversation: subscriptions.notifyConversation,
  });
  const redaction = createRedaction({
    docs,
    queue,
    messages,
    audit,
    now,
    log,
    segmentStride: SEGMENT_STRIDE,
    track: batches.track,
    changeIndex: batches.changeIndex,
  });
  const project = createProjection({
    messages,
    audit,
    attach: deps.attachments.attach,
    ...(deps.watch ? { watch: deps.watch } : {}),
  });

  const seen = createSeenWrites({ docs, messages, appliedActions });

  /** 1. Admit: the document exists and the writer may write it (T1–T5, T13); the bytes are sane and cheap. */
  const admit = (s: Session, name: string, ref: number, update: Uint8Array): Admitted | WriteOutcome => {
    const found = lookup(name);
    if (!found) return refuseAndAudit(s, ref, name, NO_SUCH_CONVERSATION.code, NO_SUCH_CONVERSATION.message);
    const allowed = authoriseWrite(policy, s.actor, found);
    if (!allowed.ok) return refuseAndAudit(s, ref, name, allowed.code, allowed.message);
    const scan = scanUpdate(update, {
      maxStructs: LIMITS.maxStructsPerUpdate,
      maxClockSpan: LIMITS.maxClockSpanPerUpdate,
      maxValueDepth: LIMITS.maxValueDepth,
      allowedRoots: ROOTS_BY_KIND[found.parsed.kind],
    });
    if (!scan.ok) return closeMalformed(s, name, scan.reason);
    // A person held off (sending faster than the allowance, or refused too often) is refused before the
    // update is even inspected (P10, refusal-budget.ts).
    const held = Math.max(deps.messageRate.blockedFor(s.actor.id), deps.refusals.heldFor(s.actor.id));
    if (held > 0)
      return reject(s, ref, name, 'slow-down', `sending too fast; try again in ${Math.ceil(held / 1000)} s`);
    const l = docs.get(name);
    let newClients: number[] = [];
    if (found.parsed.kind === 'mod') {
      const owners = (l.clientOwners ??= deps.docClients.ownersOf(name));
      const clients = authoriseClients(owners, scan.clients, s.actor.id);
      if (!clients.ok) return refuseAndAudit(s, ref, name, clients.code, clients.message);
      newClients = clients.newClients;
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
    return { ...found, l, newClients };
  };

  /** 2. Inspect: what applying it would change, read before it is applied (issue 12 A1, T12). */
  const inspect = (
    s: Session,
    { parsed, l }: Admitted,
    ref: number,
    update: Uint8Array,
    actions: readonly string[],
  ): Inspected | WriteOutcome => {
    const name = l.name;
    const stored = seen.storedActions(s.actor.id, actions);
    const known: ReadonlySet<string> = parsed.kind === 'author' ? seen.idsHeld(l) : new Set();
    // `inspectUpdate` reports what applying it would change, so a refusal leaves the document untouched
    // and costs no reload. Only an accepted update is applied.
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
    return { changes, known, stored, started };
  };

  /** 3. Judge: the document kind's rules (judges.ts), given what they need of the server's state. */
  const judge = (s: Session, { parsed, conv, l }: Admitted, { changes, known }: Inspected): Verdict => {
    const at = now();
    switch (parsed.kind) {
      case 'author':
        return judgeAuthor(changes, {
          actor: s.actor,
          conv,
          segment: parsed.segment,
          at,
          policy,
          maxNewMessages: deps.newMessagesPerUpdate,
          known,
          goneIds: () => seen.goneIn(l),
          idTaken: (id) => seen.idTaken(l, conv.id, s.actor.id, id),
          indexLength: () =>
            idxRoots(docs.get(idxDoc(conv.id as ConversationId, conv.segment)).doc).order.length,
          memberCount: () => conversations.memberCount(conv.id),
          takeAllowance: (n) => deps.messageRate.take(s.actor.id, n),
          checkFiles: (list) =>
            judgeFiles(list, {
              authorId: s.actor.id,
              conversationId: conv.id,
              lookup: deps.attachments.lookup,
            }),
        });
      case 'mod':
        return judgeMod(changes, { actor: s.actor, conv, at });
      case 'idx':
        return judgeIndex();
    }
  };

  /**
   * 4. Apply an accepted update; null when it applied cleanly. The reload that follows a failure here is the
   * only one a write can still cause, the safety net for what is only known after applying: Yjs throwing
   * half-way through an update it was inspected to accept, or holding part of it back as pending after all.
   * Neither is expected (the inspection replays Yjs's own integration); both are counted against the
   * refusal budget.
   */
  const apply = (
    s: Session,
    l: LoadedDoc,
    ref: number,
    update: Uint8Array,
    started: number,
  ): WriteOutcome | null => {
    const name = l.name;
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
    return null;
  };

  /**
   * 5. Commit: the update, its index places, projection rows and applied actions go in the commit being
   * prepared; once committed everyone else gets the update (P5), once durable the writer its ack (P4); if
   * the commit fails the document is reloaded and the write refused to be sent again.
   */
  const commit = (
    s: Session,
    { parsed, conv, l, newClients }: Admitted,
    ref: number,
    update: Uint8Array,
    verdict: Accepted,
    actions: readonly string[],
    stored: readonly string[],
  ): void => {
    const name = l.name;
    // Applied and accepted: the document holds them now (a failed commit reloads it and drops the set).
    if (parsed.kind === 'author') for (const [, id] of verdict.index) l.messageIds?.add(id);
    if (newClients.length > 0) {
      for (const c of newClients) l.clientOwners?.set(c, s.actor.id);
      queue.current().alongside.push(() => deps.docClients.bind(name, newClients, s.actor.id));
    }
    const batch = queue.current();
    batches.hold(batch, l, update);
    const seqs =
      verdict.index.length > 0 || verdict.listAuthor
        ? batches.addToIndex(batch, parsed.conversationId, parsed.segment, s.actor.id, verdict.index)
        : [];
    batch.alongside.push(() => project(verdict.record, seqs));
    const recorded = actions.filter((a) => !stored.includes(a));
    if (recorded.length > 0) batch.alongside.push(() => appliedActions.record(s.actor.id, recorded, now()));
    batches.rollOverIfFull(batch, conv.id, parsed.segment);
    const releaseIds = seen.committing(conv.id, s.actor.id, verdict.index, recorded);
    const releaseFiles =
      verdict.record.kind === 'author'
        ? deps.attachments.claim(verdict.record.sum.messages, s.actor.id)
        : null;
    const release = (): void => {
      releaseIds();
      releaseFiles?.();
    };
    // Acknowledged once durable (P4); relayed once committed (P5): readers need not wait for the disk.
    if (ref !== 0) batch.durable.push(() => s.send([{ type: 'ack', ref }]));
    batch.after.push(() => {
      release();
      batches.settle(l, update);
      subscriptions.relay(l, update, s);
      docs.maybeIdle(l);
      // In the relay's turn: the typing hint ends as the message arrives (P9).
      const told = deps.stored ? storedMessages(verdict.record, seqs) : [];
      if (told.length > 0) deps.stored?.(told);
      const read = deps.readMoved ? readMoved(verdict.record) : null;
      if (read) deps.readMoved?.(read);
    });
    batch.failed.push((err) => {
      log.error({ err, doc: name }, 'commit failed');
      release();
      batches.settle(l, update);
      l.clientOwners = null;
      docs.reload(l);
      reject(s, ref, name, 'storage-failed', 'the server could not store this; it will be retried');
    });
    // A delete or a moderator's removal takes the words out of the author's document in the same commit,
    // so they leave every device with the mark that hides them (P16).
    for (const g of verdict.gone) redaction.inBatch(batch, conv.id, parsed.segment, g.authorId, g.ids, g.why);
  };

  /** Step 2 or update from a client: admit, inspect, judge, apply, then commit (T1–T14). */
  const write = (
    s: Session,
    name: string,
    ref: number,
    update: Uint8Array,
    actions: readonly string[] = [],
  ): WriteOutcome => {
    // A copy of a write already answered: refused then applied, the client would hold the wrong verdict.
    if (seen.isRepeatedRef(s, ref)) return 'rejected';
    const admitted = admit(s, name, ref, update);
    if (typeof admitted === 'string') return admitted;
    const inspected = inspect(s, admitted, ref, update, actions);
    if (typeof inspected === 'string') return inspected;
    const verdict = judge(s, admitted, inspected);
    if (!verdict.ok) return answers.refuseVerdict(s, ref, name, verdict);
    const failed = apply(s, admitted.l, ref, update, inspected.started);
    if (failed) return failed;
    commit(s, admitted, ref, update, verdict, actions, inspected.stored);
    return 'queued';
  };

  return {
    handleSync(s: Session, f: Extract<Frame, { type: 'sync' }>): WriteOutcome | 'subscribed' {
      if (f.syncType === SYNC_STEP1) {
        subscriptions.subscribe(s, f.doc, f.payload, f.ref);
        return 'subscribed';
      }
      return write(s, f.doc, f.ref, f.payload, f.actions);
    },
    subscribe: subscriptions.subscribe,
    unsubscribe: subscriptions.unsubscribe,
    write,
    /** Drops every subscription of a closing socket. */
    dropSession: subscriptions.dropSession,
    /** Stops delivery of a conversation to one user at once: membership removed, or access lost (T9). */
    revokeConversation: subscriptions.revokeConversation,
    sessionsIn: subscriptions.sessionsIn,
    canRead(actor: Actor, conversationId: string): boolean {
      const c = conversations.get(conversationId);
      return c !== null && policy.canRead(actor, c).ok;
    },
    /** Whether `actor` may post messages in the conversation now (typing is relayed only then, P9). */
    canPost(actor: Actor, conversationId: string): boolean {
      const c = conversations.get(conversationId);
      return c !== null && policy.canPost(actor, c).ok && policy.notMuted(actor, c).ok;
    },
    /** A safeguarding lead's removal of a message, written by the server (redaction.ts; issue 14 §3). */
    removeAsServer: redaction.removeAsServer,
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
