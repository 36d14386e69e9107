export { PROTOCOL_VERSION } from './version.ts';
export { LIMITS } from './limits.ts';
export { CLOSE, isTerminalClose, type CloseCode } from './close-codes.ts';
export { SESSION_END, isSessionEndReason, wipesDevice, type SessionEndReason } from './session-end.ts';
export { ByteReader, DecodeError } from './byte-reader.ts';
export {
  FRAME,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  decodeMessage,
  encodeFrames,
  encodeMessage,
  frameSize,
  joinFrames,
  packMessages,
  type DecodeResult,
  type EncodedFrames,
  type Frame,
  type FrameOf,
  type SyncType,
} from './frames.ts';
export {
  scanStateVector,
  scanUpdate,
  type ItemAnchor,
  type ScanLimits,
  type ScanResult,
} from './update-scan.ts';
export {
  asConversationId,
  asUserId,
  authorDoc,
  formatDocName,
  idxDoc,
  isId,
  modDoc,
  parseDocName,
  type ConversationId,
  type DocName,
  type UserId,
} from './doc-names.ts';
export { ROLES, ROLE_LABELS, Role, isAdminRole, isStaffRole } from './roles.ts';
export {
  ADMIN_USER_SORTS,
  AdminUser,
  AdminUserPage,
  AdminUserReply,
  AdminUserQuery,
  ApiError,
  ChangePasswordRequest,
  ChangeRoleRequest,
  Conversation,
  ConversationKind,
  CreateChannelRequest,
  CreateUserRequest,
  DmPolicy,
  ImportResult,
  LoginRequest,
  Me,
  MeReply,
  MembersRequest,
  OkReply,
  OpenDmRequest,
  PublicUser,
  ResetPasswordRequest,
  SetupRequest,
  UpdateChannelRequest,
  WorkspaceSettings,
} from './http.ts';
export {
  AUDIT_ACTION_LABELS,
  DM_POLICY_LABELS,
  SESSION_DAYS,
  WorkspaceSettingsPatch,
  AuditActions,
  AuditPage,
  AuditQuery,
  AuditRow,
  ProfileUpdate,
  auditLabel,
  noActorLabel,
} from './account-http.ts';
export {
  AVATAR_COLOURS,
  AVATAR_COLOUR_KEYS,
  DEFAULT_AVATAR_COLOUR,
  avatarHex,
  type AvatarColour,
} from './avatars.ts';
