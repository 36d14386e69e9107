import { engineInternals } from '@commonroom/engine/testing';
import type { SocketFactory, SocketLike } from '@commonroom/engine';
import { authorRoots, setReaction } from '@commonroom/model';
import {
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  authorDoc,
  decodeMessage,
  encodeMessage,
  type ConversationId,
  type Frame,
  type UserId,
} from '@commonroom/protocol';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, makeEngine, startServer } from './harness.ts';
import { APPLIED_ACTIONS_KEEP_MS } from '../src/storage/applied-actions.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * Each action is stored once (docs/PROTOCOL.md P14). A device that rebuilt its copy of a document before
 * the server's acknowledgement of an action arrived applies the action again, as a new Yjs change; kept,
 * that second form undoes whatever happened in between (a reaction taken off on another device comes back).
 * Yjs state cannot tell the two forms apart from a fresh action, so the frame names the action and the
 * server remembers it.
 */

const storedRows = (db: { prepare(sql: string): { get(): unknown } }): number =>
  (db.prepare('SELECT COUNT(*) AS n FROM doc_updates').get() as { n: number }).n;

describe('P2: a step 2 carries the ref of the step 1 it answers', () => {
  it('two step 1s for one document get their answers under their own refs, in order', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const student = await addUser(ts, admin, 'student');
      const general = channel(student.engine, 'general') as ConversationId;
      await student.engine.open(general);
      await student.engine.send(general, 'something to fetch');
      await student.engine.settled();
      const raw = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
      const doc = authorDoc(general, student.id as UserId);
      const full = new Y.Doc();
      raw.send([
        { type: 'sync', doc, ref: 41, syncType: SYNC_STEP1, payload: Y.encodeStateVector(full) },
        { type: 'sync', doc, ref: 0, syncType: SYNC_STEP1, payload: Y.encodeStateVector(full) },
        { type: 'sync', doc, ref: 42, syncType: SYNC_STEP1, payload: Y.encodeStateVector(full) },
      ]);
      await eventually(() =>
        expect(
          raw.frames.filter((f) => f.type === 'sync' && f.doc === doc && f.syncType === SYNC_STEP2),
        ).toHaveLength(3),
      );
      const answers = raw.frames.flatMap((f) =>
        f.type === 'sync' && f.doc === doc && f.syncType === SYNC_STEP2 ? [f] : [],
      );
      expect(answers.map((f) => f.ref)).toEqual([41, 0, 42]);
      // Each is whole for the empty state vector it answers, and asks for no acknowledgement.
      for (const a of answers) {
        const copy = new Y.Doc();
        Y.applyUpdate(copy, a.payload);
        expect(
          authorRoots(copy)
            .msgs.toArray()
            .map((m) => m.text),
        ).toEqual(['something to fetch']);
      }
      expect(raw.frames.some((f) => f.type === 'ack' || f.type === 'reject')).toBe(false);
      raw.close();
    } finally {
      await ts.destroy();
    }
  });
});

describe('each action is stored once (P14)', () => {
  it('a second form of a stored action is refused; a resend of the first, or another user using the id, is not', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const student = await addUser(ts, admin, 'student');
      const other = await addUser(ts, admin, 'student');
      const general = channel(student.engine, 'general') as ConversationId;
      await student.engine.open(general);
      const key = await student.engine.send(general, 'react to me');
      await student.engine.settled();
      student.engine.disconnect();

      const raw = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
      const doc = authorDoc(general, student.id as UserId);
      const server = await raw.fetchDoc(doc);
      if (!(server instanceof Y.Doc)) throw new Error('no copy');

      // The first form of action a_1, from the device's copy.
      const first = craftUpdate((d) => setReaction(d, key, '👍', true, 1), server);
      expect(await raw.write(doc, first, ['a_1'])).toEqual({ kind: 'ack' });
      // Sent again unchanged (its acknowledgement was lost): nothing new, acknowledged.
      expect(await raw.write(doc, first, ['a_1'])).toEqual({ kind: 'ack' });

      // The second form: the same action applied again to a copy rebuilt without the first.
      const rebuilt = new Y.Doc();
      const second = craftUpdate((d) => setReaction(d, key, '👍', true, 2), rebuilt);
      const rows = storedRows(ts.server.db);
      expect(await raw.write(doc, second, ['a_1'])).toEqual({ kind: 'reject', code: 'already-applied' });
      expect(storedRows(ts.server.db)).toBe(rows);
      // Not applied: the server's copy still holds the first form only (the ts it carried).
      const after = await raw.fetchDoc(doc);
      if (!(after instanceof Y.Doc)) throw new Error('no copy');
      expect([...authorRoots(after).react.values()]).toEqual([1]);
      // The same change under a new id is a new action.
      expect(await raw.write(doc, second, ['a_2'])).toEqual({ kind: 'ack' });
      raw.close();

      // Ids belong to their user: another student naming a_1 is not blocked.
      const rawOther = await connectRaw(ts.url, await login(ts.url, other.email, other.password));
      const otherDoc = authorDoc(general, other.id as UserId);
      const otherCopy = await rawOther.fetchDoc(otherDoc);
      if (!(otherCopy instanceof Y.Doc)) throw new Error('no copy');
      const theirs = craftUpdate((d) => setReaction(d, key, '🎉', true, 3), otherCopy);
      expect(await rawOther.write(otherDoc, theirs, ['a_1'])).toEqual({ kind: 'ack' });
      rawOther.close();

      // Remembered across a restart: the record is in the same transaction as the update.
      await ts.stop();
      const again = await startServer({ dataDir: ts.dataDir });
      try {
        const raw2 = await connectRaw(again.url, await login(again.url, student.email, student.password));
        const third = craftUpdate((d) => setReaction(d, key, '👍', true, 4), new Y.Doc());
        expect(await raw2.write(doc, third, ['a_1'])).toEqual({ kind: 'reject', code: 'already-applied' });
        // Records are kept for APPLIED_ACTIONS_KEEP_MS, then pruned: the id is a new action again.
        const { appliedActions } = again.server.internals;
        expect(appliedActions.prune(Date.now() - APPLIED_ACTIONS_KEEP_MS)).toBe(0);
        expect(appliedActions.prune(Date.now() + 1)).toBeGreaterThanOrEqual(2);
        expect(await raw2.write(doc, third, ['a_1'])).toEqual({ kind: 'ack' });
        raw2.close();
      } finally {
        await again.stop();
      }
    } finally {
      await ts.destroy();
    }
  });

  it('a reaction stored before a rebuild, whose acknowledgement was lost, is not re-applied over its removal on another device', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      // Device 2 of the same student: the one that takes the reaction off.
      const student = await addUser(ts, admin, 'student');
      const general = channel(student.engine, 'general') as ConversationId;
      const doc = authorDoc(general, student.id as UserId);
      await student.engine.open(general);
      const target = await student.engine.send(general, 'a message to react to');
      await student.engine.settled();

      const net = lostAckNetwork(doc);
      const phone = makeEngine(ts.url, { socketFactory: net.factory });
      await phone.init();
      await phone.login(student.email, student.password);
      phone.connect();
      await phone.open(general);
      await phone.settled();

      // The phone reacts, then sends a message the server refuses (a student's @channel). The network holds
      // the reaction back, so the message arrives first and is refused for depending on it; the rebuild that
      // starts asks for the server's copy, and only then is the reaction let through, its acknowledgement
      // lost. So the server stores the reaction after giving the phone a copy without it, the phone applies
      // the reaction again (a second form), and the action still waits on the phone.
      await phone.react(general, target, '👍', true);
      await phone.send(general, '@channel everyone look');
      await eventually(() => expect(net.phase()).toBe('ack-lost'), 10_000);
      await eventually(() =>
        expect(student.engine.view(general).state.byKey.get(target)?.reactions).toEqual([
          { emoji: '👍', userIds: [student.id] },
        ]),
      );

      // The phone's second form of the reaction is held on the way while, on the other device, the student
      // takes the reaction off; then it goes through.
      await eventually(() => expect(net.holding()).toBeGreaterThan(0), 10_000);
      await student.engine.react(general, target, '👍', false);
      await student.engine.settled();
      net.release();
      await eventually(() => {
        expect(phone.view(general).state.byKey.get(target)?.reactions).toEqual([]);
        expect(student.engine.view(general).state.byKey.get(target)?.reactions).toEqual([]);
        expect(phone.outbox().filter((o) => o.kind === 'react')).toEqual([]);
      }, 15_000);
      // Refused as already stored; the message, sent on its own at last, refused as a student's @channel.
      expect(net.codes()).toContain('already-applied');
      await eventually(() =>
        expect(phone.outbox().map((o) => [o.kind, o.status, o.error?.code])).toEqual([
          ['send', 'rejected', 'broadcast-mention'],
        ]),
      );
      const state = engineInternals(phone).replicaStates(general).get(doc);
      const copy = new Y.Doc();
      Y.applyUpdate(copy, state as Uint8Array);
      expect([...authorRoots(copy).react.keys()]).toEqual([]);
      phone.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});

/**
 * A network that reorders and loses frames the way the race needs: it holds the engine's first update
 * naming an action for `doc` and the server's first REJECT for `doc` until both have been seen (whichever
 * comes first waits), then sends the held update just after the engine's next STEP1 for `doc`, and drops
 * the server's ACK of it. Later updates setting a reaction (sent after the held one) wait until `release()`.
 */
function lostAckNetwork(doc: string): {
  factory: SocketFactory;
  phase: () => string;
  codes: () => string[];
  holding: () => number;
  release: () => void;
} {
  let phase: 'start' | 'update-held' | 'reject-held' | 'both-seen' | 'update-sent' | 'ack-lost' | 'released' =
    'start';
  /** After the lost ACK, the reaction's later sendings, until `release()`. */
  const later: { ws: WebSocket; data: Uint8Array }[] = [];
  let heldReject: ArrayBuffer | null = null;
  let heldUpdate: Uint8Array | null = null;
  let heldRef = -1;
  const codes: string[] = [];
  const framesOf = (data: Uint8Array | ArrayBuffer): Frame[] => {
    const m = decodeMessage(new Uint8Array(data), Number.POSITIVE_INFINITY);
    return m.ok ? m.frames : [];
  };
  const factory: SocketFactory = (url, headers) => {
    // Uncompressed: the phases above rely on the ACK being handled before the engine answers the rebuild's
    // step 2, which the server sends just before it. A compressed step 2 is inflated on the thread pool and
    // the engine may answer it before ws reads the ACK behind it; the order on the wire is the same.
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.binaryType = 'arraybuffer';
    const deliver = (data: ArrayBuffer): void => socket.onmessage?.({ data });
    const socket: SocketLike = {
      binaryType: 'arraybuffer',
      get readyState() {
        return ws.readyState;
      },
      send(data: Uint8Array) {
        const frames = framesOf(data);
        const update = frames.find(
          (f) =>
            f.type === 'sync' &&
            f.doc === doc &&
            f.syncType === SYNC_UPDATE &&
            Y.decodeUpdate(f.payload).structs.some(
              (x) => x instanceof Y.Item && (x.parent as unknown) === 'react',
            ),
        );
        // From the held update's sending on: its ACK comes once durable (an fsync later, P4), and the
        // engine may replay the reaction onto the rebuilt copy before that ACK arrives.
        if (update && (phase === 'update-sent' || phase === 'ack-lost')) {
          later.push({ ws, data });
          return;
        }
        if (update?.type === 'sync' && (phase === 'start' || phase === 'reject-held')) {
          heldUpdate = data;
          heldRef = update.ref;
          if (phase === 'reject-held') {
            const reject = heldReject as ArrayBuffer;
            heldReject = null;
            setTimeout(() => deliver(reject), 0);
            phase = 'both-seen';
          } else phase = 'update-held';
          return;
        }
        ws.send(data);
        if (
          phase === 'both-seen' &&
          frames.some((f) => f.type === 'sync' && f.doc === doc && f.syncType === SYNC_STEP1)
        ) {
          ws.send(heldUpdate as Uint8Array);
          heldUpdate = null;
          phase = 'update-sent';
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
      const data = ev.data as ArrayBuffer;
      const frames = framesOf(data);
      for (const f of frames) if (f.type === 'reject') codes.push(f.code);
      const reject = frames.some((f) => f.type === 'reject' && f.doc === doc);
      if (reject && phase === 'start') {
        heldReject = data;
        phase = 'reject-held';
        return;
      }
      if (reject && phase === 'update-held') phase = 'both-seen';
      if (phase === 'update-sent' && frames.some((f) => f.type === 'ack' && f.ref === heldRef)) {
        phase = 'ack-lost';
        const rest = frames.filter((f) => !(f.type === 'ack' && f.ref === heldRef));
        if (rest.length > 0) deliver(encodeMessage(rest).slice().buffer);
        return;
      }
      deliver(data);
    };
    ws.onclose = (ev) => socket.onclose?.({ code: ev.code, reason: ev.reason });
    ws.onerror = (ev) => socket.onerror?.(ev);
    return socket;
  };
  return {
    factory,
    phase: () => phase,
    codes: () => codes,
    holding: () => later.length,
    release() {
      phase = 'released';
      for (const { ws, data } of later.splice(0)) ws.send(data);
    },
  };
}
