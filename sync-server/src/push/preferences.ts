import {
  effectiveQuiet,
  inWindow,
  isStaffRole,
  minuteOfDay,
  type NotifyPrefsReply,
  type PushPayload,
  type QuietWindow,
  type Role,
  type WorkspaceQuietHours,
} from '@commonroom/protocol';
import type { NotifyPrefStore } from '../storage/notify-prefs.ts';

type Why = Exclude<PushPayload['kind'], 'clear' | 'report'>;

/** What "mentions and DMs" covers; a conversation set to "mentions only" narrows it to mentions and replies. */
const DEFAULT_SET: ReadonlySet<Why> = new Set(['dm', 'mention', 'reply', 'announcement']);
const MENTIONS_ONLY: ReadonlySet<Why> = new Set(['mention', 'reply']);

export type PushPreferencesDeps = {
  prefs: NotifyPrefStore;
  quietHours: () => WorkspaceQuietHours;
  roleOf: (userId: string) => Role | null;
  now: () => number;
};

/**
 * Whether a person's own choices let a push through (issue 15 §2): their level, their choice for the
 * conversation, and quiet hours on the workspace's clock. Safeguarding report pushes do not come here.
 */
export function createPushPreferences(d: PushPreferencesDeps) {
  /** The person's quiet hours: the workspace's window for their role, narrowed (or, for staff, changed). */
  const quietOf = (userId: string, role: Role): Omit<NotifyPrefsReply, 'level' | 'quiet'> => {
    const ws = d.quietHours();
    const staff = isStaffRole(role);
    const workspace = staff ? ws.staff : ws.students;
    const mayWiden = staff || workspace === null;
    return {
      workspace,
      timeZone: ws.timeZone,
      mayWiden,
      effective: effectiveQuiet(d.prefs.of(userId).quiet, workspace, mayWiden),
    };
  };

  // The workspace's minute of the day, worked out once a minute: an announcement asks for every member.
  let clock = { minute: -1, zone: '', of: 0 };
  const minuteNow = (): number => {
    const t = d.now();
    const zone = d.quietHours().timeZone;
    const minute = Math.floor(t / 60_000);
    if (clock.minute !== minute || clock.zone !== zone) clock = { minute, zone, of: minuteOfDay(t, zone) };
    return clock.of;
  };
  const quietNow = (w: QuietWindow | null): boolean => w !== null && inWindow(w, minuteNow());

  return {
    quietOf,
    /** What GET /api/me/notifications answers. */
    reply(userId: string, role: Role): NotifyPrefsReply {
      const p = d.prefs.of(userId);
      return { level: p.level, quiet: p.quiet, ...quietOf(userId, role) };
    },
    mayWantEvery: (conversationId: string): boolean => d.prefs.mayWantEvery(conversationId),
    wantsEvery: (userId: string, conversationId: string): boolean =>
      d.prefs.wantsEvery(userId, conversationId),
    /** Whether a push for `why` in this conversation reaches this person now. */
    allows(userId: string, conversationId: string, why: Why): boolean {
      const level = d.prefs.of(userId).level;
      if (level === 'nothing') return false;
      const here = d.prefs.conversation(userId, conversationId);
      if (here === 'muted') return false;
      const wants =
        here === 'all' || (here === 'default' && level === 'all')
          ? true
          : (here === 'mentions' ? MENTIONS_ONLY : DEFAULT_SET).has(why);
      if (!wants) return false;
      const role = d.roleOf(userId);
      return role !== null && !quietNow(quietOf(userId, role).effective);
    },
  };
}

export type PushPreferences = ReturnType<typeof createPushPreferences>;
