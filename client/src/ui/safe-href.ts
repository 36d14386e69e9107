/**
 * The href a link from message text may have, or null: only http, https and mailto addresses, parsed by the
 * URL parser (so `JaVaScRiPt:`, `java\tscript:` and entity tricks end up as what the browser would see).
 * Anything else (`javascript:`, `data:`, `vbscript:`, a relative path) is shown as text, never followed.
 */
const ALLOWED = new Set(['http:', 'https:', 'mailto:']);

export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return ALLOWED.has(url.protocol) ? url.href : null;
}
