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
  /** The directory, for the DM picker and @mentions: active people, no email addresses. */
  app.get('/users', (c) =>
    c.json({
      users: d.users
        .list()
        .filter((u) => u.active)
        .map((u) => ({
          id: u.id,
          displayName: u.displayName,
          username: u.username,
          role: u.role,
          active: u.active,
        })),
    }),
  );
  return app;
}
