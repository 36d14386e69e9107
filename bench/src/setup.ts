import { ADMIN } from './servers/commonroom.ts';

/**
 * Accounts and channels for a Commonroom run, made through the real HTTP API as an administrator would:
 * public channels `bench-N`, student accounts that are members of one channel each, and one login
 * (session cookie) per account.
 */

export type CommonroomAccount = {
  id: string;
  cookie: string;
  /** The first (or only) channel the account is in. */
  channel: number;
  /** Every channel the account is in (one unless `channelsOf` was given). */
  channels: number[];
};
export type CommonroomSetup = { channels: { id: string; segment: number }[]; users: CommonroomAccount[] };

/** Every bench account's password (a scenario that signs in with the real engine needs it). */
export const PASSWORD = 'bench-password-1';

async function call(
  base: string,
  method: string,
  path: string,
  cookie: string | null,
  body?: unknown,
): Promise<Response> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function login(base: string, name: string, password: string): Promise<{ cookie: string; id: string }> {
  const res = await call(base, 'POST', '/api/auth/login', null, { login: name, password });
  const c = res.headers.getSetCookie().find((x) => x.startsWith('cr_session='));
  if (!c) throw new Error('no session cookie');
  const body = (await res.json()) as { user: { id: string } };
  return { cookie: c.split(';')[0] ?? '', id: body.user.id };
}

async function inParallel<T>(n: number, parallel: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await f(i);
      }
    }),
  );
  return out;
}

/**
 * `users` accounts; account i joins channel i % channels, or the channels `channelsOf(i)` names. `prefix`
 * keeps names unique across calls.
 */
export async function setupCommonroom(
  port: number,
  opts: { channels: number; users: number; prefix?: string; channelsOf?: (i: number) => number[] },
): Promise<CommonroomSetup> {
  const base = `http://127.0.0.1:${port}`;
  const prefix = opts.prefix ?? 'b';
  const admin = await login(base, ADMIN.email, ADMIN.password);
  const channels = await inParallel(opts.channels, 4, async (c) => {
    const res = await call(base, 'POST', '/api/conversations', admin.cookie, {
      name: `${prefix}-bench-${c}`,
      kind: 'public',
    });
    const { conversation } = (await res.json()) as { conversation: { id: string; segment?: number } };
    return { id: conversation.id, segment: conversation.segment ?? 0 };
  });
  const users = await inParallel(opts.users, 4, async (i) => {
    const username = `${prefix}-user-${i}`;
    const mine = opts.channelsOf?.(i) ?? [i % opts.channels];
    await call(base, 'POST', '/api/admin/users', admin.cookie, {
      displayName: `Student ${i}`,
      username,
      role: 'student',
      password: PASSWORD,
      channels: mine.map((c) => `${prefix}-bench-${c}`),
    });
    const s = await login(base, username, PASSWORD);
    return { id: s.id, cookie: s.cookie, channel: mine[0] ?? 0, channels: mine };
  });
  return { channels, users };
}
