import {
  PROTOCOL_VERSION,
  SYNC_STEP1,
  SYNC_UPDATE,
  authorDoc,
  decodeMessage,
  encodeMessage,
  idxDoc,
  type ConversationId,
  type Frame,
  type UserId,
} from '@commonroom/protocol';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startServer, type Options } from '../run-context.ts';
import { setupCommonroom } from '../setup.ts';

/**
 * What one hostile student can make the server do in one go (issue 12 A1). A student's raw socket sends the
 * worst updates we know of, each `rounds` times; meanwhile a bystander on another socket asks for a
 * document again and again (step 1, answered with step 2) until the student has its answer. An answer
 * waits for whatever the server's event loop is busy with, so the longest of those round trips is the
 * block a bystander saw (it includes a commit's fsync when the update was accepted). Figures are medians
 * with the first and last round beside them: "last" above "first" is a cost that grows with what the
 * document has stored.
 *
 * Shapes: `manyClients`, read marks on one key from 3,000 client ids that never saw each other, each
 * round's ids above the last round's (the issue's ~60 KB update, refused now); `siblings`, the most concurrent update the count lets through
 * (16 client ids × 25 items at one fresh key, ~160,000 of 200,000 units); `samePlace`, that shape again
 * and again at one key, until the place is full and refused; `refusedAfterGrowth`, a write refused on the
 * document's rules (a negative read mark), sent after each accepted `siblings` round: it cost a reload
 * until issue 12 A1, and is judged before it is applied now (T12).
 */
export type HostileShape = {
  sent: number;
  accepted: number;
  refused: number;
  /** Median bystander wait from the hostile frame, and the first and last round's. */
  blockMs: number;
  firstMs: number;
  lastMs: number;
  maxMs: number;
};
export type HostileResult = {
  rounds: number;
  /** Bystander round trip with nothing hostile going on (median). */
  idleMs: number;
  shapes: Record<string, HostileShape>;
};

type Raw = {
  send(frames: Frame[]): void;
  next(match: (f: Frame) => boolean): Promise<Frame>;
  close(): void;
};

async function connect(port: number, cookie: string): Promise<Raw> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/sync`, { headers: { cookie } });
  ws.binaryType = 'arraybuffer';
  const waiters: {
    match: (f: Frame) => boolean;
    resolve: (f: Frame) => void;
    reject: (e: Error) => void;
  }[] = [];
  // A closed socket (1009 for a frame over 64 KiB, say) fails the run rather than hanging it.
  ws.on('close', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`socket closed with ${code}`));
  });
  ws.on('message', (data: ArrayBuffer) => {
    const d = decodeMessage(new Uint8Array(data), Number.POSITIVE_INFINITY);
    if (!d.ok) return;
    for (const f of d.frames) {
      const i = waiters.findIndex((w) => w.match(f));
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(f);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const raw: Raw = {
    send: (frames) => ws.send(encodeMessage(frames)),
    next: (match) => {
      const p = new Promise<Frame>((resolve, reject) => waiters.push({ match, resolve, reject }));
      // A waiter still pending when the socket closes (the server's 4101 at shutdown, or the run failing
      // elsewhere first) is rejected; whoever awaits it sees that, and one nobody awaits any more is not an
      // unhandled rejection that kills the run (it did, once, in a --quick run).
      p.catch(() => {});
      return p;
    },
    close: () => ws.close(),
  };
  const welcome = raw.next((f) => f.type === 'welcome');
  raw.send([{ type: 'hello', version: PROTOCOL_VERSION, client: 'bench-hostile' }]);
  await welcome;
  return raw;
}

/** Read marks on each of `keys` from `clients` client ids, `each` items apiece per key, all first values. */
function siblings(clients: number, each: number, firstClient: number, keys: readonly string[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, clients);
  for (let c = 0; c < clients; c++) {
    encoding.writeVarUint(e, each * keys.length);
    encoding.writeVarUint(e, firstClient + c);
    encoding.writeVarUint(e, 0);
    for (const key of keys)
      for (let i = 0; i < each; i++) {
        encoding.writeUint8(e, 8 | 0x20); // a value, its parent named, under a map key
        encoding.writeVarUint(e, 1);
        encoding.writeVarString(e, 'read');
        encoding.writeVarString(e, key);
        encoding.writeVarUint(e, 1);
        encoding.writeUint8(e, 125);
        encoding.writeVarInt(e, 1 + i);
      }
  }
  encoding.writeVarUint(e, 0);
  return encoding.toUint8Array(e);
}
const keys = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function manyClients(n: number, firstClient: number, key: string): Uint8Array {
  const ups: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Y.Doc();
    d.clientID = firstClient + i;
    d.getMap('read').set(key, 1 + i);
    ups.push(Y.encodeStateAsUpdate(d));
  }
  return Y.mergeUpdates(ups);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] ?? 0);
};
const round1 = (x: number): number => Math.round(x * 10) / 10;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function hostileRun(plan: { rounds: number }, opts: Options): Promise<HostileResult> {
  const server = await startServer('commonroom', opts);
  try {
    const setup = await setupCommonroom(server.port, { channels: 1, users: 2, prefix: 'hostile' });
    const [attacker, bystander] = setup.users;
    const channel = setup.channels[0];
    if (!attacker || !bystander || !channel) throw new Error('setup failed');
    const student = await connect(server.port, attacker.cookie);
    const other = await connect(server.port, bystander.cookie);
    const doc = authorDoc(channel.id as ConversationId, attacker.id as UserId);
    const probeDoc = idxDoc(channel.id as ConversationId, channel.segment);
    let ref = 1;

    /** The bystander's step 1, answered with a step 2: ms from `since` to the answer. */
    const probe = async (since: number): Promise<number> => {
      const answer = other.next((f) => f.type === 'sync' && f.doc === probeDoc && f.syncType === 1);
      other.send([
        { type: 'sync', doc: probeDoc, ref: 0, syncType: SYNC_STEP1, payload: new Uint8Array([0]) },
      ]);
      await answer;
      return performance.now() - since;
    };
    /**
     * Sends `update` as the student while the bystander asks again and again until the student has its
     * answer (and once more): the longest of those waits is the longest the server's event loop was busy.
     */
    const hostile = async (update: Uint8Array): Promise<{ ms: number; ok: boolean }> => {
      const r = ref++;
      let answered: Frame | null = null;
      const answer = student
        .next((f) => (f.type === 'ack' || f.type === 'reject') && f.ref === r)
        .then((f) => (answered = f));
      student.send([{ type: 'sync', doc, ref: r, syncType: SYNC_UPDATE, payload: update }]);
      let longest = 0;
      let after = 0;
      while (after < 2) {
        if (answered) after++;
        longest = Math.max(longest, await probe(performance.now()));
      }
      const f = await answer;
      // Under the per-person rate limit (1 MiB/s): a hostile student would pace itself too.
      await pause(100);
      return { ms: longest, ok: f.type === 'ack' };
    };

    // Read marks must name arrival positions that exist (P8): the bystander writes a few messages first,
    // so the student's marks (1 and 2) are accepted on their merits, not refused for their value.
    const history = new Y.Doc();
    history
      .getArray('msgs')
      .push([1, 2, 3].map((i) => ({ id: `history${i}`, text: `history ${i}`, ts: Date.now() })));
    const written = other.next((f) => (f.type === 'ack' || f.type === 'reject') && f.ref === 1);
    other.send([
      {
        type: 'sync',
        doc: authorDoc(channel.id as ConversationId, bystander.id as UserId),
        ref: 1,
        syncType: SYNC_UPDATE,
        payload: Y.encodeStateAsUpdate(history),
      },
    ]);
    if ((await written).type !== 'ack') throw new Error('the bystander could not write its history');

    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await probe(performance.now()));

    const shapes: Record<string, HostileShape> = {};
    const run = async (name: string, make: (round: number) => Uint8Array): Promise<void> => {
      const times: number[] = [];
      let accepted = 0;
      for (let round = 0; round < plan.rounds; round++) {
        const { ms, ok } = await hostile(make(round));
        times.push(ms);
        if (ok) accepted++;
      }
      shapes[name] = {
        sent: plan.rounds,
        accepted,
        refused: plan.rounds - accepted,
        blockMs: round1(median(times)),
        firstMs: round1(times[0] ?? 0),
        lastMs: round1(times[times.length - 1] ?? 0),
        maxMs: round1(Math.max(...times)),
      };
    };
    // Client ids above every earlier round's, all at one key: each new item walks past every earlier one.
    // Ids of three varint bytes keep each update the same size, under 64 KiB.
    await run('manyClients', (round) => manyClients(3_000, 20_000 + round * 3_000, 'dev1'));
    await run('siblings', (round) => siblings(16, 2, 100_000 + round * 100, keys(`fresh${round}`, 13)));
    await run('samePlace', (round) => siblings(16, 2, 200_000 + round * 100, ['same']));
    const bad = (): Uint8Array => {
      const d = new Y.Doc();
      d.getMap('read').set('laptop', -5);
      return Y.encodeStateAsUpdate(d);
    };
    const refusedTimes: number[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      await hostile(siblings(16, 2, 300_000 + round * 100, keys(`grow${round}`, 13)));
      refusedTimes.push((await hostile(bad())).ms);
    }
    shapes.refusedAfterGrowth = {
      sent: plan.rounds,
      accepted: 0,
      refused: plan.rounds,
      blockMs: round1(median(refusedTimes)),
      firstMs: round1(refusedTimes[0] ?? 0),
      lastMs: round1(refusedTimes[refusedTimes.length - 1] ?? 0),
      maxMs: round1(Math.max(...refusedTimes)),
    };
    student.close();
    other.close();
    return { rounds: plan.rounds, idleMs: round1(median(idle)), shapes };
  } finally {
    await server.stop();
  }
}
