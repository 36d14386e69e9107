import type { Engine } from '@commonroom/engine';
import { RetentionSettings, type ExportFormat, type ExportSubject } from '@commonroom/protocol';

/**
 * Exports and retention for leads (issue 14 §7; sync-server/src/http/export-routes.ts). The export answers a
 * file, not JSON, so it is fetched here directly (the browser sends the session cookie) and handed to the
 * browser as a download; the server checks that the person is a lead and writes the audit entry.
 */
export async function downloadExport(
  subject: ExportSubject,
  format: ExportFormat,
  reason: string,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/api/safeguarding/exports', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, format, reason }),
    });
  } catch {
    throw new Error('You are offline. Exports need a connection.');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { message?: unknown } | null;
    throw new Error(
      typeof body?.message === 'string'
        ? body.message
        : `The export failed (the server answered ${res.status}).`,
    );
  }
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
    `commonroom-export.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the file to the browser's download; the address is not needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

export const getRetention = (engine: Engine) =>
  engine.api.request('GET', '/api/retention', RetentionSettings);

/** "Kept forever" or "365 days", for a period in days. */
export const periodText = (days: number | null): string =>
  days === null ? 'Kept forever' : days === 1 ? '1 day' : `${days} days`;
