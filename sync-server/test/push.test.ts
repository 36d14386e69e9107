import { createPublicKey, verify } from 'node:crypto';
import { PushKeyReply, PushPayload } from '@commonroom/protocol';
import { decrypt } from 'http_ece';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, eventually, indexedTexts, makeEngine, startServer, texts } from './harness.ts';
import {
  b64url,
  browserSubscription,
  pushServerOptions,
  usePushServer,
  type Received,
} from './push-harness.ts';
import { login } from './raw-client.ts';
import { settledAttachment, upload } from './uploads.ts';

/**
 * Issue 15 §1: Web Push end to end, with no stand-in for the library or the network. The server sends
 * through `web-push` over HTTPS to a push service on loopback (a test certificate the server's agent
 * trusts); the service checks the VAPID signature (RFC 8292) and decrypts the body with the keys the
 * "browser" made for its subscription (RFC 8291, aes128gcm, with http_ece, the library web-push encrypts
 * with). Subscriptions follow the device's session and go when the push service says they are gone.
 */

/** Checks a request's `Authorization: vapid t=<JWT>, k=<key>` against the server's public key. */
function checkVapid(r: Received, publicKey: string, audience: string): Record<string, unknown> {
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(String(r.headers.authorization));
  expect(m, String(r.headers.authorization)).not.toBeNull();
  const [, jwt = '', k] = m ?? [];
  expect(k).toBe(publicKey);
  const [head = '', claims = '', sig = ''] = jwt.split('.');
  const raw = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  );
  expect(ok).toBe(true);
  const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
  expect(c.aud).toBe(audience);
  return c;
}

describe('web push', () => {
  const env = usePushServer();

  const payload = (over: Partial<PushPayload> = {}): PushPayload => ({
    kind: 'dm',
    title: 'Sarah Khan',
    body: 'Are you coming to the workshop? 🎨',
    tag: 'c:dm-1',
    url: '/c/dm-1',
    conversationId: 'dm-1',
    ...over,
  });

  it('issue 15: a push reaches the device encrypted to its keys and signed with the server’s VAPID key', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { connect: false });
    const { publicKey } = await amy.engine.api.request('GET', '/api/push/key', PushKeyReply);
    const sub = browserSubscription(`${env.push.url}/push/amy-phone`);
    await amy.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), sub.body);

    const before = env.push.received.length;
    const out = await env.ts.server.internals.push.toUser(amy.id, payload());
    expect(out).toEqual({ sent: 1, gone: 0, failed: 0, skipped: 0 });
    const got = env.push.received.slice(before);
    expect(got).toHaveLength(1);
    const r = got[0] as Received;
    expect(r.path).toBe('/push/amy-phone');
    expect(r.headers['content-encoding']).toBe('aes128gcm');
    expect(r.headers.ttl).toBe('86400');
    expect(r.headers.urgency).toBe('high');
    const claims = checkVapid(r, publicKey, env.push.url);
    expect(claims.sub).toBe('mailto:admin@college.test');
    expect(Number(claims.exp)).toBeGreaterThan(Date.now() / 1000);
    // The push service sees ciphertext only; the device's keys open it.
    expect(r.body.includes(Buffer.from('workshop'))).toBe(false);
    const plain = decrypt(r.body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
    expect(PushPayload.parse(JSON.parse(plain.toString('utf8')))).toEqual(payload());
    // Another person's keys cannot open it.
    const other = browserSubscription(`${env.push.url}/push/other`);
    expect(() =>
      decrypt(r.body, { version: 'aes128gcm', privateKey: other.ecdh, authSecret: other.auth }),
    ).toThrow();
  });

  it('issue 15: a device visibly showing the conversation is not pushed to; the push service’s 410 deletes the subscription', async () => {
    const ben = await addUser(env.ts, env.admin, 'student', { connect: false });
    const phone = browserSubscription(`${env.push.url}/gone/ben-old-phone`);
    await ben.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), phone.body);
    expect(env.ts.server.internals.pushStore.countOf(ben.id)).toBe(1);
    const out = await env.ts.server.internals.push.toUser(ben.id, payload());
    expect(out).toEqual({ sent: 0, gone: 1, failed: 0, skipped: 0 });
    expect(env.ts.server.internals.pushStore.countOf(ben.id)).toBe(0);

    // The same device registers a live endpoint, then connects and shows the DM: it hears the message
    // there, so no push.
    const live = browserSubscription(`${env.push.url}/push/ben-phone`);
    await ben.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), live.body);
    ben.engine.connect();
    await ben.engine.settled();
    const sentNow = async () => (await env.ts.server.internals.push.toUser(ben.id, payload())).sent;
    ben.engine.reportDevice('active', 'dm-1');
    await expect.poll(sentNow).toBe(0);
    expect(await env.ts.server.internals.push.toUser(ben.id, payload())).toEqual({
      sent: 0,
      gone: 0,
      failed: 0,
      skipped: 1,
    });
    // Idle but still on screen: no push either.
    ben.engine.reportDevice('idle', 'dm-1');
    expect(await sentNow()).toBe(0);
    // Online but showing another conversation, or hidden (the app in the background): pushed.
    ben.engine.reportDevice('active', 'general');
    await expect.poll(sentNow).toBe(1);
    ben.engine.reportDevice('hidden', 'dm-1');
    await expect.poll(sentNow).toBe(1);
    ben.engine.reportDevice('active', 'dm-1');
    await expect.poll(sentNow).toBe(0);
    ben.engine.disconnect();
    await expect.poll(sentNow).toBe(1);
  });

  it('issue 15: signing out and deactivation stop a device’s pushes; a bad subscription is refused in plain words', async () => {
    const cara = await addUser(env.ts, env.admin, 'student', { connect: false });
    const sub = browserSubscription(`${env.push.url}/push/cara-laptop`);
    await cara.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), sub.body);
    expect(env.ts.server.internals.pushStore.countOf(cara.id)).toBe(1);
    await cara.engine.logout(true);
    expect(env.ts.server.internals.pushStore.countOf(cara.id)).toBe(0);

    const dan = await addUser(env.ts, env.admin, 'student', { connect: false });
    await dan.engine.api.request(
      'POST',
      '/api/push/subscriptions',
      z.unknown(),
      browserSubscription(`${env.push.url}/push/dan`).body,
    );
    await env.admin.api.request('POST', `/api/admin/users/${dan.id}/deactivate`, z.unknown());
    const before = env.push.received.length;
    expect((await env.ts.server.internals.push.toUser(dan.id, payload())).sent).toBe(0);
    expect(env.push.received.length).toBe(before);

    // An http endpoint (the server would POST to anything it is given) and a malformed key are refused.
    const eve = await addUser(env.ts, env.admin, 'student', { connect: false });
    const bad = browserSubscription('http://127.0.0.1:1/push');
    await expect(
      eve.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), bad.body),
    ).rejects.toThrow(/https address/);
    const badKey = browserSubscription(`${env.push.url}/push/eve`);
    await expect(
      eve.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), {
        ...badKey.body,
        keys: { ...badKey.body.keys, p256dh: 'not a key' },
      }),
    ).rejects.toThrow(/P-256/);
    expect(env.ts.server.internals.pushStore.countOf(eve.id)).toBe(0);

    // T17: the server POSTs to what is registered, so only a push service it knows: not an address inside
    // the college, not a look-alike name; a real browser push service's endpoint is taken.
    for (const endpoint of [
      'https://10.0.0.5/push/x',
      'https://intranet.college.local/push',
      'https://fcm.googleapis.com.evil.example/fcm/send/x',
      'https://evilfcm.googleapis.com.example/x',
    ])
      await expect(
        eve.engine.api.request(
          'POST',
          '/api/push/subscriptions',
          z.unknown(),
          browserSubscription(endpoint).body,
        ),
      ).rejects.toMatchObject({ status: 400, code: 'push-host' });
    expect(env.ts.server.internals.pushStore.countOf(eve.id)).toBe(0);
    await eve.engine.api.request(
      'POST',
      '/api/push/subscriptions',
      z.unknown(),
      browserSubscription('https://fcm.googleapis.com/fcm/send/abc:def').body,
    );
    expect(env.ts.server.internals.pushStore.countOf(eve.id)).toBe(1);
  });

  it('issue 15: one browser profile is one device: signing in as someone else there moves its subscription', async () => {
    const fay = await addUser(env.ts, env.admin, 'student', { connect: false });
    const gus = await addUser(env.ts, env.admin, 'student', { connect: false });
    const shared = browserSubscription(`${env.push.url}/push/library-pc`);
    await fay.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), shared.body);
    await gus.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), shared.body);
    expect(env.ts.server.internals.pushStore.countOf(fay.id)).toBe(0);
    expect(env.ts.server.internals.pushStore.countOf(gus.id)).toBe(1);
    // Fay cannot remove what is now Gus's.
    await fay.engine.api.request('DELETE', '/api/push/subscriptions', z.unknown(), {
      endpoint: shared.body.endpoint,
    });
    expect(env.ts.server.internals.pushStore.countOf(gus.id)).toBe(1);
    await gus.engine.api.request('DELETE', '/api/push/subscriptions', z.unknown(), {
      endpoint: shared.body.endpoint,
    });
    expect(env.ts.server.internals.pushStore.countOf(gus.id)).toBe(0);
  });
});

describe('VAPID keys', () => {
  it('issue 15: made once into the data folder (0600) and kept across restarts; a damaged file stops start-up', async () => {
    const { mkdtempSync, rmSync, statSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadVapidKeys } = await import('../src/push/vapid-keys.ts');
    const dir = mkdtempSync(join(tmpdir(), 'commonroom-vapid-'));
    try {
      const first = loadVapidKeys(dir, null);
      expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
      expect(statSync(join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
      expect(loadVapidKeys(dir, null)).toEqual(first);
      const env = { publicKey: 'B'.repeat(87), privateKey: 'p'.repeat(43) };
      expect(loadVapidKeys(dir, env)).toEqual(env);
      writeFileSync(join(dir, 'vapid.json'), '{"publicKey":"short"}');
      expect(() => loadVapidKeys(dir, null)).toThrow(/not a VAPID key pair/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('who is pushed for a message', () => {
  const env = usePushServer();

  /** A person whose one device subscribed and then went offline (the app closed). */
  const person = async (role: 'student' | 'teacher', name: string) => {
    const p = await addUser(env.ts, env.admin, role, { name });
    const sub = browserSubscription(`${env.push.url}/push/${name.split(' ')[0]?.toLowerCase()}`);
    await p.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), sub.body);
    return { ...p, sub };
  };
  /** What each device was sent since `from`, decrypted, by the device's name. */
  const delivered = (people: { sub: ReturnType<typeof browserSubscription> }[], from: number) => {
    const out: Record<string, PushPayload[]> = {};
    for (const r of env.push.received.slice(from)) {
      const p = people.find((x) => x.sub.body.endpoint.endsWith(r.path));
      if (!p) continue;
      const plain = decrypt(r.body, { version: 'aes128gcm', privateKey: p.sub.ecdh, authSecret: p.sub.auth });
      (out[r.path.split('/')[2] ?? ''] ??= []).push(PushPayload.parse(JSON.parse(plain.toString('utf8'))));
    }
    return out;
  };

  it('issue 15: a DM, a mention, a reply in one’s thread and an announcement reach the right people once; the author never', async () => {
    const amy = await person('student', 'Amy Clarke');
    const ben = await person('student', 'Ben Ortiz');
    const cara = await person('student', 'Cara Nwosu');
    const tess = await person('teacher', 'Tess Long');
    const everyone = [amy, ben, cara, tess];
    const general = (await import('./harness.ts')).channel(amy.engine, 'general');
    for (const p of [ben, cara, tess]) p.engine.disconnect();

    // A DM: Ben is told, with Amy's name and the first line.
    let from = env.push.received.length;
    const dm = (await amy.engine.openDm([ben.id])).id;
    const invite = await amy.engine.send(dm, 'Are you coming to the workshop?\nIt starts at 3.');
    await amy.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from))).toEqual(['ben']);
    expect(delivered(everyone, from).ben).toEqual([
      {
        kind: 'dm',
        title: 'Amy Clarke',
        body: 'Are you coming to the workshop?',
        tag: `c:${dm}`,
        // The message itself: the app opens the conversation scrolled to it.
        url: `/#/c/${dm}/m/${invite}`,
        conversationId: dm,
      },
    ]);

    // Issue 17: a message that is only a file (no caption) is told by the file's name.
    const cookie = await login(env.ts.url, amy.email, amy.password);
    const bytes = new TextEncoder().encode('My essay, first draft.');
    const up = await upload(env.ts.url, cookie, { conversation: dm, filename: 'essay.txt', bytes });
    const essay = await settledAttachment(env.ts.url, cookie, up);
    from = env.push.received.length;
    await amy.engine.send(dm, '', {
      files: [{ id: essay.id, name: essay.name, size: essay.size, type: essay.type }],
    });
    await amy.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from))).toEqual(['ben']);
    expect(delivered(everyone, from).ben?.[0]).toMatchObject({ kind: 'dm', body: '📎 essay.txt' });

    // A mention in #general: Cara only (Ben is in #general too, not mentioned).
    from = env.push.received.length;
    const asked = await amy.engine.send(general, 'Has anyone seen @Cara.Nwosu today?');
    await amy.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from))).toEqual(['cara']);
    expect(delivered(everyone, from).cara?.[0]).toMatchObject({
      kind: 'mention',
      title: 'Amy Clarke mentioned you in #general',
      body: 'Has anyone seen @Cara.Nwosu today?',
    });

    // Issue 18: a formatted message is told in plain words, marks left out.
    from = env.push.received.length;
    await amy.engine.send(
      general,
      '> **@Cara.Nwosu** see _the_ [notes](https://example.com/n)\n```\nnpm test\n```',
    );
    await amy.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from))).toEqual(['cara']);
    expect(delivered(everyone, from).cara?.[0]).toMatchObject({
      kind: 'mention',
      body: '@Cara.Nwosu see the notes',
    });

    // Tess replies in Amy's thread: Amy (the thread's starter, offline now) is told; nobody else.
    amy.engine.disconnect();
    tess.engine.connect();
    await tess.engine.settled();
    from = env.push.received.length;
    const answer = await tess.engine.send(general, 'She is in the library.', { parent: asked });
    await tess.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from))).toEqual(['amy']);
    expect(delivered(everyone, from).amy?.[0]).toMatchObject({
      kind: 'reply',
      title: 'Tess Long replied in a thread in #general',
      url: `/#/c/${general}/m/${answer}`,
    });

    // An announcement by a teacher: every member but her, once each (nobody is online now).
    from = env.push.received.length;
    const ann = (await import('./harness.ts')).channel(tess.engine, 'announcements');
    await tess.engine.send(ann, 'College is closed on Friday for staff training.');
    await tess.engine.settled();
    await expect.poll(() => Object.keys(delivered(everyone, from)).sort()).toEqual(['amy', 'ben', 'cara']);
    for (const who of ['amy', 'ben', 'cara'])
      expect(delivered(everyone, from)[who]).toEqual([
        expect.objectContaining({ kind: 'announcement', title: 'Tess Long in #announcements' }),
      ]);
  });

  it('issue 15: a message read on another device clears its notification; a read short of it, or of a conversation never pushed, sends nothing', async () => {
    const dan = await person('student', 'Dan Okafor');
    const eve = await person('student', 'Eve Sutton');
    const everyone = [dan, eve];
    // Eve's phone (the subscribed device) goes offline; she keeps a laptop with the app open.
    eve.engine.disconnect();
    const laptop = makeEngine(env.ts.url);
    await laptop.init();
    await laptop.login(eve.email, eve.password);
    laptop.connect();

    const dm = (await dan.engine.openDm([eve.id])).id;
    let from = env.push.received.length;
    await dan.engine.send(dm, 'first');
    await dan.engine.settled();
    await expect.poll(() => delivered(everyone, from).eve?.map((p) => p.kind)).toEqual(['dm']);

    // Eve reads it on the laptop: the phone is told to close the conversation's notification.
    await eventually(() => expect(indexedTexts(laptop, dm)).toEqual(['first']));
    from = env.push.received.length;
    await laptop.markRead(dm);
    await laptop.settled();
    await expect
      .poll(() => delivered(everyone, from).eve)
      .toEqual([{ kind: 'clear', title: '', body: '', tag: `c:${dm}`, url: '/', conversationId: dm }]);

    // Reading again, or reading #general (nobody was pushed about it), sends nothing: the next push Eve
    // gets is the next message's, with nothing between (a clear sent first would arrive first).
    const general = channel(laptop, 'general');
    await dan.engine.send(general, 'a channel message pushes to nobody');
    await dan.engine.settled();
    await eventually(() =>
      expect(indexedTexts(laptop, general)).toContain('a channel message pushes to nobody'),
    );
    await laptop.markRead(general);
    await laptop.markRead(dm);
    await laptop.settled();

    // Dan writes again; the laptop holds it, unread, then goes offline and Dan writes once more. The
    // laptop's mark, made offline, moves up to what it holds: it reaches the server after the newest
    // message was pushed and stops short of it, so no clear.
    from = env.push.received.length;
    await dan.engine.send(dm, 'between');
    await dan.engine.settled();
    await eventually(() => expect(indexedTexts(laptop, dm)).toEqual(['first', 'between']));
    laptop.disconnect();
    await dan.engine.send(dm, 'second');
    await dan.engine.settled();
    await expect.poll(() => delivered(everyone, from).eve?.map((p) => p.body)).toEqual(['between', 'second']);
    await laptop.markRead(dm);
    laptop.connect();
    await laptop.settled();
    await eventually(() => expect(texts(laptop, dm)).toEqual(['first', 'between', 'second']));
    // Had the short mark sent a clear, it would arrive before the push of Dan's next message.
    await dan.engine.send(dm, 'third');
    await dan.engine.settled();
    await expect
      .poll(() => delivered(everyone, from).eve?.map((p) => p.body))
      .toEqual(['between', 'second', 'third']);
    // Now read on the laptop: the clear follows, and only one.
    await eventually(() => expect(indexedTexts(laptop, dm)).toContain('third'));
    await laptop.markRead(dm);
    await laptop.settled();
    await expect
      .poll(() => delivered(everyone, from).eve?.map((p) => p.kind))
      .toEqual(['dm', 'dm', 'dm', 'clear']);
    laptop.disconnect();
  });

  it('issue 15: a new report is pushed to each safeguarding lead whose devices are offline, saying nothing of the message', async () => {
    const lena = await person('teacher', 'Lena Marsh');
    await env.admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, z.unknown(), {
      lead: true,
    });
    lena.engine.disconnect();
    const will = await person('student', 'Will Evans');
    const zoe = await person('student', 'Zoe Hart');
    const general = (await import('./harness.ts')).channel(will.engine, 'general');
    const key = await will.engine.send(general, 'meet me after college, tell nobody');
    await will.engine.settled();
    const from = env.push.received.length;
    const file = (id: string) =>
      zoe.engine.api.request('POST', '/api/safeguarding/reports', z.object({ itemId: z.number() }), {
        id,
        conversationId: general,
        authorId: will.id,
        localId: key.split(':')[1],
        reason: 'inappropriate',
        detail: 'he keeps asking',
      });
    const { itemId } = await file('push-report-1');
    await expect.poll(() => delivered([lena], from).lena?.length ?? 0).toBe(1);
    expect(delivered([lena], from).lena?.[0]).toEqual({
      kind: 'report',
      title: 'New safeguarding report',
      body: 'Someone reported a message. It is waiting in the safeguarding queue.',
      tag: 'safeguarding',
      url: `/safeguarding/items/${itemId}`,
      conversationId: null,
    });
    // The words reported appear nowhere in what the push service could read, nor in the decrypted push.
    expect(JSON.stringify(delivered([lena], from))).not.toContain('tell nobody');
    // A second report of the same message joins the item: no second push.
    const amy2 = await addUser(env.ts, env.admin, 'student', { name: 'Ann Lee' });
    await amy2.engine.api.request('POST', '/api/safeguarding/reports', z.unknown(), {
      id: 'push-report-2',
      conversationId: general,
      authorId: will.id,
      localId: key.split(':')[1],
      reason: 'inappropriate',
      detail: '',
    });
    const more = await will.engine.send(general, 'another line');
    await will.engine.settled();
    expect(more).toBeTruthy();
    expect(delivered([lena], from).lena).toHaveLength(1);
  });
});

describe('do not disturb', () => {
  const env = usePushServer();
  const payload: PushPayload = {
    kind: 'dm',
    title: 'Sarah Khan',
    body: 'Are you coming to the workshop?',
    tag: 'c:dm-1',
    url: '/c/dm-1',
    conversationId: 'dm-1',
  };

  it('issue 15: do not disturb holds back every push but the clearing one, while offline and across a restart', async () => {
    const dora = await addUser(env.ts, env.admin, 'student', { connect: false });
    const sub = browserSubscription(`${env.push.url}/push/dora-phone`);
    await dora.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), sub.body);
    dora.engine.connect();
    await dora.engine.settled();
    dora.engine.setStatus({ dnd: true, emoji: '', text: '', until: 0 });
    await expect.poll(() => env.ts.server.internals.presence.doNotDisturb(dora.id)).toBe(true);
    dora.engine.disconnect();
    const before = env.push.received.length;
    expect(await env.ts.server.internals.push.toUser(dora.id, payload)).toEqual({
      sent: 0,
      gone: 0,
      failed: 0,
      skipped: 1,
    });
    expect(env.push.received.length).toBe(before);
    // Clearing a notification read elsewhere still goes: it takes away, it does not disturb.
    const clear = await env.ts.server.internals.push.toUser(dora.id, {
      kind: 'clear',
      title: '',
      body: '',
      tag: 'c:dm-1',
      url: '/',
      conversationId: 'dm-1',
    });
    expect(clear.sent).toBe(1);

    // The server restarts on the same data folder: DND is still hers.
    await env.ts.stop();
    const again = await startServer({ dataDir: env.ts.dataDir, ...pushServerOptions() });
    try {
      expect((await again.server.internals.push.toUser(dora.id, payload)).skipped).toBe(1);
      expect(env.push.received.length).toBe(before + 1);
    } finally {
      await again.stop();
    }
  });
});
