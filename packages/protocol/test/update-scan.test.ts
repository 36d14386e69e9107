import fc from 'fast-check';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LIMITS, scanStateVector, scanUpdate, type ScanLimits } from '../src/index.ts';

/**
 * scanUpdate reads a Yjs v1 update without applying it: real updates of the shapes our documents use pass,
 * everything else (other content kinds, other roots, the yjs#687 lies about counts and lengths) is refused
 * before Yjs sees it.
 */

// The author document's roots (packages/model AUTHOR_ROOTS; protocol may not import model).
const AUTHOR = new Set(['msgs', 'edits', 'del', 'react', 'read']);
const MOD = new Set(['pins', 'removed']);

const limits = (allowedRoots: ReadonlySet<string> = AUTHOR, more: Partial<ScanLimits> = {}): ScanLimits => ({
  maxStructs: LIMITS.maxStructsPerUpdate,
  maxClockSpan: LIMITS.maxClockSpanPerUpdate,
  maxValueDepth: LIMITS.maxValueDepth,
  allowedRoots,
  ...more,
});

const scan = (u: Uint8Array, roots: ReadonlySet<string> = AUTHOR, more: Partial<ScanLimits> = {}) =>
  scanUpdate(u, limits(roots, more));

const expectRefused = (u: Uint8Array, reason: string | RegExp, roots: ReadonlySet<string> = AUTHOR): void => {
  const r = scan(u, roots);
  expect(r.ok, `expected refusal (${String(reason)})`).toBe(false);
  if (!r.ok) expect(r.reason).toMatch(reason);
};

/** Every update `build` causes, as Yjs emits them, plus the whole document as one update. */
function capture(
  build: (doc: Y.Doc) => void,
  clientID?: number,
): { updates: Uint8Array[]; full: Uint8Array } {
  const doc = new Y.Doc();
  if (clientID !== undefined) doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  build(doc);
  return { updates, full: Y.encodeStateAsUpdate(doc) };
}

const message = (id: string, text: string, extra: Record<string, unknown> = {}) => ({
  id,
  text,
  ts: 1_760_000_000_000,
  ...extra,
});

/** What an author's device does: messages, edits, deletes, reactions and read marks, as plain values. */
function authorActivity(doc: Y.Doc): void {
  const msgs = doc.getArray<Record<string, unknown>>('msgs');
  msgs.push([message('m1', 'hello')]);
  msgs.push([
    message('m2', 'héllo 😀', { parent: 'u1:m1', alsoChannel: true }),
    message('m3', 'x'.repeat(3000)),
  ]);
  doc.getMap('edits').set('m1', { text: 'hello, edited', ts: 2 });
  doc.getMap('edits').set('m1', { text: 'edited twice', ts: 3 }); // overwrites: a delete set entry
  doc.getMap('del').set('m3', 4);
  doc.getMap('react').set('u2:m9:👍', 5);
  doc.getMap('react').delete('u2:m9:👍');
  doc.getMap('read').set('device-1', 12);
  doc.getMap('read').set('device-1', 40);
  doc.transact(() => {
    for (let i = 0; i < 50; i++) msgs.push([message(`b${i}`, `batch ${i}`)]);
  });
  msgs.delete(0, 1); // a deleted array element: ContentDeleted once collected
  msgs.push([
    { id: 'odd', text: 'values', ts: 1, nested: { a: [1, 2.5, -3, null, true, false, 'x', { b: [] }] } },
  ]);
}

/** A pool of real updates: incremental ones, whole documents, and merges across several clients. */
function realUpdates(): { name: string; update: Uint8Array; roots: ReadonlySet<string> }[] {
  const a = capture(authorActivity, 1);
  const b = capture((doc) => {
    doc.getArray('msgs').push([message('only', 'one')]);
  }, 0xffffffff);
  const mod = capture((doc) => {
    doc.getMap('pins').set('u1:m1', { by: 'u2', ts: 1 });
    doc.getMap('removed').set('u1:m2', { by: 'u2', ts: 2, reason: 'spam' });
    doc.getMap('pins').delete('u1:m1');
  }, 77);
  // A document edited by two clients (two devices of one author), synced both ways.
  const d1 = new Y.Doc();
  const d2 = new Y.Doc();
  d1.clientID = 1000;
  d2.clientID = 2_000_000_000;
  d1.getArray('msgs').push([message('p', 'phone')]);
  d2.getArray('msgs').push([message('d', 'desktop')]);
  Y.applyUpdate(d1, Y.encodeStateAsUpdate(d2));
  Y.applyUpdate(d2, Y.encodeStateAsUpdate(d1));
  d1.getMap('read').set('phone', 2);
  d2.getMap('read').set('desktop', 3);
  d2.getArray('msgs').delete(0, 1);
  Y.applyUpdate(d1, Y.encodeStateAsUpdate(d2));
  const out = [
    ...a.updates.map((update, i) => ({ name: `author update ${i}`, update, roots: AUTHOR })),
    { name: 'author document', update: a.full, roots: AUTHOR },
    ...b.updates.map((update) => ({ name: 'client 0xffffffff', update, roots: AUTHOR })),
    ...mod.updates.map((update, i) => ({ name: `mod update ${i}`, update, roots: MOD })),
    { name: 'mod document', update: mod.full, roots: MOD },
    { name: 'two clients', update: Y.encodeStateAsUpdate(d1), roots: AUTHOR },
    { name: 'merged updates', update: Y.mergeUpdates(a.updates), roots: AUTHOR },
    {
      name: 'diff against a state vector',
      update: Y.encodeStateAsUpdate(d1, Y.encodeStateVector(d2)),
      roots: AUTHOR,
    },
    { name: 'empty document', update: Y.encodeStateAsUpdate(new Y.Doc()), roots: AUTHOR },
  ];
  return out;
}

const POOL = realUpdates();

// ——— hand-written updates, byte by byte ———————————————————————————————————————————————————————————————

type Enc = encoding.Encoder;
const build = (write: (e: Enc) => void): Uint8Array => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const u = (e: Enc, n: number): void => encoding.writeVarUint(e, n);
const s = (e: Enc, x: string): void => encoding.writeVarString(e, x);
/** One client's structs: count, client, first clock. */
const clientHeader = (e: Enc, structs: number, client = 1, clock = 0): void => {
  u(e, structs);
  u(e, client);
  u(e, clock);
};
/** A root item's header: info byte, then "parent is a root named …". */
const rootItem = (e: Enc, contentRef: number, root = 'msgs', key?: string): void => {
  encoding.writeUint8(e, contentRef | (key === undefined ? 0 : 0x20));
  u(e, 1);
  s(e, root);
  if (key !== undefined) s(e, key);
};
const emptyDs = (e: Enc): void => u(e, 0);

/** An update whose one struct is a root ContentAny item holding `values` (written with lib0's writeAny). */
const anyItem = (values: unknown[], root = 'msgs'): Uint8Array =>
  build((e) => {
    u(e, 1);
    clientHeader(e, 1);
    rootItem(e, 8, root);
    u(e, values.length);
    for (const v of values) encoding.writeAny(e, v as encoding.AnyEncodable);
    emptyDs(e);
  });

/** An Any value nested `depth` levels deep: arrays (117, 1, …) or objects (118, 1, "k", …). */
const nestedAny = (depth: number, kind: 'array' | 'object'): Uint8Array =>
  build((e) => {
    u(e, 1);
    clientHeader(e, 1);
    rootItem(e, 8);
    u(e, 1);
    for (let i = 0; i < depth; i++) {
      if (kind === 'array') {
        encoding.writeUint8(e, 117);
        u(e, 1);
      } else {
        encoding.writeUint8(e, 118);
        u(e, 1);
        s(e, 'k');
      }
    }
    encoding.writeUint8(e, 126); // null at the bottom
    emptyDs(e);
  });

describe('real Yjs updates pass', () => {
  it.each(POOL.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const r = scan(p.update, p.roots);
    expect(r).toMatchObject({ ok: true });
    // And Yjs agrees they are well formed.
    expect(() => Y.applyUpdate(new Y.Doc(), p.update)).not.toThrow();
  });

  it('reports the roots touched and counts structs and deletions', () => {
    const { full } = capture((doc) => {
      doc.getArray('msgs').push([message('a', 'one')]);
      doc.getMap('edits').set('a', { text: 'two', ts: 1 });
      doc.getMap('edits').set('a', { text: 'three', ts: 2 });
    });
    const r = scan(full);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.roots.sort()).toEqual(['edits', 'msgs']);
    expect(r.structs).toBeGreaterThanOrEqual(3);
    expect(r.deletes).toBe(1);
  });

  it('an update with 2,000 messages in one transaction passes; the struct limit is what bounds it', () => {
    const { updates } = capture((doc) => {
      const msgs = doc.getArray('msgs');
      doc.transact(() => {
        for (let i = 0; i < 2000; i++) doc.getMap('read').set(`d${i}`, i);
        msgs.push([message('x', 'y')]);
      });
    });
    const update = updates[0] as Uint8Array;
    expect(scan(update).ok).toBe(true);
    expect(scan(update, AUTHOR, { maxStructs: 500 })).toEqual({
      ok: false,
      reason: 'too many structs in one update',
    });
  });

  it('property: any sequence of plain-value operations on the author roots produces updates that pass', () => {
    const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true }),
        fc.string({ unit: 'binary' }),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 3, noNullPrototype: true }),
      ),
    })).value;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        values: fc.array(plain, { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('set' as const),
        root: fc.constantFrom('edits', 'del', 'react', 'read'),
        key: fc.string({ maxLength: 12 }),
        value: plain,
      }),
      fc.record({
        kind: fc.constant('unset' as const),
        root: fc.constantFrom('edits', 'del', 'react', 'read'),
        key: fc.string({ maxLength: 12 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 20 }), (ops) => {
        const { updates, full } = capture((doc) => {
          for (const o of ops) {
            const msgs = doc.getArray('msgs');
            if (o.kind === 'push') msgs.push(o.values);
            else if (o.kind === 'delete' && msgs.length > 0) msgs.delete(o.at % msgs.length, 1);
            else if (o.kind === 'set') doc.getMap(o.root).set(o.key, o.value);
            else if (o.kind === 'unset') doc.getMap(o.root).delete(o.key);
          }
        });
        for (const up of [...updates, full]) expect(scan(up)).toMatchObject({ ok: true });
      }),
      { numRuns: 300 },
    );
  });
});

describe('content kinds our documents never use are refused', () => {
  const kinds: [string, (doc: Y.Doc) => void, RegExp][] = [
    ['Y.Text (string content)', (d) => d.getText('msgs').insert(0, 'hi'), /"string" is not allowed/],
    [
      'a nested Y.Map (type content)',
      (d) => d.getMap('edits').set('m1', new Y.Map()),
      /"type" is not allowed/,
    ],
    [
      'a nested Y.Array (type content)',
      (d) => d.getArray('msgs').push([new Y.Array()]),
      /"type" is not allowed/,
    ],
    [
      'XML',
      (d) => d.getXmlFragment('msgs').insert(0, [new Y.XmlElement('p'), new Y.XmlText('x')]),
      /"type" is not allowed/,
    ],
    ['a subdocument', (d) => d.getMap('edits').set('sub', new Y.Doc()), /"doc" is not allowed/],
    ['binary', (d) => d.getArray('msgs').push([Uint8Array.of(1, 2, 3)]), /"binary" is not allowed/],
    ['an embed', (d) => d.getText('msgs').insertEmbed(0, { image: 'x.png' }), /"embed" is not allowed/],
  ];
  for (const [name, act, reason] of kinds) {
    it(name, () => {
      const { updates, full } = capture(act);
      expect(updates.length).toBeGreaterThan(0);
      for (const up of [...updates, full]) expectRefused(up, reason);
    });
  }

  it('a format (text attributes), as the update that only formats', () => {
    const doc = new Y.Doc();
    const text = doc.getText('msgs');
    text.insert(0, 'bold me');
    const updates: Uint8Array[] = [];
    doc.on('update', (up: Uint8Array) => updates.push(up));
    text.format(0, 4, { bold: true });
    expect(updates).toHaveLength(1);
    expectRefused(updates[0] as Uint8Array, /"format" is not allowed/);
  });

  it('JSON content (the deprecated kind 2)', () => {
    const up = build((e) => {
      u(e, 1);
      clientHeader(e, 1);
      rootItem(e, 2);
      u(e, 1);
      s(e, '{"a":1}');
      emptyDs(e);
    });
    expectRefused(up, /"json" is not allowed/);
  });

  it('unknown content refs', () => {
    for (const ref of [11, 12, 31]) {
      const up = build((e) => {
        u(e, 1);
        clientHeader(e, 1);
        rootItem(e, ref);
        u(e, 1);
        emptyDs(e);
      });
      expectRefused(up, /is not allowed/);
    }
  });

  it('items whose parent is a nested type, not a root', () => {
    const up = build((e) => {
      u(e, 1);
      clientHeader(e, 1);
      encoding.writeUint8(e, 8);
      u(e, 0); // parent given by id
      u(e, 5);
      u(e, 0);
      u(e, 1);
      encoding.writeAny(e, 1);
      emptyDs(e);
    });
    expectRefused(up, 'items inside nested types are not allowed');
  });
});

describe('unknown root names are refused', () => {
  it('an array or map root the document kind does not have', () => {
    expectRefused(capture((d) => d.getArray('evil').push([1])).full, 'unknown root "evil"');
    expectRefused(capture((d) => d.getMap('msgs2').set('k', 1)).full, 'unknown root "msgs2"');
    expectRefused(capture((d) => d.getMap('').set('k', 1)).full, 'unknown root ""');
  });

  it("one kind's roots are not another's", () => {
    const author = capture((d) => d.getArray('msgs').push([message('a', 'b')])).full;
    const mod = capture((d) => d.getMap('pins').set('u:a', { by: 'u', ts: 1 })).full;
    expect(scan(author, AUTHOR).ok).toBe(true);
    expectRefused(author, 'unknown root "msgs"', MOD);
    expectRefused(mod, 'unknown root "pins"', AUTHOR);
    expectRefused(author, /unknown root/, new Set());
  });

  it('a good root first and a bad one later in the same update', () => {
    const { full } = capture((d) => {
      d.getArray('msgs').push([message('a', 'b')]);
      d.getMap('settings').set('admin', true);
    });
    expectRefused(full, 'unknown root "settings"');
  });

  it('a root name too long to be one of ours', () => {
    expectRefused(anyItem([1], 'r'.repeat(LIMITS.maxDocNameLength + 1)), 'string too long');
  });
});

describe('the yjs#687 shapes are refused', () => {
  it('a ~30-byte update declaring a huge struct count', () => {
    for (const n of [2 ** 31, 2 ** 50, 1000]) {
      const up = build((e) => {
        u(e, 1);
        clientHeader(e, n);
        rootItem(e, 8);
        u(e, 1);
        encoding.writeAny(e, 1);
        emptyDs(e);
      });
      expect(up.length).toBeLessThan(40);
      expectRefused(up, 'struct count exceeds input');
    }
  });

  it('a huge client count', () => {
    const up = build((e) => {
      u(e, 2 ** 45);
      clientHeader(e, 1);
      encoding.writeUint8(e, 0);
      u(e, 1);
    });
    expectRefused(up, 'client count exceeds input');
  });

  it('more structs than the limit, each one byte-honest', () => {
    const up = build((e) => {
      u(e, 1);
      clientHeader(e, 11);
      for (let i = 0; i < 11; i++) {
        encoding.writeUint8(e, 10); // skip
        u(e, 1);
      }
      emptyDs(e);
    });
    expect(scan(up, AUTHOR, { maxStructs: 11 }).ok).toBe(true);
    expect(scan(up, AUTHOR, { maxStructs: 10 })).toEqual({
      ok: false,
      reason: 'too many structs in one update',
    });
  });

  for (const [name, ref] of [
    ['GC', 0],
    ['Skip', 10],
  ] as const) {
    it(`a ${name} struct claiming a gigantic length`, () => {
      for (const len of [2 ** 32, Number.MAX_SAFE_INTEGER, LIMITS.maxClockSpanPerUpdate + 1]) {
        const up = build((e) => {
          u(e, 1);
          clientHeader(e, 1);
          encoding.writeUint8(e, ref);
          u(e, len);
          emptyDs(e);
        });
        expectRefused(up, 'update claims too large a clock range');
      }
    });

    it(`many ${name} structs that together claim too much`, () => {
      const up = build((e) => {
        u(e, 1);
        clientHeader(e, 3);
        for (let i = 0; i < 3; i++) {
          encoding.writeUint8(e, ref);
          u(e, 400_000);
        }
        emptyDs(e);
      });
      expectRefused(up, 'update claims too large a clock range');
    });

    it(`a ${name} struct of length 0`, () => {
      const up = build((e) => {
        u(e, 1);
        clientHeader(e, 1);
        encoding.writeUint8(e, ref);
        u(e, 0);
        emptyDs(e);
      });
      expectRefused(up, 'empty range');
    });
  }

  it('a deleted-content item claiming a gigantic length', () => {
    const up = build((e) => {
      u(e, 1);
      clientHeader(e, 1);
      rootItem(e, 1);
      u(e, 2 ** 40);
      emptyDs(e);
    });
    expectRefused(up, 'update claims too large a clock range');
  });

  it('a delete set with a gigantic client count, range count or range length', () => {
    const hugeClients = build((e) => {
      u(e, 0);
      u(e, 2 ** 40);
      u(e, 1);
      u(e, 1);
      u(e, 0);
      u(e, 1);
    });
    expectRefused(hugeClients, 'delete-set client count exceeds input');
    const hugeCount = build((e) => {
      u(e, 0);
      u(e, 1);
      u(e, 1);
      u(e, 2 ** 40);
      u(e, 0);
      u(e, 1);
    });
    expect(hugeCount.length).toBeLessThan(20);
    expectRefused(hugeCount, 'delete count exceeds input');
    const hugeLen = build((e) => {
      u(e, 0);
      u(e, 1);
      u(e, 1);
      u(e, 1);
      u(e, 0);
      u(e, Number.MAX_SAFE_INTEGER);
    });
    expectRefused(hugeLen, 'update claims too large a clock range');
    const manyRanges = build((e) => {
      u(e, 0);
      u(e, 1);
      u(e, 1);
      u(e, 30);
      for (let i = 0; i < 30; i++) {
        u(e, i * 100_000);
        u(e, 50_000);
      }
    });
    expectRefused(manyRanges, 'update claims too large a clock range');
    expectRefused(
      build((e) => {
        u(e, 0);
        u(e, 1);
        u(e, 1);
        u(e, 1);
        u(e, 0);
        u(e, 0);
      }),
      'empty range',
    );
  });

  it('a ContentAny with a huge declared length', () => {
    for (const n of [2 ** 31, 2 ** 52, 100]) {
      const up = build((e) => {
        u(e, 1);
        clientHeader(e, 1);
        rootItem(e, 8);
        u(e, n);
        encoding.writeAny(e, 1);
        emptyDs(e);
      });
      expectRefused(up, 'value count exceeds input');
    }
    // Zero values is no item at all.
    expectRefused(anyItem([]), 'value count exceeds input');
  });

  it('Any arrays, objects, strings and byte arrays with huge declared lengths', () => {
    const withValue = (write: (e: Enc) => void): Uint8Array =>
      build((e) => {
        u(e, 1);
        clientHeader(e, 1);
        rootItem(e, 8);
        u(e, 1);
        write(e);
        emptyDs(e);
      });
    expectRefused(
      withValue((e) => {
        encoding.writeUint8(e, 117);
        u(e, 2 ** 40);
      }),
      'array length exceeds input',
    );
    expectRefused(
      withValue((e) => {
        encoding.writeUint8(e, 118);
        u(e, 2 ** 40);
      }),
      'object length exceeds input',
    );
    for (const t of [119, 116])
      expectRefused(
        withValue((e) => {
          encoding.writeUint8(e, t);
          u(e, 2 ** 40);
        }),
        'length exceeds input',
      );
    expectRefused(
      withValue((e) => encoding.writeUint8(e, 115)),
      'unknown value type 115',
    );
  });

  it('deeply nested arrays and objects in an Any value', () => {
    for (const kind of ['array', 'object'] as const) {
      // maxValueDepth levels of nesting are what a message record may use; one more is refused.
      expect(scan(nestedAny(LIMITS.maxValueDepth, kind)).ok).toBe(true);
      expectRefused(nestedAny(LIMITS.maxValueDepth + 1, kind), 'value nested too deeply');
      // The stack-overflow shape: ten thousand levels in a few kilobytes.
      expectRefused(nestedAny(10_000, kind), 'value nested too deeply');
    }
    // The same nesting from real Yjs, through writeAny.
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = i % 2 ? [deep] : { k: deep };
    expectRefused(capture((d) => d.getArray('msgs').push([deep])).full, 'value nested too deeply');
  });

  it('an object key "__proto__", at any depth (lib0 would set the prototype, hiding the fields validated)', () => {
    /** A root ContentAny item whose value is an object with one key, written by hand (writeAny skips it). */
    const withKey = (key: string, value: unknown, wrap = 0): Uint8Array =>
      build((e) => {
        u(e, 1);
        clientHeader(e, 1);
        rootItem(e, 8);
        u(e, 1);
        for (let i = 0; i < wrap; i++) {
          encoding.writeUint8(e, 118);
          u(e, 1);
          s(e, 'outer');
        }
        encoding.writeUint8(e, 118);
        u(e, 1);
        s(e, key);
        encoding.writeAny(e, value as encoding.AnyEncodable);
        emptyDs(e);
      });
    const hidden = { id: 'm1', text: 'validated, but not owned', ts: 1 };
    // Why: what lib0 reads back has no own fields, yet reads like a valid record through its prototype, and
    // re-encodes (relay, compaction, sync step 2) as {}.
    const e = encoding.createEncoder();
    encoding.writeUint8(e, 118);
    u(e, 1);
    s(e, '__proto__');
    encoding.writeAny(e, hidden);
    const read = decoding.readAny(decoding.createDecoder(encoding.toUint8Array(e))) as Record<
      string,
      unknown
    >;
    expect(Object.keys(read)).toEqual([]);
    expect(read.text).toBe(hidden.text);

    expectRefused(withKey('__proto__', hidden), 'object key "__proto__" is not allowed');
    expectRefused(withKey('__proto__', null), 'object key "__proto__" is not allowed');
    expectRefused(withKey('__proto__', hidden, 3), 'object key "__proto__" is not allowed');
    for (const harmless of [
      'constructor',
      'prototype',
      '__proto',
      '__proto__ ',
      'toString',
      'hasOwnProperty',
    ])
      expect(scan(withKey(harmless, hidden)).ok, harmless).toBe(true);
  });

  it('a client id beyond 32 bits, in structs or the delete set', () => {
    expectRefused(
      build((e) => {
        u(e, 1);
        clientHeader(e, 1, 2 ** 32);
        encoding.writeUint8(e, 10);
        u(e, 1);
        emptyDs(e);
      }),
      'client id out of range',
    );
    expectRefused(
      build((e) => {
        u(e, 0);
        u(e, 1);
        u(e, 2 ** 40);
        u(e, 1);
        u(e, 0);
        u(e, 1);
      }),
      'client id out of range',
    );
  });

  it('truncated and padded real updates', () => {
    for (const p of POOL) {
      if (p.update.length < 3) continue;
      expectRefused(p.update.subarray(0, p.update.length - 1), /./, p.roots);
      const padded = new Uint8Array(p.update.length + 1);
      padded.set(p.update);
      expectRefused(padded, 'trailing bytes after update', p.roots);
    }
    expectRefused(new Uint8Array(0), 'unexpected end of input');
  });

  it('A5: reading is bounded by counting, never the clock: a paused server still accepts a valid update', () => {
    // A server paused (GC, CPU steal) mid-scan looked like a slow update and closed an honest device with
    // 4003. A clock handed to the scanner, however slow, must not change its answer: the limits are counts.
    let t = 0;
    const up = POOL.find((p) => p.name === 'author document')?.update as Uint8Array;
    const paused = { ...limits(), deadlineMs: 5, now: () => (t += 60_000) };
    expect(scanUpdate(up, paused).ok).toBe(true);
    expect(t).toBe(0);
  });
});

describe('scanStateVector', () => {
  it('accepts real state vectors', () => {
    const d = new Y.Doc();
    expect(scanStateVector(Y.encodeStateVector(d))).toEqual({ ok: true });
    for (const p of POOL) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, p.update);
      expect(scanStateVector(Y.encodeStateVector(doc))).toEqual({ ok: true });
      expect(scanStateVector(Y.encodeStateVectorFromUpdate(p.update))).toEqual({ ok: true });
    }
    const many = new Y.Doc();
    for (let c = 0; c < 40; c++) {
      const other = new Y.Doc();
      other.clientID = c * 100_000_000 + 1;
      other.getArray('msgs').push([c]);
      Y.applyUpdate(many, Y.encodeStateAsUpdate(other));
    }
    expect(scanStateVector(Y.encodeStateVector(many))).toEqual({ ok: true });
  });

  it('refuses lies', () => {
    const refused = (b: number[], reason: string | RegExp): void => {
      const r = scanStateVector(Uint8Array.from(b));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    };
    refused([], 'unexpected end of input');
    refused([5, 1, 1], 'state vector length exceeds input');
    refused([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1], 'state vector length exceeds input');
    refused([2, 1, 1], 'unexpected end of input');
    refused([1, 1, 1, 0], 'trailing bytes after state vector');
    refused([0, 0], 'trailing bytes after state vector');
    refused([1, 0x80, 0x80, 0x80, 0x80, 0x10, 1], 'client id out of range');
    refused([1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 'varint too long');
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = scanStateVector(b);
        if (r.ok) expect(() => Y.decodeStateVector(b)).not.toThrow();
      }),
      { numRuns: 5000 },
    );
  });
});

describe('whatever scanUpdate accepts, Yjs applies or refuses without hanging', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('bit' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      value: fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff, 8, 10, 117, 118, 119),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      value: fc.integer({ min: 1, max: 16 }),
    }),
  );

  const mutate = (base: Uint8Array, ms: { kind: string; at: number; value: number }[]): Uint8Array => {
    const b = [...base];
    for (const m of ms) {
      const at = b.length === 0 ? 0 : m.at % b.length;
      switch (m.kind) {
        case 'flip':
          if (b.length > 0) b[at] = m.value;
          break;
        case 'bit':
          if (b.length > 0) b[at] = (b[at] as number) ^ (1 << m.value);
          break;
        case 'insert':
          b.splice(at, 0, m.value);
          break;
        case 'delete':
          b.splice(at, m.value);
          break;
        case 'duplicate':
          b.splice(at, 0, ...b.slice(at, at + m.value));
          break;
      }
    }
    return Uint8Array.from(b);
  };

  /** Applies to a fresh document and to one that already holds another real update. Returns or throws. */
  const applyBoth = (update: Uint8Array, base: Uint8Array): void => {
    for (const start of [null, base]) {
      const doc = new Y.Doc();
      try {
        if (start) Y.applyUpdate(doc, start);
        Y.applyUpdate(doc, update);
        // What Yjs integrated must also encode and read back.
        Y.encodeStateAsUpdate(doc);
        doc.getArray('msgs').toJSON();
      } catch {
        // Throwing is an acceptable answer to a malformed update: the server reloads the document.
      }
    }
  };

  it('property over mutated real updates', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: POOL.length - 1 }),
        fc.integer({ min: 0, max: POOL.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (i, j, ms) => {
          const p = POOL[i] as (typeof POOL)[number];
          const mutated = mutate(p.update, ms);
          const r = scan(mutated, p.roots);
          if (!r.ok) return;
          accepted++;
          applyBoth(mutated, (POOL[j] as (typeof POOL)[number]).update);
        },
      ),
      { numRuns: 6000, seed: 687 },
    );
    // The mutations must exercise Yjs, not only the scanner.
    expect(accepted).toBeGreaterThan(200);
  });

  it('property over hand-built updates from a grammar of plausible structs', () => {
    const struct = fc.oneof(
      fc.record({ kind: fc.constant('gc' as const), len: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ kind: fc.constant('skip' as const), len: fc.integer({ min: 1, max: 50 }) }),
      fc.record({
        kind: fc.constant('item' as const),
        origin: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat({ max: 40 }))),
        rightOrigin: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat({ max: 40 }))),
        root: fc.constantFrom('msgs', 'edits', 'read'),
        key: fc.option(fc.constantFrom('a', 'b')),
        deleted: fc.option(fc.integer({ min: 1, max: 5 })),
        values: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
    );
    const client = fc.record({
      id: fc.integer({ min: 0, max: 3 }),
      clock: fc.nat({ max: 40 }),
      structs: fc.array(struct, { minLength: 1, maxLength: 6 }),
    });
    const ds = fc.array(
      fc.record({
        id: fc.integer({ min: 0, max: 3 }),
        ranges: fc.array(fc.tuple(fc.nat({ max: 60 }), fc.integer({ min: 1, max: 10 })), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(
        fc.array(client, { maxLength: 3 }),
        ds,
        fc.integer({ min: 0, max: POOL.length - 1 }),
        (cs, dset, j) => {
          const update = build((e) => {
            u(e, cs.length);
            for (const c of cs) {
              clientHeader(e, c.structs.length, c.id, c.clock);
              for (const st of c.structs) {
                if (st.kind !== 'item') {
                  encoding.writeUint8(e, st.kind === 'gc' ? 0 : 10);
                  u(e, st.len);
                  continue;
                }
                const ref = st.deleted !== null ? 1 : 8;
                const info =
                  ref | (st.origin ? 0x80 : 0) | (st.rightOrigin ? 0x40 : 0) | (st.key !== null ? 0x20 : 0);
                encoding.writeUint8(e, info);
                if (st.origin) {
                  u(e, st.origin[0]);
                  u(e, st.origin[1]);
                }
                if (st.rightOrigin) {
                  u(e, st.rightOrigin[0]);
                  u(e, st.rightOrigin[1]);
                }
                if (!st.origin && !st.rightOrigin) {
                  u(e, 1);
                  s(e, st.root);
                  if (st.key !== null) s(e, st.key);
                }
                if (st.deleted !== null) u(e, st.deleted);
                else {
                  u(e, st.values.length);
                  for (const v of st.values) encoding.writeAny(e, v);
                }
              }
            }
            u(e, dset.length);
            for (const d of dset) {
              u(e, d.id);
              u(e, d.ranges.length);
              for (const [clock, len] of d.ranges) {
                u(e, clock);
                u(e, len);
              }
            }
          });
          const r = scan(update);
          if (r.ok) applyBoth(update, (POOL[j] as (typeof POOL)[number]).update);
        },
      ),
      { numRuns: 3000, seed: 479 },
    );
  });
});
