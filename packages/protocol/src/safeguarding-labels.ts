/**
 * The words of safeguarding (issue 14) with no schema library behind them: the report dialog, which every
 * person may open, loads these without the zod schemas of the leads' area.
 */
export const REPORT_REASONS = [
  'bullying',
  'harassment',
  'self_harm',
  'inappropriate',
  'spam',
  'other',
] as const;
export const REPORT_REASON_LABELS: Record<(typeof REPORT_REASONS)[number], string> = {
  bullying: 'Bullying',
  harassment: 'Harassment',
  self_harm: 'Self-harm concern',
  inappropriate: 'Inappropriate content',
  spam: 'Spam',
  other: 'Something else',
};

export const ITEM_STATUSES = ['new', 'in_review', 'closed'] as const;
export const ITEM_STATUS_LABELS: Record<(typeof ITEM_STATUSES)[number], string> = {
  new: 'New',
  in_review: 'In review',
  closed: 'Closed',
};
