import type { Frame } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import { createEphemeral, TYPING_SHOWN_MS } from '../src/ephemeral.ts';
import type { PeerEvent } from '../src/peers.ts';

/**
 * The engine's side of presence and typing (issue 15 §3, §4) on an injected clock: typing per thread,
 * fading by itself and cleared when the server says it stopped; this device's state sent only when it
 * changes, and again to each new socket. (With a real server: sync-server/test/typing.test.ts,
 * presence.test.ts, push.test.ts.)
 */
function setup() {
  let t = 1_000_000;
  let online = true;
  const sent: Frame[] = [];
  const peers: PeerEvent[] = [];
  const e = createEphemeral({
    now: () => t,
    emit: () => undefined,
    toPeers: (p) => peers.push(p),
    send: (frames) => {
      if (!online) return false;
      sent.push(...frames);
      return true;
    },
  });
  return {
    e,
    sent,
    peers,
    tick: (ms: number) => (t += ms),
    setOnline: (o: boolean) => (online = o),
  };
}

describe('typing on this device', () => {
  it('is per conversation and thread, fades by itself, and ends when the typist’s message arrives', () => {
    const { e, tick, peers } = setup();
    e.typingHeard('general', '', 'sarah', true);
    e.typingHeard('general', 'tom:m1', 'amy', true);
    expect(e.typingIn('general')).toEqual(['sarah']);
    expect(e.typingIn('general', 'tom:m1')).toEqual(['amy']);
    expect(e.typingIn('other')).toEqual([]);
    // The other tabs hear it too, thread and all.
    expect(peers.at(-1)).toEqual({
      t: 'typing',
      conversationId: 'general',
      parent: 'tom:m1',
      userId: 'amy',
      active: true,
    });

    // Sarah's message was stored: gone at once.
    e.typingHeard('general', '', 'sarah', false);
    expect(e.typingIn('general')).toEqual([]);
    // Amy stopped typing without sending: gone after the fade, not before.
    tick(TYPING_SHOWN_MS - 1);
    expect(e.typingIn('general', 'tom:m1')).toEqual(['amy']);
    tick(1);
    expect(e.typingIn('general', 'tom:m1')).toEqual([]);
  });

  it('says which thread this person types in', () => {
    const { e, sent } = setup();
    e.typing('general', 'tom:m1');
    e.typing('general');
    expect(sent).toEqual([
      { type: 'typingSet', conversationId: 'general', parent: 'tom:m1' },
      { type: 'typingSet', conversationId: 'general', parent: '' },
    ]);
  });
});

describe('this device’s state', () => {
  it('is sent when it changes, not when it is said again, and again to every new socket', () => {
    const { e, sent, setOnline } = setup();
    e.reportDevice('active', 'general');
    e.reportDevice('active', 'general');
    e.reportDevice('hidden', 'general');
    expect(sent).toEqual([
      { type: 'deviceState', state: 'active', showing: 'general' },
      { type: 'deviceState', state: 'hidden', showing: 'general' },
    ]);
    // Offline: kept, then said to the next socket once it is welcomed.
    setOnline(false);
    e.clear();
    e.reportDevice('idle', 'dm-1');
    setOnline(true);
    e.welcomed();
    expect(sent.at(-1)).toEqual({ type: 'deviceState', state: 'idle', showing: 'dm-1' });
    const n = sent.length;
    e.reportDevice('idle', 'dm-1');
    expect(sent).toHaveLength(n);
  });

  it('a status choice goes to the server as the person made it', () => {
    const { e, sent } = setup();
    expect(e.setStatus({ dnd: true, emoji: '📚', text: 'In class until 3pm', until: 5 })).toBe(true);
    expect(sent).toEqual([
      { type: 'presenceSet', dnd: true, emoji: '📚', text: 'In class until 3pm', until: 5 },
    ]);
  });
});
