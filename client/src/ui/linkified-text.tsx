import { findMentions, isBroadcastHandle } from '@commonroom/model';
import type LinkifyIt from 'linkify-it';
import { type ReactNode, useEffect, useState } from 'react';
import { safeHref } from './safe-href.ts';

// linkify-it (about 4 KB gzip) loads just after the first screen, not in it: the first screen's JavaScript
// has a budget (BENCHMARKS.md). Until it is here, text shows as plain text (mentions already styled); the
// service worker precaches the chunk, so offline it arrives as quickly.
let loaded: LinkifyIt | null = null;
const loading = import('linkify-it').then((m) => (loaded = new m.default()));

export function useLinkify(): LinkifyIt | null {
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

type Span = { start: number; end: number; node: (key: string) => ReactNode };

/** A link that opens in a new tab, with no way back to this page (`noopener`) and no referrer sent. */
export function SafeLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

/**
 * One run of plain text as React nodes, with its web addresses as links and its @mentions styled. Keys are
 * `prefix` plus a counter, so several runs can sit side by side in one parent (the runs of a formatted
 * message). Mentions are found by the model's findMentions, the rule the server counts mentions by; a
 * mention of the reader (a handle in `mentionNames`, lower case, or @channel / @here / @everyone) gets the
 * stronger style. `links: false` for text already inside a link.
 */
export function textParts(
  text: string,
  opts: { linkify: LinkifyIt | null; mentionNames?: ReadonlySet<string>; links?: boolean; prefix?: string },
): ReactNode[] {
  const mentions = text.includes('@') ? findMentions(text) : [];
  const spans: Span[] = [];
  for (const l of opts.links === false ? [] : (opts.linkify?.match(text) ?? [])) {
    // A link that starts inside a mention (`@Jo.Li` read as a web address) is the mention; a mention inside
    // a link (https://example.com/@someone) is the link.
    if (mentions.some((m) => l.index > m.start && l.index < m.end)) continue;
    const safe = safeHref(l.url);
    spans.push({
      start: l.index,
      end: l.lastIndex,
      node: (key) =>
        safe ? (
          <SafeLink key={key} href={safe}>
            {l.text}
          </SafeLink>
        ) : (
          l.text
        ),
    });
  }
  for (const m of mentions) {
    if (spans.some((s) => m.start < s.end && s.start < m.end)) continue;
    const h = m.handle.normalize('NFC').toLowerCase();
    const forMe = isBroadcastHandle(h) || (opts.mentionNames?.has(h) ?? false);
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
  const prefix = opts.prefix ?? '';
  let last = 0;
  for (const s of spans) {
    if (s.start > last) parts.push(text.slice(last, s.start));
    parts.push(s.node(`${prefix}${parts.length}`));
    last = s.end;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/**
 * Text as plain text with links and @mentions, no formatting. No HTML from a message ever reaches the DOM:
 * React escapes every text node, and links get only an http(s) or mailto href (safeHref).
 */
export function LinkifiedText({ text, mentionNames }: { text: string; mentionNames?: ReadonlySet<string> }) {
  const linkify = useLinkify();
  return <>{textParts(text, { linkify, ...(mentionNames ? { mentionNames } : {}) })}</>;
}
