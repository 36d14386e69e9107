import { LIMITS, scanUpdate } from '@commonroom/protocol';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  AUTHOR_ROOTS,
  applyAndInspect,
  authorRoots,
  deleteMessage,
  editMessage,
  inspectUpdate,
  markRead,
  markUnreadFrom,
  setReaction,
  type Changes,
} from '../src/index.ts';

/**
 * `inspectUpdate` judges an update before it is applied; this proves it sees what `applyAndInspect` sees
 * after applying it, on the same document (issue 12 A1, docs/THREAT_MODEL.md T12): every update is first
 * inspected, then applied and inspected the old way, and the two reports must be equal, struct for struct.
 */

const scanOk = (u: Uint8Array): boolean =>
  scanUpdate(u, {
    maxStructs: LIMITS.maxStructsPerUpdate,
    maxClockSpan: LIMITS.maxClockSpanPerUpdate,
    maxValueDepth: LIMITS.maxValueDepth,
    allowedRoots: AUTHOR_ROOTS,
  }).ok;

type Outcome = { threw: true } | { threw: false; changes: Changes };

/** What the server sees now (comparable form: a pending update carries nothing else). */
const comparable = (c: Changes): Changes | { pending: true } => (c.pending ? { pending: true } : c);

/**
 * Inspects `u` against `doc` before applying it, then applies it the old way; returns both reports and
 * checks the inspection left the document untouched. Throws from Yjs and from `inspectUpdate` are compared
 * as such (the server closes the socket on either).
 */
function both(doc: Y.Doc, u: Uint8Array): { before: Outcome; after: Outcome } {
  const state = Y.encodeStateAsUpdate(doc);
  let before: Outcome;
  try {
    before = { threw: false, changes: inspectUpdate(doc, u) };
  } catch {
    before = { threw: true };
  }
  expect(Y.encodeStateAsUpdate(doc)).toEqual(state);
  let after: Outcome;
  try {
    after = { threw: false, changes: applyAndInspect(doc, u, 'test') };
  } catch {
    after = { threw: true };
  }
  return { before, after };
}

function expectSame(doc: Y.Doc, u: Uint8Array): Outcome {
  const { before, after } = both(doc, u);
  if (after.threw || before.threw) {
    // Yjs may throw half-way through; inspecting must then refuse too (it throws, or finds it pending).
    if (!before.threw) expect(before.changes.pending).toBe(true);
    return after;
  }
  expect(comparable(before.changes)).toEqual(comparable(after.changes));
  return after;
}

/** The server's copy, rebuilt the way a reload builds it (one transaction over the stored updates). */
function replay(stored: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.transact(() => {
    for (const u of stored) Y.applyUpdate(doc, u);
  });
  return doc;
}

/** What a device does, as the engine does it (and a few things only a forged client would send). */
type Op =
  | { t: 'send'; n: number }
  | { t: 'edit'; pick: number }
  | { t: 'delete'; pick: number }
  | { t: 'react'; pick: number; emoji: string; on: boolean }
  | { t: 'read'; seq: number }
  | { t: 'unread'; seq: number }
  | { t: 'sendAndDelete'; n: number; drop: number }
  | { t: 'setAndTakeBack'; pick: number }
  | { t: 'insertMiddle'; at: number }
  | { t: 'removeFromList'; at: number; len: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('send' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('edit' as const), pick: fc.nat(40) }),
  fc.record({ t: fc.constant('delete' as const), pick: fc.nat(40) }),
  fc.record({
    t: fc.constant('react' as const),
    pick: fc.nat(40),
    emoji: fc.constantFrom('👍', '🎉'),
    on: fc.boolean(),
  }),
  fc.record({ t: fc.constant('read' as const), seq: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ t: fc.constant('unread' as const), seq: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ t: fc.constant('sendAndDelete' as const), n: fc.integer({ min: 2, max: 4 }), drop: fc.nat(3) }),
  fc.record({ t: fc.constant('setAndTakeBack' as const), pick: fc.nat(40) }),
  fc.record({ t: fc.constant('insertMiddle' as const), at: fc.nat(40) }),
  fc.record({
    t: fc.constant('removeFromList' as const),
    at: fc.nat(40),
    len: fc.integer({ min: 1, max: 3 }),
  }),
);

let nextId = 0;
function act(d: Y.Doc, op: Op, device: string): void {
  const { msgs, del } = authorRoots(d);
  const ids = msgs.toArray().map((m) => m.id);
  const pick = (i: number): string | undefined => ids[i % Math.max(1, ids.length)];
  const ts = nextId + 1;
  switch (op.t) {
    case 'send':
      msgs.push(Array.from({ length: op.n }, () => ({ id: `m${nextId++}`, text: 'hello', ts })));
      return;
    case 'edit': {
      const id = pick(op.pick);
      if (id) editMessage(d, id, `edited ${ts}`, ts);
      return;
    }
    case 'delete': {
      const id = pick(op.pick);
      if (id) deleteMessage(d, id, ts);
      return;
    }
    case 'react': {
      const id = pick(op.pick);
      if (id) setReaction(d, `u1:${id}` as never, op.emoji, op.on, ts);
      return;
    }
    case 'read':
      markRead(d, device, op.seq, ts);
      return;
    case 'unread':
      markUnreadFrom(d, device, op.seq);
      return;
    case 'sendAndDelete':
      // One update that inserts several messages and deletes some of them again (a split of its own item).
      d.transact(() => {
        const at = msgs.length;
        msgs.push(Array.from({ length: op.n }, () => ({ id: `m${nextId++}`, text: 'gone', ts })));
        msgs.delete(at + (op.drop % op.n), 1);
      });
      return;
    case 'setAndTakeBack': {
      const id = pick(op.pick);
      if (id)
        d.transact(() => {
          del.set(id, ts);
          del.delete(id);
        });
      return;
    }
    case 'insertMiddle':
      // Forged: a message placed inside the list splits a stored item.
      msgs.insert(op.at % (msgs.length + 1), [{ id: `m${nextId++}`, text: 'wedged', ts }]);
      return;
    case 'removeFromList': {
      // Forged: messages taken out of the list (a removal, maybe of part of a stored item).
      const at = op.at % Math.max(1, msgs.length);
      const len = Math.min(op.len, msgs.length - at);
      if (len > 0) msgs.delete(at, len);
      return;
    }
  }
}

/** One step of a scenario: a device acts and sends, or what two devices did meanwhile arrives as one. */
type Step =
  | { s: 'act'; device: number; op: Op; deliver: 'delta' | 'whole' | 'hold' }
  | { s: 'merge'; a: number; b: number }
  | { s: 'resend' }
  | { s: 'reload' }
  | { s: 'rebuild'; device: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      s: fc.constant('act' as const),
      device: fc.nat(3),
      op: opArb,
      deliver: fc.constantFrom('delta' as const, 'delta' as const, 'whole' as const, 'hold' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('merge' as const), a: fc.nat(3), b: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('resend' as const) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('reload' as const) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('rebuild' as const), device: fc.nat(3) }) },
);

/**
 * Runs a scenario: four devices (a new client id after each rebuild) write one author document; the server's
 * copy inspects every update before applying it. Held updates are delivered later, out of order, so some
 * depend on history the server lacks (pending) until what they need arrives.
 */
function runScenario(steps: readonly Step[]): Y.Doc {
  const devices = [0, 1, 2, 3].map((i) => {
    const d = new Y.Doc();
    d.clientID = 100 + i * 7;
    return d;
  });
  let server = new Y.Doc({ gc: true });
  const stored: Uint8Array[] = [];
  const held: Uint8Array[] = [];
  let last: Uint8Array | null = null;
  const deliver = (u: Uint8Array): void => {
    if (!scanOk(u)) return;
    last = u;
    const out = expectSame(server, u);
    if (out.threw || out.changes.pending) server = replay(stored);
    else stored.push(u);
  };
  const catchUp = (d: Y.Doc): void => {
    Y.applyUpdate(d, Y.encodeStateAsUpdate(server, Y.encodeStateVector(d)));
  };
  for (const step of steps) {
    if (step.s === 'act') {
      const d = devices[step.device] as Y.Doc;
      if (step.deliver !== 'hold') catchUp(d);
      const sv = Y.encodeStateVector(d);
      const serverSv = Y.encodeStateVector(server);
      act(d, step.op, `dev${step.device}`);
      const u = step.deliver === 'whole' ? Y.encodeStateAsUpdate(d, serverSv) : Y.encodeStateAsUpdate(d, sv);
      if (step.deliver === 'hold') held.push(u);
      else {
        deliver(u);
        // What was held arrives now, after what it may depend on (or still before it).
        const h = held.shift();
        if (h) deliver(h);
      }
    } else if (step.s === 'merge') {
      // Two replicas' concurrent work, merged into one update (a device that synced with another offline).
      const a = devices[step.a] as Y.Doc;
      const b = devices[step.b] as Y.Doc;
      const serverSv = Y.encodeStateVector(server);
      deliver(Y.mergeUpdates([Y.encodeStateAsUpdate(a, serverSv), Y.encodeStateAsUpdate(b, serverSv)]));
    } else if (step.s === 'rebuild') {
      // The engine throws its replica away and takes the server's copy, writing as a new client id.
      const d = new Y.Doc();
      d.clientID = (devices[step.device] as Y.Doc).clientID + 1_000;
      catchUp(d);
      devices[step.device] = d;
    } else if (step.s === 'resend') {
      if (last) deliver(last);
    } else {
      server = replay(stored);
    }
  }
  return server;
}

describe('inspectUpdate judges before applying what applyAndInspect reports after (issue 12 A1, T12)', () => {
  it('T12: honest and forged device updates, concurrent, repeated and out of order: the same report', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 40 }), (steps) => {
        runScenario(steps);
      }),
      { seed: 1201, numRuns: 200 },
    );
  });
});

/** A Yjs v1 update written by hand: shapes no Yjs API sends (GC and Skip structs, origins anywhere). */
type Id = { client: number; clock: number };
type RawStruct =
  | { k: 'gc' | 'skip'; len: number }
  | {
      k: 'item';
      origin: Id | null;
      right: Id | null;
      root: string;
      key: string | null;
      values: unknown[] | number;
    };
type RawRun = { client: number; clock: number; structs: RawStruct[] };

function encodeRaw(
  runs: readonly RawRun[],
  ds: readonly { client: number; clock: number; len: number }[],
): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, runs.length);
  for (const run of runs) {
    encoding.writeVarUint(e, run.structs.length);
    encoding.writeVarUint(e, run.client);
    encoding.writeVarUint(e, run.clock);
    for (const s of run.structs) {
      if (s.k !== 'item') {
        encoding.writeUint8(e, s.k === 'gc' ? 0 : 10);
        encoding.writeVarUint(e, s.len);
        continue;
      }
      const deleted = typeof s.values === 'number';
      const parentInfo = s.origin === null && s.right === null;
      encoding.writeUint8(
        e,
        (deleted ? 1 : 8) |
          (s.origin ? 128 : 0) |
          (s.right ? 64 : 0) |
          (parentInfo && s.key !== null ? 32 : 0),
      );
      if (s.origin) {
        encoding.writeVarUint(e, s.origin.client);
        encoding.writeVarUint(e, s.origin.clock);
      }
      if (s.right) {
        encoding.writeVarUint(e, s.right.client);
        encoding.writeVarUint(e, s.right.clock);
      }
      if (parentInfo) {
        encoding.writeVarUint(e, 1);
        encoding.writeVarString(e, s.root);
        if (s.key !== null) encoding.writeVarString(e, s.key);
      }
      if (typeof s.values === 'number') encoding.writeVarUint(e, s.values);
      else {
        encoding.writeVarUint(e, s.values.length);
        for (const v of s.values) encoding.writeAny(e, v as never);
      }
    }
  }
  const byClient = new Map<number, { clock: number; len: number }[]>();
  for (const d of ds) byClient.set(d.client, [...(byClient.get(d.client) ?? []), d]);
  encoding.writeVarUint(e, byClient.size);
  for (const [client, ranges] of byClient) {
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, ranges.length);
    for (const r of ranges) {
      encoding.writeVarUint(e, r.clock);
      encoding.writeVarUint(e, r.len);
    }
  }
  return encoding.toUint8Array(e);
}

const refArb = fc.record({
  where: fc.constantFrom('doc', 'doc', 'update', 'update', 'nowhere', 'none', 'none'),
  client: fc.nat(20),
  clock: fc.nat(1_000),
});
const rawStructArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constantFrom('gc' as const, 'skip' as const),
      len: fc.integer({ min: 1, max: 2 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('item' as const),
      origin: refArb,
      right: refArb,
      root: fc.constantFrom('msgs', 'edits', 'del', 'react', 'read'),
      key: fc.constantFrom('a', 'b', 'c', null),
      values: fc.oneof(fc.integer({ min: 1, max: 2 }), fc.array(fc.nat(9), { minLength: 1, maxLength: 3 })),
    }),
  },
);
const rawArb = fc.record({
  runs: fc.array(
    fc.record({
      client: fc.nat(20),
      gap: fc.constantFrom(0, 0, 0, 0, 1),
      structs: fc.array(rawStructArb, { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  ds: fc.array(fc.record({ client: fc.nat(20), clock: fc.nat(1_000), len: fc.integer({ min: 1, max: 3 }) }), {
    maxLength: 3,
  }),
});
type RawSpec = typeof rawArb extends fc.Arbitrary<infer T> ? T : never;

/** Lays a random spec out against `doc`: origins name its items, the update's own, or nothing at all. */
function forge(doc: Y.Doc, spec: RawSpec): Uint8Array {
  const stored = [...doc.store.clients.keys()];
  const clients = [...stored, 901, 902, 903];
  const runs: RawRun[] = [];
  const own: Id[] = [];
  const used = new Set<number>();
  for (const r of spec.runs) {
    const client = clients[r.client % clients.length] as number;
    if (used.has(client)) continue;
    used.add(client);
    let clock = Y.getState(doc.store, client) + r.gap;
    runs.push({ client, clock, structs: [] });
    for (const s of r.structs) {
      const len = s.k === 'item' ? (typeof s.values === 'number' ? s.values : s.values.length) : s.len;
      for (let i = 0; i < len; i++) own.push({ client, clock: clock + i });
      clock += len;
    }
  }
  const pick = (ref: { where: string; client: number; clock: number }): Id | null => {
    if (ref.where === 'none') return null;
    if (ref.where === 'nowhere') return { client: 777, clock: ref.clock % 3 };
    if (ref.where === 'update' && own.length > 0) return own[ref.clock % own.length] as Id;
    if (stored.length === 0) return null;
    const client = stored[ref.client % stored.length] as number;
    return { client, clock: ref.clock % Y.getState(doc.store, client) };
  };
  let n = 0;
  for (const r of spec.runs) {
    const run = runs[n];
    if (!run || clients[r.client % clients.length] !== run.client) continue;
    n++;
    for (const s of r.structs)
      run.structs.push(
        s.k === 'item'
          ? {
              k: 'item',
              origin: pick(s.origin),
              right: pick(s.right),
              root: s.root,
              key: s.root === 'msgs' && s.key === 'c' ? null : s.key,
              values: s.values,
            }
          : s,
      );
  }
  const targets = [...new Set([...stored, ...runs.map((r) => r.client)])];
  const ds =
    targets.length === 0
      ? []
      : spec.ds.map((d) => {
          const client = targets[d.client % targets.length] as number;
          const run = runs.find((r) => r.client === client);
          const end = run
            ? own.filter((i) => i.client === client).length + run.clock
            : Y.getState(doc.store, client);
          return { client, clock: d.clock % (end + 1), len: d.len };
        });
  return encodeRaw(runs, ds);
}

describe('inspectUpdate on forged bytes (issue 12 A1, T8, T12)', () => {
  it('T12: hand-written updates (GC and Skip structs, origins anywhere, missing history, own deletes): the same report', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 3, maxLength: 15 }),
        fc.array(rawArb, { minLength: 1, maxLength: 6 }),
        (steps, raws) => {
          let doc = runScenario(steps);
          const stored = [Y.encodeStateAsUpdate(doc)];
          for (const spec of raws) {
            const u = forge(doc, spec);
            if (!scanOk(u)) continue;
            const out = expectSame(doc, u);
            if (out.threw || out.changes.pending) doc = replay(stored);
            else stored.push(u);
          }
        },
      ),
      { seed: 1202, numRuns: 200 },
    );
  });
});

describe('inspectUpdate, the cases Yjs handles apart (issue 12 A1)', () => {
  /** Inspects then applies `u` on `doc`; both reports must match, and are returned. */
  const same = (doc: Y.Doc, u: Uint8Array): Changes => {
    const { before, after } = both(doc, u);
    if (before.threw || after.threw) throw new Error('unexpected throw');
    expect(before.changes).toEqual(after.changes);
    return before.changes;
  };
  const device = (client: number): Y.Doc => {
    const d = new Y.Doc();
    d.clientID = client;
    return d;
  };
  const delta = (d: Y.Doc, f: (d: Y.Doc) => void): Uint8Array => {
    const sv = Y.encodeStateVector(d);
    f(d);
    return Y.encodeStateAsUpdate(d, sv);
  };
  const msg = (id: string) => ({ id, text: id, ts: 1 });

  it('T12: an item split inside the document (an origin, or a delete, in the middle of a stored item)', () => {
    const server = new Y.Doc();
    const phone = device(1);
    same(
      server,
      delta(phone, (d) => authorRoots(d).msgs.push([msg('a'), msg('b'), msg('c')])),
    );
    // Inserted after "b": its origin is the middle of the stored item [a, b, c].
    const wedged = same(
      server,
      delta(phone, (d) => authorRoots(d).msgs.insert(2, [msg('x')])),
    );
    expect(wedged.inserts).toEqual([{ root: 'msgs', key: null, values: [msg('x')], deleted: false }]);
    // Taking "a" out removes only that part of the stored item.
    const removed = same(
      server,
      delta(phone, (d) => authorRoots(d).msgs.delete(0, 1)),
    );
    expect(removed.removals).toEqual([{ root: 'msgs', key: null }]);
  });

  it('T12: values an update deletes itself are reported, deleted, in the pieces Yjs leaves', () => {
    const server = new Y.Doc();
    // Without garbage collection the device sends the values themselves and deletes them in the same
    // update (with it, they arrive as deleted content, values []: the honest scenario above covers that).
    const phone = new Y.Doc({ gc: false });
    phone.clientID = 2;
    const u = delta(phone, (d) =>
      d.transact(() => {
        authorRoots(d).msgs.push([msg('a'), msg('b'), msg('c')]);
        authorRoots(d).msgs.delete(1, 1);
        authorRoots(d).del.set('a', 1);
        authorRoots(d).del.delete('a');
      }),
    );
    expect(same(server, u).inserts).toEqual([
      { root: 'msgs', key: null, values: [msg('a')], deleted: false },
      { root: 'msgs', key: null, values: [msg('b')], deleted: true },
      { root: 'msgs', key: null, values: [msg('c')], deleted: false },
      { root: 'del', key: 'a', values: [1], deleted: true },
    ]);
  });

  it('T12: concurrent values at one map key: the loser is reported deleted, the replaced value removed', () => {
    const server = new Y.Doc();
    const low = device(10);
    const high = device(20);
    same(
      server,
      delta(low, (d) => authorRoots(d).read.set('phone', 1)),
    );
    Y.applyUpdate(high, Y.encodeStateAsUpdate(server));
    const fromLow = delta(low, (d) => authorRoots(d).read.set('phone', 2));
    const fromHigh = delta(high, (d) => authorRoots(d).read.set('phone', 3));
    const c = same(server, Y.mergeUpdates([fromLow, fromHigh]));
    expect(c.inserts).toEqual([
      { root: 'read', key: 'phone', values: [2], deleted: true },
      { root: 'read', key: 'phone', values: [3], deleted: false },
    ]);
    expect(c.removals).toEqual([{ root: 'read', key: 'phone' }]);
  });

  it('T8: an item next to a garbage-collected struct becomes garbage itself, and is not reported', () => {
    const server = new Y.Doc();
    same(server, encodeRaw([{ client: 500, clock: 0, structs: [{ k: 'gc', len: 2 }] }], []));
    const c = same(
      server,
      encodeRaw(
        [
          {
            client: 501,
            clock: 0,
            structs: [
              {
                k: 'item',
                origin: { client: 500, clock: 1 },
                right: null,
                root: 'msgs',
                key: null,
                values: [1],
              },
            ],
          },
        ],
        [],
      ),
    );
    expect(c).toEqual({ inserts: [], removals: [], pending: false });
  });

  it('P12: a Skip, an unknown origin or a delete of what does not exist yet: pending, nothing applied', () => {
    const server = new Y.Doc();
    const item = { k: 'item' as const, origin: null, right: null, root: 'msgs', key: null, values: [1] };
    const skipped = encodeRaw([{ client: 600, clock: 0, structs: [{ k: 'skip', len: 1 }, item] }], []);
    const unknownOrigin = encodeRaw(
      [{ client: 601, clock: 0, structs: [{ ...item, origin: { client: 777, clock: 3 } }] }],
      [],
    );
    const futureDelete = encodeRaw([], [{ client: 602, clock: 0, len: 1 }]);
    for (const u of [skipped, unknownOrigin, futureDelete]) {
      expect(inspectUpdate(server, u)).toEqual({ inserts: [], removals: [], pending: true });
      expect(applyAndInspect(server, u, 'test').pending).toBe(true);
      server.destroy();
    }
  });
});
