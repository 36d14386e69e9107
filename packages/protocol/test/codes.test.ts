import { describe, expect, it } from 'vitest';
import { REFUSAL_CODES, isErrorFrameCode, isNoticeKind, isRefusalCode, refusalText } from '../src/index.ts';

/** Issue 19 item 3: the codes on the wire are one list, and each has words a person can read. */
describe('refusal codes', () => {
  it('every refusal code has plain words; the server’s own words pass through where only it knows them', () => {
    for (const code of REFUSAL_CODES) {
      const text = refusalText(code, 'the server’s detail');
      expect(text, code).not.toBe('');
      expect(text, code).not.toMatch(/[A-Z_]{4,}|undefined|null/);
    }
    expect(refusalText('muted', 'you are muted in #general until Fri 12 Dec, 15:00')).toBe(
      'you are muted in #general until Fri 12 Dec, 15:00',
    );
    expect(refusalText('not-a-member', 'join the conversation first')).toBe(
      'join the conversation to post in it',
    );
  });

  it('tells its own codes from anything else', () => {
    expect(isRefusalCode('slow-down')).toBe(true);
    expect(isRefusalCode('version-mismatch')).toBe(false);
    expect(isErrorFrameCode('version-mismatch')).toBe(true);
    expect(isNoticeKind('safeguarding-changed')).toBe(true);
    expect(isNoticeKind('__proto__')).toBe(false);
  });
});
