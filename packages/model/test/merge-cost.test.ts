import { LIMITS, scanUpdate } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  AUTHOR_ROOTS,
  authorRoots,
  editMessage,
  markRead,
  mergeCost,
  sendMessage,
  setReaction,
} from '../src/index.ts';

/** The merge-work count of docs/PROTOCOL.md P10, on updates an honest device writes and on forged ones. */
const limits = { budget: LIMITS.maxMergeWorkPerUpdate, perPlace: LIMITS.maxConcurrentPerPlace };
const costOf = (doc: Y.Doc, update: Uint8Array): number => {
  const scan = scanUpdate(update, {
    maxStructs: LIMITS.maxStructsPerUpdate,
    maxClockSpan: LIMITS.maxClockSpanPerUpdate,
    maxValueDepth: LIMITS.maxValueDepth,
    allowedRoots: AUTHOR_ROOTS,
  });
  if (!scan.ok) throw new Error(scan.reason);
  return mergeCost(doc, scan.items, scan.deletes, limits);
};
/** What `act` writes on the device's copy, as the update the device sends. */
const deviceUpdate = (device: Y.Doc, act: (d: Y.Doc) => void): Uint8Array => {
  const before = Y.encodeStateVector(device);
  act(device);
  return Y.encodeStateAsUpdate(device, before);
};

describe('mergeCost (P10)', () => {
  it('P10: an honest update costs about its item count, however large the document', () => {
    const server = new Y.Doc();
    const device = new Y.Doc();
    for (let i = 0; i < 1_000; i++) {
      const u = deviceUpdate(device, (d) => {
        sendMessage(d, { id: `m${i}`, text: `message ${i}`, ts: i });
        markRead(d, 'phone', i + 1, i);
        if (i % 10 === 0) editMessage(d, `m${i}`, `edited ${i}`, i);
        if (i % 7 === 0) setReaction(d, `u1:m${i}` as never, '👍', true, i);
      });
      const scan = scanUpdate(u, {
        maxStructs: LIMITS.maxStructsPerUpdate,
        maxClockSpan: LIMITS.maxClockSpanPerUpdate,
        maxValueDepth: LIMITS.maxValueDepth,
        allowedRoots: AUTHOR_ROOTS,
      });
      if (!scan.ok) throw new Error(scan.reason);
      expect(costOf(server, u)).toBe(scan.items.length + scan.deletes);
      Y.applyUpdate(server, u);
    }
    expect(authorRoots(server).msgs.length).toBe(1_000);
  });

  it('P10: concurrent read marks from many client ids at one key cost their square, over the budget', () => {
    const server = new Y.Doc();
    const ups: Uint8Array[] = [];
    for (let c = 0; c < 500; c++) {
      const d = new Y.Doc();
      d.clientID = 1_000 + c;
      authorRoots(d).read.set('dev1', c + 1);
      ups.push(Y.encodeStateAsUpdate(d));
    }
    expect(costOf(server, Y.mergeUpdates(ups))).toBeGreaterThan(limits.budget);
    // Up to 32 at one place pass; the 33rd walks past them and does not.
    const first = Y.mergeUpdates(ups.slice(0, 32));
    expect(costOf(server, first)).toBe(32 + 32 * 32);
    Y.applyUpdate(server, first);
    expect(costOf(server, ups[40] as Uint8Array)).toBeGreaterThan(limits.budget);
  });
});
