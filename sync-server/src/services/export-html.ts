import {
  ITEM_STATUS_LABELS,
  REPORT_REASON_LABELS,
  auditLabel,
  type AnyExport,
  type ExportMessage,
} from '@commonroom/protocol';

/**
 * An export as one readable, self-contained, print-friendly HTML file (issue 14 §7). Every value that came
 * from a person goes through `esc`; the file has no script, and its own Content-Security-Policy forbids
 * any (opened from disk it has no server's headers), so a message holding markup stays text.
 */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// One formatter for every date: building an Intl.DateTimeFormat costs far more than using one, and a
// person's export formats tens of thousands of dates.
const UK_TIME = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'Europe/London',
});
const when = (ms: number): string => UK_TIME.format(ms);

const statusLabel = (s: unknown): string =>
  ITEM_STATUS_LABELS[s as keyof typeof ITEM_STATUS_LABELS] ?? String(s);
const reasonLabel = (r: string): string => REPORT_REASON_LABELS[r as keyof typeof REPORT_REASON_LABELS] ?? r;

/** A history entry's detail in words (the audit log's own shapes), escaped. */
function historyDetail(detail: unknown): string {
  if (typeof detail !== 'object' || detail === null) return '';
  const d = detail as Record<string, unknown>;
  const parts: string[] = [];
  const fromTo = (v: unknown, label: (x: unknown) => string): string | null => {
    if (typeof v !== 'object' || v === null) return null;
    const { from, to } = v as { from?: unknown; to?: unknown };
    return `${label(from)} → ${label(to)}`;
  };
  const status = fromTo(d.status, statusLabel);
  if (status) parts.push(`status ${status}`);
  const assignee = fromTo(d.assignee, String);
  if (assignee) parts.push(`assigned ${assignee}`);
  if (typeof d.outcome === 'string') parts.push(`outcome “${d.outcome}”`);
  if (typeof d.format === 'string') parts.push(`as ${d.format.toUpperCase()}`);
  if (typeof d.reason === 'string') parts.push(`reason “${d.reason}”`);
  return esc(parts.join('; '));
}

const REVISION = {
  edit: 'Edited',
  delete: 'Deleted by its author',
  removal: 'Removed by a moderator',
} as const;
const revisionLabel = (k: string): string => REVISION[k as keyof typeof REVISION] ?? k;

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2125;margin:2rem auto;max-width:52rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd2d8;padding-bottom:.25rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0;padding:.75rem 1rem;background:#f3f5f7;border-radius:6px}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
ol.msgs{list-style:none;padding:0;margin:0}ol.msgs>li{padding:.5rem 0;border-bottom:1px solid #e6e9ec;break-inside:avoid}
.head{font-size:.85rem;color:#4f5861}.head strong{color:#1d2125;font-size:.95rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.15rem 0}
.flag{display:inline-block;font-size:.75rem;border:1px solid #9aa4ae;border-radius:3px;padding:0 .3rem;margin-left:.35rem}
.flag.warn{border-color:#b3261e;color:#b3261e}
.marked{background:#fff6d6;padding-left:.5rem!important;border-left:4px solid #c99a00}
.files{margin:.25rem 0 0 1rem;font-size:.85rem}.files code{font-size:.75rem;overflow-wrap:anywhere}.revs{margin:.25rem 0 0 1rem;font-size:.85rem;color:#4f5861}.revs li{margin:.15rem 0}
.muted{color:#4f5861}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e6e9ec;vertical-align:top}
footer{margin-top:2rem;font-size:.8rem;color:#4f5861}
@media print{body{margin:0;max-width:none;font-size:11pt}dl.meta{background:none;border:1px solid #999}.marked{background:none}}
`;

const FILE_STATE = {
  stored: 'still stored',
  held: 'kept for this case (members can no longer see it)',
  deleted: 'file deleted; this record kept',
} as const;

const fileSize = (n: number): string =>
  n < 1024
    ? `${n} bytes`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;

function messageItem(m: ExportMessage, opts: { marked?: boolean; showConversation?: boolean } = {}): string {
  const flags: string[] = [];
  if (m.editedAt !== null) flags.push(`<span class="flag">edited ${esc(when(m.editedAt))}</span>`);
  if (m.deletedAt !== null)
    flags.push(`<span class="flag">deleted by author ${esc(when(m.deletedAt))}</span>`);
  if (m.removedBy !== null) flags.push(`<span class="flag warn">removed by ${esc(m.removedBy.name)}</span>`);
  if (m.redactedAt !== null)
    flags.push(`<span class="flag">taken off devices by retention ${esc(when(m.redactedAt))}</span>`);
  if (m.parentKey !== null) flags.push('<span class="flag">thread reply</span>');
  const text =
    m.purgedAt !== null
      ? `<p class="text muted">(Text no longer kept: removed under the retention policy on ${esc(when(m.purgedAt))}.)</p>`
      : `<p class="text">${esc(m.text)}</p>`;
  const revs =
    m.revisions.length === 0
      ? ''
      : `<ol class="revs">${m.revisions
          .map(
            (r) =>
              `<li>${esc(revisionLabel(r.kind))} by ${esc(r.by.name)}, ${esc(when(r.at))}. Before: “${esc(r.previousText)}”${
                r.newText !== null ? ` After: “${esc(r.newText)}”` : ''
              }</li>`,
          )
          .join('')}</ol>`;
  const files =
    (m.files ?? []).length === 0
      ? ''
      : `<ul class="files">${(m.files ?? [])
          .map(
            (f) =>
              `<li>File: ${esc(f.name)} (${esc(fileSize(f.size))}, ${esc(f.type)}) · ${esc(FILE_STATE[f.state])} · SHA-256 <code>${esc(f.sha256)}</code></li>`,
          )
          .join('')}</ul>`;
  const where = opts.showConversation ? ` <span class="muted">in ${esc(m.conversationName)}</span>` : '';
  return `<li${opts.marked ? ' class="marked"' : ''}><div class="head"><strong>${esc(m.authorName)}</strong>${where} · <time datetime="${esc(
    new Date(m.writtenAt).toISOString(),
  )}">${esc(when(m.writtenAt))}</time>${flags.join('')}</div>${text}${files}${revs}</li>`;
}

const messageList = (
  ms: readonly ExportMessage[],
  label: string,
  opts: { markKey?: string; showConversation?: boolean } = {},
) =>
  ms.length === 0
    ? '<p class="muted">No messages.</p>'
    : `<ol class="msgs" aria-label="${esc(label)}">${ms
        .map((m) =>
          messageItem(m, {
            marked: opts.markKey === `${m.authorId}:${m.localId}`,
            ...(opts.showConversation ? { showConversation: true } : {}),
          }),
        )
        .join('')}</ol>`;

function caseBody(e: Extract<AnyExport, { kind: 'case' }>): string {
  const c = e.case;
  const key = e.message ? `${e.message.authorId}:${e.message.localId}` : '';
  const rows = (cells: string[][]) =>
    cells.map((r) => `<tr>${r.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('');
  return `
<h2>The case</h2>
<dl class="meta">
<dt>Case</dt><dd>${esc(c.id)} (${c.type === 'report' ? 'reported by people' : 'keyword alert'})</dd>
<dt>Status</dt><dd>${esc(statusLabel(c.status))}${c.outcome ? ` · outcome: ${esc(c.outcome)}` : ''}</dd>
<dt>Assigned to</dt><dd>${c.assignee ? esc(c.assignee.name) : 'Nobody'}</dd>
<dt>Conversation</dt><dd>${esc(e.conversation.name)}</dd>
${c.matched.length > 0 ? `<dt>Keywords matched</dt><dd>${esc(c.matched.join(', '))}</dd>` : ''}
<dt>Raised</dt><dd>${esc(when(c.createdAt))}</dd>
</dl>
<h2>Reports</h2>
${
  c.reporters.length === 0
    ? '<p class="muted">No reports (a keyword alert).</p>'
    : `<table><thead><tr><th scope="col">Reporter</th><th scope="col">Reason</th><th scope="col">Details</th><th scope="col">When</th></tr></thead><tbody>${rows(
        c.reporters.map((r) => [esc(r.name), esc(reasonLabel(r.reason)), esc(r.detail), esc(when(r.at))]),
      )}</tbody></table>`
}
<h2>The message and the conversation around it</h2>
${e.message ? messageList(e.context, 'The message in context', { markKey: key }) : '<p class="muted">The message is no longer held on the server.</p>'}
<h2>Status history</h2>
${
  c.history.length === 0
    ? '<p class="muted">No changes recorded.</p>'
    : `<table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th></tr></thead><tbody>${rows(
        c.history.map((h) => [
          esc(when(h.at)),
          esc(h.by?.name ?? 'System'),
          `${esc(auditLabel(h.action))} <span class="muted">${historyDetail(h.detail)}</span>`,
        ]),
      )}</tbody></table>`
}
<h2>Notes</h2>
${
  c.notes.length === 0
    ? '<p class="muted">No notes.</p>'
    : `<ol class="msgs">${c.notes
        .map(
          (n) =>
            `<li><div class="head"><strong>${esc(n.by.name)}</strong> · ${esc(when(n.at))}</div><p class="text">${esc(n.text)}</p></li>`,
        )
        .join('')}</ol>`
}`;
}

export function renderExportHtml(e: AnyExport): string {
  const title =
    e.kind === 'case'
      ? `Safeguarding case ${e.case.id}`
      : e.kind === 'person'
        ? `Messages written by ${e.person.name}`
        : `Conversation: ${e.conversation.name}`;
  const body =
    e.kind === 'case'
      ? caseBody(e)
      : e.kind === 'person'
        ? `<h2>Messages (${e.messages.length}, oldest first, every conversation)</h2>${messageList(e.messages, title, { showConversation: true })}`
        : `<h2>Members</h2><p>${esc(e.conversation.members.map((m) => m.name).join(', ') || 'None')}</p><h2>Messages (${e.messages.length}, in order)</h2>${messageList(e.messages, title)}`;
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(e.college)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<p class="muted">${esc(e.college)} · Confidential safeguarding record</p>
<h1>${esc(title)}</h1>
<dl class="meta">
<dt>Exported by</dt><dd>${esc(e.exportedBy.name)}</dd>
<dt>When</dt><dd>${esc(when(e.exportedAt))} (UK time)</dd>
<dt>Why</dt><dd>${esc(e.reason)}</dd>
${e.truncated ? '<dt>Note</dt><dd>More messages matched than one export holds: the oldest are included.</dd>' : ''}
</dl>
</header>
<main>${body}</main>
<footer>Commonroom export, format version ${esc(e.version)}. Times are UK time. Deleted and removed messages are shown with their original text, marked.</footer>
</body>
</html>
`;
}
