import { ProfileUpdate } from '@commonroom/protocol';
import { Hono } from 'hono';
import type { Accounts } from '../services/accounts.ts';
import type { SettingsStore } from '../storage/settings.ts';
import { toMe } from './auth-routes.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';

/**
 * What every signed-in person reads and changes about the workspace and themself (issue 13 §4): the
 * workspace's settings (its name in the header, the DM policy the app explains) and their own profile.
 */
export function workspaceRoutes(d: { settings: SettingsStore; accounts: Accounts }) {
  const app = new Hono<HonoEnv>();
  app.get('/workspace', (c) => c.json(d.settings.read()));
  app.patch('/profile', async (c) => {
    const patch = await readJson(c, ProfileUpdate);
    return c.json({ user: toMe(d.accounts.updateProfile(c.get('user').id, patch)) });
  });
  return app;
}
