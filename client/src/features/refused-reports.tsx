import type { RefusedReport } from '@commonroom/engine';

/**
 * Reports of a concern the server refused (docs/PROTOCOL.md P15): the person who wrote one is told, in
 * plain words, that it did not reach anyone and where to turn instead. Each stays, across reloads (the
 * engine keeps it), until they dismiss it.
 */
export function RefusedReports(props: {
  list: readonly RefusedReport[];
  nameOf: (userId: string) => string | undefined;
  onDismiss: (id: string) => void;
}) {
  return (
    <>
      {props.list.map((r) => {
        const author = props.nameOf(r.authorId);
        const why =
          r.code === 'no-such-message'
            ? 'the message no longer exists, or you can no longer see it.'
            : r.words;
        return (
          <div key={r.id} className="floating-notice" role="alert" data-refused-report={r.id}>
            <p>
              <strong>Report not passed on</strong>
              <br />
              {`Your report about a message${author ? ` from ${author}` : ''} could not be filed: ${why}`} If
              you are worried about someone, speak to a member of staff.
            </p>
            <div className="floating-notice-buttons">
              <button type="button" onClick={() => props.onDismiss(r.id)}>
                Dismiss
              </button>
            </div>
          </div>
        );
      })}
    </>
  );
}
