import { isStaffRole, type ItemPatch, type ReportRequest, type NoticeKind } from '@commonroom/protocol';
import type * as z from 'zod/mini';
import type { Logger } from 'pino';
import type { Actor, Policy } from '../auth/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { Db } from '../storage/db.ts';
import type { ItemRow, SafeguardingStore } from '../storage/safeguarding.ts';
import { conversationIdsOfKind, type TranscriptRow, type Transcripts } from '../storage/transcripts.ts';
import type { UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';
import { cleanPhrases, createKeywordMatcher, type KeywordMatcher } from './keyword-match.ts';

/** Messages either side of a reported one on its item page. */
const CONTEXT = 3;
/** A monitoring transcript comes in pages of this many messages, newest first ("Show older messages"). */
export const TRANSCRIPT_PAGE = 200;
/** The queue comes in pages of this many items, newest first ("Show older items"). */
export const QUEUE_PAGE = 50;
const EXCERPT = 280;

/** A message or edit the server has just stored (sync-rooms `watch`). */
export type StoredText = {
  conversationId: string;
  authorId: string;
  localId: string;
  text: string;
  /** When it was written on its device (`ts`; an offline message's is older than its arrival). */
  writtenAt: number;
  receivedAt: number;
  kind: 'message' | 'edit';
};

export type Safeguarding = ReturnType<typeof createSafeguarding>;

/**
 * Safeguarding (issue 14 §1, §2, §5, §6). Every entry point checks who is asking: only leads read the
 * queue, change items, edit keywords or open conversations; anyone who can read a message may report it;
 * admins grant the lead capability (the route checks the admin role). The server is the authority; the
 * app only hides what a person cannot use.
 */
export function createSafeguarding(d: {
  db: Db;
  store: SafeguardingStore;
  transcripts: Transcripts;
  users: UserStore;
  conversations: ConversationStore;
  policy: Policy;
  audit: AuditLog;
  log: Logger;
  /** Tells connected leads that the queue changed (their sidebar count). */
  notify: (userIds: Iterable<string>, kind: NoticeKind, payload: unknown) => void;
  /**
   * Tells a lead's devices that are not online of a new report, by push (issue 15 §1). Its words say
   * nothing of the message: a phone's lock screen is no place for a safeguarding concern.
   */
  pushToLead?: (leadId: string, itemId: number) => void;
  /** Removes a message for everyone, its words off every device (rooms/redaction.ts `removeAsServer`, P16). */
  removeMessage: (
    conversationId: string,
    authorId: string,
    localId: string,
    by: string,
    reason: string,
  ) => Promise<boolean>;
}) {
  const { store, users, conversations, audit } = d;
  let matcher: KeywordMatcher | null = null;
  const keywords = (): KeywordMatcher => (matcher ??= createKeywordMatcher(store.keywords()));

  /** A lead: granted, still staff (a lead re-roled to student loses it at once) and active. */
  const isLead = (userId: string): boolean => {
    const u = users.get(userId);
    return !!u && u.active && isStaffRole(u.role) && store.isLead(userId);
  };
  const requireLead = (a: Actor): void => {
    if (!isLead(a.id)) throw new AppError(403, 'not-a-lead', 'Only safeguarding leads can do that.');
  };
  const tellLeads = (): void => {
    const leads = store.leads().filter(isLead);
    // After the current transaction: the notice must not reach a lead before the item is on disk.
    if (leads.length > 0) setImmediate(() => d.notify(leads, 'safeguarding-changed', {}));
  };
  const nameOf = (id: string | null): string =>
    id === null ? '' : (users.get(id)?.displayName ?? 'Removed account');
  const conversationName = (c: ConversationRow | null): string => {
    if (!c) return 'A conversation that no longer exists';
    if (c.kind !== 'dm') return `#${c.name ?? ''}`;
    const names = conversations.members(c.id).map((id) => nameOf(id));
    return `Direct message: ${names.sort((a, b) => a.localeCompare(b)).join(', ')}`;
  };
  const toMessage = (r: TranscriptRow) => ({ ...r, authorName: nameOf(r.authorId) });
  const toItem = (i: ItemRow) => ({
    id: i.id,
    kind: i.kind,
    status: i.status,
    outcome: i.outcome,
    assigneeId: i.assigneeId,
    assigneeName: i.assigneeId === null ? null : nameOf(i.assigneeId),
    conversationId: i.conversationId,
    conversationName: conversationName(conversations.get(i.conversationId)),
    authorId: i.authorId,
    authorName: nameOf(i.authorId),
    localId: i.localId,
    reasons: i.kind === 'keyword' ? i.matched : [...new Set(store.reporters(i.id).map((r) => r.reason))],
    reporterCount: i.kind === 'report' ? store.reporters(i.id).length : 0,
    excerpt: i.excerpt,
    writtenAt: i.writtenAt,
    receivedAt: i.receivedAt,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  });
  const itemOr404 = (id: number): ItemRow => {
    const i = store.item(id);
    if (!i) throw new AppError(404, 'no-such-item', 'That safeguarding item does not exist.');
    return i;
  };

  return {
    isLead,
    summary: (a: Actor) =>
      isLead(a.id)
        ? { lead: true, open: store.openCount(), latest: store.latest() }
        : { lead: false, open: 0, latest: null },

    /** An admin grants or removes the capability (the route checks the admin role); audited. */
    setLead(admin: Actor, userId: string, lead: boolean): { lead: boolean } {
      const u = users.get(userId);
      if (!u) throw new AppError(404, 'no-such-user', 'That account does not exist.');
      if (lead && !isStaffRole(u.role))
        throw new AppError(
          400,
          'not-staff',
          'Only staff can be safeguarding leads (tutors, teachers, staff or admins), not students.',
        );
      if (store.setLead(userId, lead, admin.id))
        audit.record(admin.id, lead ? 'safeguarding.lead_granted' : 'safeguarding.lead_removed', userId);
      return { lead: isLead(userId) };
    },
    leadFlag: (userId: string) => ({ lead: isLead(userId) }),

    /**
     * Anyone who can read a message may report it; the same message reported again (by anyone) joins the
     * one item. Nothing tells the reported person, and no reporter is named outside the queue.
     */
    report(a: Actor, r: ReportRequest): { itemId: number } {
      const conv = conversations.get(r.conversationId);
      const message = conv ? d.transcripts.message(conv.id, r.authorId, r.localId) : null;
      if (!conv || !d.policy.canRead(a, conv).ok || !message)
        throw new AppError(
          404,
          'no-such-message',
          'That message could not be found. It may have been deleted.',
        );
      const filed = store.fileReport({
        reportId: r.id,
        reporterId: a.id,
        conversationId: conv.id,
        authorId: r.authorId,
        localId: r.localId,
        reason: r.reason,
        detail: r.detail,
        excerpt: message.text.slice(0, EXCERPT),
        writtenAt: message.writtenAt,
        receivedAt: message.receivedAt,
      });
      if (filed.added) {
        tellLeads();
        const push = d.pushToLead;
        // A second report of the same message joins its item: the leads heard of it already.
        if (push && filed.newItem)
          setImmediate(() => {
            for (const lead of store.leads().filter(isLead)) push(lead, filed.itemId);
          });
      }
      return { itemId: filed.itemId };
    },

    /**
     * Every message and edit the server stores passes here (sync-rooms `watch`), after it was accepted:
     * a match raises a queue item and changes nothing about the message. A failure is logged, never
     * thrown: an alert must not cost a message.
     */
    watch(e: StoredText): void {
      try {
        const hits = keywords().match(e.text);
        if (hits.length === 0) return;
        store.raiseKeyword({
          conversationId: e.conversationId,
          authorId: e.authorId,
          localId: e.localId,
          matched: hits,
          excerpt: e.text.slice(0, EXCERPT),
          writtenAt: e.writtenAt,
          receivedAt: e.receivedAt,
        });
        tellLeads();
      } catch (err) {
        d.log.error({ err }, 'keyword alert failed');
      }
    },

    /** A page of the queue, newest first; `cursor` is the `nextCursor` of the page before. */
    list(
      a: Actor,
      status: 'open' | 'new' | 'in_review' | 'closed' | 'all',
      cursor: string | null = null,
      limit = QUEUE_PAGE,
    ) {
      requireLead(a);
      // One row more than the page says whether another follows, without a second query.
      const rows = store.list(status, limit + 1, cursor === null ? null : Number(cursor));
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toItem),
        nextCursor: rows.length > limit && last ? String(last.id) : null,
      };
    },

    detail(a: Actor, id: number) {
      requireLead(a);
      const i = itemOr404(id);
      const m = d.transcripts.message(i.conversationId, i.authorId, i.localId);
      // Reading a conversation one is not in is monitoring too: written down, the item is the reason.
      if (!conversations.isMember(i.conversationId, a.id))
        audit.record(a.id, 'safeguarding.item_viewed', i.conversationId, { item: i.id });
      const people = new Map<string, string>();
      people.set(i.authorId, 'Author');
      for (const r of store.reporters(i.id))
        if (!people.has(r.reporterId)) people.set(r.reporterId, 'Reporter');
      const conv = conversations.get(i.conversationId);
      if (conv?.kind === 'dm')
        for (const id of conversations.members(conv.id))
          if (!people.has(id)) people.set(id, 'In the conversation');
      return {
        item: toItem(i),
        message: m ? toMessage(m) : null,
        context: m ? d.transcripts.around(i.conversationId, m.seq, CONTEXT).map(toMessage) : [],
        revisions: d.transcripts
          .revisions(i.conversationId, i.authorId, i.localId)
          .map((r) => ({ kind: r.kind, previousText: r.previousText, newText: r.newText, at: r.at })),
        reporters: store.reporters(i.id).map((r) => ({
          id: r.reporterId,
          name: nameOf(r.reporterId),
          reason: r.reason,
          detail: r.detail,
          at: r.at,
        })),
        people: [...people].map(([id, role]) => ({ id, name: nameOf(id), role })),
        notes: store
          .notes(i.id)
          .map((n) => ({ id: n.id, authorName: nameOf(n.authorId), text: n.text, at: n.at })),
      };
    },

    update(a: Actor, id: number, p: z.infer<typeof ItemPatch>) {
      requireLead(a);
      const i = itemOr404(id);
      if (p.status === 'closed' && !p.outcome && !i.outcome)
        throw new AppError(400, 'outcome-needed', 'Say what the outcome was before closing this item.');
      if (p.assigneeId && !isLead(p.assigneeId))
        throw new AppError(400, 'not-a-lead', 'Items can only be assigned to safeguarding leads.');
      const change: { status?: string; outcome?: string | null; assigneeId?: string | null } = {};
      if (p.status !== undefined && p.status !== i.status) change.status = p.status;
      if (p.outcome !== undefined && p.outcome !== (i.outcome ?? '')) change.outcome = p.outcome || null;
      if (p.assigneeId !== undefined && p.assigneeId !== i.assigneeId) change.assigneeId = p.assigneeId;
      if (Object.keys(change).length > 0) {
        store.update(id, change);
        audit.record(a.id, 'safeguarding.item_updated', String(id), {
          ...(change.status !== undefined ? { status: { from: i.status, to: change.status } } : {}),
          ...(change.outcome !== undefined ? { outcome: change.outcome } : {}),
          // Names, so the audit log reads as words; the ids stay in the item itself.
          ...(change.assigneeId !== undefined
            ? {
                assignee: {
                  from: i.assigneeId === null ? 'nobody' : nameOf(i.assigneeId),
                  to: change.assigneeId === null ? 'nobody' : nameOf(change.assigneeId),
                },
              }
            : {}),
        });
        tellLeads();
      }
      return { item: toItem(itemOr404(id)) };
    },

    /**
     * A lead removes the item's message for everyone (issue 14 §3): "Removed by a moderator" in its place,
     * its words gone from every device; the original stays here, in the safeguarding store. Audited, with
     * a note on the item so the case file says what was done.
     */
    async removeMessage(a: Actor, id: number, reason: string): Promise<{ removed: boolean }> {
      requireLead(a);
      const i = itemOr404(id);
      const removed = await d.removeMessage(i.conversationId, i.authorId, i.localId, a.id, reason);
      if (removed) {
        audit.record(a.id, 'safeguarding.message_removed', String(id), { reason });
        store.addNote(id, a.id, `Removed the message for everyone: ${reason}`);
        tellLeads();
      }
      return { removed };
    },

    addNote(a: Actor, id: number, text: string) {
      requireLead(a);
      itemOr404(id);
      const noteId = store.addNote(id, a.id, text);
      audit.record(a.id, 'safeguarding.note_added', String(id), { note: noteId });
      return { ok: true as const };
    },

    leads(a: Actor) {
      requireLead(a);
      return {
        leads: store
          .leads()
          .filter(isLead)
          .map((id) => ({ id, name: nameOf(id) })),
      };
    },

    keywordList(a: Actor) {
      requireLead(a);
      return { phrases: store.keywords() };
    },
    setKeywords(a: Actor, phrases: readonly string[]) {
      requireLead(a);
      const before = new Set(store.keywords().map((p) => p.toLowerCase()));
      const next = cleanPhrases(phrases);
      const after = new Set(next.map((p) => p.toLowerCase()));
      store.setKeywords(next, a.id);
      matcher = null;
      const added = next.filter((p) => !before.has(p.toLowerCase()));
      const removed = [...before].filter((p) => !after.has(p));
      if (added.length + removed.length > 0)
        audit.record(a.id, 'safeguarding.keywords_changed', null, { added, removed });
      return { phrases: store.keywords() };
    },

    /** Every conversation, DMs included, for a lead to choose one to open (names only, no text). */
    conversationList(a: Actor) {
      requireLead(a);
      const all = [
        ...conversations.channels(),
        ...conversationIdsOfKind(d.db, 'dm').map((id) => conversations.get(id)),
      ];
      return {
        conversations: all
          .filter((c): c is ConversationRow => c !== null)
          .map((c) => ({
            id: c.id,
            kind: c.kind,
            name: conversationName(c),
            members: conversations.memberCount(c.id),
          })),
      };
    },

    /**
     * A lead opens a conversation read-only after saying why. Opening one they are not a member of is
     * written to the audit log with the reason, every time (issue 14 §6). The sync policy is unchanged:
     * this is a transcript from the server's message table, not a subscription.
     */
    open(
      a: Actor,
      conversationId: string,
      reason: string,
      cursor: string | null = null,
      limit = TRANSCRIPT_PAGE,
    ) {
      requireLead(a);
      const c = conversations.get(conversationId);
      if (!c) throw new AppError(404, 'not-found', 'That conversation does not exist.');
      const member = conversations.isMember(c.id, a.id);
      // Each older page is read with the reason again and written down too: paging back is still reading.
      if (!member)
        audit.record(a.id, 'safeguarding.conversation_opened', c.id, {
          reason,
          ...(cursor === null ? {} : { before: Number(cursor) }),
        });
      const rows = d.transcripts.page(c.id, cursor === null ? null : Number(cursor), limit + 1);
      // Oldest first: the extra row, if any, is the first, and says an older page exists.
      const page = rows.length > limit ? rows.slice(1) : rows;
      const first = page[0];
      return {
        conversation: {
          id: c.id,
          kind: c.kind,
          name: conversationName(c),
          members: conversations.memberCount(c.id),
        },
        messages: page.map(toMessage),
        nextCursor: rows.length > limit && first ? String(first.seq) : null,
        audited: !member,
      };
    },
  };
}
