/**
 * Tells a safeguarding lead, wherever they are in the app, that a new report or keyword alert reached the
 * queue (issue 14 §2), without a reload. Loaded only when there is one (the first screen stays small).
 * It is an alert, read out by screen readers as it appears, and stays until the lead opens the queue or
 * dismisses it.
 */
export function NewItemNotice(props: {
  kind: 'report' | 'keyword';
  open: number;
  onOpen: () => void;
  onDismiss: () => void;
}) {
  const what =
    props.kind === 'report'
      ? 'Someone reported a message. It is waiting in the safeguarding queue.'
      : 'A keyword alert was raised. It is waiting in the safeguarding queue.';
  return (
    <div className="floating-notice" role="alert" aria-labelledby="sg-new-title">
      <p>
        <strong id="sg-new-title">
          {props.kind === 'report' ? 'New safeguarding report' : 'New keyword alert'}
        </strong>
        <br />
        {what} {props.open === 1 ? '1 item is open.' : `${props.open} items are open.`}
      </p>
      <div className="floating-notice-buttons">
        <button type="button" className="primary" onClick={props.onOpen}>
          Open the queue
        </button>
        <button type="button" onClick={props.onDismiss}>
          Dismiss
        </button>
      </div>
    </div>
  );
}
