import { engineInternals } from '@commonroom/engine/testing';
import { createEngine, createMemoryStorage, type Engine, type EngineStorage } from '@commonroom/engine';
import {
  mentionCount,
  mentionHandle,
  unreadCount,
  type Mentionable,
  type MessageView,
} from '@commonroom/model';
import { Me, decodeMessage, isStaffRole, type Role } from '@commonroom/protocol';
import { writeFileSync } from 'node:fs';
import * as Y from 'yjs';
import { describe, it } from 'vitest';
import { z } from 'zod';
import { createFaultController, type FaultController, type FaultOptions } from './faulty-socket.ts';
import {
  addUser,
  channel,
  delayedStorage,
  loginAdmin,
  seeded,
  MANY_HANDSHAKES,
  MANY_MESSAGES,
  startServer,
  type TestServer,
} from './harness.ts';

/**
 * Seeded random runs: five people (tutors and students; one student on two devices) act at random in
 * #general through the real server while their sockets drop, duplicate, reorder and delay messages, and go
 * offline for a while. The mix is every action of issue 4: messages, thread replies (some also to the
 * channel), edits, deletes, reactions on and off, pins and removals by tutors, mark read and mark unread,
 * @mentions; and what the rules refuse: students trying @channel (in messages and edits), pins and
 * removals. The two-device student also plays two scenes: both devices offline editing the same message,
 * a delete racing an edit and mark read racing mark unread; a reaction added on one device and removed
 * on the other; later, mark read on one and mark unread on the other, with an exact outcome.
 *
 * Then the faults stop, every engine settles, and all six replicas must show the same conversation (text,
 * edited time, deleted, removed, pins, reactions, reply counts, read marks and times, each person's
 * unread and mention counts), the same as a fresh device syncing from scratch, with every acknowledged
 * action in it, and the rules held: only authors' edits show, only tutors' pins and removals exist, no
 * student's @channel got in.
 *
 * Some runs also give the engines a slow device store (every storage call takes a few ms, like IndexedDB),
 * so that frames, drops and the person's next action land between an engine step and its storage write.
 *
 * The network timing is real, so a run is not bit-for-bit repeatable, but the seed fixes every choice (who
 * does what, which message is faulted how). A failing seed is printed; keep it below as a regression.
 * Explore: CONVERGENCE_SEEDS=1-200 (a range or a comma list) runs those seeds instead, with
 * CONVERGENCE_SLOW_STORAGE=1 on the slow store; CONVERGENCE_TRACE=1 writes each client's frames, actions and
 * storage calls to /tmp/convergence-<seed>-client<n>.txt when a seed fails; CONVERGENCE_VERBOSE=1 prints
 * what each run injected; CONVERGENCE_FAULTS='{"dropMeanMs":300}' changes fault rates.
 * scripts/convergence-under-load.sh runs seeds with busy processes taking the CPU, as on a shared CI machine.
 */

const DEFAULT_SEEDS = [2, 3, 5];
const SLOW_STORAGE_SEEDS = [8];
/**
 * Seeds that failed once and were fixed; each runs as its own test. Those up to seed 188 were found with
 * the first mix (five devices; no removals, unread, offline spells or refused actions); they now drive the
 * issue-4 mix, which goes through the same engine paths (rebuilds, replays, duplicated frames) more often.
 */
const REGRESSION_SEEDS: { seed: number; slowStorage?: boolean; found: string }[] = [
  // An action taken while its document was being rebuilt was dropped by the replay as "already on the server".
  { seed: 1, found: 'send during a rebuild lost' },
  // A duplicated step 1 brought two step 2s, and two replays ran at once; the second took the first one's
  // re-applied actions for ones the server had, and dropped them.
  ...[13, 15, 24, 25, 30, 31, 37, 42, 43, 45, 50, 52, 54].map((seed) => ({
    seed,
    found: 'two replays at once',
  })),
  // A duplicated frame was refused (missing history), then its copy applied and acknowledged: the engine
  // replayed the refused edit over a newer, acknowledged one.
  { seed: 188, found: 'one ref answered twice' },
  // Slow store: a send still being saved when the replay ran was dropped (its update not yet recorded).
  { seed: 4, slowStorage: true, found: 'send being saved during a replay lost' },
  { seed: 6, slowStorage: true, found: 'send being saved during a replay lost' },
  // Slow store: the socket dropped while a rebuild cleared the copy; the document was never subscribed
  // again and the outbox stayed stuck.
  { seed: 2, slowStorage: true, found: 'stuck outbox after a drop during a rebuild' },
  // Issue 4 mix. Default seeds 3 and 5 first failed this way: a mark unread (or a reaction taken off) made
  // while a rebuild waited for the server's copy was decided against the empty copy and dropped.
  // Slow store, seed 2 above: an action still being saved when a rebuild replayed it kept the update made
  // on the thrown-away copy, which then won over a later mark unread.
  // Slow store: a replay re-applied a reaction whose acknowledgement had not arrived, though the server had
  // it and the other device had since taken it off: it came back.
  { seed: 22, slowStorage: true, found: 'replay re-applied an action the server had' },
  // Under CPU load: a student's refused pin or removal, refused again while a replay had just applied it
  // once more, stayed on the device (the second rebuild was dropped). CI's seed 25 failure looked the same.
  { seed: 70, found: 'refusal during a replay kept' },
  { seed: 72, found: 'refusal during a replay kept' },
  // Slow store, under CPU load: a rebuild replayed onto the answer to a step 1 sent before its copy was
  // cleared (only what the old copy lacked), found a "mark unread" with nothing to move and dropped it.
  { seed: 40, slowStorage: true, found: 'replay onto a stale step 2' },
  // Slow store, under CPU load: a "mark unread" taken mid-rebuild, replayed again and again through
  // refusals, moved back a mark the other device made long after it.
  { seed: 19, slowStorage: true, found: 'deferred mark unread undid a later mark' },
  // Issue 12 B6, slow store under CPU load: a rebuild replayed onto the answer to a reconnect's step 1, sent
  // before the rebuild cleared the copy (only what the old copy lacked): a read mark made there lost to the
  // older one (rebuild-interleavings.test.ts drives it exactly).
  { seed: 11, slowStorage: true, found: "replay onto a reconnect's stale step 2" },
];
const ACTIONS_PER_CLIENT = 40;
const ROLES: Role[] = ['tutor', 'student', 'student', 'tutor', 'student'];
/** The person with a second device (a student): device TWIN and device 5. */
const TWIN = 1;
const RACE_SCENE_STEP = 6;
const READ_SCENE_STEP = 22;
const EMOJI = ['👍', '🎉', '❤️', '👀'];
/** The scenes' reaction, which the random mix never uses. */
const HANDOFF = '🔁';
const BROADCAST = ['@channel', '@here', '@everyone'];
/** In every text the server must refuse, to look for it afterwards. */
const REFUSED_MARK = 'BCAST';

type Person = Mentionable & { id: string };

function seedsFromEnv(): number[] | null {
  const raw = process.env.CONVERGENCE_SEEDS;
  if (!raw) return null;
  const out: number[] = [];
  for (const part of raw.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let s = from; s <= to; s++) out.push(s);
  }
  return out;
}

const UserReply = z.object({
  user: Me,
});

/** What one person asked for, on any of their devices, to check against the final state. */
type Intent = {
  sent: Map<string, { text: string; parent: string | null; alsoChannel: boolean }>;
  /** Every accepted edit's text per message, with the device that wrote it. */
  edits: Map<string, { text: string; device: number }[]>;
  deleted: Set<string>;
  /** Per `${key} ${emoji}`: the last toggle, and which devices toggled it. */
  reactions: Map<string, { on: boolean; devices: Set<number> }>;
  pins: Map<string, boolean>;
  removals: Set<string>;
  /** The highest arrival position this person marked as read (people with one device). */
  readUpTo: number;
  /** Messages the scripted two-device scenes own: the random mix does not edit or delete them. */
  reserved: Set<string>;
  /** Sends the server must refuse (a student's @channel), by message key: never visible anywhere. */
  doomed: Set<string>;
  /** Edit texts the server must refuse. */
  doomedEdits: Set<string>;
  /** Expected outcomes of the two-device scenes, checked at the end. */
  scenes: {
    editRace: { key: string; texts: string[] }[];
    deleteRace: { key: string; text: string }[];
    handoff: string[];
    /** The read mark the last scene left (nothing writes this person's marks after it). */
    finalRead: number | null;
  };
};

type Client = {
  /** Device index: 0–4 one per person, 5 the second device of person TWIN. */
  index: number;
  /** Which person (0–4). */
  person: number;
  role: Role;
  id: string;
  me: Mentionable & { id: string };
  engine: Engine;
  faults: FaultController;
  intent: Intent;
  /** Steps left before a device the person took offline comes back. */
  offlineSteps: number;
  log: string[];
  trace: string[];
};

/** A slow device store (like IndexedDB), traced: its update payloads are described too. */
function slowStorage(random: () => number, trace?: (line: string) => void, maxDelayMs = 4): EngineStorage {
  return delayedStorage(() => Math.floor(random() * maxDelayMs), trace);
}

let userCounter = 0;

function faultyEngine(ts: TestServer, faults: FaultController, seed: number, storage: EngineStorage): Engine {
  return createEngine({
    baseUrl: ts.url,
    storage,
    socketFactory: faults.socketFactory,
    manualCookies: true,
    random: seeded(seed),
    backoff: { minMs: 20, maxMs: 200 },
  });
}

/** Like harness addUser, but the engine opens its sockets through the fault injector. */
async function addFaultyUser(
  ts: TestServer,
  admin: Engine,
  role: Role,
  faults: FaultController,
  seed: number,
  storage: EngineStorage,
): Promise<{ engine: Engine; id: string; email: string; password: string }> {
  userCounter++;
  const email = `conv-${role}${userCounter}-${Date.now() % 100000}@college.test`;
  const password = `password-${userCounter}-long`;
  const { user } = await admin.api.request('POST', '/api/admin/users', UserReply, {
    displayName: `${role} ${userCounter}`,
    email,
    role,
    password,
  });
  const engine = faultyEngine(ts, faults, seed, storage);
  await engine.init();
  await engine.login(email, password);
  return { engine, id: user.id, email, password };
}

const TRACE = process.env.CONVERGENCE_TRACE === '1';
/** Exploration: CONVERGENCE_FAULTS='{"dropAfterReceiveRate":0.2}' changes fault rates (see FaultOptions). */
const FAULT_OVERRIDES = JSON.parse(process.env.CONVERGENCE_FAULTS ?? '{}') as Partial<FaultOptions>;

function describeUpdate(u: Uint8Array): string {
  try {
    const d = Y.decodeUpdate(u);
    const parts = d.structs.map((st) => {
      if (st instanceof Y.Item) {
        const c =
          st.content instanceof Y.ContentAny
            ? JSON.stringify(st.content.arr).slice(0, 60)
            : st.content.constructor.name;
        return `${st.id.client}:${st.id.clock}${st.parentSub ? `[${st.parentSub.slice(0, 30)}]` : ''}=${c}`;
      }
      return `${st.constructor.name}${st.id.client}:${st.id.clock}+${st.length}`;
    });
    let ds = 0;
    d.ds.clients.forEach((v) => (ds += v.length));
    return `{${parts.join(' ')}${ds ? ` del:${ds}` : ''}}`;
  } catch {
    return '{undecodable}';
  }
}

function traceLine(event: string, data?: Uint8Array): string {
  if (!data) return event;
  const m = decodeMessage(data);
  if (!m.ok) return `${event} <bad>`;
  return `${event} ${m.frames
    .map((f) => {
      if (f.type === 'sync')
        return `sync${f.syncType}(${f.doc.split('/').slice(-2).join('/')} ref=${f.ref} ${f.syncType === 0 ? '' : describeUpdate(f.payload)})`;
      if (f.type === 'ack') return `ack(${f.ref})`;
      if (f.type === 'reject') return `reject(${f.ref} ${f.code})`;
      return f.type;
    })
    .join(' ')}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The conversation as plain data: what every replica must agree on. */
function project(engine: Engine, conv: string, people: readonly Person[]) {
  const v = engine.view(conv);
  const s = v.state;
  const one = (m: MessageView) => ({
    key: m.key,
    seq: m.seq,
    text: m.text,
    editedAt: m.editedAt,
    deleted: m.deleted,
    removed: m.removed,
    pinned: m.pinned,
    parent: m.parent,
    alsoChannel: m.alsoChannel,
    reactions: m.reactions,
    replyCount: m.replyCount,
    lastReplyTs: m.lastReplyTs,
    replyAuthors: m.replyAuthors,
  });
  return {
    lastSeq: s.lastSeq,
    channel: v.messages.map((m) => m.key),
    all: [...s.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(one),
    /** Each person's read mark, when it moved, and their unread and mention counts, as this replica sees them. */
    people: people.map((p) => ({
      id: p.id,
      read: s.readSeqs.get(p.id) ?? 0,
      readAt: s.readTimes.get(p.id) ?? 0,
      unread: unreadCount(s, p.id),
      mentions: mentionCount(s, p),
    })),
  };
}
type Projection = ReturnType<typeof project>;

/** The first difference between two projections, readable in a failure message. */
function firstDifference(a: Projection, b: Projection): string | null {
  if (a.lastSeq !== b.lastSeq) return `lastSeq ${a.lastSeq} vs ${b.lastSeq}`;
  if (JSON.stringify(a.channel) !== JSON.stringify(b.channel))
    return `channel order differs: ${JSON.stringify(a.channel)} vs ${JSON.stringify(b.channel)}`;
  const byKey = new Map(b.all.map((m) => [m.key, m]));
  for (const m of a.all) {
    const o = byKey.get(m.key);
    if (!o) return `message ${m.key} (${JSON.stringify(m.text)}) missing on the other side`;
    if (JSON.stringify(m) !== JSON.stringify(o))
      return `message ${m.key} differs: ${JSON.stringify(m)} vs ${JSON.stringify(o)}`;
  }
  if (a.all.length !== b.all.length) {
    const mine = new Set(a.all.map((m) => m.key));
    const extra = b.all.filter((m) => !mine.has(m.key)).map((m) => m.key);
    return `the other side has extra messages ${JSON.stringify(extra)}`;
  }
  for (const [i, p] of a.people.entries())
    if (JSON.stringify(p) !== JSON.stringify(b.people[i]))
      return `read mark, unread or mention count differs: ${JSON.stringify(p)} vs ${JSON.stringify(b.people[i])}`;
  return null;
}

/** Which documents differ between devices, and what each side holds that the other does not. */
function documentDifferences(clients: readonly Client[], conv: string): string {
  const ref =
    (clients[0] ? engineInternals(clients[0].engine).replicaStates(conv) : null) ??
    new Map<string, Uint8Array>();
  const deletes = (u: Uint8Array): number => {
    let n = 0;
    Y.decodeUpdate(u).ds.clients.forEach((v) => v.forEach((d) => (n += d.len)));
    return n;
  };
  const lines: string[] = [];
  for (const c of clients.slice(1)) {
    const other = engineInternals(c.engine).replicaStates(conv);
    for (const name of new Set([...ref.keys(), ...other.keys()])) {
      const a = ref.get(name);
      const b = other.get(name);
      if (!a || !b) {
        lines.push(`client ${c.index}: ${name} only on ${a ? 'client 0' : `client ${c.index}`}`);
        continue;
      }
      const onlyA = Y.diffUpdate(a, Y.encodeStateVectorFromUpdate(b));
      const onlyB = Y.diffUpdate(b, Y.encodeStateVectorFromUpdate(a));
      const structs = (u: Uint8Array) => Y.decodeUpdate(u).structs.length;
      if (structs(onlyA) > 0 || structs(onlyB) > 0 || deletes(a) !== deletes(b))
        lines.push(
          `client ${c.index}: ${name}: client 0 only ${describeUpdate(onlyA)} (deleted ${deletes(a)}), client ${c.index} only ${describeUpdate(onlyB)} (deleted ${deletes(b)})`,
        );
    }
  }
  return lines.length > 0 ? `documents:\n  ${lines.join('\n  ')}` : 'documents: all the same';
}

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

const localOf = (key: string): string => key.slice(key.indexOf(':') + 1);

/** Message text: sometimes mentioning someone, sometimes (staff) everyone, sometimes a look-alike handle. */
function messageText(c: Client, people: readonly Person[], rng: () => number, step: number): string {
  const text = `c${c.index} #${step} ${Math.floor(rng() * 1e6).toString(36)}`;
  const r = rng();
  if (r < 0.2) return `${text} @${mentionHandle(pick(rng, people))}`;
  if (r < 0.26 && isStaffRole(c.role)) return `${text} ${pick(rng, BROADCAST)}`;
  // Starts like @channel, is a handle: allowed for everyone (hasBroadcastMention says no).
  if (r < 0.3) return `${text} @channel.x`;
  return text;
}

const KINDS = [
  'send',
  'reply',
  'edit',
  'delete',
  'react',
  'read',
  'unread',
  'pin',
  'remove',
  'broadcast',
  'offline',
] as const;
type Kind = (typeof KINDS)[number];

/**
 * One action in #general, chosen from what this device sees right now (as a person would). Every fifth
 * step takes the kind this device has done least, so each run covers every action whatever the dice say.
 */
async function act(
  c: Client,
  conv: string,
  rng: () => number,
  step: number,
  people: readonly Person[],
  done: Map<Kind, number>,
  sceneKeys: ReadonlySet<string>,
): Promise<void> {
  const e = c.engine;
  if (c.offlineSteps > 0 && --c.offlineSteps === 0) {
    e.connect();
    c.log.push('online');
  }
  const I = c.intent;
  const v = e.view(conv);
  const all = [...v.state.byKey.values()];
  // A refused message (its key is known only once sent, and a scene may be sending one on this device
  // right now) is left alone, as its author would once they see it refused.
  const live = (m: MessageView): boolean =>
    !m.deleted && !m.removed && !I.doomed.has(m.key) && !m.text.includes(REFUSED_MARK);
  const visibleTop = v.messages.filter((m) => m.parent === null && m.status !== 'rejected' && live(m));
  const reactable = all.filter(live);
  // A removed message shows no reactions (P6), so the scenes' own messages are never removed: the handoff
  // scene waits for a reaction to show on its message (seed 9 under load waited 30 s for one a tutor's
  // random removal had hidden for good).
  const removable = reactable.filter((m) => !sceneKeys.has(m.key));
  const own = all.filter((m) => m.authorId === c.id && live(m) && !I.reserved.has(m.key));
  const indexed = all.filter((m) => m.seq !== null);
  const staff = isStaffRole(c.role);
  // The two-device person's read marks are written by the scenes only, so their outcome is exact.
  const twin = c.person === TWIN;
  const weights: [Kind, number][] = [
    ['send', 20],
    ['reply', visibleTop.length > 0 ? 12 : 0],
    ['edit', own.length > 0 ? 10 : 0],
    ['delete', own.length > 0 ? 4 : 0],
    ['react', reactable.length > 0 ? 20 : 0],
    ['read', twin ? 0 : 6],
    ['unread', !twin && indexed.length > 0 ? 3 : 0],
    ['pin', visibleTop.length > 0 ? (staff ? 8 : 1) : 0],
    ['remove', removable.length > 0 ? (staff ? 3 : 1) : 0],
    ['broadcast', staff ? 0 : 2],
    ['offline', c.offlineSteps === 0 ? 3 : 0],
  ];
  let kind: Kind = 'send';
  if (step % 5 === 4) {
    let best = Infinity;
    for (const [k, w] of weights)
      if (w > 0 && (done.get(k) ?? 0) < best) {
        best = done.get(k) ?? 0;
        kind = k;
      }
  } else {
    const total = weights.reduce((s, [, w]) => s + w, 0);
    let r = rng() * total;
    for (const [k, w] of weights) {
      if (r < w) {
        kind = k;
        break;
      }
      r -= w;
    }
  }
  done.set(kind, (done.get(kind) ?? 0) + 1);
  switch (kind) {
    case 'send': {
      const text = messageText(c, people, rng, step);
      const key = await e.send(conv, text);
      I.sent.set(key, { text, parent: null, alsoChannel: false });
      c.log.push(`send ${key}`);
      return;
    }
    case 'reply': {
      const parent = pick(rng, visibleTop).key;
      const alsoChannel = rng() < 0.2;
      const text = `re: ${messageText(c, people, rng, step)}`;
      const key = await e.send(conv, text, { parent, ...(alsoChannel ? { alsoChannel: true } : {}) });
      I.sent.set(key, { text, parent, alsoChannel });
      c.log.push(`reply ${key} -> ${parent}${alsoChannel ? ' (also channel)' : ''}`);
      return;
    }
    case 'edit': {
      const m = pick(rng, own);
      const text = `edited ${messageText(c, people, rng, step)}`;
      await e.edit(conv, m.localId, text);
      I.edits.set(m.key, [...(I.edits.get(m.key) ?? []), { text, device: c.index }]);
      c.log.push(`edit ${m.key}`);
      return;
    }
    case 'delete': {
      const m = pick(rng, own);
      await e.delete(conv, m.localId);
      I.deleted.add(m.key);
      c.log.push(`delete ${m.key}`);
      return;
    }
    case 'react': {
      const m = pick(rng, reactable);
      const emoji = pick(rng, EMOJI);
      const on = !(m.reactions.find((x) => x.emoji === emoji)?.userIds.includes(c.id) ?? false);
      await e.react(conv, m.key, emoji, on);
      const rk = `${m.key} ${emoji}`;
      const rec = I.reactions.get(rk) ?? { on, devices: new Set<number>() };
      rec.on = on;
      rec.devices.add(c.index);
      I.reactions.set(rk, rec);
      c.log.push(`react ${on ? 'on' : 'off'} ${m.key} ${emoji}`);
      return;
    }
    case 'read': {
      I.readUpTo = Math.max(I.readUpTo, v.state.lastSeq);
      await e.markRead(conv);
      c.log.push(`read ${v.state.lastSeq}`);
      return;
    }
    case 'unread': {
      const m = pick(rng, indexed);
      const seq = m.seq ?? 0;
      if (I.readUpTo >= seq) I.readUpTo = seq - 1;
      await e.markUnread(conv, m.key);
      c.log.push(`unread from ${m.key} (${seq})`);
      return;
    }
    case 'pin': {
      // Students try too: the server refuses them (T4).
      const m = pick(rng, visibleTop);
      const on = m.pinned === null;
      await e.pin(conv, m.key, on);
      if (staff) I.pins.set(m.key, on);
      c.log.push(`pin ${on ? 'on' : 'off'} ${m.key}`);
      return;
    }
    case 'remove': {
      const m = pick(rng, removable);
      await e.remove(conv, m.key, 'seeded removal');
      if (staff) I.removals.add(m.key);
      c.log.push(`remove ${m.key}`);
      return;
    }
    case 'broadcast': {
      // A student's @channel, in a new message or an edit: refused by the server (T7).
      const text = `${REFUSED_MARK} ${pick(rng, BROADCAST)} c${c.index} #${step}`;
      if (own.length > 0 && rng() < 0.5) {
        const m = pick(rng, own);
        I.doomedEdits.add(text);
        await e.edit(conv, m.localId, text);
        c.log.push(`broadcast edit ${m.key}`);
      } else {
        const key = await e.send(conv, text);
        I.doomed.add(key);
        c.log.push(`broadcast send ${key}`);
      }
      return;
    }
    case 'offline': {
      e.disconnect();
      c.offlineSteps = 2 + Math.floor(rng() * 5);
      c.log.push(`offline for ${c.offlineSteps} steps`);
      return;
    }
  }
}

/**
 * How long a step may take before the run fails: a guard against a device that never gets there, not a
 * speed target (speed is measured in the benchmarks). Under fault injection a step can wait behind a
 * device's whole outbox across several drops; on a loaded two-core machine that took over 15 s.
 */
const STEP_MS = Number(process.env.CONVERGENCE_WAIT_MS ?? 30_000);

/** Polls until `check` holds, or fails the run with `what`. */
async function until(check: () => boolean, what: () => string, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await sleep(20);
  }
}

/** The replica of this person's own document on a device. */
function ownDocOf(c: Client, conv: string): Y.Doc | null {
  return (
    engineInternals(c.engine).authorRootsOf(engineInternals(c.engine).ownDocName(conv))?.read.doc ?? null
  );
}

/**
 * Whether device `to` holds every read mark device `from` shows for the person (the very Yjs items, not
 * just equal numbers), so a mark `to` writes next is after them and wins, on every replica.
 */
function holdsReadMarksOf(to: Client, from: Client, conv: string): boolean {
  const read = engineInternals(from.engine).authorRootsOf(
    engineInternals(from.engine).ownDocName(conv),
  )?.read;
  const doc = ownDocOf(to, conv);
  if (!read || !doc) return false;
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const item of read._map.values()) if ((sv.get(item.id.client) ?? 0) <= item.id.clock) return false;
  return true;
}

const online = (c: Client): void => {
  c.offlineSteps = 0;
  c.engine.connect();
};

/**
 * The two devices of one person, offline at once: the same message edited on both, a delete racing an
 * edit, mark read racing mark unread; before that, a reaction added on one device and removed on the other
 * once it shows there, and a refused @channel (the person is a student) and pin attempt.
 */
async function raceScene(a: Client, b: Client, conv: string, step: number): Promise<void> {
  const I = a.intent;
  online(a);
  online(b);
  const t1 = `scene c${a.index} #${step} first`;
  const k1 = await a.engine.send(conv, t1);
  // Reserved at once: no one else's random removal may hide the scene's message (see act).
  I.reserved.add(k1);
  const t2 = `scene c${a.index} #${step} reply`;
  const k2 = await a.engine.send(conv, t2, { parent: k1, alsoChannel: true });
  I.reserved.add(k2);
  I.sent.set(k1, { text: t1, parent: null, alsoChannel: false });
  I.sent.set(k2, { text: t2, parent: k1, alsoChannel: true });
  const seen = (c: Client, key: string) => c.engine.view(conv).state.byKey.get(key);
  await until(
    () => typeof seen(b, k1)?.seq === 'number' && typeof seen(b, k2)?.seq === 'number',
    () => `device ${b.index} never saw ${k1} and ${k2}: ${describeEngine(b)} / ${describeEngine(a)}`,
  );
  const handoff = `${k1} ${HANDOFF}`;
  await a.engine.react(conv, k1, HANDOFF, true);
  await until(
    () => seen(b, k1)?.reactions.some((r) => r.emoji === HANDOFF && r.userIds.includes(a.id)) === true,
    () => `device ${b.index} never saw the reaction: ${describeEngine(b)} / ${describeEngine(a)}`,
  );
  await b.engine.react(conv, k1, HANDOFF, false);
  I.scenes.handoff.push(handoff);
  a.log.push(`scene handoff ${handoff}`);
  await a.engine.markRead(conv);
  const doomed = await b.engine.send(conv, `${REFUSED_MARK} @everyone scene c${b.index} #${step}`);
  I.doomed.add(doomed);
  await b.engine.pin(conv, k1, true);

  a.engine.disconnect();
  b.engine.disconnect();
  const ea = `scene edit on c${a.index} #${step}`;
  const eb = `scene edit on c${b.index} #${step}`;
  const ea2 = `scene edit of the reply on c${a.index} #${step}`;
  await a.engine.edit(conv, localOf(k1), ea);
  await b.engine.edit(conv, localOf(k1), eb);
  await a.engine.edit(conv, localOf(k2), ea2);
  await b.engine.delete(conv, localOf(k2));
  await b.engine.markUnread(conv, k1);
  await a.engine.markRead(conv);
  I.edits.set(k1, [
    { text: ea, device: a.index },
    { text: eb, device: b.index },
  ]);
  I.edits.set(k2, [{ text: ea2, device: a.index }]);
  I.deleted.add(k2);
  I.scenes.editRace.push({ key: k1, texts: [ea, eb] });
  I.scenes.deleteRace.push({ key: k2, text: ea2 });
  a.log.push(`scene race ${k1} ${k2}`);
  a.engine.connect();
  b.engine.connect();
}

/**
 * Mark read on one device, then mark unread from a message on the other once it holds that mark: an exact
 * outcome on both devices (nothing else writes this person's read marks).
 */
async function readScene(a: Client, b: Client, conv: string, rng: () => number): Promise<void> {
  const I = a.intent;
  online(a);
  online(b);
  // The race scene's marks are delivered first. One still waiting would be applied after this scene's
  // marks and decide the outcome (seed 5 under load: device 5's "unread from" of the race scene, waiting
  // behind a rebuild, was replayed after device 1's "mark read" here, which had changed nothing since
  // device 1 already showed that mark; the scene then expected a mark the person never asked for).
  const marksWaiting = (c: Client): boolean =>
    c.engine.outbox().some((o) => (o.kind === 'read' || o.kind === 'unread') && o.status === 'pending');
  await until(
    () => !marksWaiting(a) && !marksWaiting(b),
    () => `the race scene's marks never left: ${describeEngine(a)} / ${describeEngine(b)}`,
  );
  await until(
    () => holdsReadMarksOf(a, b, conv),
    () => `device ${a.index} never caught up with device ${b.index}: ${describeEngine(a)}`,
  );
  const upTo = a.engine.view(conv).state.lastSeq;
  await a.engine.markRead(conv);
  // Mid-rebuild the mark waits for the server's copy (the engine applies it then).
  await until(
    () => a.engine.view(conv).readSeq >= upTo,
    () => `device ${a.index} never showed its own mark read: ${describeEngine(a)} / ${describeEngine(b)}`,
  );
  const mark = a.engine.view(conv).readSeq;
  await until(
    () => holdsReadMarksOf(b, a, conv) && b.engine.view(conv).readSeq === mark,
    () =>
      `device ${b.index} never caught up with device ${a.index} (${mark}): ${describeReads(a, conv)}; ${describeReads(b, conv)}; ${describeEngine(b)} / ${describeEngine(a)}`,
  );
  const target = pick(
    rng,
    [...b.engine.view(conv).state.byKey.values()].filter((m) => m.seq !== null && m.seq <= mark),
  );
  const expected = (target.seq ?? 1) - 1;
  await b.engine.markUnread(conv, target.key);
  await until(
    () =>
      holdsReadMarksOf(a, b, conv) &&
      a.engine.view(conv).readSeq === expected &&
      b.engine.view(conv).readSeq === expected,
    () =>
      `mark unread did not reach both devices (${expected}): ${describeReads(a, conv)}; ${describeReads(b, conv)}; ${describeEngine(a)} / ${describeEngine(b)}`,
  );
  I.scenes.finalRead = expected;
  a.log.push(`scene unread from ${target.key} (${expected})`);
}
/** A device's view of one person's read marks: the mark it shows, and each device's entry in its copy. */
function describeReads(c: Client, conv: string): string {
  const read = engineInternals(c.engine).authorRootsOf(engineInternals(c.engine).ownDocName(conv))?.read;
  return `device ${c.index} shows ${c.engine.view(conv).readSeq}, holds ${JSON.stringify(read?.toJSON() ?? null)}`;
}

function describeEngine(c: Client): string {
  const s = c.engine.status();
  const outbox = c.engine
    .outbox()
    .map((o) => `${o.kind}:${o.status}${o.error ? `(${o.error.code})` : ''}`)
    .join(',');
  return `client ${c.index} (${c.role}) ${s.connection} settled=${c.engine.isSettled()} waiting=${s.waiting} rejected=${s.rejected} outbox=[${outbox}]`;
}

const newIntent = (): Intent => ({
  sent: new Map(),
  edits: new Map(),
  deleted: new Set(),
  reactions: new Map(),
  pins: new Map(),
  removals: new Set(),
  readUpTo: 0,
  reserved: new Set(),
  doomed: new Set(),
  doomedEdits: new Set(),
  scenes: { editRace: [], deleteRace: [], handoff: [], finalRead: null },
});

/**
 * Refused actions must be exactly the ones the rules call for: a student's @channel (sends always; an edit
 * unless a later edit in the same frame replaced it before the server saw it) and a student's pin or
 * removal. Forgets them, as the person would after reading why.
 */
async function checkRefusals(clients: readonly Client[], problems: string[]): Promise<void> {
  for (const c of clients) {
    for (const o of c.engine.outbox()) {
      if (o.status !== 'rejected') continue;
      const code = o.error?.code;
      const expected =
        (o.kind === 'send' &&
          c.intent.doomed.has(`${c.id}:${String(o.payload.id)}`) &&
          code === 'broadcast-mention') ||
        (o.kind === 'edit' &&
          c.intent.doomedEdits.has(String(o.payload.text)) &&
          code === 'broadcast-mention') ||
        ((o.kind === 'pin' || o.kind === 'remove') && c.role === 'student' && code === 'not-a-moderator');
      if (!expected)
        problems.push(`client ${c.index}: unexpected refusal of ${o.kind}: ${code} ${o.error?.message}`);
      await c.engine.dismiss(o.id);
    }
  }
}

async function runSeed(seed: number, opts: { slowStorage?: boolean } = {}): Promise<void> {
  // A network this faulty reconnects a device about a hundred times a run, and the writers are fast: the
  // per-account handshake and new-message allowances are lifted (they have their own tests).
  const ts = await startServer({ limits: { ...MANY_HANDSHAKES, ...MANY_MESSAGES } });
  const clients: Client[] = [];
  let fresh: Engine | null = null;
  let phase = 'setup';
  /** Refusals the clients received, by code: missing-history shows the rebuild path was exercised. */
  const refusals = new Map<string, number>();
  const done = new Map<Kind, number>();
  const timings: string[] = [];
  let since = Date.now();
  const lap = (name: string): void => {
    timings.push(`${name}=${Date.now() - since}ms`);
    since = Date.now();
  };
  try {
    const admin = await loginAdmin(ts);
    const devices = [
      ...ROLES.map((role, person) => ({ role, person })),
      { role: ROLES[TWIN] as Role, person: TWIN },
    ];
    let twinLogin: { email: string; password: string } | null = null;
    for (const [i, { role, person }] of devices.entries()) {
      const trace: string[] = [];
      const t0 = Date.now();
      const faults = createFaultController(seeded(seed * 1_000 + i + 1), FAULT_OVERRIDES, (ev, data) => {
        if (TRACE) trace.push(`${Date.now() - t0} ${traceLine(ev, data)}`);
        if (ev !== 'in' || !data) return;
        const m = decodeMessage(data);
        if (m.ok)
          for (const f of m.frames)
            if (f.type === 'reject') refusals.set(f.code, (refusals.get(f.code) ?? 0) + 1);
      });
      faults.setEnabled(false);
      const storage = opts.slowStorage
        ? slowStorage(
            seeded(seed * 31 + i),
            TRACE ? (line) => trace.push(`${Date.now() - t0} ${line}`) : undefined,
          )
        : TRACE
          ? // Traced, at memory speed: the outbox's writes show in the trace.
            slowStorage(seeded(seed * 31 + i), (line) => trace.push(`${Date.now() - t0} ${line}`), 0)
          : createMemoryStorage();
      let engine: Engine;
      let id: string;
      const first = clients.find((c) => c.person === person);
      if (first && twinLogin) {
        // The same person's second device (a phone next to the desktop).
        engine = faultyEngine(ts, faults, seed * 7_919 + i, storage);
        await engine.init();
        await engine.login(twinLogin.email, twinLogin.password);
        id = first.id;
      } else {
        const u = await addFaultyUser(ts, admin, role, faults, seed * 7_919 + i, storage);
        engine = u.engine;
        id = u.id;
        if (person === TWIN) twinLogin = { email: u.email, password: u.password };
      }
      const me = engine.me();
      if (!me) throw new Error('not logged in');
      const log: string[] = [];
      if (TRACE) log.push = (...xs: string[]) => trace.push(...xs.map((x) => `${Date.now() - t0} ACT ${x}`));
      clients.push({
        index: i,
        person,
        role,
        id,
        me: { id, displayName: me.displayName, username: me.username },
        engine,
        faults,
        intent: first?.intent ?? newIntent(),
        offlineSteps: 0,
        log,
        trace,
      });
    }
    const people: Person[] = clients.filter((c) => c.index === c.person).map((c) => c.me);
    const general = channel(clients[0]?.engine as Engine, 'general');
    for (const c of clients) {
      c.engine.connect();
      await c.engine.open(general);
    }
    await Promise.all(clients.map((c) => withTimeout(c.engine.settled(), 10_000, () => describeEngine(c))));

    lap('setup');
    phase = 'actions under faults';
    for (const c of clients) c.faults.setEnabled(true);
    const errors: string[] = [];
    for (const c of clients)
      c.engine.onError((err) => {
        // The refusals the rules call for are checked one by one below.
        const expected =
          c.role === 'student' && (err.code === 'broadcast-mention' || err.code === 'not-a-moderator');
        if (!expected) errors.push(`client ${c.index}: ${err.code} ${err.message}`);
      });
    const primary = clients[TWIN] as Client;
    const second = clients[ROLES.length] as Client;
    let primaryStep = 0;
    // The two-device scenes run beside the random mix (which goes on, on both devices), at set points of it.
    const scenes = async (): Promise<void> => {
      await until(
        () => primaryStep >= RACE_SCENE_STEP,
        () => 'the mix stalled',
        60_000,
      );
      await raceScene(primary, second, general, RACE_SCENE_STEP);
      await until(
        () => primaryStep >= READ_SCENE_STEP,
        () => 'the mix stalled',
        60_000,
      );
      await readScene(primary, second, general, seeded(seed * 13 + 7));
    };
    await Promise.all([
      scenes(),
      ...clients.map(async (c) => {
        const rng = seeded(seed * 104_729 + c.index);
        for (let step = 0; step < ACTIONS_PER_CLIENT; step++) {
          if (c === primary) primaryStep = step;
          await act(c, general, rng, step, people, done, primary.intent.reserved);
          await sleep(Math.floor(rng() * 120));
        }
        if (c === primary) primaryStep = ACTIONS_PER_CLIENT;
        if (c.offlineSteps > 0) online(c);
      }),
    ]);
    for (const c of clients) online(c);

    lap('actions');
    phase = 'settling';
    // The network is good again: as the browser's online event does, every device retries at once instead
    // of waiting out a backoff that a run of failed handshakes may have stretched to 30 s.
    for (const c of clients) {
      c.faults.setEnabled(false);
      c.engine.retryNow();
    }
    await Promise.all(
      clients.map((c) =>
        withTimeout(c.engine.settled(), 20_000, () => clients.map(describeEngine).join('\n')),
      ),
    );
    const problems: string[] = [];
    await checkRefusals(clients, problems);

    lap('settling');
    phase = 'comparing replicas';
    const deadline = Date.now() + 10_000;
    let diff: string | null = 'not compared';
    let reference = project(clients[0]?.engine as Engine, general, people);
    while (Date.now() < deadline) {
      reference = project(clients[0]?.engine as Engine, general, people);
      diff = null;
      for (const c of clients.slice(1)) {
        const d = firstDifference(reference, project(c.engine, general, people));
        if (d) {
          diff = `client 0 vs client ${c.index}: ${d}`;
          break;
        }
      }
      if (diff === null) break;
      await sleep(50);
    }
    if (diff !== null)
      throw new Error(`replicas differ after settling: ${diff}\n${documentDifferences(clients, general)}`);

    lap('comparing');
    phase = 'fresh device';
    const extra = await addUser(ts, admin, 'student');
    fresh = extra.engine;
    await fresh.open(general);
    await withTimeout(fresh.settled(), 10_000, () => 'fresh engine did not settle');
    const freshDeadline = Date.now() + 10_000;
    let freshDiff: string | null = 'not compared';
    while (Date.now() < freshDeadline) {
      freshDiff = firstDifference(reference, project(fresh, general, people));
      if (freshDiff === null) break;
      await sleep(50);
    }
    if (freshDiff !== null) throw new Error(`a fresh device sees something else: ${freshDiff}`);

    lap('fresh device');
    phase = 'intent';
    checkIntent(ts, general, clients, reference, problems);
    if (problems.length > 0)
      throw new Error(`acknowledged actions are not reflected:\n  ${problems.slice(0, 20).join('\n  ')}`);
    if (errors.length > 0) throw new Error(`engines reported errors:\n  ${errors.slice(0, 20).join('\n  ')}`);
    // Every action of issue 4 happened in this run, or it proves less than it says.
    const missing = KINDS.filter((k) => (done.get(k) ?? 0) === 0);
    if (missing.length > 0) throw new Error(`the run never did: ${missing.join(', ')}`);
    // The run must actually have been faulty, or it proves nothing.
    const total = (k: 'drops' | 'duplicates' | 'reorders') =>
      clients.reduce((n, c) => n + c.faults.stats[k], 0);
    if (total('drops') === 0 || total('duplicates') === 0 || total('reorders') === 0)
      throw new Error(
        `the run injected too few faults: drops=${total('drops')} duplicates=${total('duplicates')} reorders=${total('reorders')}`,
      );
    if (process.env.CONVERGENCE_VERBOSE === '1')
      console.log(
        `seed ${seed}: ${reference.all.length} messages, actions=${JSON.stringify(Object.fromEntries(done))} drops=${total('drops')} duplicates=${total('duplicates')} reorders=${total('reorders')} refusals=${JSON.stringify(Object.fromEntries(refusals))} ${timings.join(' ')}`,
      );
  } catch (err) {
    const stats = clients.map((c) => `client ${c.index}: ${JSON.stringify(c.faults.stats)}`).join('\n');
    const msg = err instanceof Error ? err.message : String(err);
    if (TRACE)
      for (const c of clients)
        writeFileSync(`/tmp/convergence-${seed}-client${c.index}.txt`, c.trace.join('\n'));
    console.error(
      `\n*** convergence failed for seed ${seed} (${phase}) ***\n${msg}\nfault stats:\n${stats}\n`,
    );
    throw new Error(`convergence failed for seed ${seed} (${phase}): ${msg}`, {
      cause: err,
    });
  } finally {
    for (const c of clients) c.engine.disconnect();
    fresh?.disconnect();
    await ts.destroy();
  }
}

/** What each person asked for, against the state every replica agreed on; and the rules held (T2, T4, T7). */
function checkIntent(
  ts: TestServer,
  general: string,
  clients: readonly Client[],
  reference: Projection,
  problems: string[],
): void {
  const byKey = new Map(reference.all.map((m) => [m.key, m]));
  // Every index entry names exactly one message: none indexed twice, none indexed but missing.
  const indexed = reference.all.filter((m) => m.seq !== null).length;
  if (indexed !== reference.lastSeq)
    problems.push(`the index has ${reference.lastSeq} entries for ${indexed} indexed messages`);
  const persons = clients.filter((c) => c.index === c.person);
  const intentOf = new Map(persons.map((c) => [c.id, c.intent]));
  const tutors = new Set(persons.filter((c) => isStaffRole(c.role)).map((c) => c.id));
  const tutorPins = new Map<string, { count: number; on: boolean }>();
  const removals = new Set(persons.flatMap((c) => [...c.intent.removals]));

  for (const c of clients) {
    const s = c.engine.status();
    if (s.waiting !== 0 || s.rejected !== 0)
      problems.push(`${describeEngine(c)}: actions left in the outbox`);
    // Each device's own counts are the ones every replica computes for its person.
    const mine = reference.people.find((p) => p.id === c.id);
    const v = c.engine.view(general);
    if (v.unread !== mine?.unread || v.mentions !== mine.mentions)
      problems.push(
        `client ${c.index}: shows ${v.unread} unread, ${v.mentions} mentions; replicas say ${mine?.unread}, ${mine?.mentions}`,
      );
  }

  for (const c of persons) {
    const I = c.intent;
    for (const [key, sent] of I.sent) {
      const m = byKey.get(key);
      if (!m) {
        problems.push(`client ${c.index}: sent ${key} (${JSON.stringify(sent.text)}) is missing`);
        continue;
      }
      if (!ts.server.internals.messages.exists(general, c.id, localOf(key)))
        problems.push(`client ${c.index}: ${key} is not in the server's message table`);
      const edits = I.edits.get(key) ?? [];
      const editors = new Set(edits.map((e) => e.device));
      // One device edits in order: the last edit shows. Two devices editing at once: one of theirs shows.
      // A message a moderator removed shows as a placeholder, and a deleted one as "deleted": their words
      // and edits are in no replica (P16).
      const ok =
        m.removed || m.deleted
          ? m.text === '' && m.editedAt === null
          : edits.length === 0
            ? m.text === sent.text && m.editedAt === null
            : editors.size === 1
              ? m.text === edits.at(-1)?.text && m.editedAt !== null
              : edits.some((e) => e.text === m.text) && m.editedAt !== null;
      if (!ok)
        problems.push(
          `client ${c.index}: ${key} shows ${JSON.stringify(m.text)} (edited ${m.editedAt}), expected ${JSON.stringify(edits.map((e) => e.text).at(-1) ?? sent.text)}`,
        );
      if (m.deleted !== I.deleted.has(key))
        problems.push(`client ${c.index}: ${key} deleted=${m.deleted}, expected ${I.deleted.has(key)}`);
      if (m.parent !== sent.parent || m.alsoChannel !== sent.alsoChannel)
        problems.push(`client ${c.index}: ${key} parent ${m.parent}, expected ${sent.parent}`);
      if (m.seq === null) problems.push(`client ${c.index}: ${key} was never indexed`);
    }
    for (const [rk, { on, devices }] of I.reactions) {
      // Toggled on both devices of one person, possibly at once: either outcome, the same everywhere.
      if (devices.size > 1) continue;
      const sp = rk.lastIndexOf(' ');
      const target = byKey.get(rk.slice(0, sp));
      const has =
        target?.reactions.find((x) => x.emoji === rk.slice(sp + 1))?.userIds.includes(c.id) ?? false;
      // A removed message shows no reactions at all (its placeholder offers none).
      if (target?.removed ? has : has !== on)
        problems.push(
          `client ${c.index}: reaction ${rk} is ${has ? 'on' : 'off'}, expected ${on ? 'on' : 'off'}`,
        );
    }
    for (const rk of I.scenes.handoff) {
      const sp = rk.lastIndexOf(' ');
      const r = byKey.get(rk.slice(0, sp))?.reactions.find((x) => x.emoji === rk.slice(sp + 1));
      if (r?.userIds.includes(c.id))
        problems.push(`client ${c.index}: reaction ${rk} removed on the other device is back`);
    }
    for (const { key, texts } of I.scenes.editRace)
      if (!byKey.get(key)?.removed && !byKey.get(key)?.deleted && !texts.includes(byKey.get(key)?.text ?? ''))
        problems.push(`${key}: edited on two devices at once, shows neither edit`);
    for (const { key } of I.scenes.deleteRace) {
      const m = byKey.get(key);
      // Deleted everywhere, and the words of both (the edit's too) in no replica (P16).
      if (!m?.deleted || m.text !== '')
        problems.push(`${key}: a delete racing an edit lost (${JSON.stringify(m)})`);
    }
    const read = reference.people.find((p) => p.id === c.id)?.read;
    const expectedRead = c.person === TWIN ? I.scenes.finalRead : I.readUpTo;
    if (read !== expectedRead)
      problems.push(`client ${c.index}: read up to ${read}, expected ${expectedRead}`);
    for (const [key, on] of I.pins) {
      const t = tutorPins.get(key);
      tutorPins.set(key, { count: (t?.count ?? 0) + 1, on });
    }
    for (const key of I.doomed) {
      if (byKey.has(key)) problems.push(`${key}: a student's @channel message got in`);
      if (ts.server.internals.messages.exists(general, c.id, localOf(key)))
        problems.push(`${key}: a student's @channel message is in the server's table`);
    }
    for (const key of I.removals)
      if (!byKey.get(key)?.removed) problems.push(`${key}: removed by a moderator, but it is not`);
  }
  // Pins two tutors both touched are last-writer-wins between them; only check the uncontested ones.
  for (const [key, { count, on }] of tutorPins) {
    if (count !== 1) continue;
    const pinned = byKey.get(key)?.pinned !== null;
    if (pinned !== on)
      problems.push(`pin of ${key} is ${pinned ? 'on' : 'off'}, expected ${on ? 'on' : 'off'}`);
  }
  // The rules held for everything in the conversation, whoever wrote it.
  for (const m of reference.all) {
    const sent = intentOf.get(m.key.slice(0, m.key.indexOf(':')))?.sent.get(m.key);
    const edits = intentOf.get(m.key.slice(0, m.key.indexOf(':')))?.edits.get(m.key) ?? [];
    if (!sent) problems.push(`${m.key} is in the conversation, but nobody sent it`);
    else if (
      m.removed || m.deleted ? m.text !== '' : m.text !== sent.text && !edits.some((e) => e.text === m.text)
    )
      problems.push(`${m.key} shows ${JSON.stringify(m.text)}, which its author never wrote`);
    if (m.text.includes(REFUSED_MARK)) problems.push(`${m.key}: a student's @channel edit got in`);
    if (m.pinned && !tutors.has(m.pinned.by))
      problems.push(`${m.key} pinned by ${m.pinned.by}, not a moderator`);
    if (m.removed && (!tutors.has(m.removed.by) || !removals.has(m.key)))
      problems.push(`${m.key} removed by ${m.removed.by}, not by a moderator who asked`);
  }
  const leaked = ts.server.db
    .prepare(
      'SELECT (SELECT COUNT(*) FROM messages WHERE text LIKE ?) + (SELECT COUNT(*) FROM message_revisions WHERE new_text LIKE ?) AS n',
    )
    .get(`%${REFUSED_MARK}%`, `%${REFUSED_MARK}%`) as { n: number };
  if (leaked.n > 0) problems.push(`${leaked.n} refused @channel texts are in the server's message tables`);
}

describe('convergence under a faulty network: 5 people on 6 devices, drops, duplicates, reorders, delays', () => {
  const explore = seedsFromEnv();
  if (explore) {
    const slow = process.env.CONVERGENCE_SLOW_STORAGE === '1';
    for (const seed of explore)
      it(`seed ${seed}${slow ? ' (slow storage)' : ''}`, () => runSeed(seed, { slowStorage: slow }), 180_000);
    return;
  }
  for (const seed of DEFAULT_SEEDS) it(`seed ${seed}`, () => runSeed(seed), 120_000);
  for (const seed of SLOW_STORAGE_SEEDS)
    it(`seed ${seed} (slow storage)`, () => runSeed(seed, { slowStorage: true }), 120_000);
  for (const r of REGRESSION_SEEDS)
    it(
      `seed ${r.seed} (${r.slowStorage ? 'slow storage, ' : ''}regression)`,
      () => runSeed(r.seed, { slowStorage: r.slowStorage === true }),
      120_000,
    );
});
