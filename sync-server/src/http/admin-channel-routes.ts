import {
  AdminAddMembersRequest,
  AdminChannelQuery,
  AdminCreateChannelRequest,
  AdminUpdateChannelRequest,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import type { ChannelAdmin } from '../services/channel-admin.ts';
import { AppError } from '../services/errors.ts';
import type { CohortStore } from '../storage/cohorts.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';
import { requireAdmin } from './guards.ts';

/**
 * /api/admin/channels (issue 13 §3): every channel's metadata and membership for admins, and the cohorts
 * people carry. No route here returns a message.
 */
export function adminChannelRoutes(d: { channels: ChannelAdmin; cohorts: CohortStore }) {
  const app = new Hono<HonoEnv>();
  const s = d.channels;
  app.use('*', requireAdmin);

  app.get('/channels', (c) => {
    const parsed = AdminChannelQuery.safeParse(c.req.query());
    if (!parsed.success) throw new AppError(400, 'bad-query', 'That search is not valid.');
    const q = parsed.data;
    return c.json({
      channels: s.list({
        ...(q.query !== undefined ? { query: q.query } : {}),
        ...(q.kind !== undefined ? { kind: q.kind } : {}),
        ...(q.archived !== undefined ? { archived: q.archived } : {}),
      }),
    });
  });
  app.post('/channels', async (c) => {
    const body = await readJson(c, AdminCreateChannelRequest);
    return c.json(s.create(c.get('user'), body), 201);
  });
  app.get('/channels/:id', (c) => c.json({ channel: s.get(c.req.param('id')) }));
  app.patch('/channels/:id', async (c) => {
    const patch = await readJson(c, AdminUpdateChannelRequest);
    return c.json(s.update(c.get('user'), c.req.param('id'), patch));
  });
  app.get('/channels/:id/members', (c) => c.json({ members: s.members(c.req.param('id')) }));
  app.post('/channels/:id/members', async (c) => {
    const body = await readJson(c, AdminAddMembersRequest);
    return c.json(s.addMembers(c.get('user'), c.req.param('id'), body));
  });
  app.delete('/channels/:id/members/:userId', (c) => {
    s.removeMember(c.get('user'), c.req.param('id'), c.req.param('userId'));
    return c.json({ ok: true });
  });
  app.get('/channel-cohorts', (c) => c.json({ cohorts: d.cohorts.list() }));
  return app;
}
