import type { HttpBindings } from '@hono/node-server';
import type { Role, SessionEndReason } from '@commonroom/protocol';

export type AuthedUser = { id: string; role: Role; tokenHash: string; expiresAt: number };

export type HonoEnv = {
  Bindings: HttpBindings;
  /** `ended`: set by the sync route's guard for a socket accepted only to be told why it must wipe. */
  Variables: { user: AuthedUser; ended?: SessionEndReason };
};
