import type { Engine } from '@commonroom/engine';
import {
  AdminUserPage,
  type AdminUser,
  AdminUserReply,
  MeReply,
  OkReply,
  type CreateUserRequest,
  type Me,
  type Role,
} from '@commonroom/protocol';

/** The admin routes the People screens use (sync-server/src/http/admin-routes.ts); the server checks roles. */

export type PeopleQuery = {
  query: string;
  role: Role | '';
  status: 'active' | 'deactivated' | '';
  sort: 'name' | 'login' | 'role' | 'status' | 'created';
  dir: 'asc' | 'desc';
  cursor: number;
};

export const PAGE_SIZE = 50;

export function listPeople(engine: Engine, q: PeopleQuery): Promise<AdminUserPage> {
  const p = new URLSearchParams({ sort: q.sort, dir: q.dir, limit: String(PAGE_SIZE) });
  if (q.query.trim()) p.set('query', q.query.trim());
  if (q.role) p.set('role', q.role);
  if (q.status) p.set('status', q.status);
  if (q.cursor > 0) p.set('cursor', String(q.cursor));
  return engine.api.request('GET', `/api/admin/users?${p.toString()}`, AdminUserPage);
}

export async function getPerson(engine: Engine, id: string): Promise<AdminUser> {
  return (await engine.api.request('GET', `/api/admin/users/${encodeURIComponent(id)}`, AdminUserReply)).user;
}

export async function createPerson(engine: Engine, req: CreateUserRequest): Promise<Me> {
  return (await engine.api.request('POST', '/api/admin/users', MeReply, req)).user;
}

export async function changeRole(engine: Engine, id: string, role: Role): Promise<void> {
  await engine.api.request('PATCH', `/api/admin/users/${encodeURIComponent(id)}/role`, MeReply, { role });
}

export async function setActive(engine: Engine, id: string, active: boolean): Promise<void> {
  const action = active ? 'reactivate' : 'deactivate';
  await engine.api.request('POST', `/api/admin/users/${encodeURIComponent(id)}/${action}`, MeReply);
}

export async function resetPassword(engine: Engine, id: string, password: string): Promise<void> {
  await engine.api.request('POST', `/api/admin/users/${encodeURIComponent(id)}/password`, OkReply, {
    password,
  });
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
