import {
  AuditQuery,
  auditLabel,
  noActorLabel,
  type AuditRow,
  type AuditVerifyReply,
} from '@commonroom/protocol';
import { stringify } from 'csv-stringify/sync';
import { Hono, type Context } from 'hono';
import { AppError } from '../services/errors.ts';
import type { AuditEntry, AuditFilter, AuditLog } from '../storage/audit.ts';
import type { ConversationStore } from '../storage/conversations.ts';
import type { UserStore } from '../storage/users.ts';
import type { HonoEnv } from './env.ts';

const PAGE_DEFAULT = 50;
const PAGE_MAX = 1000;
/** A name search matching more people than this is too broad to be what the admin meant. */
const PEOPLE_MATCHED = 500;

/**
 * A spreadsheet runs a cell that begins with = + - @ (or a tab or carriage return, which some strip first)
 * as a formula: a typed login such as `=HYPERLINK(…)` in a failed sign-in would run on the admin's machine
 * (OWASP "CSV injection"). Such a cell gets a leading apostrophe, which spreadsheets show as text.
 */
export const neutraliseCell = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const CSV_HEADER = [
  'Time (UTC)',
  'Actor',
  'Actor id',
  'Action',
  'Action code',
  'Target',
  'Target id',
  'Detail',
];

/**
 * The audit log viewer's routes (issue 13 §5), under /api/admin (admins only, checked by the admin app's
 * guard): a filtered page, newest first, with names resolved; the actions that occur; the filtered view as
 * CSV, streamed a page at a time. Read-only: nothing here changes the log but the export's own entry.
 */
export function auditRoutes(d: { audit: AuditLog; users: UserStore; conversations: ConversationStore }) {
  const app = new Hono<HonoEnv>();

  const peopleMatching = (text: string): string[] =>
    d.users.search({ query: text, limit: PEOPLE_MATCHED }).users.map((u) => u.id);

  /** The query as a storage filter; names are searched here so the store filters by ids alone. */
  const filterOf = (c: Context<HonoEnv>): { filter: AuditFilter; limit: number } => {
    const parsed = AuditQuery.safeParse(c.req.query());
    if (!parsed.success) throw new AppError(400, 'bad-query', 'That audit search is not valid.');
    const q = parsed.data;
    const filter: AuditFilter = {};
    const actor = q.actor?.trim();
    if (actor) filter.actorIds = peopleMatching(actor);
    const target = q.target?.trim();
    if (target) {
      // A person by name, a channel by name (with or without #), or exactly what was stored (an id, a login).
      const channel = d.conversations.byName(target.replace(/^#/, '').toLowerCase());
      filter.targets = [target, ...peopleMatching(target), ...(channel ? [channel.id] : [])];
    }
    if (q.action) filter.action = q.action;
    if (q.from !== undefined) filter.from = Number(q.from);
    if (q.to !== undefined) filter.to = Number(q.to);
    if (q.before !== undefined) filter.before = Number(q.before);
    const limit = Math.min(PAGE_MAX, Math.max(1, Number(q.limit ?? PAGE_DEFAULT)));
    return { filter, limit };
  };

  const conversationName = (id: string): string | null => {
    const conv = d.conversations.get(id);
    if (!conv) return null;
    return conv.kind === 'dm' ? 'a direct message' : `#${conv.name ?? ''}`;
  };
  const targetName = (target: string | null, action: string): string | null => {
    if (target === null) return null;
    const u = d.users.get(target);
    if (u) return u.displayName;
    const conv = conversationName(target);
    if (conv) return conv;
    // A message: `conversation/author:local` (message.removed). Named by its author and where it was.
    const message = /^([^/]+)\/([^:]+):[^:]+$/.exec(target);
    if (message) {
      const where = conversationName(message[1] ?? '');
      const author = d.users.get(message[2] ?? '')?.displayName;
      if (where && author) return `a message by ${author} in ${where}`;
    }
    // The safeguarding actions name their item by its number.
    if (action.startsWith('safeguarding.') && /^\d{1,12}$/.test(target))
      return `Safeguarding item #${target}`;
    return null;
  };

  const toRow = (e: AuditEntry): AuditRow => ({
    ...e,
    actorName: e.actorId === null ? null : (d.users.get(e.actorId)?.displayName ?? null),
    targetName: targetName(e.target, e.action),
  });

  app.get('/audit', (c) => {
    const { filter, limit } = filterOf(c);
    const entries = d.audit.find(filter, limit + 1);
    const page = entries.slice(0, limit);
    const last = page[page.length - 1];
    return c.json({
      entries: page.map(toRow),
      nextBefore: entries.length > limit && last ? String(last.id) : null,
    });
  });

  /**
   * Checks the whole hash chain (issue 14 §6). The check itself is recorded after it runs, with its answer:
   * who looked, when, and what they were told is part of the trail.
   */
  app.get('/audit/verify', async (c) => {
    const report = await d.audit.verify();
    d.audit.record(
      c.get('user').id,
      'audit.verified',
      null,
      report.ok ? { ok: true, count: report.count } : { ok: false, brokenAt: report.brokenAt },
    );
    return c.json(report satisfies AuditVerifyReply);
  });

  app.get('/audit/actions', (c) => c.json({ actions: d.audit.actions() }));

  app.get('/audit.csv', (c) => {
    // A link on another site is a top-level GET that carries the Lax cookie: it would download the log to an
    // admin's machine (unread by that site) and write an export entry. Only our own pages start an export.
    if (c.req.header('sec-fetch-site') === 'cross-site')
      throw new AppError(403, 'bad-origin', 'Start the export from the audit log page.');
    const { filter } = filterOf(c);
    // Recorded before the rows are read, so the export shows in its own file: who took the log away is
    // itself a safeguarding fact.
    d.audit.record(c.get('user').id, 'audit.exported', null, { filter: c.req.query() });
    const csv = (rows: string[][]): string =>
      stringify(rows, { cast: { string: neutraliseCell }, record_delimiter: 'windows' });
    const pages = d.audit.pages(filter);
    const encoder = new TextEncoder();
    let started = false;
    const body = new ReadableStream<Uint8Array>({
      // One page of rows per pull: memory stays flat however long the log, and a slow reader slows the reads.
      pull(controller) {
        if (!started) {
          started = true;
          // A byte-order mark, so Excel reads names with accents as UTF-8.
          controller.enqueue(encoder.encode(`\uFEFF${csv([CSV_HEADER])}`));
          return;
        }
        const next = pages.next();
        if (next.done) {
          controller.close();
          return;
        }
        const rows = next.value.map((e) => {
          const r = toRow(e);
          return [
            new Date(r.at).toISOString(),
            r.actorName ?? (r.actorId === null ? noActorLabel(r.action) : 'Removed account'),
            r.actorId ?? '',
            auditLabel(r.action),
            r.action,
            r.targetName ?? r.target ?? '',
            r.target ?? '',
            JSON.stringify(r.detail),
          ];
        });
        controller.enqueue(encoder.encode(csv(rows)));
      },
    });
    const day = new Date().toISOString().slice(0, 10);
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="commonroom-audit-${day}.csv"`,
      'cache-control': 'no-store',
    });
  });

  return app;
}
