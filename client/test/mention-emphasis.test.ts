import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MessageText } from '../src/ui/markdown/message-text.tsx';

/**
 * Issue 18: a handle may hold underscores (`@_sam_`, `@jo_smith_`); Markdown must not read them as italics
 * and cut the mention apart. Mentions win over emphasis; emphasis elsewhere in the message still works, and
 * code shows what was typed.
 */
const html = (text: string, names: string[] = []) =>
  renderToStaticMarkup(createElement(MessageText, { text, mentionNames: new Set(names) }));

describe('mentions win over emphasis', () => {
  it('keeps @_name_ and @jo_smith_ whole, as mentions, not italics', () => {
    const out = html('Thanks @_sam_ and @jo_smith_ for the notes', ['_sam_', 'jo_smith_']);
    expect(out).not.toContain('<em>');
    expect(out).toMatch(/<span[^>]*class="[^"]*mention[^"]*"[^>]*>@_sam_<\/span>/);
    expect(out).toMatch(/<span[^>]*class="[^"]*mention[^"]*"[^>]*>@jo_smith_<\/span>/);
  });

  it('still formats the rest of the message: italics beside a mention, bold around one', () => {
    const out = html('_Friday_ is fine, @_sam_ — **see @jo_smith_**', ['_sam_', 'jo_smith_']);
    expect(out).toContain('<em>Friday</em>');
    expect(out).toMatch(/<strong>see <span[^>]*>@jo_smith_<\/span><\/strong>/);
  });

  it('shows code as typed, underscores and all', () => {
    expect(html('Run `@_sam_ --fix`')).toContain('<code>@_sam_ --fix</code>');
    expect(html('```\nmention @a_b_ here\n```')).toContain('mention @a_b_ here');
  });

  it('an underscore that is not in a handle is still emphasis', () => {
    expect(html('email me at a_b@c.org, _please_')).toContain('<em>please</em>');
  });
});
