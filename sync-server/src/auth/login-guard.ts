import type { Throttle } from './throttle.ts';

/**
 * Who may have a password checked now (docs/THREAT_MODEL.md T10), decided before the hash is computed.
 *
 * The account comes first: its failures are counted on the resolved account (its id, whichever of email
 * or username was typed; a login that names no account is counted on the normalised name typed, so
 * made-up accounts cost the same), and past its limit nothing is checked. The address does not lock
 * anyone out by itself, because a college's students and staff share one NAT address (issue 12 C10): past
 * its limit a password is still checked, and a correct one gets in, but only a few checks from that
 * address run at a time, so a flood from it cannot keep the hashing threads busy.
 */

/** Checks from one address over its failure limit that may be hashing at once; others wait their turn. */
export const CHECKS_IN_FLIGHT_OVER_LIMIT = 2;
/** What a refused check over the address limit is told to wait (a person simply tries again). */
const BUSY_RETRY_MS = 1_000;

export type LoginAttempt = {
  /** The password was right: the account's failures are forgiven, and this attempt of the address. */
  succeeded(): void;
  /** The password was wrong: the attempt stays counted for both. */
  failed(): void;
};

export type LoginGuard = ReturnType<typeof createLoginGuard>;

/** The key an account's failures are counted under. */
export const accountKey = (user: { id: string } | null, typed: string): string =>
  user ? `id:${user.id}` : `name:${typed.normalize('NFKC').trim().toLowerCase()}`;

export function createLoginGuard(d: { perAccount: Throttle; perAddress: Throttle }) {
  const inFlight = new Map<string, number>();
  const settle = (address: string): void => {
    const n = (inFlight.get(address) ?? 1) - 1;
    if (n <= 0) inFlight.delete(address);
    else inFlight.set(address, n);
  };
  return {
    /**
     * A started attempt, or the milliseconds to wait before trying again: `busy` when the address is over
     * its limit and already has its checks running, else the account is over its limit.
     */
    begin(account: string, address: string): LoginAttempt | { wait: number; busy: boolean } {
      // A real account with no recent failure is never kept waiting by its address: otherwise someone on
      // the college's shared address trying made-up names two at a time would keep everyone else's correct
      // passwords out. It costs an attacker one guess per real account per window, as the account limit does.
      const fresh = account.startsWith('id:') && d.perAccount.count(account) === 0;
      const accountWait = d.perAccount.reserve(account);
      if (accountWait > 0) return { wait: accountWait, busy: false };
      const running = inFlight.get(address) ?? 0;
      if (!fresh && d.perAddress.blockedFor(address) > 0 && running >= CHECKS_IN_FLIGHT_OVER_LIMIT) {
        d.perAccount.forgive(account);
        return { wait: BUSY_RETRY_MS, busy: true };
      }
      d.perAddress.record(address);
      inFlight.set(address, running + 1);
      let done = false;
      return {
        succeeded() {
          if (done) return;
          done = true;
          settle(address);
          d.perAccount.reset(account);
          d.perAddress.forgive(address);
        },
        failed() {
          if (done) return;
          done = true;
          settle(address);
        },
      };
    },
  };
}
