import type { ReactNode } from 'react';
import { Dialog } from '../../ui/dialog.tsx';

/** Asks before an action that cannot be undone (or not easily): says what will happen, then does it. */
export function Confirm(props: {
  title: string;
  children: ReactNode;
  action: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <div className="confirm-body">{props.children}</div>
      <div className="dialog-buttons">
        <button type="button" className={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.action}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
