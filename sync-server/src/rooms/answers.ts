import type { RefusalCode } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { AuditLog } from '../storage/audit.ts';
import type { RefusalBudget } from './refusal-budget.ts';
import type { Session } from './session.ts';

/** What a write came to: queued for the next commit, refused (and answered), or its socket closed. */
export type WriteOutcome = 'queued' | 'rejected' | 'closed';

export type Answers = ReturnType<typeof createAnswers>;

/**
 * The rooms' answers to what they do not take: a refusal the client settles (a `reject` for a write with a
 * ref, an `error` for one without, P11), the same logged and audited when it is a person breaking a rule,
 * and the close for bytes that cannot be read (T1).
 */
export function createAnswers(d: {
  log: Logger;
  audit: AuditLog;
  refusals: RefusalBudget;
  /**
   * Runs a refusal's sending once what it was judged against is durable: some refusals tell the device its
   * write is stored already (`duplicate-id`, `already-applied`) or that a segment rolled over
   * (`segment-closed`), and must not say so before the disk holds it (P4).
   */
  whenStored: (send: () => void) => void;
}) {
  const reject = (s: Session, ref: number, doc: string, code: RefusalCode, message: string): WriteOutcome => {
    d.whenStored(() => {
      if (ref !== 0) s.send([{ type: 'reject', ref, doc, code, message }]);
      else s.send([{ type: 'error', code, message: `${doc}: ${message}` }]);
    });
    return 'rejected';
  };

  const refuseAndAudit = (
    s: Session,
    ref: number,
    doc: string,
    code: RefusalCode,
    message: string,
  ): WriteOutcome => {
    d.log.warn({ user: s.actor.id, doc, code }, `refused write: ${message}`);
    d.audit.record(s.actor.id, 'write.refused', doc, { code, message });
    return reject(s, ref, doc, code, message);
  };

  const closeMalformed = (s: Session, doc: string, reason: string): WriteOutcome => {
    d.log.warn({ user: s.actor.id, doc, reason }, 'malformed update; closing socket');
    d.audit.record(s.actor.id, 'socket.malformed', doc, { reason });
    s.close(4003, `malformed update: ${reason}`.slice(0, 120));
    return 'closed';
  };

  /** A judge's refusal, answered by what it is: everyday recovery, a pace to keep, or a rule broken. */
  const refuseVerdict = (
    s: Session,
    ref: number,
    doc: string,
    verdict: { code: RefusalCode; message: string },
  ): WriteOutcome => {
    // A message sent to a segment that just rolled over is the engine's everyday case (it resends in the
    // new one), not someone breaking a rule: it would fill the safeguarding audit at every rollover.
    if (verdict.code === 'segment-closed') return reject(s, ref, doc, verdict.code, verdict.message);
    // Sending faster than the per-person allowance is refused to be retried (P10); logged, not audited.
    if (verdict.code === 'slow-down') {
      d.log.info({ user: s.actor.id, doc }, 'new messages over the rate; slow-down');
      return reject(s, ref, doc, verdict.code, verdict.message);
    }
    // `duplicate-id` is an honest engine's everyday recovery (P11: a message stored from a frame's earlier
    // form), and `muted` what an honest device meets with messages queued before the mute reached it (its
    // engine sends them one by one to find which are refused); every other refusal here is something the
    // person did that the rules do not allow. Those cost no reload any more, but each is a log line and an
    // audit row: the budget keeps one person from writing thousands of them (P10, refusal-budget.ts).
    if (verdict.code !== 'duplicate-id' && verdict.code !== 'muted') d.refusals.spend(s.actor.id);
    return refuseAndAudit(s, ref, doc, verdict.code, verdict.message);
  };

  return { reject, refuseAndAudit, closeMalformed, refuseVerdict };
}
