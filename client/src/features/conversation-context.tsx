import type { Conversation } from '@commonroom/protocol';
import { createContext, useContext } from 'react';

/**
 * What a message row needs from the conversation around it, without threading props through the
 * virtualised list: the conversation (for who may moderate), and the pane's thread and unread controls.
 */
export type ConversationControls = {
  conversation: Conversation;
  /** Opens the thread of this message in the side panel (over the channel on a phone). */
  openThread: (key: string) => void;
  /** Marks this message and everything after it unread; the pane stops marking read until reopened. */
  markUnread: (key: string) => void;
  /** Marks everything read now, and lets the pane mark read as messages arrive again. */
  markRead: () => void;
  /** True for rows drawn inside the thread panel: they offer no "reply in thread". */
  inThread: boolean;
  /** Opens a person's profile card (their name or avatar clicked; issue 15 §3). */
  openProfile: (userId: string) => void;
};

const Controls = createContext<ConversationControls | null>(null);
export const ConversationControlsProvider = Controls.Provider;

export function useConversationControls(): ConversationControls | null {
  return useContext(Controls);
}
