import type { Engine } from '@commonroom/engine';
import {
  AdminUserPage,
  type AdminUser,
  AdminUserReply,
  CohortList,
  CreateUserReply,
  ImportOutcome,
  ImportPreview,
  MeReply,
  ResetPasswordReply,
  type CreateUserRequest,
  type PasswordLink,
  type ResetPasswordRequest,
  type Role,
  type UpdatePersonRequest,
} from '@commonroom/protocol';

/** The admin routes the People screens use (sync-server/src/http/admin-routes.ts); the server checks roles. */

export type PeopleQuery = {
  query: string;
  role: Role | '';
  status: 'active' | 'deactivated' | '';
  sort: 'name' | 'login' | 'role' | 'status' | 'created';
  dir: 'asc' | 'desc';
  cohort: string;
  /** The server's opaque cursor of the page to show, or '' for the first. */
  cursor: string;
};

export const PAGE_SIZE = 50;

export function listPeople(engine: Engine, q: PeopleQuery): Promise<AdminUserPage> {
  const p = new URLSearchParams({ sort: q.sort, dir: q.dir, limit: String(PAGE_SIZE) });
  if (q.query.trim()) p.set('query', q.query.trim());
  if (q.role) p.set('role', q.role);
  if (q.status) p.set('status', q.status);
  if (q.cohort) p.set('cohort', q.cohort);
  if (q.cursor) p.set('cursor', q.cursor);
  return engine.api.request('GET', `/api/admin/users?${p.toString()}`, AdminUserPage);
}

export async function getPerson(engine: Engine, id: string): Promise<AdminUser> {
  return (await engine.api.request('GET', `/api/admin/users/${encodeURIComponent(id)}`, AdminUserReply)).user;
}

export function createPerson(engine: Engine, req: CreateUserRequest): Promise<CreateUserReply> {
  return engine.api.request('POST', '/api/admin/users', CreateUserReply, req);
}

export async function updatePerson(engine: Engine, id: string, req: UpdatePersonRequest): Promise<AdminUser> {
  return (
    await engine.api.request('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, AdminUserReply, req)
  ).user;
}

export function listCohorts(engine: Engine): Promise<CohortList> {
  return engine.api.request('GET', '/api/admin/cohorts', CohortList);
}

export function previewImport(engine: Engine, csv: string): Promise<ImportPreview> {
  return engine.api.request('POST', '/api/admin/users/import/preview', ImportPreview, csv, 'text/csv');
}

export function commitImport(
  engine: Engine,
  csv: string,
  digest: string,
  links: boolean,
): Promise<ImportOutcome> {
  const q = new URLSearchParams({ digest, ...(links ? { links: '1' } : {}) });
  return engine.api.request(
    'POST',
    `/api/admin/users/import/commit?${q.toString()}`,
    ImportOutcome,
    csv,
    'text/csv',
  );
}

/** A link's full address, for copying: the server gives the path (its token in the fragment). */
export const linkUrl = (link: Pick<PasswordLink, 'path'>): string => `${location.origin}${link.path}`;

/** "bio-l3, eng-l2" or "bio-l3; eng-l2" as typed → the cohort names the server accepts. */
export const parseCohorts = (text: string): string[] => [
  ...new Set(
    text
      .split(/[;,|\n]/)
      .map((c) => c.trim().replace(/^#/, '').toLowerCase().replace(/\s+/g, '-'))
      .filter((c) => c.length > 0),
  ),
];

export async function changeRole(engine: Engine, id: string, role: Role): Promise<void> {
  await engine.api.request('PATCH', `/api/admin/users/${encodeURIComponent(id)}/role`, MeReply, { role });
}

export async function setActive(engine: Engine, id: string, active: boolean): Promise<void> {
  const action = active ? 'reactivate' : 'deactivate';
  await engine.api.request('POST', `/api/admin/users/${encodeURIComponent(id)}/${action}`, MeReply);
}

export async function resetPassword(
  engine: Engine,
  id: string,
  req: ResetPasswordRequest,
): Promise<PasswordLink | null> {
  const r = await engine.api.request(
    'POST',
    `/api/admin/users/${encodeURIComponent(id)}/password`,
    ResetPasswordReply,
    req,
  );
  return r.link ?? null;
}

export async function signOutEverywhere(engine: Engine, id: string): Promise<void> {
  await engine.api.request('POST', `/api/admin/users/${encodeURIComponent(id)}/sign-out-everywhere`, MeReply);
}

/** A server refusal's own words, or a plain sentence for anything else. */
export const problem = (e: unknown): string =>
  e instanceof Error && e.name === 'ApiError'
    ? e.message
    : e instanceof Error && e.name === 'NetworkError'
      ? 'You are offline. The admin area needs a connection.'
      : 'Something went wrong. Please try again.';
