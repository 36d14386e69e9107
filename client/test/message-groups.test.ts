import type { EngineMessage } from '@commonroom/engine';
import { describe, expect, it } from 'vitest';
import { continuesGroup, GROUP_WINDOW_MS } from '../src/features/message-groups.ts';

// Only the fields the rule reads; the rest of a message does not take part in it.
const m = (over: Partial<EngineMessage>): EngineMessage =>
  ({ authorId: 'amy', ts: 1_000_000, parent: null, replyCount: 0, ...over }) as EngineMessage;

describe('runs of one person’s messages (issue 18)', () => {
  it('the same person within five minutes continues the run; at five minutes or later it does not', () => {
    const a = m({});
    expect(continuesGroup(a, m({ ts: a.ts + 1 }))).toBe(true);
    expect(continuesGroup(a, m({ ts: a.ts + GROUP_WINDOW_MS - 1 }))).toBe(true);
    expect(continuesGroup(a, m({ ts: a.ts + GROUP_WINDOW_MS }))).toBe(false);
  });

  it('another person, nothing above (a divider), a thread reply, after one with replies, or an earlier clock: a new run', () => {
    const a = m({});
    expect(continuesGroup(a, m({ authorId: 'ben', ts: a.ts + 1 }))).toBe(false);
    expect(continuesGroup(undefined, m({}))).toBe(false);
    expect(continuesGroup(a, m({ ts: a.ts + 1, parent: 'amy:p' }))).toBe(false);
    expect(continuesGroup(m({ parent: 'amy:p' }), m({ ts: a.ts + 1 }))).toBe(false);
    expect(continuesGroup(m({ replyCount: 2 }), m({ ts: a.ts + 1 }))).toBe(false);
    // A device clock behind the one before: drawn on its own, not folded into a run it does not follow.
    expect(continuesGroup(a, m({ ts: a.ts - 1 }))).toBe(false);
  });
});
