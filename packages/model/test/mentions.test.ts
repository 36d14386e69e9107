import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findMentions,
  hasBroadcastMention,
  isBroadcastHandle,
  mentionHandle,
  mentionsPerson,
} from '../src/index.ts';

const handles = (text: string): string[] => findMentions(text).map((m) => m.handle);

describe('findMentions', () => {
  it('finds @handles with where they are, at the start, after spaces and after punctuation', () => {
    const text = '@sam hi (@Jo.Bloggs), and @ren-ee!';
    expect(findMentions(text)).toEqual([
      { start: 0, end: 4, handle: 'sam' },
      { start: 9, end: 19, handle: 'Jo.Bloggs' },
      { start: 26, end: 33, handle: 'ren-ee' },
    ]);
    for (const m of findMentions(text)) expect(text.slice(m.start, m.end)).toBe(`@${m.handle}`);
  });

  it('leaves punctuation after a handle out of it: full stops, commas, dashes, apostrophes, colons', () => {
    expect(handles('thanks @sam.')).toEqual(['sam']);
    expect(handles('thanks @sam...')).toEqual(['sam']);
    expect(handles('@sam, @jo; @al: @bo! @cy? @di-')).toEqual(['sam', 'jo', 'al', 'bo', 'cy', 'di']);
    expect(handles("@sam's idea")).toEqual(['sam']);
    expect(handles('(@sam)')).toEqual(['sam']);
    expect(handles('a one-letter @x handle')).toEqual(['x']);
  });

  it('email addresses and doubled @ are not mentions', () => {
    expect(handles('write to a@b.com')).toEqual([]);
    expect(handles('sam.patel@college.ac.uk or jo_b@here.org')).toEqual([]);
    expect(handles('josé@channel.org')).toEqual([]);
    expect(handles('@@sam')).toEqual([]);
    expect(handles('x.@sam')).toEqual([]);
    expect(handles('an @ alone, and @. and @-')).toEqual([]);
  });

  it('handles in any script: Siân, Zoë, José, Łukasz, 李雷', () => {
    expect(handles('@Siân.Jones @Zoë @José @Łukasz @李雷')).toEqual([
      'Siân.Jones',
      'Zoë',
      'José',
      'Łukasz',
      '李雷',
    ]);
  });
});

describe('mentionHandle', () => {
  it('is the username when there is one, else the display name with dots for spaces', () => {
    expect(mentionHandle({ username: 'spatel', displayName: 'Sam Patel' })).toBe('spatel');
    expect(mentionHandle({ username: null, displayName: 'Sam Patel' })).toBe('Sam.Patel');
    expect(mentionHandle({ displayName: '  Sam   van  Dijk ' })).toBe('Sam.van.Dijk');
  });

  it("drops what a handle cannot hold, so the handle is exactly what findMentions reads back (O'Brien)", () => {
    expect(mentionHandle({ displayName: "Sean O'Brien" })).toBe('Sean.OBrien');
    expect(mentionHandle({ displayName: 'Amy 🙂' })).toBe('Amy');
    expect(mentionHandle({ username: 'sam.', displayName: 'Sam' })).toBe('sam');
    expect(mentionsPerson("ask @Sean.OBrien's tutor", { displayName: "Sean O'Brien" })).toBe(true);
    expect(mentionsPerson('ping @sam.', { username: 'sam.', displayName: 'Sam' })).toBe(true);
  });

  it('round trip: typing @ and the handle mentions that person, whatever the name (property)', () => {
    const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 });
    fc.assert(
      fc.property(name, fc.constantFrom('', ' ', '.', ',', '!', "'s", ')'), (displayName, after) => {
        const handle = mentionHandle({ displayName });
        fc.pre(handle.length > 0);
        expect(handles(`hi @${handle}${after}`)).toEqual([handle]);
        expect(mentionsPerson(`hi @${handle}${after}`, { displayName })).toBe(true);
        expect(mentionsPerson(`hi @${handle.toUpperCase()}${after}`, { displayName })).toBe(
          handle.toUpperCase().toLowerCase() === handle.toLowerCase(),
        );
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('broadcast mentions (@channel, @here, @everyone)', () => {
  it('are recognised in any case, and only as whole handles', () => {
    for (const t of ['@channel', 'hey @here!', '@Everyone look', 'ALL: @CHANNEL.', '(@here)', 'x\n@channel'])
      expect(hasBroadcastMention(t), t).toBe(true);
    for (const t of [
      '@channel.x is a person',
      '@channelx',
      '@here-and-there',
      '@everyone_else',
      'mail me at a@channel.com',
      'a@here',
      'no at sign: channel here everyone',
      '',
    ])
      expect(hasBroadcastMention(t), t).toBe(false);
    expect(isBroadcastHandle('Here')).toBe(true);
    expect(isBroadcastHandle('channel.x')).toBe(false);
  });

  it('hasBroadcastMention agrees with findMentions and isBroadcastHandle (property)', () => {
    const piece = fc.constantFrom(
      '@channel',
      '@here',
      '@everyone',
      '@channel.x',
      'a@here',
      '@sam',
      ' ',
      '.',
      'x',
      '@',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        expect(hasBroadcastMention(text)).toBe(findMentions(text).some((m) => isBroadcastHandle(m.handle)));
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});

describe('mentionsPerson', () => {
  const sam = { username: null, displayName: 'Sam Patel' };

  it('matches the handle in any case, and @channel / @here / @everyone for everyone', () => {
    expect(mentionsPerson('@sam.patel can you help', sam)).toBe(true);
    expect(mentionsPerson('@SAM.PATEL can you help', sam)).toBe(true);
    expect(mentionsPerson('@here meeting now', sam)).toBe(true);
    expect(mentionsPerson('@Everyone meeting now', sam)).toBe(true);
  });

  it('does not match other people, longer handles, parts of handles or email addresses', () => {
    expect(mentionsPerson('@sam can you help', sam)).toBe(false);
    expect(mentionsPerson('@sam.patel2 can you help', sam)).toBe(false);
    expect(mentionsPerson('@sam.patel.jr can you help', sam)).toBe(false);
    expect(mentionsPerson('mail sam@sam.patel.com', sam)).toBe(false);
    expect(mentionsPerson('sam.patel without an at sign', sam)).toBe(false);
    expect(mentionsPerson('', sam)).toBe(false);
  });

  it('prefers the username over the display name', () => {
    const u = { username: 'spatel', displayName: 'Sam Patel' };
    expect(mentionsPerson('hi @spatel', u)).toBe(true);
    expect(mentionsPerson('hi @Sam.Patel', u)).toBe(false);
  });

  it('matches composed and decomposed accents alike (Zoë typed on two keyboards)', () => {
    const zoe = { displayName: 'Zoë Smith' };
    expect(mentionsPerson('hi @Zoë.Smith', zoe)).toBe(true);
    expect(mentionsPerson('hi @Zoe\u0308.Smith', zoe)).toBe(true);
    expect(mentionsPerson('hi @zoë.smith!', zoe)).toBe(true);
  });
});
