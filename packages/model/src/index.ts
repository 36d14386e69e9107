export {
  AUTHOR_ROOTS,
  BROADCAST_MENTION,
  EditRecord,
  Emoji,
  IDX_ROOTS,
  LocalId,
  MOD_ROOTS,
  MessageKey,
  MessageRecord,
  ModRecord,
  messageKey,
  reactionKey,
  splitMessageKey,
  splitReactionKey,
} from './records.ts';
export {
  appendToIndex,
  authorRoots,
  deleteMessage,
  editMessage,
  hasMessage,
  idxRoots,
  markRead,
  modRoots,
  readSeqOf,
  registerAuthor,
  removeMessage,
  sendMessage,
  setPin,
  setReaction,
  type IndexTuple,
} from './author-doc.ts';
export { applyAndInspect, type Changes, type Insert, type Removal } from './inspect.ts';
export { summariseAuthorChanges, summariseModChanges, type AuthorSummary, type ModSummary, type Refusal } from './validate.ts';
export {
  readConversation,
  threadReplies,
  unreadCount,
  type ConversationDocs,
  type ConversationState,
  type MessageView,
  type Reaction,
} from './view.ts';
