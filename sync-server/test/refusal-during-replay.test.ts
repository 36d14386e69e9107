import { engineInternals } from '@commonroom/engine/testing';
import type { SocketFactory, SocketLike } from '@commonroom/engine';
import { modRoots } from '@commonroom/model';
import { SYNC_STEP1, SYNC_UPDATE, decodeMessage, modDoc, type ConversationId } from '@commonroom/protocol';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  addUser,
  channel,
  delayedStorage,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
} from './harness.ts';

/**
 * The convergence test under CPU load (seeds 70 and 72) found a student's device keeping a pin or removal
 * the server had refused, for good: the refusal arrived while the engine was replaying its waiting actions
 * onto the server's copy, right after the replay had applied that action again, and the rebuild it asked
 * for was dropped because one was already running. The engine now rebuilds once more after such a replay.
 *
 * This test drives the same path with the real server: both refused together, then one by one, the
 * removal's second sending held back behind the step 1 of the rebuild the pin's refusal started (as a
 * network reorders), a device store taking 30 ms per write. Its refusal then arrives with the server's copy,
 * during the replay. The exact moment of seeds 70/72 (the refusal handled just after the replay re-applied
 * the action) is not reached yet: this test passes with or without the fix (why is not pinned down), so
 * the convergence seeds remain the evidence for it. It does check that refusals during rebuilds leave
 * nothing behind on the device.
 */

/** Holds back the second sending of an update to `doc` that touches `key`, until the next step 1 for `doc`. */
function holdBack(doc: string, key: string): { factory: SocketFactory; released: () => boolean } {
  let seen = 0;
  let held: Uint8Array | null = null;
  let released = false;
  const touches = (data: Uint8Array, syncType: number): boolean => {
    const m = decodeMessage(data);
    if (!m.ok) return false;
    return m.frames.some((f) => {
      if (f.type !== 'sync' || f.doc !== doc || f.syncType !== syncType) return false;
      if (syncType !== SYNC_UPDATE) return true;
      return Y.decodeUpdate(f.payload).structs.some((s) => s instanceof Y.Item && s.parentSub === key);
    });
  };
  const factory: SocketFactory = (url, headers) => {
    const ws = new WebSocket(url, { headers });
    ws.binaryType = 'arraybuffer';
    const socket: SocketLike = {
      binaryType: 'arraybuffer',
      get readyState() {
        return ws.readyState;
      },
      send(data: Uint8Array) {
        if (!released && held === null && touches(data, SYNC_UPDATE) && ++seen === 2) {
          held = data;
          return;
        }
        ws.send(data);
        if (held && touches(data, SYNC_STEP1)) {
          ws.send(held);
          held = null;
          released = true;
        }
      },
      close: (code, reason) => ws.close(code, reason),
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    ws.onopen = (ev) => socket.onopen?.(ev);
    ws.onmessage = (ev) => {
      socket.onmessage?.({ data: ev.data });
    };
    ws.onclose = (ev) => socket.onclose?.({ code: ev.code, reason: ev.reason });
    ws.onerror = (ev) => socket.onerror?.(ev);
    return socket;
  };
  return { factory, released: () => released };
}

describe('a refusal during a replay', () => {
  it("leaves nothing of the refused action on the device (a student's pin and removal)", async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const tutor = await addUser(ts, admin, 'tutor');
      const general = channel(tutor.engine, 'general');
      await tutor.engine.open(general);
      const first = await tutor.engine.send(general, 'first');
      const second = await tutor.engine.send(general, 'second');
      await tutor.engine.settled();

      const student = await addUser(ts, admin, 'student', { connect: false });
      const mod = modDoc(general as ConversationId, 0);
      const net = holdBack(mod, second);
      const engine = makeEngine(ts.url, { storage: delayedStorage(() => 30), socketFactory: net.factory });
      await engine.init();
      await engine.login(student.email, student.password);
      engine.connect();
      await engine.open(general);
      await engine.settled();

      // Offline, a student pins one message and removes another: the server refuses both (not a moderator).
      engine.disconnect();
      await engine.pin(general, first, true);
      await engine.remove(general, second, 'test');
      engine.connect();

      // Sent together and refused together, then one by one; the removal's second sending was held back
      // behind the step 1 of the rebuild the pin's refusal started, so its refusal came during the replay.
      await eventually(() => {
        const refused = engine.outbox().filter((o) => o.status === 'rejected');
        expect(refused.map((o) => o.kind).sort()).toEqual(['pin', 'remove']);
      }, 15_000);
      expect(net.released()).toBe(true);
      for (const o of engine.outbox()) await engine.dismiss(o.id);
      await engine.settled();
      await eventually(() => {
        const m = engine.view(general).state.byKey;
        expect(m.get(second)?.removed).toBeNull();
        expect(m.get(first)?.pinned).toBeNull();
      });
      // The device's copy of the moderation document is the server's: nothing of the student's in it.
      const state = engineInternals(engine).replicaStates(general).get(mod);
      expect(state).toBeDefined();
      const copy = new Y.Doc();
      Y.applyUpdate(copy, state as Uint8Array);
      expect([...modRoots(copy).removed.keys()]).toEqual([]);
      expect([...modRoots(copy).pins.keys()]).toEqual([]);
      engine.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});
