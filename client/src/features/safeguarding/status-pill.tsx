import {
  ITEM_STATUS_LABELS,
  REPORT_REASON_LABELS,
  type ItemStatus,
  type QueueItem,
} from '@commonroom/protocol';

export function StatusPill({ status }: { status: ItemStatus }) {
  return <span className={`sg-status sg-${status}`}>{ITEM_STATUS_LABELS[status]}</span>;
}

/** What raised an item, in words: the reasons reporters chose, or the keyword phrases that matched. */
export function reasonsText(i: QueueItem): string {
  if (i.kind === 'keyword') return `Keyword: ${i.reasons.map((r) => `“${r}”`).join(', ')}`;
  return i.reasons.map((r) => REPORT_REASON_LABELS[r as keyof typeof REPORT_REASON_LABELS] ?? r).join(', ');
}
