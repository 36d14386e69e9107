import { engineInternals } from '@commonroom/engine/testing';
import { mentionHandle, type MessageView } from '@commonroom/model';
import { isStaffRole } from '@commonroom/protocol';
import * as Y from 'yjs';
import {
  BROADCAST,
  EMOJI,
  HANDOFF,
  REFUSED_MARK,
  TWIN,
  type Client,
  type Clock,
  describeEngine,
  describeReads,
  localOf,
  type Person,
} from './cast.ts';

/** What the people of the convergence fuzz do: the random mix of issue 4 and the two-device scenes. */

export function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

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

export const KINDS = [
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
  'reopen',
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * One action in #general, chosen from what this device sees right now (as a person would). Every fifth
 * step takes the kind this device has done least, so each run covers every action whatever the dice say.
 */
export async function act(
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
    // Last, and weighed 0 where apps do not close, so the other kinds' draws are as they were.
    ['reopen', c.reopen ? 2 : 0],
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
    case 'reopen': {
      // The person closes the app once it has saved what they did (each action above awaited that), whatever
      // it is still doing with the server: a rebuild, a replay, answers on their way.
      await c.reopen?.();
      c.log.push('closed the app and opened it again');
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
export async function until(
  clock: Clock,
  check: () => boolean,
  what: () => string,
  ms = STEP_MS,
): Promise<void> {
  const deadline = clock.now() + ms;
  while (!check()) {
    if (clock.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await clock.sleep(20);
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
export function holdsReadMarksOf(to: Client, from: Client, conv: string): boolean {
  const read = engineInternals(from.engine).authorRootsOf(
    engineInternals(from.engine).ownDocName(conv),
  )?.read;
  const doc = ownDocOf(to, conv);
  if (!read || !doc) return false;
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const item of read._map.values()) if ((sv.get(item.id.client) ?? 0) <= item.id.clock) return false;
  return true;
}

export const online = (c: Client): void => {
  c.offlineSteps = 0;
  c.engine.connect();
};

/**
 * The two devices of one person, offline at once: the same message edited on both, a delete racing an
 * edit, mark read racing mark unread; before that, a reaction added on one device and removed on the other
 * once it shows there, and a refused @channel (the person is a student) and pin attempt.
 */
export async function raceScene(a: Client, b: Client, conv: string, step: number): Promise<void> {
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
    a.clock,
    () => typeof seen(b, k1)?.seq === 'number' && typeof seen(b, k2)?.seq === 'number',
    () => `device ${b.index} never saw ${k1} and ${k2}: ${describeEngine(b)} / ${describeEngine(a)}`,
  );
  const handoff = `${k1} ${HANDOFF}`;
  await a.engine.react(conv, k1, HANDOFF, true);
  await until(
    a.clock,
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
export async function readScene(a: Client, b: Client, conv: string, rng: () => number): Promise<void> {
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
    a.clock,
    () => !marksWaiting(a) && !marksWaiting(b),
    () => `the race scene's marks never left: ${describeEngine(a)} / ${describeEngine(b)}`,
  );
  await until(
    a.clock,
    () => holdsReadMarksOf(a, b, conv),
    () => `device ${a.index} never caught up with device ${b.index}: ${describeEngine(a)}`,
  );
  const upTo = a.engine.view(conv).state.lastSeq;
  await a.engine.markRead(conv);
  // Mid-rebuild the mark waits for the server's copy (the engine applies it then).
  await until(
    a.clock,
    () => a.engine.view(conv).readSeq >= upTo,
    () => `device ${a.index} never showed its own mark read: ${describeEngine(a)} / ${describeEngine(b)}`,
  );
  const mark = a.engine.view(conv).readSeq;
  await until(
    a.clock,
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
    a.clock,
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
