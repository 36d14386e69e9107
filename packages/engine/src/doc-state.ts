/**
 * Where one document stands, in two independent parts: with the server on the current connection
 * (`Follow`), and with the refusals of its own actions (`Phase`, P12). They are independent because a
 * socket drops and comes back whatever a rebuild is doing: a copy on its way is asked for again by the next
 * WELCOME, and a replay goes on while offline. Each is one value, so no combination of flags can say two
 * things at once.
 */

/** The document with the server, on the current connection (P2, P3). */
export type Follow =
  /** Not asked for on this connection (offline, access revoked, or not yet). */
  | { kind: 'unfollowed' }
  /** Held here but left unfollowed on the last WELCOME (an older segment, until its conversation opens). */
  | { kind: 'resting' }
  /**
   * Step 1 sent, its answer not here yet. `ref` is the latest step 1's: a rebuild takes for the server's
   * whole copy only the answer to one sent after it cleared the copy (null until then).
   */
  | { kind: 'asked'; ref: number | null }
  /** The server's answer (step 2) arrived: the document is up to date and ready for our changes. */
  | { kind: 'synced' };

/**
 * The document's copy after refusals (P12). `again`: refused once more while the copy was rebuilt or being
 * applied to; the replay may already have applied the refused action where nothing would take it out, so
 * the document is rebuilt again once the replay ends.
 */
export type Phase =
  /** The copy is whole: actions apply to it directly and are sent from it. */
  | { kind: 'whole' }
  /** Thrown away after a refusal: empty until the server's copy comes; new actions wait (deferred). */
  | { kind: 'awaiting-copy'; again: boolean }
  /** The server's copy is here and the outbox is being applied to it again; nothing is sent meanwhile. */
  | { kind: 'replaying'; again: boolean }
  /** The copy is whole, and actions moved here or deferred are being applied to it, in order. */
  | { kind: 'applying'; again: boolean };

export const UNFOLLOWED: Follow = { kind: 'unfollowed' };
export const WHOLE: Phase = { kind: 'whole' };

/** Step 1 sent on this connection (asked or answered). */
export function isFollowed(f: Follow): boolean {
  switch (f.kind) {
    case 'asked':
    case 'synced':
      return true;
    case 'unfollowed':
    case 'resting':
      return false;
  }
}

/**
 * The copy lacks the server's copy or some of the actions taken: an action must not apply to it (it would
 * be decided against nothing), nothing is sent from it, and the engine is not settled.
 */
export function isIncomplete(p: Phase): boolean {
  switch (p.kind) {
    case 'awaiting-copy':
    case 'replaying':
      return true;
    case 'whole':
    case 'applying':
      return false;
  }
}

/** A replay runs on the document: a second one must not start (each would take the other's re-applied
 * actions for ones the server has). */
export function isReplaying(p: Phase): boolean {
  switch (p.kind) {
    case 'replaying':
    case 'applying':
      return true;
    case 'whole':
    case 'awaiting-copy':
      return false;
  }
}
