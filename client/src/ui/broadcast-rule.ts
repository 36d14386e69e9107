import { hasBroadcastMention } from '@commonroom/model';
import { isStaffRole, type Role } from '@commonroom/protocol';

/**
 * Why this text cannot be sent by this person, in plain words, or null. The server refuses @channel, @here
 * and @everyone from students (T7) with the same parser; saying so before sending keeps the text to fix.
 */
export function broadcastProblem(text: string, role: Role | undefined): string | null {
  if (role === undefined || isStaffRole(role) || !hasBroadcastMention(text)) return null;
  return 'Only tutors, teachers, staff and admins can notify everyone with @channel, @here or @everyone. Take it out to send.';
}
