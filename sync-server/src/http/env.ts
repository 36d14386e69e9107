import type { HttpBindings } from '@hono/node-server';
import type { Role } from '@commonroom/protocol';

export type AuthedUser = { id: string; role: Role; tokenHash: string; expiresAt: number };

export type HonoEnv = {
  Bindings: HttpBindings;
  Variables: { user: AuthedUser };
};
