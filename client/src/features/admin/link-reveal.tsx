import type { PasswordLink } from '@commonroom/protocol';
import { useRef, useState } from 'react';
import { linkUrl } from './admin-api.ts';

const when = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * A one-time set-password link, shown once (the server keeps only its hash): the address in a read-only
 * field, a copy button, and when it stops working. Copying falls back to selecting the text when the
 * browser does not allow the clipboard.
 */
export function LinkReveal({ link, name }: { link: PasswordLink; name: string }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const url = linkUrl(link);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Copied.');
    } catch {
      field.current?.select();
      setCopied('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  };
  return (
    <div className="link-reveal">
      <label>
        {name}'s set-password link
        <span className="link-row">
          <input
            ref={field}
            readOnly
            value={url}
            onFocus={(e) => e.currentTarget.select()}
            aria-describedby="link-hint"
          />
          <button type="button" className="primary" onClick={() => void copy()}>
            Copy link
          </button>
        </span>
      </label>
      <p className="hint" id="link-hint">
        This link is shown only now. It works once, until {when.format(link.expiresAt)}. Send it to {name} by
        a way you trust (college email or in person); opening it lets them choose a password and signs them
        in.
      </p>
      <p className="copy-state" role="status">
        {copied ?? ''}
      </p>
    </div>
  );
}
