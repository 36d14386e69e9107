import { LIMITS, decodeMessage, joinFrames, type EncodedFrames, type Frame } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import { createPresence } from '../src/rooms/presence.ts';

const framesOf = (parts: EncodedFrames[]): Frame[] =>
  joinFrames(parts).flatMap((m) => {
    const d = decodeMessage(m);
    if (!d.ok) throw new Error(d.error);
    return d.frames;
  });

describe('presence snapshot (P9)', () => {
  it('carries everyone seen with their latest state, in parts a client may read, after any change', () => {
    let t = 1_000;
    const presence = createPresence(() => t);
    const seen = LIMITS.maxFramesPerMessage + 5;
    for (let i = 0; i < seen; i++) presence.connect(`u${i}`);
    const parts = presence.snapshotParts();
    expect(parts.map((p) => p.count)).toEqual([LIMITS.maxFramesPerMessage, 5]);
    const before = framesOf(parts);
    expect(before).toHaveLength(seen);
    expect(before[0]).toEqual({
      type: 'presence',
      userId: 'u0',
      status: 'online',
      text: '',
      lastSeen: 1_000,
    });

    t = 2_000;
    presence.set('u0', 'busy', 'In a lesson');
    presence.disconnect('u1');
    presence.connect('u2'); // a second device: still online, seen now
    const after = framesOf(presence.snapshotParts());
    expect(after[0]).toEqual({
      type: 'presence',
      userId: 'u0',
      status: 'busy',
      text: 'In a lesson',
      lastSeen: 2_000,
    });
    expect(after[1]).toEqual({
      type: 'presence',
      userId: 'u1',
      status: 'offline',
      text: '',
      lastSeen: 2_000,
    });
    expect(after[2]).toEqual({ type: 'presence', userId: 'u2', status: 'online', text: '', lastSeen: 2_000 });
    expect(after.slice(3)).toEqual(before.slice(3));
  });
});
