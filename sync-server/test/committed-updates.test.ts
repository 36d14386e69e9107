import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCommittedUpdates,
  encodeCommittedUpdates,
  judgeArrival,
  type CommittedUpdates,
} from '../src/scale/committed-updates.ts';

/** The owner → replica message of docs/SCALE-OUT.md §5: its bytes, and what a replica does with one. */

const message = fc.record({
  doc: fc.string({ minLength: 1, maxLength: 160 }),
  afterId: fc.nat(),
  updates: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
});

describe('committed updates on the bus', () => {
  it('round-trips any message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const back = decodeCommittedUpdates(encodeCommittedUpdates(m));
        expect(back).toEqual({ ok: true, message: m });
      }),
      { seed: 21 },
    );
  });

  it('refuses hostile bytes by reason, never throws: truncated, trailing, other format, too many', () => {
    const good = encodeCommittedUpdates({ doc: 'c/x/0/idx', afterId: 7, updates: [new Uint8Array([1, 2])] });
    for (let cut = 0; cut < good.length; cut++)
      expect(decodeCommittedUpdates(good.subarray(0, cut)).ok, `cut at ${cut}`).toBe(false);
    expect(decodeCommittedUpdates(new Uint8Array([...good, 0]))).toEqual({
      ok: false,
      why: '1 bytes after the message',
    });
    expect(decodeCommittedUpdates(new Uint8Array([2, ...good.subarray(1)]))).toEqual({
      ok: false,
      why: 'unknown format 2',
    });
    const many = encodeCommittedUpdates({ doc: 'd', afterId: 0, updates: [] });
    // The count made 0x1fffff (three varint bytes), far above what one message may hold.
    many[many.length - 1] = 0xff;
    expect(decodeCommittedUpdates(new Uint8Array([...many, 0xff, 0x7f])).ok).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(typeof decodeCommittedUpdates(bytes).ok).toBe('boolean');
      }),
      { seed: 21 },
    );
  });

  it('a replica applies what it lacks, skips what it holds, and catches up from storage across a gap', () => {
    const u = (n: number): Uint8Array => new Uint8Array([n]);
    const m: CommittedUpdates = { doc: 'd', afterId: 10, updates: [u(11), u(12), u(13)] };
    expect(judgeArrival(10, m)).toEqual({ kind: 'apply', updates: [u(11), u(12), u(13)], lastId: 13 });
    // Overlap: it already holds 11 and 12 (they came through a catch-up).
    expect(judgeArrival(12, m)).toEqual({ kind: 'apply', updates: [u(13)], lastId: 13 });
    expect(judgeArrival(13, m)).toEqual({ kind: 'duplicate' });
    expect(judgeArrival(20, m)).toEqual({ kind: 'duplicate' });
    expect(judgeArrival(9, m)).toEqual({ kind: 'gap' });
    // A head announcement: nothing to apply when level, a gap when behind.
    const head: CommittedUpdates = { doc: 'd', afterId: 13, updates: [] };
    expect(judgeArrival(13, head)).toEqual({ kind: 'duplicate' });
    expect(judgeArrival(12, head)).toEqual({ kind: 'gap' });
  });

  it('whatever order messages arrive in, with repeats, a replica that catches up on gaps ends with every id once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (sizes, picks) => {
          // The owner's stream: consecutive batches of ids; storage holds them all.
          const batches: CommittedUpdates[] = [];
          let id = 0;
          for (const n of sizes) {
            batches.push({
              doc: 'd',
              afterId: id,
              updates: Array.from({ length: n }, (_, k) => new Uint8Array([id + k + 1])),
            });
            id += n;
          }
          const stored = batches.flatMap((b) => b.updates);
          // Delivered in a random order with repeats and losses; then everything once more in order.
          const delivered = [...picks.map((p) => batches[p % batches.length]), ...batches];
          let held = 0;
          const applied: number[] = [];
          for (const m of delivered) {
            if (!m) continue;
            const a = judgeArrival(held, m);
            if (a.kind === 'apply') {
              applied.push(...a.updates.map((x) => x[0] ?? -1));
              held = a.lastId;
            } else if (a.kind === 'gap') {
              // loadAfter(doc, held): the stored updates after `held`, which include this message's.
              const missing = stored.slice(held);
              applied.push(...missing.map((x) => x[0] ?? -1));
              held = stored.length;
            }
          }
          expect(applied).toEqual(stored.map((x) => x[0]));
        },
      ),
      { seed: 21 },
    );
  });
});
