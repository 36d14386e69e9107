import LinkifyIt from 'linkify-it';
import type { ReactNode } from 'react';

const linkify = new LinkifyIt();

/**
 * Message text as plain text with links. No HTML from a message ever reaches the DOM: React escapes every
 * text node, and links get only an http(s) href from linkify-it's parse.
 */
export function LinkifiedText({ text, mentionNames }: { text: string; mentionNames?: ReadonlySet<string> }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of linkify.match(text) ?? []) {
    if (m.index > last) parts.push(...mentions(text.slice(last, m.index), parts.length, mentionNames));
    const safe = /^https?:\/\//i.test(m.url) ? m.url : null;
    parts.push(
      safe ? (
        <a key={parts.length} href={safe} target="_blank" rel="noopener noreferrer nofollow">
          {m.text}
        </a>
      ) : (
        m.text
      ),
    );
    last = m.lastIndex;
  }
  if (last < text.length) parts.push(...mentions(text.slice(last), parts.length, mentionNames));
  return <>{parts}</>;
}

function mentions(text: string, keyBase: number, mine?: ReadonlySet<string>): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /(^|\s)(@[\w.-]+)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + (m[1]?.length ?? 0);
    if (start > last) out.push(text.slice(last, start));
    const word = m[2] ?? '';
    const forMe = mine?.has(word.slice(1).toLowerCase()) ?? false;
    out.push(
      <span key={`${keyBase}-${start}`} className={forMe ? 'mention mention-me' : 'mention'}>
        {word}
      </span>,
    );
    last = start + word.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
