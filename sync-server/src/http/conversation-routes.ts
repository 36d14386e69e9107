import {
  CreateChannelRequest,
  MembersRequest,
  OpenDmRequest,
  UpdateChannelRequest,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import type { ConversationService } from '../services/conversations.ts';
import type { UserStore } from '../storage/users.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';

export function conversationRoutes(d: { service: ConversationService; users: UserStore }) {
  const app = new Hono<HonoEnv>();
  const s = d.service;

  app.get('/conversations', (c) => c.json({ conversations: s.list(c.get('user')) }));
  app.post('/conversations', async (c) =>
    c.json({ conversation: s.create(c.get('user'), await readJson(c, CreateChannelRequest)) }, 201),
  );
  app.get('/conversations/:id', (c) => c.json({ conversation: s.get(c.get('user'), c.req.param('id')) }));
  app.patch('/conversations/:id', async (c) => {
    const patch = await readJson(c, UpdateChannelRequest);
    const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return c.json({ conversation: s.update(c.get('user'), c.req.param('id'), clean) });
  });
  app.post('/conversations/:id/join', (c) =>
    c.json({ conversation: s.join(c.get('user'), c.req.param('id')) }),
  );
  app.post('/conversations/:id/leave', (c) => {
    s.leave(c.get('user'), c.req.param('id'));
    return c.json({ ok: true });
  });
  app.get('/conversations/:id/members', (c) =>
    c.json({ members: s.members(c.get('user'), c.req.param('id')) }),
  );
  app.post('/conversations/:id/members', async (c) => {
    const { userIds } = await readJson(c, MembersRequest);
    s.addMembers(c.get('user'), c.req.param('id'), userIds);
    return c.json({ ok: true });
  });
  app.delete('/conversations/:id/members/:userId', (c) => {
    s.removeMember(c.get('user'), c.req.param('id'), c.req.param('userId'));
    return c.json({ ok: true });
  });
  app.post('/dms', async (c) => {
    const { userIds } = await readJson(c, OpenDmRequest);
    return c.json({ conversation: s.openDm(c.get('user'), userIds) });
  });
  /**
   * The directory, for the DM picker and @mentions: active people, no email addresses. Served from memory
   * with an ETag; a device that already holds this version gets 304 and no body (every reconnect asks).
   */
  app.get('/users', (c) => {
    const dir = d.users.directory();
    const headers = { etag: dir.etag, 'cache-control': 'private, no-cache' };
    if (etagMatches(c.req.header('if-none-match'), dir.etag)) return c.body(null, 304, headers);
    return c.body(dir.body, 200, { ...headers, 'content-type': 'application/json; charset=UTF-8' });
  });
  return app;
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` prefixes are ignored, `*` matches. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string): string => (t.startsWith('W/') ? t.slice(2) : t);
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || bare(v) === bare(etag);
  });
}
