import { engineInternals } from '@commonroom/engine/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseConfig } from '../src/config.ts';
import { createCommonroomServer } from '../src/server.ts';
import { addUser, channel, eventually, loginAdmin, startServer, texts } from './harness.ts';

describe('server lifecycle', () => {
  it('without ADMIN_EMAIL, prints a one-time setup link that creates the first super admin once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'commonroom-setup-'));
    const printed: string[] = [];
    const config = parseConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      SCRYPT_LOG_N: '10',
      PUBLIC_URL: 'http://localhost:9999',
    });
    const server = createCommonroomServer(config, {
      log: pino({ level: 'silent' }),
      print: (l) => printed.push(l),
    });
    const { url } = await server.start();
    try {
      const link = /http:\/\/localhost:9999\/setup#([A-Za-z0-9_-]+)/.exec(printed.join('\n'));
      expect(link).not.toBeNull();
      const token = link?.[1] ?? '';
      const body = {
        token,
        email: 'head@college.test',
        displayName: 'Head of IT',
        password: 'a long setup password',
      };
      const post = (b: unknown) =>
        fetch(`${url}/api/auth/setup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(b),
        });
      const bad = await post({ ...body, token: 'not-the-token-at-all' });
      expect(bad.status).toBe(403);
      const ok = await post(body);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { user: { role: string } }).user.role).toBe('super_admin');
      expect(
        ok.headers
          .getSetCookie()
          .some((c) => c.startsWith('cr_session=') && /HttpOnly/i.test(c) && /SameSite=Lax/i.test(c)),
      ).toBe(true);
      const again = await post({ ...body, email: 'second@college.test' });
      expect(again.status).toBe(403);
      expect(((await again.json()) as { message: string }).message).toMatch(/not valid any more/);
      const page = await fetch(`${url}/setup`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      // The PWA's shell (it shows the setup form for /setup#token); before the client is built, the holding page.
      expect(await page.text()).toMatch(/<div id="root">|Create the first admin account/);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('/healthz answers while running; stop() keeps every acknowledged message and the rest stays waiting', async () => {
    const ts = await startServer();
    const health = await fetch(`${ts.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    const admin = await loginAdmin(ts);
    const general = channel(admin, 'general');
    await admin.open(general);
    for (let i = 0; i < 20; i++) await admin.send(general, `shutdown ${i}`);
    await ts.stop();
    await eventually(() => expect(admin.status().connection).not.toBe('online'));
    admin.disconnect();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(ts.dataDir, 'commonroom.sqlite'), { readonly: true });
    const stored = new Set(
      (db.prepare('SELECT text FROM messages').all() as { text: string }[]).map((r) => r.text),
    );
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const views = admin.view(general).messages;
    for (const m of views) if (m.status === 'sent') expect(stored.has(m.text)).toBe(true);
    expect(views.filter((m) => m.status === 'waiting').length).toBe(admin.status().waiting);
    expect(views).toHaveLength(20);
    rmSync(ts.dataDir, { recursive: true, force: true });
  });

  it('idle documents leave memory stored compacted; documents with many updates (left by a crash) are compacted on load', async () => {
    const ts = await startServer({ limits: { idleDocMs: 50, compactAfterUpdates: 10 } });
    try {
      const admin = await loginAdmin(ts);
      const user = await addUser(ts, admin, 'student');
      const general = channel(user.engine, 'general');
      await user.engine.open(general);
      for (let i = 0; i < 30; i++) {
        await user.engine.send(general, `n${i}`);
        await user.engine.settled();
      }
      const doc = engineInternals(user.engine).ownDocName(general);
      expect(ts.server.internals.store.count(doc)).toBeGreaterThan(10);
      user.engine.disconnect();
      admin.disconnect();
      await eventually(() => expect(ts.server.internals.rooms.loadedCount()).toBe(0));
      // Leaving memory stored it as one update.
      expect(ts.server.internals.store.count(doc)).toBe(1);
      // Updates stored while nothing held it in memory (as a process killed before it compacted leaves
      // them; written to the store directly here): loading it again compacts it in the background.
      const { updates } = ts.server.internals.store.load(doc);
      const replica = new Y.Doc();
      for (const u of updates) Y.applyUpdate(replica, u);
      const before = Y.encodeStateVector(replica);
      for (let i = 0; i < 11; i++) replica.getMap('read').set(`device-${i}`, i);
      ts.server.internals.store.appendBatch([{ doc, data: Y.encodeStateAsUpdate(replica, before) }]);
      for (let i = 0; i < 10; i++) {
        const sv = Y.encodeStateVector(replica);
        replica.getMap('read').set(`device-${i + 11}`, i);
        ts.server.internals.store.appendBatch([{ doc, data: Y.encodeStateAsUpdate(replica, sv) }]);
      }
      expect(ts.server.internals.store.count(doc)).toBe(12);
      const reader = await addUser(ts, admin, 'student');
      await reader.engine.open(general);
      await reader.engine.settled();
      await eventually(() => expect(ts.server.internals.store.count(doc)).toBe(1));
      expect(texts(reader.engine, general)).toHaveLength(30);
      const compacted = new Y.Doc();
      Y.applyUpdate(compacted, ts.server.internals.store.load(doc).updates[0] ?? new Uint8Array());
      expect(compacted.getMap('read').toJSON()).toEqual(replica.getMap('read').toJSON());
    } finally {
      await ts.destroy();
    }
  });
});
