import { engineInternals } from '@commonroom/engine/testing';
import { createMemoryStorage, type Engine } from '@commonroom/engine';
import { SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE, type Frame } from '@commonroom/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from './harness.ts';
import { gatedStorage, steeredNetwork } from './steered.ts';

/**
 * Exact interleavings of a rebuild (docs/PROTOCOL.md P2, P12, P14) that the convergence test meets only now
 * and then under CPU load (issue 12 B6). Each drives the real server and a real engine; the test only decides
 * when a socket message or a device write goes through.
 */

const reactionsBy = (e: Engine, conv: string, key: string, user: string): string[] =>
  (e.view(conv).state.byKey.get(key)?.reactions ?? [])
    .filter((r) => r.userIds.includes(user))
    .map((r) => r.emoji);

describe('rebuild interleavings (P2, P12)', () => {
  let ts: TestServer | null = null;
  afterEach(async () => {
    await ts?.destroy();
    ts = null;
  });

  // What this test guarded before the write order changed: a refusal's "rejected" was stored first and the
  // rebuild began after that write, so a reconnect in between sent a step 1 with the old copy's state vector,
  // whose answer (only what that copy lacked) then arrived while the store cleared the copy and must not
  // pass for the server's whole copy. The refusal now stores nothing before the rebuild (it is stored after
  // the clearing, so an app closed in between does not keep the refused change, CHANGELOG h12x), and the copy
  // is thrown away in memory before the first device write: that step 1 can no longer carry the old state.
  // This test proves exactly that, with the same refusal, reaction and reconnect. The rule itself
  // (`r.follow = { kind: 'asked', ref: null }` in rebuild.ts) stays for a rebuild that still awaits device
  // writes or HTTP before it starts (a closed segment's, P13, after moving its messages).
  it('P2/P12: a refusal throws the copy away before any device write; a reconnect meanwhile asks for the whole copy, and the refusal is stored after the clearing', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    const hello = await tutor.engine.send(general, 'hello');
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const store = gatedStorage();
    const engine = makeEngine(ts.url, { storage: store.storage, socketFactory: net.factory });
    await engine.init();
    await engine.login(student.email, student.password);
    engine.connect();
    await engine.open(general);
    await engine.settled();
    await engine.react(general, hello, '👍', true);
    await engine.settled();
    const own = engineInternals(engine).ownDocName(general);
    const isOwnUpdate = (f: Frame): boolean =>
      f.type === 'sync' && f.doc === own && f.syncType === SYNC_UPDATE && (f.actions?.length ?? 0) > 0;

    // A student's @channel (refused) and, right after it, the reaction taken off; the reaction's frame is
    // lost on the way, and the refusal is held until both actions are on the device.
    const refusal = net.holdIn((f) => f.type === 'reject');
    const lost = net.loseNextOut(isOwnUpdate);
    await engine.send(general, '@channel look at this');
    await engine.react(general, hello, '👍', false);
    await lost;
    await refusal;
    // The refusal starts the rebuild; its first device write is the clearing, held here.
    const clearing = store.gate('resetDoc');
    const from = store.ran.length;
    net.release();
    await clearing.reached;
    expect(store.ran.slice(from)).not.toContain('putOutbox');

    // Meanwhile the socket drops and comes back. The copy is already empty in memory, so the reconnect's
    // step 1 asks for everything, and its answer, arriving while the store clears the copy, is the
    // server's whole copy: the replay may start on it at once (its write waits behind the clearing).
    const answer = net.holdIn((f) => f.type === 'sync' && f.doc === own && f.syncType === SYNC_STEP2);
    const sentBefore = net.sent.length;
    engine.dropConnection();
    engine.retryNow();
    await answer;
    const step1 = net.sent
      .slice(sentBefore)
      .find((f) => f.type === 'sync' && f.doc === own && f.syncType === SYNC_STEP1);
    expect(step1?.type === 'sync' ? Y.decodeStateVector(step1.payload).size : -1).toBe(0);
    net.release();
    clearing.open();

    await engine.settled();
    await engineInternals(engine).flushStorage();
    // Taken off on the device, the reaction is off on the server too: "take it off" was replayed onto the
    // server's whole copy.
    await eventually(() => expect(reactionsBy(tutor.engine, general, hello, student.id)).toEqual([]));
    expect(reactionsBy(engine, general, hello, student.id)).toEqual([]);
    expect(engine.outbox().map((o) => `${o.kind}:${o.status}`)).toEqual(['send:rejected']);
    // On the device, "refused" was stored only after the copy holding the refused message was cleared.
    const order = store.ran.slice(from);
    expect(order.indexOf('resetDoc')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('putOutbox')).toBeGreaterThan(order.indexOf('resetDoc'));
    engine.disconnect();
  });

  it('P12: a window of frames refused together costs one rebuild, not one more per refusal', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    const hello = await tutor.engine.send(general, 'hello');
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const engine = makeEngine(ts.url, { socketFactory: net.factory });
    await engine.init();
    await engine.login(student.email, student.password);
    engine.connect();
    await engine.open(general);
    await engine.settled();
    const mine = await engine.send(general, 'my message');
    await engine.settled();
    const own = engineInternals(engine).ownDocName(general);

    // Three actions, three frames in flight at once: a refused @channel, then a reaction and an edit that
    // build on it (the server lacks what they follow: missing-history). The answers come together.
    const refusals = net.holdIn((f) => f.type === 'reject');
    await engine.send(general, '@channel look at this');
    await engine.react(general, hello, '👍', true);
    await engine.edit(general, mine.slice(mine.indexOf(':') + 1), 'my message, edited');
    await refusals;
    await eventually(() => expect(net.held().filter((f) => f.type === 'reject')).toHaveLength(3));
    const from = net.sent.length;
    net.release();

    await engine.settled();
    // One rebuild: the copy it asked for is answered after every frame of that window, so the refusals
    // that follow the first need no copy of their own (each rebuild replays the whole outbox).
    const step1s = net.sent
      .slice(from)
      .filter((f) => f.type === 'sync' && f.doc === own && f.syncType === SYNC_STEP1);
    expect(step1s).toHaveLength(1);
    await eventually(() => {
      const m = tutor.engine.view(general).state.byKey;
      expect(m.get(mine)?.text).toBe('my message, edited');
      expect(reactionsBy(tutor.engine, general, hello, student.id)).toEqual(['👍']);
    });
    expect(engine.outbox().map((o) => `${o.kind}:${o.status}:${o.error?.code}`)).toEqual([
      'send:rejected:broadcast-mention',
    ]);
    engine.disconnect();
  });

  it('P12: only the actions of a refused frame go one per frame; actions taken since go merged', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    const keys: string[] = [];
    for (const t of ['one', 'two', 'three', 'four']) keys.push(await tutor.engine.send(general, t));
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const engine = makeEngine(ts.url, { socketFactory: net.factory });
    await engine.init();
    await engine.login(student.email, student.password);
    engine.connect();
    await engine.open(general);
    await engine.settled();
    const own = engineInternals(engine).ownDocName(general);
    const [first, ...rest] = keys as [string, ...string[]];

    // Offline: a refused @channel and a reaction, sent together in one frame and refused together.
    engine.disconnect();
    await engine.send(general, '@channel look at this');
    await engine.react(general, first, '👍', true);
    // The server's copy for the rebuild that refusal starts is held while the student reacts three times more.
    const copy = net.holdIn(
      (f) =>
        net.received.some((x) => x.type === 'reject') &&
        f.type === 'sync' &&
        f.doc === own &&
        f.syncType === SYNC_STEP2 &&
        f.ref !== 0,
    );
    engine.connect();
    await copy;
    for (const k of rest) await engine.react(general, k, '🎉', true);
    const later = engine
      .outbox()
      .filter((o) => o.kind === 'react' && o.payload.emoji === '🎉')
      .map((o) => o.id);
    expect(later).toHaveLength(3);
    net.release();
    await engine.settled();

    // The two refused together went one by one (the @channel was found and refused); the three reactions
    // taken since went in one frame, as any actions do.
    const carried = net.sent.flatMap((f) =>
      f.type === 'sync' && f.doc === own && f.syncType === SYNC_UPDATE ? [f.actions ?? []] : [],
    );
    expect(carried.some((ids) => later.every((id) => ids.includes(id)))).toBe(true);
    await eventually(() => {
      expect(reactionsBy(tutor.engine, general, first, student.id)).toEqual(['👍']);
      for (const k of rest) expect(reactionsBy(tutor.engine, general, k, student.id)).toEqual(['🎉']);
    });
    expect(engine.outbox().map((o) => `${o.kind}:${o.status}:${o.error?.code}`)).toEqual([
      'send:rejected:broadcast-mention',
    ]);
    engine.disconnect();
  });

  it('P12: the replay of a rebuilt copy is stored after the old copy is cleared, never deleted by it', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    const hello = await tutor.engine.send(general, 'hello');
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const store = gatedStorage();
    const engine = makeEngine(ts.url, { storage: store.storage, socketFactory: net.factory });
    await engine.init();
    await engine.login(student.email, student.password);
    engine.connect();
    await engine.open(general);
    await engine.settled();
    const own = engineInternals(engine).ownDocName(general);
    const isOwnUpdate = (f: Frame): boolean =>
      f.type === 'sync' && f.doc === own && f.syncType === SYNC_UPDATE && (f.actions?.length ?? 0) > 0;

    // A refused @channel and a reaction whose frame is lost: the reaction waits, to be replayed onto the
    // server's copy. The refusal is held, and behind it a change the tutor makes, which the device stores.
    const refusal = net.holdIn((f) => f.type === 'reject');
    const lost = net.loseNextOut(isOwnUpdate);
    await engine.send(general, '@channel look at this');
    await engine.react(general, hello, '👍', true);
    await lost;
    await refusal;
    await tutor.engine.send(general, 'news');
    await eventually(() => expect(net.held().some((f) => f.type === 'sync')).toBe(true));
    // That store write is slow: the rebuild's clearing of the old copy waits behind it.
    const slow = store.gate('appendDocUpdate');
    net.release();
    await slow.reached;
    await eventually(() => expect(engineInternals(engine).replicaDebug(own)?.phase).toBe('awaiting-copy'));

    // Meanwhile a reconnect follows the emptied copy: its answer is the server's whole copy, and the
    // replay applies the reaction again and stores it, all while the clearing still waits.
    engine.dropConnection();
    engine.retryNow();
    await eventually(() => expect(engineInternals(engine).replicaDebug(own)?.follow).toBe('synced'));
    await new Promise((r) => setImmediate(r));
    slow.open();
    await engine.settled();
    await engineInternals(engine).flushStorage();

    // What the device stored is what it shows: the reaction replayed survived the clearing.
    await eventually(() => expect(reactionsBy(tutor.engine, general, hello, student.id)).toEqual(['👍']));
    const stored = new Y.Doc();
    for (const u of await store.storage.loadDoc(own)) Y.applyUpdate(stored, u);
    const shown = new Y.Doc();
    Y.applyUpdate(shown, engineInternals(engine).replicaStates(general).get(own) ?? new Uint8Array());
    expect(Y.decodeStateVector(Y.encodeStateVector(stored))).toEqual(
      Y.decodeStateVector(Y.encodeStateVector(shown)),
    );
    engine.disconnect();
  });

  it('P12: an edit refused because the frame with its message before it was refused blames nothing', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    const hello = await tutor.engine.send(general, 'hello');
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const storage = createMemoryStorage();
    const first = makeEngine(ts.url, { storage, socketFactory: net.factory });
    await first.init();
    await first.login(student.email, student.password);
    first.connect();
    await first.open(general);
    await first.settled();

    // The server stores a reaction, but its acknowledgement is lost with the socket: the reaction waits.
    const ack = net.holdIn((f) => f.type === 'ack');
    await first.react(general, hello, '👍', true);
    await ack;
    first.disconnect();
    net.release();
    // Offline, a message; then the app is closed and opened again (a new Yjs client: what it writes names
    // nothing the old one wrote, so the server cannot call it missing history).
    const key = await first.send(general, 'typed offline');
    await engineInternals(first).flushStorage();
    const engine = makeEngine(ts.url, { storage, socketFactory: net.factory });
    const errors: string[] = [];
    engine.onError((e) => errors.push(e.code));
    await engine.init();
    // Online, the message goes in one frame with the reaction again, which the server refuses whole
    // (`already-applied`, P14): the message is not stored. Before that answer comes, the student edits the
    // message; the edit goes in a frame of its own, refused too: the server holds no such message.
    const refusals = net.holdIn((f) => f.type === 'reject');
    engine.connect();
    await engine.open(general);
    await refusals;
    await engine.edit(general, key.slice(key.indexOf(':') + 1), 'typed offline, then edited');
    await eventually(() => expect(net.held().filter((f) => f.type === 'reject')).toHaveLength(2));
    expect(net.held().flatMap((f) => (f.type === 'reject' ? [f.code] : []))).toEqual([
      'already-applied',
      'not-your-message',
    ]);
    net.release();

    // Neither blames the edit: rebuilt, the message and then its edit went again, and both are stored.
    await engine.settled();
    await eventually(() =>
      expect(tutor.engine.view(general).state.byKey.get(key)?.text).toBe('typed offline, then edited'),
    );
    expect(engine.outbox()).toEqual([]);
    expect(errors).not.toContain('not-your-message');
    engine.disconnect();
  });

  it('P3: documents opened while a new socket waits for its WELCOME are followed once it comes', async () => {
    ts = await startServer();
    const admin = await loginAdmin(ts);
    const tutor = await addUser(ts, admin, 'tutor');
    const news = (await tutor.engine.createChannel('news', 'public')).id;
    await tutor.engine.open(news);
    await tutor.engine.settled();

    const student = await addUser(ts, admin, 'student', { connect: false });
    const net = steeredNetwork();
    const store = gatedStorage();
    const engine = makeEngine(ts.url, { storage: store.storage, socketFactory: net.factory });
    await engine.init();
    await engine.login(student.email, student.password);
    engine.connect();
    await engine.settled();

    // Joining reads the new channel's documents from the device store; meanwhile the socket drops, and the
    // new one is open but has not heard WELCOME yet when the join subscribes to them.
    const reading = store.gate('loadDocsWithPrefix', ([prefix]) => String(prefix).includes(news));
    const joining = engine.join(news);
    await reading.reached;
    const welcome = net.holdIn((f) => f.type === 'welcome');
    engine.dropConnection();
    engine.retryNow();
    await welcome;
    reading.open();
    await joining;
    net.release();

    await tutor.engine.send(news, 'after the reconnect');
    await eventually(() =>
      expect(engine.view(news).messages.map((m) => m.text)).toContain('after the reconnect'),
    );
    await engine.settled();
    engine.disconnect();
  });
});
