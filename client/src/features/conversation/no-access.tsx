import './conversation.css';
/**
 * What the pane shows instead of a conversation it cannot show (issue 18, no dead ends): one just left, or
 * a link to one that does not exist or that this person may not see (a private channel or a DM they are
 * not in: the server answers both the same, T2, so the words do not say which). Always a way back.
 */
export function NoAccess({
  left,
  onBack,
  onOpen,
}: {
  /** Set just after leaving: the channel's name, whether it is private, and (public) how to read it again. */
  left: { name: string; private: boolean } | null;
  onBack: () => void;
  /** Reading a public channel one left is still allowed. */
  onOpen?: () => void;
}) {
  return (
    <main className="pane pane-empty" id="main" aria-labelledby="no-access-title">
      <div className="no-access" data-testid="no-access">
        <span className="no-access-icon" aria-hidden="true">
          {left ? <DoorIcon /> : <LockIcon />}
        </span>
        <h2 id="no-access-title">
          {left ? `You left #${left.name}` : 'This conversation doesn’t exist or you don’t have access'}
        </h2>
        <p className="muted">
          {left
            ? left.private
              ? 'You’re not in this channel any more. It is private: a member can add you again.'
              : 'You’re not in this channel any more. You can still read it, or join again from Browse channels.'
            : 'It may have been removed, or it is private and you are not in it. Ask a member to add you.'}
        </p>
        <div className="no-access-buttons">
          <button type="button" className="primary" onClick={onBack}>
            Back to channels
          </button>
          {left && onOpen && (
            <button type="button" onClick={onOpen}>
              Read #{left.name}
            </button>
          )}
        </div>
      </div>
    </main>
  );
}

// Drawn, not emoji: an emoji font is not on every device (it showed as an empty box on some).
const LockIcon = () => (
  <svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor" strokeWidth="2">
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </svg>
);
const DoorIcon = () => (
  <svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor" strokeWidth="2">
    <path d="M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4" />
    <path d="M10 16l-4-4 4-4M6 12h10" />
  </svg>
);
