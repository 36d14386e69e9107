import type { Engine } from '@commonroom/engine';
import { AuditActions, AuditPage, AuditVerifyReply } from '@commonroom/protocol';

/** The audit log viewer's routes (sync-server/src/http/audit-routes.ts); admins only, checked there. */

export type AuditFilters = {
  actor: string;
  action: string;
  target: string;
  /** Local days as the date inputs give them (YYYY-MM-DD), both included; '' for no bound. */
  from: string;
  to: string;
};

export const NO_FILTERS: AuditFilters = { actor: '', action: '', target: '', from: '', to: '' };
export const AUDIT_PAGE_SIZE = 50;

/** Midnight at the start of a local day, in epoch milliseconds. */
const startOfDay = (day: string, plusDays = 0): number => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).getTime();
};

/** The query string for the filters: the same for a page and for the CSV export of the whole view. */
export function auditParams(f: AuditFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.actor.trim()) p.set('actor', f.actor.trim());
  if (f.action) p.set('action', f.action);
  if (f.target.trim()) p.set('target', f.target.trim());
  if (f.from) p.set('from', String(startOfDay(f.from)));
  // The day chosen is included: the bound is the next day's midnight (the server's `to` is exclusive).
  if (f.to) p.set('to', String(startOfDay(f.to, 1)));
  return p;
}

export function listAudit(engine: Engine, f: AuditFilters, before: string | null): Promise<AuditPage> {
  const p = auditParams(f);
  p.set('limit', String(AUDIT_PAGE_SIZE));
  if (before) p.set('before', before);
  return engine.api.request('GET', `/api/admin/audit?${p.toString()}`, AuditPage);
}

export async function listAuditActions(engine: Engine): Promise<string[]> {
  return (await engine.api.request('GET', '/api/admin/audit/actions', AuditActions)).actions;
}

export const auditCsvUrl = (f: AuditFilters): string => {
  const q = auditParams(f).toString();
  return `/api/admin/audit.csv${q ? `?${q}` : ''}`;
};

/**
 * A short line for an entry's detail: "Old → New" for a change, "name: Old → New" for each of several,
 * "key: value" for the rest.
 */
export function describeDetail(detail: unknown): string {
  if (detail === null || typeof detail !== 'object') return '';
  const keys = Object.keys(detail);
  // A change of one thing (a role): "Student → Tutor".
  if (keys.length === 2 && 'from' in detail && 'to' in detail)
    return `${show(detail.from)} → ${show(detail.to)}`;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(detail as Record<string, unknown>)) {
    // Ids beside their names ("supervisorId" and "supervisor", "memberIds" and "members"): the names say
    // it to a person.
    const named = key.endsWith('Id') ? key.slice(0, -2) : key.endsWith('Ids') ? `${key.slice(0, -3)}s` : null;
    if (named !== null && named in detail) continue;
    // Nothing to say ("channels: none"): left out, so the line keeps to what matters.
    if (value === null || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    if (value && typeof value === 'object' && 'from' in value && 'to' in value) {
      const v = value;
      parts.push(`${keyWords(key)}: ${show(v.from)} → ${show(v.to)}`);
    } else parts.push(`${keyWords(key)}: ${show(value)}`);
  }
  return parts.join('; ');
}

/** The detail's keys as a person reads them; a key not listed is shown as stored. */
const KEY_WORDS: Readonly<Record<string, string>> = {
  workspaceName: 'name',
  studentDmPolicy: 'students may message',
  dmSupervisor: 'supervisor',
  sessionLengthDays: 'session length (days)',
  attachmentMaxFileMb: 'largest file (MB)',
  attachmentDailyMb: 'files a day (MB)',
  postPolicy: 'who may post',
  quietHours: 'quiet hours',
  channelsDays: 'channels (days)',
  dmsDays: 'direct messages (days)',
  safeguardingDays: 'safeguarding store (days)',
};
const keyWords = (key: string): string => KEY_WORDS[key] ?? key;

const show = (v: unknown): string =>
  v === null || v === undefined || v === ''
    ? '—'
    : typeof v === 'string'
      ? /^[a-z]+(_[a-z]+)+$/.test(v)
        ? v.replace(/_/g, ' ')
        : v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : Array.isArray(v)
          ? v.map(show).join(', ') || '—'
          : JSON.stringify(v);

/** GET /api/admin/audit/verify: the whole hash chain checked on the server (issue 14 §6). */
export const verifyAudit = (engine: Engine): Promise<AuditVerifyReply> =>
  engine.api.request('GET', '/api/admin/audit/verify', AuditVerifyReply);
