import {
  ItemPatch,
  KeywordsRequest,
  LeadRequest,
  MonitorRequest,
  NoteRequest,
  PageCursor,
  RemoveRequest,
  ReportRequest,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import { AppError } from '../services/errors.ts';
import type { Safeguarding } from '../services/safeguarding.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';
import { requireAdmin } from './guards.ts';

const STATUSES = ['open', 'new', 'in_review', 'closed', 'all'] as const;
type StatusFilter = (typeof STATUSES)[number];
const itemId = (raw: string): number => {
  if (!/^[0-9]{1,12}$/.test(raw))
    throw new AppError(404, 'no-such-item', 'That safeguarding item does not exist.');
  return Number(raw);
};

const cursorOf = (raw: string | undefined): string | null => {
  if (raw === undefined || raw === '') return null;
  const parsed = PageCursor.safeParse(raw);
  if (!parsed.success)
    throw new AppError(400, 'bad-cursor', 'That page is not valid any more. Start from the first page.');
  return parsed.data;
};
/**
 * A page size other than the default: the queue screen reads the items it already shows again in one
 * request when the queue changes (up to 500), and tests page in small steps.
 */
const limitOf = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new AppError(400, 'bad-limit', 'A page holds from 1 to 500 rows.');
  return n;
};

/**
 * Safeguarding routes (issue 14), under /api: the summary and reporting for everyone signed in; the queue,
 * keywords and monitoring for leads (the service checks on every call); the lead capability for admins.
 */
export function safeguardingRoutes(d: { safeguarding: Safeguarding }) {
  const s = d.safeguarding;
  const app = new Hono<HonoEnv>();

  app.get('/safeguarding/summary', (c) => c.json(s.summary(c.get('user'))));
  app.post('/safeguarding/reports', async (c) => {
    const body = await readJson(c, ReportRequest);
    return c.json({ ok: true, ...s.report(c.get('user'), body) });
  });

  app.get('/safeguarding/items', (c) => {
    const raw = c.req.query('status') ?? 'open';
    const status: StatusFilter = (STATUSES as readonly string[]).includes(raw)
      ? (raw as StatusFilter)
      : 'open';
    return c.json(
      s.list(c.get('user'), status, cursorOf(c.req.query('cursor')), limitOf(c.req.query('limit'))),
    );
  });
  app.get('/safeguarding/items/:id', (c) => c.json(s.detail(c.get('user'), itemId(c.req.param('id')))));
  app.patch('/safeguarding/items/:id', async (c) => {
    const id = itemId(c.req.param('id'));
    return c.json(s.update(c.get('user'), id, await readJson(c, ItemPatch)));
  });
  app.post('/safeguarding/items/:id/notes', async (c) => {
    const id = itemId(c.req.param('id'));
    const { text } = await readJson(c, NoteRequest);
    return c.json(s.addNote(c.get('user'), id, text), 201);
  });
  app.post('/safeguarding/items/:id/remove', async (c) => {
    const id = itemId(c.req.param('id'));
    const { reason } = await readJson(c, RemoveRequest);
    return c.json(await s.removeMessage(c.get('user'), id, reason));
  });
  app.get('/safeguarding/leads', (c) => c.json(s.leads(c.get('user'))));
  app.get('/safeguarding/keywords', (c) => c.json(s.keywordList(c.get('user'))));
  app.put('/safeguarding/keywords', async (c) => {
    const { phrases } = await readJson(c, KeywordsRequest);
    return c.json(s.setKeywords(c.get('user'), phrases));
  });
  app.get('/safeguarding/conversations', (c) => c.json(s.conversationList(c.get('user'))));
  app.post('/safeguarding/conversations/:id/open', async (c) => {
    const { reason, cursor } = await readJson(c, MonitorRequest);
    return c.json(
      s.open(c.get('user'), c.req.param('id'), reason, cursor ?? null, limitOf(c.req.query('limit'))),
    );
  });

  // The capability itself: granted and removed by admins on the person page.
  app.get('/admin/users/:id/safeguarding-lead', requireAdmin, (c) => c.json(s.leadFlag(c.req.param('id'))));
  app.put('/admin/users/:id/safeguarding-lead', requireAdmin, async (c) => {
    const { lead } = await readJson(c, LeadRequest);
    return c.json(s.setLead(c.get('user'), c.req.param('id'), lead));
  });
  return app;
}
