import type { RefusalCode } from '@commonroom/protocol';

/**
 * What the engine does with each refusal code (P10–P14): an exhaustive switch, so a code added to the
 * protocol (codes.ts) does not compile until the engine says what it means.
 * - `retry-later`: nothing was stored, nothing is wrong; the frame goes again after a pause.
 * - `slow-down`: sending faster than the server takes; everything waits, in order, then goes again.
 * - `move-segment`: the segment rolled over; the actions move to the newest one (P13).
 * - `delivered`: a message the server already holds from an earlier form of this frame (P11).
 * - `applied`: an action the server already stored, applied again after a rebuild (P14).
 * - `blameless`: about the document's state, not the actions in the frame; rebuild and send again.
 * - `overtaken`: blameless too, and the frame is sent again whole: it depends on an earlier frame that was
 *   refused or overtaken, so sending its actions one by one would only be refused the same way.
 * - `blames`: the action breaks a rule; one action alone is marked refused, several are sent one by one.
 */
export type RefusalHandling =
  | 'retry-later'
  | 'slow-down'
  | 'move-segment'
  | 'delivered'
  | 'applied'
  | 'blameless'
  | 'overtaken'
  | 'blames';

export function refusalHandling(code: RefusalCode): RefusalHandling {
  switch (code) {
    case 'storage-failed':
      return 'retry-later';
    case 'slow-down':
      return 'slow-down';
    case 'segment-closed':
      return 'move-segment';
    case 'duplicate-id':
      return 'delivered';
    case 'already-applied':
      return 'applied';
    // `too-costly`: the update met, at one place, many changes another device made meanwhile (P10); applied
    // again to the server's copy it meets none of them. `too-many-documents` refuses a subscription, not a
    // write: nothing in the frame to blame.
    case 'missing-history':
      return 'overtaken';
    case 'too-costly':
    case 'too-many-documents':
      return 'blameless';
    case 'bad-shape':
    case 'bad-message':
    case 'bad-edit':
    case 'bad-delete':
    case 'bad-reaction':
    case 'bad-read':
    case 'bad-attachment':
    case 'bad-moderation':
    case 'forged-moderator':
    case 'broadcast-mention':
    case 'too-many-messages':
    case 'not-found':
    case 'not-a-member':
    case 'not-a-moderator':
    case 'not-your-document':
    case 'not-your-message':
    case 'not-your-client-id':
    case 'server-only':
    case 'archived':
    case 'staff-only-posting':
    case 'announcement-only':
    case 'supervisor-silent':
    case 'dm-policy':
    case 'muted':
      return 'blames';
  }
}
