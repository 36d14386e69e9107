import { LIMITS, type FrameOf } from '@commonroom/protocol';

/** The longest a custom status or DND may be set for ahead ("this week" is the longest preset). */
export const MAX_STATUS_AHEAD_MS = 31 * 86_400_000;

/** One emoji (with its joiners, skin tones and variation selectors), or none. */
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f)+$/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * What is wrong with a person's presence choice, in plain words, or null (P9, issue 15 §3). The frame's
 * lengths were checked as it was decoded; here its meaning: an emoji that is one, a text on one line, an
 * end in the future and not too far.
 */
export function choiceProblem(f: FrameOf<'presenceSet'>, now: number): string | null {
  if (f.emoji !== '' && !EMOJI.test(f.emoji)) return 'the status emoji must be a single emoji';
  if (CONTROL.test(f.text)) return 'the status text must be one line of plain text';
  if (f.text.trim().length > LIMITS.maxStatusTextLength) return 'the status text is too long';
  if (f.until !== 0 && f.until <= now) return 'a status may not end in the past';
  if (f.until > now + MAX_STATUS_AHEAD_MS) return 'a status may be set for at most a month';
  return null;
}
