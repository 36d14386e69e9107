import type { Conversation } from '@commonroom/protocol';

/**
 * What an empty conversation says (issue 18, right words in the right place): "Say hello!" only to someone
 * who can post here; a student in an announcement channel is told what will appear instead.
 */
export function emptyWords(c: Conversation, canPostHere: boolean): string {
  if (canPostHere)
    return c.kind === 'dm' ? 'No messages yet. Say hello!' : 'No messages yet. Start the conversation!';
  if (c.kind === 'announcement') return 'Announcements from staff will appear here.';
  if (c.postPolicy === 'staff') return 'Messages from staff will appear here.';
  if (c.archived) return 'This channel is archived and has no messages.';
  if (!c.isMember) return 'No messages yet. Join the channel to start the conversation.';
  return 'No messages yet.';
}
