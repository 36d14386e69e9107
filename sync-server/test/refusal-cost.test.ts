import { authorRoots, deleteMessage, editMessage, markRead } from '@commonroom/model';
import { authorDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addUser, channel, loginAdmin, startServer } from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * A refused write is judged before it is applied, so it costs no reload of the document (issue 12 A1,
 * docs/THREAT_MODEL.md T12). Real server on loopback, real SQLite file, raw frames over a real socket; the
 * proof is the server's count of reloads (each one a replay of the stored document), never a time.
 */

const MESSAGES = 2_000;
const PER_UPDATE = 20;

describe('a refused write costs no reload (T12, issue 12 A1)', () => {
  it('T12: every kind of refusal, many times, on a large author document: never reloaded, and the document stays right', async () => {
    const ts = await startServer({
      limits: {
        // Room to build a large document quickly and to be refused many times, so each refusal is judged
        // (the per-person refusal budget would otherwise answer slow-down before judging: P10).
        newMessageBurst: 100_000,
        newMessagesPerMinute: 100_000,
        messagesPerSecond: 10_000,
        messageBurst: 10_000,
        segmentSize: 100_000,
        refusalsPerMinute: 1_000,
      },
    });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const doc = authorDoc(general, s.id as UserId);
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      // The person's own device: everything it sends is accepted, so it stays in step with the server.
      const device = new Y.Doc();
      for (let i = 0; i < MESSAGES / PER_UPDATE; i++) {
        const u = craftUpdate((d) => {
          authorRoots(d).msgs.push(
            Array.from({ length: PER_UPDATE }, (_, j) => ({
              id: `m${i * PER_UPDATE + j}`,
              text: `message ${i * PER_UPDATE + j}`,
              ts: i + 1,
            })),
          );
        }, device);
        expect(await raw.write(doc, u)).toEqual({ kind: 'ack' });
      }
      expect(
        await raw.write(
          doc,
          craftUpdate((d) => deleteMessage(d, 'm7', 5), device),
        ),
      ).toEqual({
        kind: 'ack',
      });
      const reloadsBefore = ts.server.internals.rooms.reloadCount();

      /** A forged client holding the device's whole history, writing as a client id of its own. */
      const forged = (build: (d: Y.Doc) => void): Uint8Array => {
        const d = new Y.Doc();
        Y.applyUpdate(d, Y.encodeStateAsUpdate(device));
        return craftUpdate(build, d);
      };
      const refusals: [string, () => Uint8Array][] = [
        ['not-your-message', () => forged((d) => editMessage(d, 'someone-elses', 'forged', 9))],
        [
          'broadcast-mention',
          () => forged((d) => authorRoots(d).msgs.push([{ id: 'x1', text: '@channel hi', ts: 9 }])),
        ],
        ['bad-read', () => forged((d) => markRead(d, 'phone', MESSAGES + 50, 9))],
        ['bad-shape', () => forged((d) => authorRoots(d).msgs.delete(3, 2))],
        ['bad-delete', () => forged((d) => authorRoots(d).del.delete('m7'))],
        [
          'duplicate-id',
          () => forged((d) => authorRoots(d).msgs.push([{ id: 'm12', text: 'again', ts: 9 }])),
        ],
        ['bad-message', () => forged((d) => authorRoots(d).msgs.push([{ id: 'x2', text: '   ', ts: 9 }]))],
        [
          'missing-history',
          () => {
            // The second of two updates, sent without the first it builds on.
            const d = new Y.Doc();
            Y.applyUpdate(d, Y.encodeStateAsUpdate(device));
            craftUpdate((x) => authorRoots(x).msgs.push([{ id: 'x3', text: 'first', ts: 9 }]), d);
            return craftUpdate((x) => editMessage(x, 'x3', 'second', 10), d);
          },
        ],
      ];
      for (let round = 0; round < 5; round++)
        for (const [code, make] of refusals)
          expect(await raw.write(doc, make()), `${code}, round ${round}`).toEqual({ kind: 'reject', code });
      // Nothing was read again from storage: each refusal cost a scan and an inspection, not a replay.
      expect(ts.server.internals.rooms.reloadCount()).toBe(reloadsBefore);

      // The document in memory is still exactly the accepted one: the device's next message is accepted,
      // and a fresh reader gets every accepted message and nothing refused.
      expect(
        await raw.write(
          doc,
          craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'last', text: 'bye', ts: 99 }]), device),
        ),
      ).toEqual({ kind: 'ack' });
      const reader = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      const copy = await reader.fetchDoc(doc);
      if (!(copy instanceof Y.Doc)) throw new Error(`revoked: ${copy.revoked}`);
      const ids = authorRoots(copy)
        .msgs.toArray()
        .map((m) => m.id);
      // Every message and the last one, but m7: deleted, its words were taken out (P16).
      expect(ids).toHaveLength(MESSAGES);
      expect(ids).not.toContain('m7');
      expect(ids.filter((id) => id.startsWith('x'))).toEqual([]);
      expect(authorRoots(copy).del.get('m7')).toBe(5);
      expect(authorRoots(copy).edits.size).toBe(0);
      expect(authorRoots(copy).read.size).toBe(0);
      expect(Y.decodeStateVector(Y.encodeStateVector(copy))).toEqual(
        Y.decodeStateVector(Y.encodeStateVector(device)),
      );
      expect(ts.server.internals.rooms.reloadCount()).toBe(reloadsBefore);
      raw.close();
      reader.close();
    } finally {
      await ts.destroy();
    }
  });
});
