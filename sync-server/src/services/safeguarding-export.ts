import {
  EXPORT_MAX_MESSAGES,
  EXPORT_VERSION,
  type AnyExport,
  type ExportMessage,
  type ExportRequest,
} from '@commonroom/protocol';
import type { Actor } from '../auth/policy.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';
import type { ExportQueries, ExportRow } from '../storage/export-queries.ts';
import type { SafeguardingStore } from '../storage/safeguarding.ts';
import type { UserStore } from '../storage/users.ts';
import { AppError } from './errors.ts';
import { renderExportHtml } from './export-html.ts';

/** Messages either side of a case's message in its export (more than the item page's three). */
const CASE_CONTEXT = 10;

export type ExportFile = { filename: string; contentType: string; body: string };

/**
 * Exports for safeguarding leads (issue 14 §7, docs/THREAT_MODEL.md T16): a case, a person's messages or a
 * conversation, as JSON (the versioned shape in protocol `retention.ts`) or as a self-contained HTML file.
 * Only leads may export (an admin without the capability may not), and every export is written to the
 * audit log with what, as what and why, before the file is handed over.
 */
export function createSafeguardingExport(d: {
  isLead: (userId: string) => boolean;
  store: SafeguardingStore;
  queries: ExportQueries;
  users: UserStore;
  conversations: ConversationStore;
  audit: AuditLog;
  college: () => string;
  now: () => number;
}) {
  const { queries, users, conversations } = d;
  const nameOf = (id: string): string => users.get(id)?.displayName ?? 'Removed account';
  const person = (id: string) => ({ id, name: nameOf(id) });
  const conversationName = (c: ConversationRow | null): string => {
    if (!c) return 'A conversation that no longer exists';
    if (c.kind !== 'dm') return `#${c.name ?? ''}`;
    const names = conversations.members(c.id).map(nameOf);
    return `Direct message: ${names.sort((a, b) => a.localeCompare(b)).join(', ')}`;
  };

  const toMessage = (r: ExportRow, convNames: Map<string, string>): ExportMessage => {
    let convName = convNames.get(r.conversationId);
    if (convName === undefined) {
      convName = conversationName(conversations.get(r.conversationId));
      convNames.set(r.conversationId, convName);
    }
    return {
      conversationId: r.conversationId,
      conversationName: convName,
      authorId: r.authorId,
      authorName: nameOf(r.authorId),
      localId: r.localId,
      seq: r.seq,
      parentKey: r.parentKey,
      text: r.text,
      writtenAt: r.writtenAt,
      receivedAt: r.receivedAt,
      editedAt: r.editedAt,
      deletedAt: r.deletedAt,
      removedBy: r.removedBy === null ? null : person(r.removedBy),
      redactedAt: r.redactedAt,
      purgedAt: r.purgedAt,
      revisions: queries.revisions(r.conversationId, r.authorId, r.localId).map((v) => ({
        kind: v.kind,
        previousText: v.previousText,
        newText: v.newText,
        by: person(v.byUser),
        at: v.at,
      })),
      files: queries.files(r.conversationId, r.authorId, r.localId),
    };
  };
  /** At most EXPORT_MAX_MESSAGES, and whether there were more. */
  const capped = (rows: ExportRow[]) => ({
    rows: rows.slice(0, EXPORT_MAX_MESSAGES),
    truncated: rows.length > EXPORT_MAX_MESSAGES,
  });

  const build = (a: Actor, r: ExportRequest): AnyExport => {
    const header = {
      version: EXPORT_VERSION,
      college: d.college(),
      exportedBy: person(a.id),
      exportedAt: d.now(),
      reason: r.reason,
    } as const;
    const names = new Map<string, string>();
    const s = r.subject;
    switch (s.kind) {
      case 'case': {
        const item = /^[0-9]{1,12}$/.test(s.id) ? d.store.item(Number(s.id)) : null;
        if (!item) throw new AppError(404, 'no-such-item', 'That safeguarding item does not exist.');
        const conv = conversations.get(item.conversationId);
        const m = queries.message(item.conversationId, item.authorId, item.localId);
        return {
          ...header,
          truncated: false,
          kind: 'case',
          case: {
            id: item.id,
            type: item.kind,
            status: item.status,
            outcome: item.outcome,
            assignee: item.assigneeId === null ? null : person(item.assigneeId),
            matched: item.matched,
            excerpt: item.excerpt,
            createdAt: item.createdAt,
            updatedAt: item.updatedAt,
            reporters: d.store.reporters(item.id).map((p) => ({
              id: p.reporterId,
              name: nameOf(p.reporterId),
              reason: p.reason,
              detail: p.detail,
              at: p.at,
            })),
            history: queries.caseHistory(item.id).map((h) => ({
              at: h.at,
              by: h.actorId === null ? null : person(h.actorId),
              action: h.action,
              detail: h.detail,
            })),
            notes: d.store.notes(item.id).map((n) => ({ at: n.at, by: person(n.authorId), text: n.text })),
          },
          conversation: {
            id: item.conversationId,
            name: conversationName(conv),
            kind: conv?.kind ?? 'unknown',
          },
          message: m ? toMessage(m, names) : null,
          context: m
            ? queries.around(item.conversationId, m.seq, CASE_CONTEXT).map((x) => toMessage(x, names))
            : [],
        };
      }
      case 'person': {
        const u = users.get(s.id);
        if (!u) throw new AppError(404, 'no-such-user', 'That account does not exist.');
        const { rows, truncated } = capped(queries.author(u.id, EXPORT_MAX_MESSAGES + 1));
        return {
          ...header,
          truncated,
          kind: 'person',
          person: { id: u.id, name: u.displayName, role: u.role },
          messages: rows.map((x) => toMessage(x, names)),
        };
      }
      case 'conversation': {
        const c = conversations.get(s.id);
        if (!c) throw new AppError(404, 'not-found', 'That conversation does not exist.');
        const { rows, truncated } = capped(queries.conversation(c.id, EXPORT_MAX_MESSAGES + 1));
        return {
          ...header,
          truncated,
          kind: 'conversation',
          conversation: {
            id: c.id,
            name: conversationName(c),
            kind: c.kind,
            members: conversations.members(c.id).map(person),
          },
          messages: rows.map((x) => toMessage(x, names)),
        };
      }
    }
  };

  const fileName = (e: AnyExport, format: string): string => {
    const day = new Date(e.exportedAt).toISOString().slice(0, 10);
    const what =
      e.kind === 'case'
        ? `case-${e.case.id}`
        : e.kind === 'person'
          ? `messages-of-${e.person.name}`
          : `conversation-${e.conversation.name}`;
    // Only safe characters in a file name (a header value): names may hold anything.
    const safe = what
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60);
    return `commonroom-${safe || e.kind}-${day}.${format}`;
  };

  return {
    /** Builds the file, after checking the caller is a lead and writing the audit entry. */
    export(a: Actor, r: ExportRequest): ExportFile {
      if (!d.isLead(a.id)) throw new AppError(403, 'not-a-lead', 'Only safeguarding leads can do that.');
      const e = build(a, r);
      const count =
        e.kind === 'case' ? e.context.length : e.kind === 'person' ? e.messages.length : e.messages.length;
      d.audit.record(a.id, 'safeguarding.exported', r.subject.id, {
        what: r.subject.kind,
        format: r.format,
        reason: r.reason,
        messages: count,
      });
      return r.format === 'json'
        ? {
            filename: fileName(e, 'json'),
            contentType: 'application/json; charset=utf-8',
            body: JSON.stringify(e, null, 2),
          }
        : {
            filename: fileName(e, 'html'),
            contentType: 'text/html; charset=utf-8',
            body: renderExportHtml(e),
          };
    },
  };
}

export type SafeguardingExport = ReturnType<typeof createSafeguardingExport>;
