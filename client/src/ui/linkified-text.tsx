import { findMentions, isBroadcastHandle } from '@commonroom/model';
import type LinkifyIt from 'linkify-it';
import { type ReactNode, useEffect, useState } from 'react';

// linkify-it (about 4 KB gzip) loads just after the first screen, not in it: the first screen's JavaScript
// has a budget (BENCHMARKS.md). Until it is here, text shows as plain text (mentions already styled); the
// service worker precaches the chunk, so offline it arrives as quickly.
let loaded: LinkifyIt | null = null;
const loading = import('linkify-it').then((m) => (loaded = new m.default()));

function useLinkify(): LinkifyIt | null {
  const [linkify, setLinkify] = useState(loaded);
  useEffect(() => {
    if (linkify) return;
    let alive = true;
    void loading.then((l) => alive && setLinkify(l));
    return () => {
      alive = false;
    };
  }, [linkify]);
  return linkify;
}

type Span = { start: number; end: number; node: (key: number) => ReactNode };

/**
 * Message text as plain text with links and @mentions. No HTML from a message ever reaches the DOM: React
 * escapes every text node, and links get only an http(s) href from linkify-it's parse. Mentions are found by
 * the model's findMentions, the rule the server counts mentions by; a mention of the reader (a handle in
 * `mentionNames`, lower case, or @channel / @here / @everyone) gets the stronger style.
 */
export function LinkifiedText({ text, mentionNames }: { text: string; mentionNames?: ReadonlySet<string> }) {
  const linkify = useLinkify();
  const mentions = text.includes('@') ? findMentions(text) : [];
  const spans: Span[] = [];
  for (const l of linkify?.match(text) ?? []) {
    // A link that starts inside a mention (`@Jo.Li` read as a web address) is the mention; a mention inside
    // a link (https://example.com/@someone) is the link.
    if (mentions.some((m) => l.index > m.start && l.index < m.end)) continue;
    const safe = /^https?:\/\//i.test(l.url) ? l.url : null;
    spans.push({
      start: l.index,
      end: l.lastIndex,
      node: (key) =>
        safe ? (
          <a key={key} href={safe} target="_blank" rel="noopener noreferrer nofollow">
            {l.text}
          </a>
        ) : (
          l.text
        ),
    });
  }
  for (const m of mentions) {
    if (spans.some((s) => m.start < s.end && s.start < m.end)) continue;
    const h = m.handle.normalize('NFC').toLowerCase();
    const forMe = isBroadcastHandle(h) || (mentionNames?.has(h) ?? false);
    spans.push({
      start: m.start,
      end: m.end,
      node: (key) => (
        <span key={key} className={forMe ? 'mention mention-me' : 'mention'}>
          {text.slice(m.start, m.end)}
        </span>
      ),
    });
  }
  spans.sort((a, b) => a.start - b.start);
  const parts: ReactNode[] = [];
  let last = 0;
  for (const s of spans) {
    if (s.start > last) parts.push(text.slice(last, s.start));
    parts.push(s.node(parts.length));
    last = s.end;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}
