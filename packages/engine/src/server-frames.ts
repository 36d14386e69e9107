import {
  SYNC_STEP1,
  SYNC_STEP2,
  type Frame,
  type Me,
  type NoticeKind,
  type RefusalCode,
} from '@commonroom/protocol';
import { UNFOLLOWED } from './doc-state.ts';
import type { PresenceInfo } from './ephemeral.ts';
import type { Replica, Replicas } from './replicas.ts';

/** What the server's frames do to this engine: each kind handed to the part that owns it. */

export function createFrameHandler(deps: {
  replicas: Replicas;
  me: () => Me | null;
  sendPendingFor: (doc: string) => void;
  /** The server's step 2 (see rebuild.ts onStep2): false when it is not taken for the document's copy. */
  onStep2: (r: Replica, answered: boolean) => boolean;
  settle: (
    ref: number,
    rejected: { code: RefusalCode; message: string } | null,
    doc: string,
  ) => Promise<void>;
  /** The server answered an outbox frame: the socket is alive (stall-watch.ts). */
  progress: () => void;
  synced: () => void;
  presence: (userId: string, p: PresenceInfo) => void;
  typing: (conversationId: string, parent: string, userId: string, active: boolean) => void;
  refreshConversations: () => void;
  refreshDirectory: () => void;
  /** A notice that changes nothing held here, only what the app reads again. */
  bump: (what: 'workspace' | 'safeguarding') => void;
  emit: () => void;
  reportError: (code: string, message: string) => void;
  inBackground: (work: Promise<unknown>) => void;
}) {
  const { replicas } = deps;
  const canWrite = (r: Replica): boolean =>
    r.parsed.kind === 'mod' || (r.parsed.kind === 'author' && r.parsed.userId === deps.me()?.id);

  const onSync = (f: Extract<Frame, { type: 'sync' }>): void => {
    const r = replicas.get(f.doc);
    if (!r) return;
    if (f.syncType === SYNC_STEP1) {
      // The server's state vector: it is ready for our changes to this document.
      if (canWrite(r)) deps.sendPendingFor(r.name);
      return;
    }
    try {
      replicas.applyRemote(r, f.payload);
    } catch {
      deps.reportError('bad-update', 'received a change this device could not read');
      return;
    }
    if (f.syncType !== SYNC_STEP2) return;
    // Server state all the same, so kept; but the copy is whole only with the answer awaited.
    const answered = r.follow.kind === 'asked' && r.follow.ref === f.ref;
    if (!deps.onStep2(r, answered)) return;
    deps.synced();
    deps.emit();
  };

  const onNotice = (kind: NoticeKind): void => {
    switch (kind) {
      // A mute on this person was set or lifted (issue 14 §3): their conversations carry it (`muted`).
      case 'conversations-changed':
      case 'conversation-changed':
      case 'mute-changed':
        deps.refreshConversations();
        return;
      // Someone changed their name, pronouns or avatar colour (issue 13 §4): authors show them at once.
      case 'directory-changed':
        deps.refreshDirectory();
        return;
      // An admin renamed the workspace: the app reads the name again (workspaceVersion).
      case 'workspace-changed':
        deps.bump('workspace');
        return;
      // Sent to safeguarding leads only, when their queue changes (issue 14 §2).
      case 'safeguarding-changed':
        deps.bump('safeguarding');
        return;
    }
  };

  return (f: Frame): void => {
    switch (f.type) {
      case 'sync':
        return onSync(f);
      case 'ack':
        deps.progress();
        deps.inBackground(deps.settle(f.ref, null, ''));
        return;
      case 'reject':
        deps.progress();
        deps.inBackground(deps.settle(f.ref, { code: f.code, message: f.message }, f.doc));
        return;
      case 'revoked': {
        const r = replicas.get(f.doc);
        if (r) r.follow = UNFOLLOWED;
        deps.refreshConversations();
        return;
      }
      case 'presence':
        deps.presence(f.userId, {
          status: f.status,
          emoji: f.emoji,
          text: f.text,
          until: f.until,
          lastSeen: f.lastSeen,
        });
        return;
      case 'typing':
        deps.typing(f.conversationId, f.parent, f.userId, f.active);
        return;
      case 'notice':
        return onNotice(f.kind);
      case 'error':
        deps.reportError(f.code, f.message);
        return;
      default:
        return;
    }
  };
}
