import { describe, expect, it } from 'vitest';
import { CreateChannelRequest } from '@commonroom/protocol';
import { fieldProblem } from '../src/ui/field-problem.ts';

describe('a refusal said next to its field, in plain words (issue 18)', () => {
  it('takes the field from the server body parser’s "path: message" and drops it from the words', () => {
    expect(fieldProblem('name: channel names are lowercase letters, digits, dashes or underscores')).toEqual({
      field: 'name',
      text: 'Channel names are lowercase letters, digits, dashes or underscores.',
    });
    expect(fieldProblem('topic: a topic is at most 250 characters')).toEqual({
      field: 'topic',
      text: 'A topic is at most 250 characters.',
    });
  });

  it('leaves a sentence with no field alone, ending it once', () => {
    expect(fieldProblem('#maths already exists.')).toEqual({ field: null, text: '#maths already exists.' });
    expect(fieldProblem('You need to be online: try again')).toEqual({
      field: null,
      text: 'You need to be online: try again.',
    });
  });

  it('reads what the schema really says about a bad channel name (the words the server sends)', () => {
    const parsed = CreateChannelRequest.safeParse({ name: 'Bad Name!', kind: 'public' });
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues[0];
    const p = fieldProblem(`${issue?.path.join('.')}: ${issue?.message}`);
    expect(p.field).toBe('name');
    expect(p.text).not.toMatch(/^name:/);
    expect(p.text).toMatch(/^Channel names are lowercase/);
  });
});
