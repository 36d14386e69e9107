/**
 * The codes the sync server answers with, shared by the server (which sends them), the engine (which acts
 * on them: an exhaustive switch in its settle) and the app (which says them in plain words). A code is part
 * of the wire: the protocol-version golden test holds these lists, so adding or renaming one is a version
 * bump. Decoding refuses a code not listed here.
 */

/** Why a write was refused (REJECT frames; ERROR frames for writes without a ref). P10–P14, T1–T16. */
export const REFUSAL_CODES = [
  // The document's rules (judged from what the update would change).
  'bad-shape',
  'bad-message',
  'bad-edit',
  'bad-delete',
  'bad-reaction',
  'bad-read',
  'bad-moderation',
  'forged-moderator',
  'broadcast-mention',
  'too-many-messages',
  'duplicate-id',
  'already-applied',
  // A new message's files: not the author's own ready uploads to this conversation (T20).
  'bad-attachment',
  // Who may write what.
  'not-found',
  'not-a-member',
  'not-a-moderator',
  'not-your-document',
  'not-your-message',
  'not-your-client-id',
  'server-only',
  'archived',
  'staff-only-posting',
  'announcement-only',
  'supervisor-silent',
  'dm-policy',
  'muted',
  // The server's state, not the write's fault: the engine waits, moves or retries.
  'slow-down',
  'too-costly',
  'missing-history',
  'segment-closed',
  'storage-failed',
  // A subscription, not a write: one socket follows at most LIMITS.maxSubscriptionsPerSocket documents.
  'too-many-documents',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** ERROR frames that are about the socket, not a write. */
export const SOCKET_ERROR_CODES = ['version-mismatch', 'bad-status'] as const;
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];

export type ErrorFrameCode = RefusalCode | SocketErrorCode;

/** NOTICE frames: something changed that the app reads again over HTTP. */
export const NOTICE_KINDS = [
  'conversations-changed',
  'conversation-changed',
  'mute-changed',
  'directory-changed',
  'workspace-changed',
  'safeguarding-changed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

const refusals: ReadonlySet<string> = new Set(REFUSAL_CODES);
const errors: ReadonlySet<string> = new Set([...REFUSAL_CODES, ...SOCKET_ERROR_CODES]);
const notices: ReadonlySet<string> = new Set(NOTICE_KINDS);
export const isRefusalCode = (s: string): s is RefusalCode => refusals.has(s);
export const isErrorFrameCode = (s: string): s is ErrorFrameCode => errors.has(s);
export const isNoticeKind = (s: string): s is NoticeKind => notices.has(s);

/**
 * What a person is told when one of their messages or changes is refused, in plain words. Where the
 * server's own words carry what only it knows (how long a mute lasts, who may be messaged), they are
 * shown instead (`detail`).
 */
export function refusalText(code: RefusalCode, detail: string): string {
  switch (code) {
    case 'muted':
    case 'dm-policy':
    case 'staff-only-posting':
    case 'announcement-only':
    case 'supervisor-silent':
    case 'slow-down':
      return detail;
    case 'bad-shape':
    case 'bad-message':
    case 'bad-delete':
    case 'bad-reaction':
    case 'bad-read':
    case 'bad-moderation':
    case 'forged-moderator':
    case 'too-many-messages':
    case 'not-your-client-id':
    case 'server-only':
    case 'too-costly':
    case 'missing-history':
    case 'already-applied':
      return 'the app sent something the server could not take; reload the app and try again';
    case 'bad-edit':
      return 'an edit cannot empty a message; delete it instead';
    case 'bad-attachment':
      return 'a file in this message could not be sent; remove it and attach it again';
    case 'broadcast-mention':
      return 'only staff can notify everyone with @channel, @here or @everyone';
    case 'duplicate-id':
      return 'this message was already sent';
    case 'not-found':
      return 'this conversation is gone, or you are no longer in it';
    case 'not-a-member':
      return 'join the conversation to post in it';
    case 'not-a-moderator':
      return 'only the channel’s moderators can pin or remove messages here';
    case 'not-your-document':
    case 'not-your-message':
      return 'you can only change your own messages';
    case 'archived':
      return 'this conversation is archived';
    case 'segment-closed':
    case 'storage-failed':
      return 'the server could not store it yet; it will be sent again';
    case 'too-many-documents':
      return 'this device follows too many conversations at once; reload the app';
  }
}
