import type { Engine } from '@commonroom/engine';
import {
  AdminAddMembersReply,
  type AdminAddMembersRequest,
  AdminChannel,
  AdminChannelList,
  AdminChannelMembers,
  type AdminChannelMember,
  type AdminCreateChannelRequest,
  type AdminUpdateChannelRequest,
  type ChannelKind,
  ChannelCohortList,
  OkReply,
} from '@commonroom/protocol';
import * as z from 'zod/mini';

/** The admin Channels routes (sync-server/src/http/admin-channel-routes.ts); the server checks the role. */

export type ChannelQuery = { query: string; kind: ChannelKind | ''; archived: 'yes' | 'no' | '' };

const Changed = z.object({ channel: AdminChannel, added: z.number() });
export type Changed = z.infer<typeof Changed>;
const path = (id: string, rest = '') => `/api/admin/channels/${encodeURIComponent(id)}${rest}`;

export async function listChannels(engine: Engine, q: ChannelQuery): Promise<AdminChannel[]> {
  const p = new URLSearchParams();
  if (q.query.trim()) p.set('query', q.query.trim());
  if (q.kind) p.set('kind', q.kind);
  if (q.archived) p.set('archived', q.archived);
  return (await engine.api.request('GET', `/api/admin/channels?${p.toString()}`, AdminChannelList)).channels;
}

export async function getChannel(engine: Engine, id: string): Promise<AdminChannel> {
  return (await engine.api.request('GET', path(id), z.object({ channel: AdminChannel }))).channel;
}

export const createChannel = (engine: Engine, req: AdminCreateChannelRequest): Promise<Changed> =>
  engine.api.request('POST', '/api/admin/channels', Changed, req);

export const updateChannel = (
  engine: Engine,
  id: string,
  patch: AdminUpdateChannelRequest,
): Promise<Changed> => engine.api.request('PATCH', path(id), Changed, patch);

export async function channelMembers(engine: Engine, id: string): Promise<AdminChannelMember[]> {
  return (await engine.api.request('GET', path(id, '/members'), AdminChannelMembers)).members;
}

export const addChannelMembers = (engine: Engine, id: string, req: AdminAddMembersRequest) =>
  engine.api.request('POST', path(id, '/members'), AdminAddMembersReply, req);

export async function removeChannelMember(engine: Engine, id: string, userId: string): Promise<void> {
  await engine.api.request('DELETE', path(id, `/members/${encodeURIComponent(userId)}`), OkReply);
}

export async function listCohorts(engine: Engine): Promise<ChannelCohortList['cohorts']> {
  return (await engine.api.request('GET', '/api/admin/channel-cohorts', ChannelCohortList)).cohorts;
}

export const KIND_LABELS: Record<ChannelKind, string> = {
  public: 'Public',
  private: 'Private',
  announcement: 'Announcement',
};
