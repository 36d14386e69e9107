import {
  ConversationNotifyRequest,
  NotifyPrefsPatch,
  WorkspaceQuietHours,
  windowInside,
  type NoticeKind,
} from '@commonroom/protocol';
import { Hono } from 'hono';
import type { PushPreferences } from '../push/preferences.ts';
import type { ConversationService } from '../services/conversations.ts';
import { AppError } from '../services/errors.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { NotifyPrefStore } from '../storage/notify-prefs.ts';
import type { SettingsStore } from '../storage/settings.ts';
import { readJson } from './body.ts';
import { requireAdmin } from './guards.ts';
import type { HonoEnv } from './env.ts';

/**
 * Notification preferences (issue 15 §2): GET/PATCH /api/me/notifications (one's level and quiet hours),
 * PUT /api/conversations/:id/notify (one conversation's choice, for a member), GET/PUT
 * /api/admin/quiet-hours (the workspace's quiet hours, admins only, audited). A person changes only their
 * own choices; a student may narrow the workspace's quiet hours but not widen or turn them off.
 */
export function notifyRoutes(d: {
  prefs: NotifyPrefStore;
  pushPrefs: PushPreferences;
  settings: SettingsStore;
  service: ConversationService;
  audit: AuditLog;
  /** Tells the person's other devices their conversation list changed. */
  notify: (userIds: string[], kind: NoticeKind, payload: unknown) => void;
}) {
  const app = new Hono<HonoEnv>();

  app.get('/me/notifications', (c) => {
    const u = c.get('user');
    return c.json(d.pushPrefs.reply(u.id, u.role));
  });
  app.patch('/me/notifications', async (c) => {
    const patch = await readJson(c, NotifyPrefsPatch);
    const u = c.get('user');
    const q = d.pushPrefs.quietOf(u.id, u.role);
    if (!q.mayWiden && q.workspace) {
      if (patch.quiet === 'off')
        throw new AppError(
          400,
          'quiet-hours',
          'Your college sets quiet hours for students: you can shorten them, not turn them off.',
        );
      if (typeof patch.quiet === 'object' && !windowInside(patch.quiet, q.workspace))
        throw new AppError(
          400,
          'quiet-hours',
          'Your quiet hours must fit inside the college’s: you can shorten them, not make them longer.',
        );
    }
    const now = d.prefs.of(u.id);
    d.prefs.put(u.id, { level: patch.level ?? now.level, quiet: patch.quiet ?? now.quiet });
    return c.json(d.pushPrefs.reply(u.id, u.role));
  });

  app.put('/conversations/:id/notify', async (c) => {
    const body = await readJson(c, ConversationNotifyRequest);
    const u = c.get('user');
    const id = c.req.param('id');
    // Visible (404 otherwise, as if it did not exist), and one's own: a choice about a conversation one is in.
    if (!d.service.get(u, id).isMember)
      throw new AppError(400, 'not-a-member', 'Join the conversation to choose its notifications.');
    d.prefs.setConversation(u.id, id, body.notify);
    d.notify([u.id], 'conversations-changed', {});
    return c.json({ conversation: d.service.get(u, id) });
  });

  const admin = new Hono<HonoEnv>();
  admin.use('*', requireAdmin);
  admin.get('/', (c) => c.json(d.settings.quietHours()));
  admin.put('/', async (c) => {
    const next = await readJson(c, WorkspaceQuietHours);
    const change = d.settings.writeQuietHours(next);
    if (change) d.audit.record(c.get('user').id, 'settings.changed', null, { quietHours: change });
    return c.json(d.settings.quietHours());
  });
  app.route('/admin/quiet-hours', admin);
  return app;
}
