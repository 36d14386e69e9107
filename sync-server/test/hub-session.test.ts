import { decodeMessage, encodeFrames, type Frame } from '@commonroom/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHubSession, type HubSession } from '../src/ws/hub-session.ts';
import { realTimers } from '../src/timers.ts';

/**
 * One socket's outgoing queue (ws/hub-session.ts): what is sent now leaves at the end of the turn; what
 * may wait (`soon`: index places) rides with the socket's next message, or leaves when the hub's soon
 * timer flushes it. The hub's two schedulers are played by hand here, so the order is the test's.
 */

const ack = (ref: number): Frame => ({ type: 'ack', ref });

function socketUnderTest() {
  const written: Frame[][] = [];
  const queued = { now: [] as HubSession[], soon: [] as HubSession[] };
  const { session } = createHubSession({
    id: 1,
    raw: {
      send: (data) => {
        const m = decodeMessage(data);
        if (!m.ok) throw new Error(m.error);
        written.push(m.frames);
      },
      close: () => undefined,
    },
    auth: { userId: 'u1', tokenHash: 'h' },
    currentActor: () => ({ id: 'u1', role: 'student' }),
    actor: { id: 'u1', role: 'student' },
    log: pino({ level: 'silent' }),
    timers: realTimers,
    now: () => 0,
    queueFlush: (s) => queued.now.push(s),
    queueSoon: (s) => queued.soon.push(s),
    onEnd: () => undefined,
  });
  return { session, written, queued };
}

const refs = (frames: Frame[]): number[] => frames.map((f) => (f.type === 'ack' ? f.ref : -1));

describe('a socket sends what may wait with its next message', () => {
  it('a soon frame alone waits for the soon flush, and is asked for once', () => {
    const { session, written, queued } = socketUnderTest();
    session.sendEncoded(encodeFrames([ack(1)]), 'soon');
    session.sendEncoded(encodeFrames([ack(2)]), 'soon');
    expect(queued).toEqual({ now: [], soon: [session] });
    expect(written).toEqual([]);
    session.flush(); // the hub's soon timer
    expect(written.map(refs)).toEqual([[1, 2]]);
  });

  it('a frame sent now takes the waiting ones with it, in order, in one message', () => {
    const { session, written, queued } = socketUnderTest();
    session.sendEncoded(encodeFrames([ack(1)]), 'soon');
    session.send([ack(2)]);
    session.sendEncoded(encodeFrames([ack(3)]), 'soon');
    expect(queued.now).toEqual([session]);
    session.flush(); // the end of the turn
    expect(written.map(refs)).toEqual([[1, 2, 3]]);
    // The soon timer finds nothing left; the next soon frame asks for a flush again.
    session.flush();
    expect(written.length).toBe(1);
    session.sendEncoded(encodeFrames([ack(4)]), 'soon');
    expect(queued.soon).toEqual([session, session]);
    session.flush();
    expect(written.map(refs)).toEqual([[1, 2, 3], [4]]);
  });

  it('after a flush, a frame sent now asks for the end-of-turn flush again', () => {
    const { session, written, queued } = socketUnderTest();
    session.send([ack(1)]);
    session.send([ack(2)]);
    expect(queued.now.length).toBe(1);
    session.flush();
    session.send([ack(3)]);
    expect(queued.now.length).toBe(2);
    session.flush();
    expect(written.map(refs)).toEqual([[1, 2], [3]]);
  });

  it('nothing is queued or written once the socket is closed', () => {
    const { session, written } = socketUnderTest();
    session.sendEncoded(encodeFrames([ack(1)]), 'soon');
    session.close(1000, 'bye');
    // What waited went first, as the close's own words would.
    expect(written.map(refs)).toEqual([[1]]);
    session.sendEncoded(encodeFrames([ack(2)]), 'soon');
    session.send([ack(3)]);
    session.flush();
    expect(written.map(refs)).toEqual([[1]]);
  });
});
