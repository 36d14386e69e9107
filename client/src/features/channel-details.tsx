import { pinnedMessages } from '@commonroom/model';
import { useState } from 'react';
import { useConversationView, useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { DetailsAbout } from './details/details-about.tsx';
import { DetailsFiles } from './details/details-files.tsx';
import { DetailsMembers } from './details/details-members.tsx';
import { Tabs } from './details/details-tabs.tsx';
import { conversationTitle } from './people.tsx';
import { PinnedItems } from './pinned-list.tsx';
import './details/details.css';

type TabKey = 'members' | 'pinned' | 'files';

/**
 * A conversation's details (issue 18): its topic and description (editable by its moderators), then tabs:
 * Members (with roles; a name opens the profile card), Pinned (jump to one), Files (each file shared, with
 * a way to its message).
 */
export function ChannelDetails({
  conversationId,
  onClose,
  onJump,
}: {
  conversationId: string;
  onClose: () => void;
  /** Jumps to a pinned message in the conversation (the details close). */
  onJump: (key: string) => void;
}) {
  const engine = useEngine();
  const view = useConversationView(conversationId);
  const [tab, setTab] = useState<TabKey>('members');
  const c = view?.conversation;
  if (!c || !view) return null;
  const pinned = pinnedMessages(view.state).length;
  return (
    <Dialog title={c.kind === 'dm' ? conversationTitle(engine, c) : `#${c.name ?? ''}`} onClose={onClose}>
      <div className="channel-details" data-testid="channel-details">
        {c.kind !== 'dm' && <DetailsAbout conversation={c} />}
        <Tabs
          id="details"
          label="Channel details"
          tabs={[
            { key: 'members', label: `Members (${c.memberCount})` },
            { key: 'pinned', label: `Pinned (${pinned})` },
            { key: 'files', label: 'Files' },
          ]}
          selected={tab}
          onSelect={setTab}
        >
          {tab === 'members' ? (
            <DetailsMembers conversationId={c.id} />
          ) : tab === 'pinned' ? (
            <PinnedItems conversationId={c.id} onJump={onJump} />
          ) : (
            <DetailsFiles conversationId={c.id} onJump={onJump} />
          )}
        </Tabs>
      </div>
    </Dialog>
  );
}
