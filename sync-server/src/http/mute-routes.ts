import { MuteRequest } from '@commonroom/protocol';
import { Hono } from 'hono';
import type { MuteService } from '../services/mutes.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';

/**
 * Mutes (issue 14 §3): POST /api/mutes, GET /api/mutes?conversationId=|userId=, POST /api/mutes/:id/lift.
 * The service checks the role for every call; the menus that hide these from students are no security.
 */
export function muteRoutes(d: { mutes: MuteService }) {
  const app = new Hono<HonoEnv>();
  app.post('/mutes', async (c) =>
    c.json({ mute: d.mutes.mute(c.get('user'), await readJson(c, MuteRequest)) }, 201),
  );
  app.get('/mutes', (c) =>
    c.json({
      mutes: d.mutes.list(c.get('user'), {
        conversationId: c.req.query('conversationId'),
        userId: c.req.query('userId'),
      }),
    }),
  );
  app.post('/mutes/:id/lift', (c) => {
    d.mutes.lift(c.get('user'), c.req.param('id'));
    return c.json({ ok: true });
  });
  return app;
}
