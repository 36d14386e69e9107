import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { AppError } from '../services/errors.ts';
import type { HonoEnv } from './env.ts';
import { requireSession, sameOriginWrites } from './guards.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserStore } from '../storage/users.ts';

/** The app's security headers; a handler's own (attachment bytes' sandbox) wins over them. */
const SECURITY_HEADERS: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: 'same-origin',
  // Attachment bytes set a stricter policy of their own (a sandbox, http/attachment-routes.ts).
  overwrite: false,
};

/**
 * The HTTP application: security headers, the API under /api, the sync socket at /sync, /healthz, and the
 * built PWA (or, until it exists, the holding pages in public/).
 */
export function createHttpApp(d: {
  log: Logger;
  allowedOrigins: readonly string[];
  sessions: SessionStore;
  users: UserStore;
  health: () => { ok: boolean; detail: Record<string, unknown> };
  routes: {
    auth: Hono<HonoEnv>;
    admin: Hono<HonoEnv>;
    /** The admin Channels routes (issue 13 §3), under /api/admin beside `admin`. */
    adminChannels: Hono<HonoEnv>;
    conversations: Hono<HonoEnv>;
    /** Muting people (issue 14 §3). */
    mutes: Hono<HonoEnv>;
    /** Web Push registration (issue 15 §1). */
    push: Hono<HonoEnv>;
    /** Notification preferences and the workspace's quiet hours (issue 15 §2). */
    notify: Hono<HonoEnv>;
    /** Server search (issue 16). */
    search: Hono<HonoEnv>;
    workspace: Hono<HonoEnv>;
    /** Safeguarding (issue 14): reports, the leads' queue, keywords, monitoring, the lead capability. */
    safeguarding: Hono<HonoEnv>;
    /** Retention settings and the leads' exports (issue 14 §7). */
    retentionExport: Hono<HonoEnv>;
    /** The tus upload endpoint (issue 17): its own guards, no JSON body limit. */
    uploads: Hono<HonoEnv>;
    /** Attachment metadata and signed links to the bytes (issue 17). */
    attachments: Hono<HonoEnv>;
    sync: readonly [MiddlewareHandler<HonoEnv>, MiddlewareHandler<HonoEnv>];
  };
  clientDist: string;
  publicDir: string;
}) {
  const app = new Hono<HonoEnv>();
  app.use('*', secureHeaders(SECURITY_HEADERS));

  app.onError((err, c) => {
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json({ error: err.code, message: err.message }, err.status);
    }
    d.log.error({ err, path: c.req.path }, 'request failed');
    return c.json(
      { error: 'internal', message: 'Something went wrong on the server. Please try again.' },
      500,
    );
  });
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: 'not-found', message: 'No such API endpoint.' }, 404)
      : c.text('Not found', 404),
  );

  app.get('/healthz', (c) => {
    const h = d.health();
    return c.json({ ok: h.ok, ...h.detail }, h.ok ? 200 : 503);
  });

  const [syncGuard, syncUpgrade] = d.routes.sync;
  app.get('/sync', syncGuard, syncUpgrade);

  // Before /api's middleware: an upload's body is a file, not JSON, and has no 4 MB limit (tus's own).
  app.route('/api/uploads', d.routes.uploads);

  const api = new Hono<HonoEnv>();
  const limitBody = bodyLimit({
    maxSize: 4 * 1024 * 1024,
    onError: () => {
      throw new AppError(413, 'too-large', 'That request is too large.');
    },
  });
  // No route reads a GET's or HEAD's body, and asking for one makes node-server build a whole Request
  // (abort signal included) for the two GETs every reconnect sends: a tenth of a reconnect storm's HTTP cost.
  api.use('*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next),
  );
  api.use('*', sameOriginWrites(d.allowedOrigins));
  api.route('/auth', d.routes.auth);
  api.use('*', requireSession(d.sessions, d.users));
  api.route('/', d.routes.safeguarding);
  api.route('/', d.routes.retentionExport);
  api.route('/admin', d.routes.admin);
  api.route('/admin', d.routes.adminChannels);
  api.route('/', d.routes.workspace);
  api.route('/', d.routes.conversations);
  api.route('/', d.routes.mutes);
  api.route('/', d.routes.push);
  api.route('/', d.routes.notify);
  api.route('/', d.routes.search);
  api.route('/', d.routes.attachments);
  app.route('/api', api);

  const dist = existsSync(join(d.clientDist, 'index.html')) ? d.clientDist : null;
  const root = dist ?? d.publicDir;
  app.use('/*', serveStatic({ root }));
  const index = join(root, 'index.html');
  // Single-page app: unknown paths get the shell, so deep links and /setup work.
  app.get('*', (c) =>
    existsSync(index) ? c.html(readFileSync(index, 'utf8')) : c.text('Commonroom is running.'),
  );
  return app;
}
