import type { Engine } from '@commonroom/engine';
import { Me } from '@commonroom/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLoginGuard, CHECKS_IN_FLIGHT_OVER_LIMIT } from '../src/auth/login-guard.ts';
import { createThrottle } from '../src/auth/throttle.ts';
import { parseConfig } from '../src/config.ts';
import { createClientAddress } from '../src/http/client-address.ts';
import { ADMIN, addUser, loginAdmin, startServer, type TestServer } from './harness.ts';

/**
 * Login and password-change throttling (docs/THREAT_MODEL.md T10, issue 12 C9–C12), against a real server on
 * loopback. Every request here comes from 127.0.0.1, so without TRUST_PROXY they all share one address.
 * Work is counted, not timed: each 401 is one password hash the server computed and found wrong (the audit
 * log has one `login.failed` per hash), each 429 is an attempt refused before hashing.
 */

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const statuses = async (requests: Promise<Response>[]): Promise<Record<number, number>> => {
  const out: Record<number, number> = {};
  for (const r of await Promise.all(requests)) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
};

describe('login throttling (T10)', () => {
  let ts: TestServer | null = null;
  let admin: Engine | null = null;
  const start = async (opts: Parameters<typeof startServer>[0] = {}) => {
    ts = await startServer(opts);
    admin = await loginAdmin(ts);
    return { ts, admin };
  };
  afterEach(async () => {
    admin?.disconnect();
    await ts?.destroy();
    ts = null;
    admin = null;
  });
  const failedHashes = (server: TestServer): number =>
    server.server.internals.audit.list(1000, 'login.failed').length;

  it('T10: parallel wrong passwords for one account are checked at most the per-account limit (C9)', async () => {
    // A costlier hash (16 MiB, still far below production's) keeps the requests overlapping, as they do in
    // production, so a check made before the hash and recorded after it would let many through.
    const { ts, admin } = await start({ env: { SCRYPT_LOG_N: '14' } });
    const s = await addUser(ts, admin, 'student', { connect: false });
    const before = failedHashes(ts);
    const answers = await statuses(
      Array.from({ length: 36 }, () =>
        post(ts.url, '/api/auth/login', { login: s.email, password: 'wrong wrong wrong' }),
      ),
    );
    expect(answers).toEqual({ 401: 5, 429: 31 });
    expect(failedHashes(ts) - before).toBe(5);
  });

  it("T10: failed logins on made-up accounts from a college's one address do not lock out others' correct passwords (C10)", async () => {
    const { ts, admin } = await start();
    const s = await addUser(ts, admin, 'student', { connect: false });
    for (let i = 0; i < 31; i++) {
      const res = await post(ts.url, '/api/auth/login', { login: `made-up-${i}`, password: 'guess guess' });
      expect(res.status).toBe(401);
    }
    expect((await post(ts.url, '/api/auth/login', { login: s.email, password: s.password })).status).toBe(
      200,
    );
    expect(
      (await post(ts.url, '/api/auth/login', { login: ADMIN.email, password: ADMIN.password })).status,
    ).toBe(200);
    // A wrong password of someone else's from the same address is answered as wrong, not locked out.
    expect((await post(ts.url, '/api/auth/login', { login: s.email, password: 'typo typo' })).status).toBe(
      401,
    );
  });

  it('T10: email and username of one account share one allowance; a made-up name is counted however it is typed (C11)', async () => {
    const { ts, admin } = await start();
    const password = 'password-of-jo-1';
    await admin.api.request('POST', '/api/admin/users', z.object({ user: Me }), {
      displayName: 'Jo',
      email: 'jo@college.test',
      username: 'jo.bloggs',
      role: 'student',
      password,
    });
    for (const typed of ['jo@college.test', 'jo.bloggs', 'JO@college.test', 'Jo.Bloggs', 'jo.bloggs'])
      expect((await post(ts.url, '/api/auth/login', { login: typed, password: 'wrong wrong' })).status).toBe(
        401,
      );
    const blocked = await post(ts.url, '/api/auth/login', { login: 'jo@college.test', password });
    expect(blocked.status).toBe(429);
    for (const typed of [
      'nobody@college.test',
      'NOBODY@college.test',
      'Nobody@College.test',
      'nobody@college.test',
      'nobody@college.TEST',
    ])
      expect((await post(ts.url, '/api/auth/login', { login: typed, password: 'wrong wrong' })).status).toBe(
        401,
      );
    expect(
      (await post(ts.url, '/api/auth/login', { login: 'nobody@college.test', password: 'wrong wrong' }))
        .status,
    ).toBe(429);
  });
});

describe('the login guard, on its own clock (T10)', () => {
  const guard = () => {
    const now = () => 1_000_000;
    return createLoginGuard({
      perAccount: createThrottle({ max: 5, windowMs: 60_000, now }),
      perAddress: createThrottle({ max: 30, windowMs: 60_000, now }),
    });
  };
  const started = (r: ReturnType<ReturnType<typeof guard>['begin']>) => !('wait' in r);

  it('T10: checks still hashing count at once, so parallel attempts cannot all pass the check (C9)', () => {
    const g = guard();
    const attempts = Array.from({ length: 36 }, () => g.begin('id:jo', '10.0.0.1'));
    expect(attempts.filter(started)).toHaveLength(5);
    const made = Array.from({ length: 36 }, (_, i) => g.begin(`name:ghost${i}`, '10.0.0.2'));
    expect(made.filter(started)).toHaveLength(30);
  });

  it('T10: over its limit an address has only a few checks at a time, but a real account with no recent failure always gets its check (C10)', () => {
    const g = guard();
    for (let i = 0; i < 30; i++) {
      const a = g.begin(`name:ghost${i}`, '10.0.0.1');
      if ('wait' in a) throw new Error('refused under the limit');
      a.failed();
    }
    const running = Array.from({ length: CHECKS_IN_FLIGHT_OVER_LIMIT }, (_, i) =>
      g.begin(`name:more${i}`, '10.0.0.1'),
    );
    expect(running.every(started)).toBe(true);
    // A real account with no recent failure is never kept waiting by its address: two made-up names kept
    // hashing all the time would otherwise shut everyone behind the college's address out.
    const student = g.begin('id:student', '10.0.0.1');
    if ('wait' in student) throw new Error('the student was refused');
    student.succeeded();
    // One that failed recently takes its turn with the others.
    const failing = g.begin('id:tutor', '10.0.0.1');
    if ('wait' in failing) throw new Error('refused on its first try');
    failing.failed();
    expect(g.begin('id:tutor', '10.0.0.1')).toEqual({ wait: 1000, busy: true });
    const first = running[0];
    if (!first || 'wait' in first) throw new Error('not started');
    first.failed();
    const tutor = g.begin('id:tutor', '10.0.0.1');
    if ('wait' in tutor) throw new Error('the tutor was refused with a check free');
    tutor.succeeded();
    // The refused attempt did not cost the student's own allowance; other addresses are untouched.
    for (let i = 0; i < 5; i++) expect(started(g.begin('id:student', '10.0.0.9'))).toBe(true);
  });
});

describe('the client address behind a reverse proxy (TRUST_PROXY, T10)', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];

  it('T10: without TRUST_PROXY forwarding headers are ignored: anyone can send them', () => {
    const address = createClientAddress([]);
    expect(address('::ffff:127.0.0.1', headers({ 'x-forwarded-for': '6.6.6.6' }))).toBe('127.0.0.1');
  });

  it('T10: the client is the right-most hop that is not a trusted proxy', () => {
    const address = createClientAddress(['loopback', '10.0.0.0/8']);
    // The left-most hop was written by the client; the ones after it by the proxies.
    expect(address('127.0.0.1', headers({ 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.1.2.3' }))).toBe(
      '203.0.113.7',
    );
    expect(address('::1', headers({ forwarded: 'for=6.6.6.6, for="[2001:db8::1]:4711";proto=https' }))).toBe(
      '2001:db8::1',
    );
    expect(address('127.0.0.1', headers({ forwarded: 'for=198.51.100.2:5000' }))).toBe('198.51.100.2');
    // A peer that is not a trusted proxy is the client, whatever it says.
    expect(address('203.0.113.9', headers({ 'x-forwarded-for': '6.6.6.6' }))).toBe('203.0.113.9');
    // Only trusted hops: the left-most is as far as we can see.
    expect(address('127.0.0.1', headers({ 'x-forwarded-for': '10.0.0.5, 10.0.0.6' }))).toBe('10.0.0.5');
    expect(address('127.0.0.1', headers({}))).toBe('127.0.0.1');
  });

  it('T10: TRUST_PROXY is checked at start-up', () => {
    expect(parseConfig({}).trustedProxies).toEqual([]);
    expect(parseConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, ::1' }).trustedProxies).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(() => parseConfig({ TRUST_PROXY: 'proxy.college.ac.uk' })).toThrow(/TRUST_PROXY/);
    expect(() => parseConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('T10: behind a trusted proxy, failed logins are recorded and counted per forwarded client (C10)', async () => {
    const ts = await startServer({ env: { TRUST_PROXY: 'loopback' } });
    try {
      const fail = (client: string) =>
        post(
          ts.url,
          '/api/auth/login',
          { login: 'ghost@college.test', password: 'guess guess' },
          { 'x-forwarded-for': `6.6.6.6, ${client}` },
        );
      expect((await fail('198.51.100.20')).status).toBe(401);
      expect((await fail('198.51.100.21')).status).toBe(401);
      const addresses = ts.server.internals.audit
        .list(10, 'login.failed')
        .map((e) => (e.detail as { address: string }).address)
        .sort();
      expect(addresses).toEqual(['198.51.100.20', '198.51.100.21']);
    } finally {
      await ts.destroy();
    }
  });
});
