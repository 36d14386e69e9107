export {
  AUTHOR_ROOTS,
  EditRecord,
  FileRef,
  MAX_FILES_PER_MESSAGE,
  Emoji,
  type GoneRecord,
  type GoneWhy,
  IDX_ROOTS,
  LocalId,
  MOD_ROOTS,
  MessageKey,
  MessageRecord,
  ModRecord,
  SEGMENT_STRIDE,
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
  markUnreadFrom,
  readMarksOf,
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
export { inspectUpdate } from './inspect-before.ts';
export { mergeCost } from './merge-cost.ts';
export { plainFragment, plainText } from './plain-text.ts';
export { goneIdsOf, recordGone, redactMessages } from './redaction.ts';
export {
  summariseAuthorChanges,
  summariseModChanges,
  type AuthorSummary,
  type ModSummary,
  type Refusal,
} from './validate.ts';
export {
  RECEIPT_MAX_MEMBERS,
  mentionCount,
  pinnedMessages,
  heldDoc,
  readConversation,
  seenBy,
  threadReplies,
  unreadCount,
  type SegmentDocs,
  type ConversationState,
  type MessageView,
  type Reaction,
} from './view.ts';
export {
  findMentions,
  hasBroadcastMention,
  isBroadcastHandle,
  mentionHandle,
  mentionsPerson,
  type Mentionable,
} from './mentions.ts';
export {
  activityOf,
  mergeActivity,
  newestFirst,
  type Activity,
  type ActivityItem,
  type ActivityReason,
} from './activity.ts';
