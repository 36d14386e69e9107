/**
 * A bell, struck through when `off` (issue 15 §2): drawn rather than an emoji, so it shows on devices
 * without an emoji font. With `label` it is an image of that name; without, decoration.
 */
export function Bell({ off, label }: { off?: boolean; label?: string }) {
  return (
    <svg
      className="bell"
      viewBox="0 0 24 24"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      {...(label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true })}
    >
      <path d="M6 9a6 6 0 0 1 12 0c0 6 2.5 8 2.5 8h-17S6 15 6 9M10 21a2.2 2.2 0 0 0 4 0" />
      {off && <path d="M3 3l18 18" />}
    </svg>
  );
}
