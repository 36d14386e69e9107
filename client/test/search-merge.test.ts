import { describe, expect, it } from 'vitest';
import { markMatches } from '../src/search/highlight.ts';
import { mergeResults, type ServerHit } from '../src/search/merge.ts';
import type { SearchHit } from '../src/search/search-index.ts';

const device = (key: string, ts: number): SearchHit => ({
  conversationId: 'c1',
  key,
  authorId: 'u1',
  ts,
  parent: null,
  score: 1,
  terms: ['deadline'],
  segment: 0,
});
const server = (key: string, sentAt: number, conversationId = 'c1'): ServerHit => ({
  conversationId,
  key,
  authorId: 'u2',
  parentKey: null,
  seq: 1,
  sentAt,
  snippet: [{ text: 'deadline', match: true }],
});

describe('marking matched words', () => {
  it('marks the words whose terms matched, in the original spelling, as text parts', () => {
    expect(markMatches('Chloé’s <b>deadlines</b> are Friday', ['chloe', 'deadline'])).toEqual([
      { text: 'Chloé’s', match: true },
      { text: ' <b>', match: false },
      { text: 'deadlines', match: true },
      { text: '</b> are Friday', match: false },
    ]);
    expect(markMatches('nothing here', ['deadline'])).toEqual([{ text: 'nothing here', match: false }]);
  });
});

describe('merging device and server results', () => {
  it('keeps each message once, the device copy winning, server-only hits marked, newest first', () => {
    const merged = mergeResults({
      device: [device('u1:a', 30), device('u1:b', 10)],
      server: [server('u1:a', 31), server('u2:old', 5), server('u2:mid', 20), server('u2:old', 5)],
      order: 'newest',
    });
    expect(merged.map((h) => [h.key, h.from])).toEqual([
      ['u1:a', 'device'],
      ['u2:mid', 'server'],
      ['u1:b', 'device'],
      ['u2:old', 'server'],
    ]);
  });

  it('a device hit whose segment is not loaded gives way to the server’s copy; with none, it stays (to be loaded)', () => {
    const merged = mergeResults({
      device: [device('a', 30), device('b', 20)],
      server: [server('a', 30), server('c', 10)],
      order: 'newest',
      shown: (_c, key) => key !== 'a' && key !== 'b',
    });
    expect(merged.map((h) => [h.key, h.from])).toEqual([
      ['a', 'server'],
      ['b', 'device'],
      ['c', 'server'],
    ]);
  });

  it('drops what the device knows is deleted or removed; best match puts the server after the device', () => {
    const merged = mergeResults({
      device: [device('u1:b', 10), device('u1:a', 30)],
      server: [server('u2:gone', 50), server('u2:x', 40, 'c2')],
      order: 'best',
      goneHere: (_c, key) => key === 'u2:gone',
    });
    expect(merged.map((h) => h.key)).toEqual(['u1:b', 'u1:a', 'u2:x']);
  });

  it('orders messages of the same millisecond the same way whichever side found them', () => {
    const a = mergeResults({
      device: [device('u1:b', 10), device('u1:a', 10)],
      server: [server('u2:c', 10)],
      order: 'newest',
    });
    const b = mergeResults({
      device: [device('u1:a', 10)],
      server: [server('u2:c', 10), server('u1:b', 10)],
      order: 'newest',
    });
    expect(a.map((h) => h.key)).toEqual(['u1:a', 'u1:b', 'u2:c']);
    expect(b.map((h) => h.key)).toEqual(['u1:a', 'u1:b', 'u2:c']);
  });
});
