import type { Nodes, Parents } from 'mdast';
import type LinkifyIt from 'linkify-it';
import { memo, type ReactNode } from 'react';
import { LinkifiedText, SafeLink, textParts, useLinkify } from '../linkified-text.tsx';
import { safeHref } from '../safe-href.ts';
import { formattable, parseMessage } from './parse-message.ts';
import './message-text.css';

type Ctx = { linkify: LinkifyIt | null; mentionNames: ReadonlySet<string> | undefined; inLink: boolean };

/**
 * A message's text, formatted: its Markdown syntax tree (parseMessage) drawn as React elements, one node at
 * a time, from a fixed list of element types. Nothing is ever given to the DOM as HTML: every piece of text
 * is a React text node (escaped), a raw-HTML node cannot occur (the parser does not make them) and would be
 * text if it did, and a link's href is only ever an http, https or mailto address (safeHref); anything else
 * shows as its text. Plain text runs keep their @mentions and web addresses (textParts).
 */
export const MessageText = memo(function MessageText({
  text,
  mentionNames,
}: {
  text: string;
  mentionNames?: ReadonlySet<string>;
}) {
  const linkify = useLinkify();
  if (!formattable(text))
    return (
      <p className="text">
        <LinkifiedText text={text} {...(mentionNames ? { mentionNames } : {})} />
      </p>
    );
  const ctx: Ctx = { linkify, mentionNames, inLink: false };
  return <div className="text md">{children(parseMessage(text), ctx, 'r')}</div>;
});

function children(node: Parents, ctx: Ctx, key: string): ReactNode[] {
  return node.children.map((child, i) => render(child, ctx, `${key}.${i}`));
}

function render(node: Nodes, ctx: Ctx, key: string): ReactNode {
  switch (node.type) {
    case 'text':
      return textParts(node.value, {
        linkify: ctx.linkify,
        links: !ctx.inLink,
        prefix: `${key}:`,
        ...(ctx.mentionNames ? { mentionNames: ctx.mentionNames } : {}),
      });
    case 'paragraph':
      return <p key={key}>{children(node, ctx, key)}</p>;
    case 'strong':
      return <strong key={key}>{children(node, ctx, key)}</strong>;
    case 'emphasis':
      return <em key={key}>{children(node, ctx, key)}</em>;
    case 'inlineCode':
      return <code key={key}>{node.value}</code>;
    case 'code':
      return (
        <pre key={key}>
          <code>{node.value}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote key={key}>{children(node, ctx, key)}</blockquote>;
    case 'list':
      return node.ordered ? (
        <ol key={key} start={node.start ?? 1}>
          {children(node, ctx, key)}
        </ol>
      ) : (
        <ul key={key}>{children(node, ctx, key)}</ul>
      );
    case 'listItem':
      return <li key={key}>{listItem(node, ctx, key)}</li>;
    case 'break':
      return <br key={key} />;
    case 'link': {
      // An email autolink (`<mailto:a@b.org>`) reads as the address alone, as a bare one does.
      const only = node.children.length === 1 ? node.children[0] : undefined;
      if (only?.type === 'text' && only.value === node.url && /^mailto:/i.test(node.url))
        return link(node.url, node.url.slice('mailto:'.length), key);
      const label = link(node.url, children(node, { ...ctx, inLink: true }, key), key);
      const shown = only?.type === 'text' ? otherHost(only.value, node.url) : null;
      // Text that reads as one address while the link goes to another (`[moodle.ac.uk](https://evil.example)`)
      // says where it really goes: a phone has no hover to show it.
      return shown ? (
        <span key={key}>
          {label} <span className="link-host">({shown})</span>
        </span>
      ) : (
        label
      );
    }
    case 'image':
      // Never an <img>: a picture's address as a link named by its description (attachments are pictures).
      return link(node.url, node.alt || node.url, key);
    default:
      // Nothing else is made by the parser as configured; if a later version makes something, it is text.
      return 'value' in node ? node.value : 'children' in node ? children(node, ctx, key) : null;
  }
}

/** The link's real host when its text looks like an address on a different host; otherwise null. */
function otherHost(text: string, url: string): string | null {
  const looks = /^(?:https?:\/\/)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/:?#]\S*)?$/i.exec(text.trim());
  if (!looks) return null;
  try {
    const real = new URL(url).hostname.replace(/^www\./i, '').toLowerCase();
    const said = (looks[1] ?? '').toLowerCase();
    return real === said ? null : real || null;
  } catch {
    return null;
  }
}

function link(url: string, label: ReactNode, key: string): ReactNode {
  const href = safeHref(url);
  return href ? (
    <SafeLink key={key} href={href}>
      {label}
    </SafeLink>
  ) : (
    <span key={key} className="link-refused" title="Not opened: only web and email links open">
      {label}
    </span>
  );
}

// A tight list's items hold bare paragraphs: drawn without <p>, so a short list sits as lines, not blocks.
function listItem(node: Extract<Nodes, { type: 'listItem' }>, ctx: Ctx, key: string): ReactNode[] {
  if (node.spread) return children(node, ctx, key);
  return node.children.map((child, i) =>
    child.type === 'paragraph' ? children(child, ctx, `${key}.${i}`) : render(child, ctx, `${key}.${i}`),
  );
}
