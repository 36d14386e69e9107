import { describe, expect, it } from 'vitest';
import {
  QuietWindow,
  clockText,
  effectiveQuiet,
  inWindow,
  minuteOfDay,
  parseClock,
  windowInside,
} from '../src/index.ts';

/** Issue 15 §2: quiet hours as daily windows on a zone's clock, crossing midnight and summer time. */
describe('quiet hours', () => {
  const night = { start: 22 * 60, end: 7 * 60 };
  const lunch = { start: 12 * 60, end: 13 * 60 };

  it('issue 15: a window holds its start, not its end, and may cross midnight', () => {
    expect([21 * 60 + 59, 22 * 60, 0, 6 * 60 + 59, 7 * 60].map((m) => inWindow(night, m))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
    expect([11 * 60 + 59, 12 * 60, 12 * 60 + 59, 13 * 60].map((m) => inWindow(lunch, m))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('issue 15: a narrower window lies inside; one reaching past either end, or elsewhere, does not', () => {
    expect(windowInside({ start: 23 * 60, end: 6 * 60 }, night)).toBe(true);
    expect(windowInside({ start: 0, end: 7 * 60 }, night)).toBe(true);
    expect(windowInside(night, night)).toBe(true);
    expect(windowInside({ start: 21 * 60, end: 6 * 60 }, night)).toBe(false);
    expect(windowInside({ start: 23 * 60, end: 8 * 60 }, night)).toBe(false);
    expect(windowInside(lunch, night)).toBe(false);
    expect(windowInside({ start: 6 * 60, end: 23 * 60 }, night)).toBe(false);
  });

  it('issue 15: what applies: the workspace’s, one’s own inside it, or (if one may) one’s own or none', () => {
    const own = { start: 23 * 60, end: 6 * 60 };
    const wide = { start: 20 * 60, end: 9 * 60 };
    expect(effectiveQuiet('workspace', night, false)).toEqual(night);
    expect(effectiveQuiet(own, night, false)).toEqual(own);
    expect(effectiveQuiet(wide, night, false)).toEqual(night);
    expect(effectiveQuiet('off', night, false)).toEqual(night);
    expect(effectiveQuiet('off', night, true)).toBeNull();
    expect(effectiveQuiet(wide, night, true)).toEqual(wide);
    expect(effectiveQuiet(lunch, null, false)).toEqual(lunch);
  });

  it('issue 15: the minute of the day is the zone’s, summer time included', () => {
    expect(minuteOfDay(Date.parse('2026-12-07T23:30:00Z'), 'Europe/London')).toBe(23 * 60 + 30);
    // 21:30 UTC in July is 22:30 in London (BST) and 03:00 the next day in Kolkata.
    expect(minuteOfDay(Date.parse('2026-07-01T21:30:00Z'), 'Europe/London')).toBe(22 * 60 + 30);
    expect(minuteOfDay(Date.parse('2026-07-01T21:30:00Z'), 'Asia/Kolkata')).toBe(3 * 60);
    expect(minuteOfDay(Date.parse('2026-12-07T00:05:00Z'), 'UTC')).toBe(5);
  });

  it('issue 15: times of day read and write as 24-hour clock text; bad input is refused', () => {
    expect(parseClock('07:05')).toBe(425);
    expect(clockText(425)).toBe('07:05');
    expect(clockText(0)).toBe('00:00');
    expect(['24:00', '7:5', '', 'noon'].map(parseClock)).toEqual([null, null, null, null]);
    expect(QuietWindow.safeParse({ start: 60, end: 60 }).success).toBe(false);
    expect(QuietWindow.safeParse({ start: 1440, end: 60 }).success).toBe(false);
    expect(QuietWindow.safeParse({ start: 1.5, end: 60 }).success).toBe(false);
  });
});
