import { isStaffRole, LeadReply, type AdminUser } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { problem } from './admin-api.ts';
import { Confirm } from './confirm.tsx';

/**
 * The safeguarding lead capability on a person's page (issue 14 §1): staff only, granted and removed by an
 * admin, each change audited by the server. A lead sees the safeguarding area; an admin without it does not.
 */
export function LeadCard({
  person,
  onResult,
  onError,
}: {
  person: AdminUser;
  onResult: (text: string) => void;
  onError: (text: string) => void;
}) {
  const engine = useEngine();
  const [lead, setLead] = useState<boolean | null>(null);
  const [asking, setAsking] = useState(false);
  const path = `/api/admin/users/${encodeURIComponent(person.id)}/safeguarding-lead`;
  useEffect(() => {
    let alive = true;
    engine.api
      .request('GET', path, LeadReply)
      .then((r) => alive && setLead(r.lead))
      .catch((e: unknown) => alive && onError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, path, onError]);
  const staff = isStaffRole(person.role);
  const name = person.displayName;
  const change = async () => {
    setAsking(false);
    try {
      const r = await engine.api.request('PUT', path, LeadReply, { lead: !lead });
      setLead(r.lead);
      onResult(
        r.lead
          ? `${name} is now a safeguarding lead: they see reports, keyword alerts and can monitor conversations.`
          : `${name} is no longer a safeguarding lead.`,
      );
    } catch (e) {
      onError(problem(e));
    }
  };
  return (
    <section className="admin-card" aria-labelledby="lead-title">
      <h2 id="lead-title">Safeguarding lead</h2>
      <p className="muted">
        {lead === null
          ? 'Loading…'
          : lead
            ? `${name} is a safeguarding lead: they read reports and keyword alerts and may monitor any conversation, with a reason that is audited.`
            : 'Leads read reports and keyword alerts, and may monitor any conversation with a reason that is audited.'}
      </p>
      {/* A student cannot be one: a button that never works would only puzzle, so the card says why. */}
      {!staff && !lead ? (
        <p className="hint">Only staff can be safeguarding leads, not students.</p>
      ) : (
        <div className="card-actions">
          <button
            type="button"
            className={lead ? 'danger' : undefined}
            disabled={lead === null}
            onClick={() => setAsking(true)}
          >
            {lead ? 'Remove safeguarding lead' : 'Make safeguarding lead'}
          </button>
        </div>
      )}
      {asking && (
        <Confirm
          title={lead ? `Remove ${name} as a safeguarding lead?` : `Make ${name} a safeguarding lead?`}
          action={lead ? 'Remove lead' : 'Make lead'}
          danger={lead === true}
          onConfirm={() => void change()}
          onCancel={() => setAsking(false)}
        >
          <p>
            {lead
              ? `${name} will no longer see the safeguarding queue or be able to monitor conversations.`
              : `${name} will see every report and keyword alert, with the messages involved, and may open any conversation (direct messages too) after giving a reason. This is written to the audit log.`}
          </p>
        </Confirm>
      )}
    </section>
  );
}
