import type { AdminChannel, AdminUpdateChannelRequest } from '@commonroom/protocol';
import { useState } from 'react';
import { Confirm } from './confirm.tsx';

/**
 * Archiving a channel, confirmed first (it ends everyone's posting at once); unarchiving needs no
 * confirmation. Archived: read only for everyone, and out of the sidebar's list.
 */
export function ArchiveCard(props: {
  channel: AdminChannel;
  busy: boolean;
  change: (patch: AdminUpdateChannelRequest, said: (c: AdminChannel) => string) => Promise<void>;
}) {
  const { channel } = props;
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="admin-card">
      <h2>{channel.archived ? 'Archived' : 'Archive'}</h2>
      <p className="muted">
        {channel.archived
          ? 'Read only for everyone and hidden from the sidebar. Unarchiving lets people post again.'
          : 'Archiving keeps the history but makes it read only for everyone and hides it from the sidebar.'}
      </p>
      <button
        type="button"
        className={channel.archived ? '' : 'danger'}
        disabled={props.busy}
        onClick={() =>
          channel.archived
            ? void props.change({ archived: false }, (c) => `#${c.name} is open again.`)
            : setConfirming(true)
        }
      >
        {channel.archived ? 'Unarchive' : 'Archive channel'}
      </button>
      {confirming && (
        <Confirm
          title={`Archive #${channel.name}?`}
          action="Archive"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void props.change(
              { archived: true },
              (c) => `#${c.name} was archived. No one can post in it now.`,
            );
          }}
        >
          <p>
            Its {channel.memberCount} members keep the history but can no longer post, and it leaves their
            sidebar. You can unarchive it later.
          </p>
        </Confirm>
      )}
    </div>
  );
}
