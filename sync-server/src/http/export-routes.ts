import { ExportRequest, RetentionPatch, isAdminRole } from '@commonroom/protocol';
import { Hono } from 'hono';
import { AppError } from '../services/errors.ts';
import type { SafeguardingExport } from '../services/safeguarding-export.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { RetentionStore } from '../storage/retention.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';
import { requireAdmin } from './guards.ts';

/**
 * Retention and export (issue 14 §7), under /api: leads export a case, a person's messages or a
 * conversation (the service checks the capability and audits); admins set the retention periods, and
 * admins and leads read them.
 */
export function retentionExportRoutes(d: {
  exports: SafeguardingExport;
  retention: RetentionStore;
  isLead: (userId: string) => boolean;
  audit: AuditLog;
}) {
  const app = new Hono<HonoEnv>();

  // A POST, not a link: the reason travels in the body (not in addresses and logs) and the export is
  // audited once per request. The answer is the file itself.
  app.post('/safeguarding/exports', async (c) => {
    const body = await readJson(c, ExportRequest);
    const file = d.exports.export(c.get('user'), body);
    return c.body(file.body, 200, {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });

  app.get('/retention', (c) => {
    const u = c.get('user');
    if (!isAdminRole(u.role) && !d.isLead(u.id))
      throw new AppError(403, 'admin-only', 'Only admins and safeguarding leads can see retention.');
    return c.json(d.retention.read());
  });
  app.patch('/admin/retention', requireAdmin, async (c) => {
    const patch = await readJson(c, RetentionPatch);
    const changes = d.retention.write(patch);
    if (Object.keys(changes).length > 0) d.audit.record(c.get('user').id, 'retention.changed', null, changes);
    return c.json(d.retention.read());
  });
  return app;
}
