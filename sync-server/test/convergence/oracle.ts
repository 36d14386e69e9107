import { engineInternals } from '@commonroom/engine/testing';
import type { Engine } from '@commonroom/engine';
import { mentionCount, unreadCount, type MessageView } from '@commonroom/model';
import { isStaffRole } from '@commonroom/protocol';
import * as Y from 'yjs';
import type { TestableServer } from '../../src/testing.ts';
import { REFUSED_MARK, TWIN, describeEngine, localOf, type Client, type Person } from './cast.ts';

/** What the convergence fuzz checks at the end: the replicas agree, and everyone's intent is in them. */

export function describeUpdate(u: Uint8Array): string {
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

/** The conversation as plain data: what every replica must agree on. */
export function project(engine: Engine, conv: string, people: readonly Person[]) {
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
export type Projection = ReturnType<typeof project>;

/** The first difference between two projections, readable in a failure message. */
export function firstDifference(a: Projection, b: Projection): string | null {
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
export function documentDifferences(clients: readonly Client[], conv: string): string {
  const first = clients[0];
  const ref = first ? engineInternals(first.engine).replicaStates(conv) : new Map<string, Uint8Array>();
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

/**
 * Refused actions must be exactly the ones the rules call for: a student's @channel (sends always; an edit
 * unless a later edit in the same frame replaced it before the server saw it) and a student's pin or
 * removal. Forgets them, as the person would after reading why.
 */
export async function checkRefusals(clients: readonly Client[], problems: string[]): Promise<void> {
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

/** What each person asked for, against the state every replica agreed on; and the rules held (T2, T4, T7). */
export function checkIntent(
  server: TestableServer,
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
      if (!server.internals.messages.exists(general, c.id, localOf(key)))
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
      if (server.internals.messages.exists(general, c.id, localOf(key)))
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
  const leaked = server.db
    .prepare(
      'SELECT (SELECT COUNT(*) FROM messages WHERE text LIKE ?) + (SELECT COUNT(*) FROM message_revisions WHERE new_text LIKE ?) AS n',
    )
    .get(`%${REFUSED_MARK}%`, `%${REFUSED_MARK}%`) as { n: number };
  if (leaked.n > 0) problems.push(`${leaked.n} refused @channel texts are in the server's message tables`);
}
