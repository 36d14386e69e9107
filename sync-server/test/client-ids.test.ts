import type { Engine } from '@commonroom/engine';
import { modRoots, setPin } from '@commonroom/model';
import { modDoc, type ConversationId } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';

/**
 * Yjs names every change by (client id, clock) and ignores one it already holds. In the shared moderation
 * document, a moderator writing with another's client id ahead of them had that person's next pin
 * acknowledged and swallowed (docs/THREAT_MODEL.md T13).
 */
describe('client ids in shared documents belong to their first writer (T13)', () => {
  let ts: TestServer;
  let admin: Engine;
  let general: ConversationId;
  let a: { id: string; email: string; password: string };
  let b: { id: string; email: string; password: string };

  const raw = async (u: { email: string; password: string }): Promise<RawClient> =>
    connectRaw(ts.url, await login(ts.url, u.email, u.password));
  /** The pins the server holds, read by a fresh subscriber. */
  const serverPins = async (as: RawClient): Promise<Record<string, unknown>> => {
    const d = await as.fetchDoc(modDoc(general));
    if (!(d instanceof Y.Doc)) throw new Error(`no copy: ${d.revoked}`);
    return modRoots(d).pins.toJSON();
  };

  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    a = await addUser(ts, admin, 'tutor', { name: 'Tutor A', connect: false });
    b = await addUser(ts, admin, 'tutor', { name: 'Tutor B', connect: false });
    general = channel(admin, 'general') as ConversationId;
  });
  afterAll(async () => {
    await admin.logout().catch(() => undefined);
    await ts.destroy();
  });

  it("T13: a moderator cannot write with another moderator's client id, so the victim's next pin is kept", async () => {
    const rawA = await raw(a);
    const rawB = await raw(b);
    const victim = new Y.Doc();
    victim.clientID = 424_242;
    const pin = (doc: Y.Doc, key: string, by: string, ts: number): Uint8Array => {
      const before = Y.encodeStateVector(doc);
      setPin(doc, key, by, ts, true);
      return Y.encodeStateAsUpdate(doc, before);
    };
    expect(await rawA.write(modDoc(general), pin(victim, `${a.id}:m1`, a.id, 1))).toEqual({ kind: 'ack' });

    // The squatter copies what it saw and writes on, as the victim's client id, the clocks the victim uses next.
    const squat = new Y.Doc();
    Y.applyUpdate(squat, Y.encodeStateAsUpdate(victim));
    // Set after the copy: Yjs draws a new id when a remote change arrives under its own.
    squat.clientID = victim.clientID;
    const squatting = pin(squat, `${b.id}:m2`, b.id, 2);
    expect(await rawB.write(modDoc(general), squatting)).toEqual({
      kind: 'reject',
      code: 'not-your-client-id',
    });
    expect(
      ts.server.internals.audit
        .list(100, 'write.refused')
        .some((e) => (e.detail as { code?: string }).code === 'not-your-client-id'),
    ).toBe(true);

    // The victim's next pin is acknowledged and really kept.
    expect(await rawA.write(modDoc(general), pin(victim, `${a.id}:m3`, a.id, 3))).toEqual({ kind: 'ack' });
    expect(Object.keys(await serverPins(rawB)).sort()).toEqual([`${a.id}:m1`, `${a.id}:m3`]);

    // The binding is stored: after a restart (documents read again from storage) the squat is still refused.
    rawA.close();
    rawB.close();
    await ts.stop();
    ts = await startServer({ dataDir: ts.dataDir });
    const again = await raw(b);
    expect(await again.write(modDoc(general), squatting)).toEqual({
      kind: 'reject',
      code: 'not-your-client-id',
    });
    // B's own client ids are B's: a pin of its own is accepted.
    const own = new Y.Doc();
    Y.applyUpdate(own, Y.encodeStateAsUpdate(victim));
    expect(await again.write(modDoc(general), pin(own, `${b.id}:m4`, b.id, 4))).toEqual({ kind: 'ack' });
    again.close();
  });
});
