/**
 * The slim "N new messages" bar above the list (issue 18): shown while the "New messages" line is above
 * what the reader sees and they have not yet seen it; it sits above the list, never over a message, and
 * goes for good once the line has been on screen (reading down from it is reading them).
 */
export function NewMessagesBar({
  count,
  onJump,
  onMarkRead,
}: {
  count: number;
  onJump: () => void;
  onMarkRead: () => void;
}) {
  return (
    <div className="new-bar" role="group" aria-label="New messages">
      <span className="new-bar-count">
        {count} new {count === 1 ? 'message' : 'messages'}
      </span>
      <button type="button" className="link-button" onClick={onJump}>
        Jump to new
      </button>
      <button type="button" className="link-button" onClick={onMarkRead}>
        Mark as read
      </button>
    </div>
  );
}
