import {
  ROLE_LABELS,
  ROLES,
  type ImportOutcome,
  type ImportPreview,
  type ImportVerdict,
  type Role,
} from '@commonroom/protocol';
import { useMemo, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { commitImport, linkUrl, previewImport, problem } from './admin-api.ts';
import { Confirm } from './confirm.tsx';
import { TableFrame } from './table-frame.tsx';

/** A role as the rest of the admin area names it; a word that is not a role stays as typed (its row's error says why). */
const roleText = (typed: string): string =>
  (ROLES as readonly string[]).includes(typed) ? ROLE_LABELS[typed as Role] : typed || '—';

/** The template offered for download: the columns the server reads, with one example of each kind. */
const TEMPLATE = [
  'name,email,username,role,cohorts',
  'Priya Patel,priya.patel@college.ac.uk,,student,level3-adult-care',
  'Liam Walsh,,liam.w24,student,level2-it-skills;level2-customer-service',
  'Grace Okafor,grace.okafor@college.ac.uk,,tutor,level3-adult-care',
  '',
].join('\r\n');

const VERDICTS: { key: ImportVerdict; label: string; plural: string }[] = [
  { key: 'new', label: 'New', plural: 'new' },
  { key: 'update', label: 'Update', plural: 'to update' },
  { key: 'unchanged', label: 'Unchanged', plural: 'unchanged' },
  { key: 'error', label: 'Error', plural: 'with errors' },
];
const SHOW_STEP = 200;

/** Offers text as a file download (a blob address, so nothing leaves the browser). */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A CSV cell, quoted when it needs to be. */
const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/**
 * Roster import (/admin/people/import, issue 13 §2): choose or paste a CSV file, see what each row would do
 * before anything is written, import the valid rows, and see what was done. The server reads the file
 * (csv-parse) both times, and refuses the import if the accounts changed since the preview.
 */
export function ImportScreen() {
  const engine = useEngine();
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [filter, setFilter] = useState<ImportVerdict | 'all'>('all');
  const [shown, setShown] = useState(SHOW_STEP);
  const [links, setLinks] = useState(true);
  const [busy, setBusy] = useState<'preview' | 'import' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);

  const rows = useMemo(
    () => (preview ? preview.rows.filter((r) => filter === 'all' || r.verdict === filter) : []),
    [preview, filter],
  );
  const valid = preview ? preview.counts.new + preview.counts.update : 0;

  const runPreview = async (text: string) => {
    setBusy('preview');
    setError(null);
    setPreview(null);
    setOutcome(null);
    try {
      const p = await previewImport(engine, text);
      setPreview(p);
      setFilter('all');
      setShown(SHOW_STEP);
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(null);
    }
  };

  const runImport = async () => {
    setConfirming(false);
    if (!preview) return;
    setBusy('import');
    setError(null);
    try {
      setOutcome(await commitImport(engine, csv, preview.digest, links && preview.counts.new > 0));
      setPreview(null);
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(null);
    }
  };

  const reset = () => {
    setCsv('');
    setFileName(null);
    setPreview(null);
    setOutcome(null);
    setError(null);
  };

  const back = (
    <a
      href="/admin/people"
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate('/admin/people');
      }}
    >
      ← People
    </a>
  );

  return (
    <section className="admin-section import" aria-labelledby="import-title">
      {back}
      <header className="admin-head">
        <div>
          <h1 id="import-title">Import people from CSV</h1>
          <p className="muted admin-sub">
            Add and update many people at once from a roster. Nothing is written until you press Import.
          </p>
        </div>
        <button type="button" onClick={() => download('commonroom-people-template.csv', TEMPLATE)}>
          Download template
        </button>
      </header>

      {outcome ? (
        <div className="admin-card import-result">
          <h2>Import finished</h2>
          <p role="status" className="admin-result">
            {outcome.created.toLocaleString('en-GB')} {outcome.created === 1 ? 'person' : 'people'} added,{' '}
            {outcome.updated.toLocaleString('en-GB')} updated, {outcome.unchanged.toLocaleString('en-GB')}{' '}
            unchanged
            {outcome.errors > 0
              ? `, ${outcome.errors.toLocaleString('en-GB')} ${outcome.errors === 1 ? 'row' : 'rows'} skipped because of errors`
              : ''}
            .
          </p>
          {outcome.links.length > 0 && (
            <div className="notice-block">
              <p>
                <strong>
                  {outcome.links.length.toLocaleString('en-GB')} one-time set-password{' '}
                  {outcome.links.length === 1 ? 'link was' : 'links were'} made.
                </strong>{' '}
                Download them now: they are shown only once, and work until{' '}
                {new Date(outcome.expiresAt ?? 0).toLocaleString('en-GB', {
                  dateStyle: 'long',
                  timeStyle: 'short',
                })}
                .
              </p>
              <button
                type="button"
                className="primary"
                onClick={() =>
                  download(
                    'commonroom-set-password-links.csv',
                    [
                      'name,login,link',
                      ...outcome.links.map((l) => [l.name, l.login, linkUrl(l)].map(cell).join(',')),
                    ].join('\r\n'),
                  )
                }
              >
                Download links (CSV)
              </button>
            </div>
          )}
          {outcome.created > 0 && outcome.links.length === 0 && (
            <p className="muted">
              New people have no password yet: give each a one-time link or a password from their page.
            </p>
          )}
          <div className="dialog-buttons">
            <button type="button" onClick={() => navigate('/admin/people')}>
              Back to People
            </button>
            <button type="button" onClick={reset}>
              Import another file
            </button>
          </div>
        </div>
      ) : preview ? (
        <div className="admin-card import-chosen">
          <p>
            <strong>{fileName ?? 'Pasted rows'}</strong>{' '}
            <span className="muted">
              · {preview.rows.length.toLocaleString('en-GB')} {preview.rows.length === 1 ? 'row' : 'rows'}
            </span>
          </p>
          <button type="button" onClick={reset} disabled={busy !== null}>
            Choose another file
          </button>
        </div>
      ) : (
        <div className="admin-card import-source">
          <h2>1. Choose the file</h2>
          <p className="muted">
            Columns: <strong>name</strong>, <strong>email</strong> or <strong>username</strong>, role
            (student, tutor, teacher, staff or admin; blank keeps a person’s role, or makes a new one a
            student), cohorts (separated by semicolons; a blank cell removes them all). People already here
            are matched by email or username and updated; nobody is removed.
          </p>
          <div className="import-inputs">
            <label className="file-pick">
              <span className="button-like">Choose CSV file…</span>
              <input
                type="file"
                accept=".csv,text/csv"
                className="visually-hidden"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  e.target.value = '';
                  if (!f) return;
                  void f.text().then((t) => {
                    setCsv(t);
                    setFileName(f.name);
                    void runPreview(t);
                  });
                }}
              />
            </label>
            <span className="muted">{fileName ? `Chosen: ${fileName}` : 'or paste the rows below'}</span>
          </div>
          <label className="paste">
            <span className="visually-hidden">CSV rows</span>
            <textarea
              aria-label="CSV rows"
              rows={6}
              spellCheck={false}
              placeholder={TEMPLATE.split('\r\n').slice(0, 3).join('\n')}
              value={csv.length > 20_000 ? `${csv.slice(0, 20_000)}\n…` : csv}
              readOnly={csv.length > 20_000}
              onChange={(e) => {
                setCsv(e.target.value);
                setFileName(null);
                setPreview(null);
              }}
            />
          </label>
          <div className="dialog-buttons">
            <button
              type="button"
              className="primary"
              disabled={csv.trim() === '' || busy !== null}
              onClick={() => void runPreview(csv)}
            >
              {busy === 'preview' ? 'Checking…' : 'Preview'}
            </button>
          </div>
        </div>
      )}

      <ErrorText message={error} />

      {preview && (
        <div className="admin-card import-preview" aria-labelledby="preview-title">
          <h2 id="preview-title">2. Check what will happen</h2>
          <div className="verdict-tabs" role="group" aria-label="Show rows">
            <button
              type="button"
              aria-pressed={filter === 'all'}
              onClick={() => {
                setFilter('all');
                setShown(SHOW_STEP);
              }}
            >
              <span className="count">{preview.rows.length.toLocaleString('en-GB')}</span> All rows
            </button>
            {VERDICTS.map((v) => (
              <button
                key={v.key}
                type="button"
                className={`verdict-tab v-${v.key}`}
                aria-pressed={filter === v.key}
                onClick={() => {
                  setFilter(v.key);
                  setShown(SHOW_STEP);
                }}
              >
                <span className="count">{preview.counts[v.key].toLocaleString('en-GB')}</span> {v.plural}
              </button>
            ))}
          </div>
          <TableFrame label="What each row of the file would do">
            <table className="admin-table import-table">
              <caption className="visually-hidden">What each row of the file would do</caption>
              <thead>
                <tr>
                  <th scope="col" className="plain-th">
                    Line
                  </th>
                  <th scope="col" className="plain-th">
                    Result
                  </th>
                  <th scope="col" className="plain-th">
                    Name
                  </th>
                  <th scope="col" className="plain-th">
                    Email or username
                  </th>
                  <th scope="col" className="plain-th">
                    Role
                  </th>
                  <th scope="col" className="plain-th">
                    Cohorts
                  </th>
                  <th scope="col" className="plain-th">
                    Details
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 ? (
                  <tr>
                    <td colSpan={7} className="table-state">
                      No rows of this kind.
                    </td>
                  </tr>
                ) : (
                  rows.slice(0, shown).map((r) => (
                    <tr key={r.line} data-line={r.line} data-verdict={r.verdict}>
                      <td className="muted-cell">{r.line}</td>
                      <td>
                        <span className={`verdict-pill v-${r.verdict}`}>
                          {VERDICTS.find((v) => v.key === r.verdict)?.label}
                        </span>
                      </td>
                      <td>{r.name || <span className="muted">—</span>}</td>
                      <td className="muted-cell">{r.login || '—'}</td>
                      <td>{roleText(r.role)}</td>
                      <td className="muted-cell">{r.cohorts.join(', ') || '—'}</td>
                      <td className="notes-cell">{r.notes.join(' · ')}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </TableFrame>
          {rows.length > shown && (
            <p className="more-rows">
              <span className="muted">
                Showing {shown.toLocaleString('en-GB')} of {rows.length.toLocaleString('en-GB')} rows.
              </span>{' '}
              <button type="button" onClick={() => setShown((n) => n + SHOW_STEP * 5)}>
                Show more
              </button>
            </p>
          )}
          <h2 className="step">3. Import</h2>
          {valid === 0 ? (
            <p className="muted">
              Nothing to import: every row is unchanged or has an error. Fix the errors in the file and
              preview it again.
            </p>
          ) : (
            <>
              {preview.counts.new > 0 && (
                <label className="check">
                  <input type="checkbox" checked={links} onChange={(e) => setLinks(e.target.checked)} />
                  Make a one-time set-password link for each new person (download them after the import)
                </label>
              )}
              {preview.counts.error > 0 && (
                <p className="muted">
                  {preview.counts.error.toLocaleString('en-GB')}{' '}
                  {preview.counts.error === 1 ? 'row has an error and is' : 'rows have errors and are'}{' '}
                  skipped.
                </p>
              )}
            </>
          )}
          <div className="dialog-buttons">
            <button
              type="button"
              className="primary"
              disabled={valid === 0 || busy !== null}
              onClick={() => setConfirming(true)}
            >
              {busy === 'import'
                ? 'Importing…'
                : valid === 0
                  ? 'Nothing to import'
                  : `Import ${valid.toLocaleString('en-GB')} valid ${valid === 1 ? 'row' : 'rows'}`}
            </button>
            <button type="button" onClick={reset} disabled={busy !== null}>
              Start again
            </button>
          </div>
        </div>
      )}

      {confirming && preview && (
        <Confirm
          title="Import these people?"
          action={`Import ${valid.toLocaleString('en-GB')} ${valid === 1 ? 'row' : 'rows'}`}
          onConfirm={() => void runImport()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            {preview.counts.new.toLocaleString('en-GB')} new {preview.counts.new === 1 ? 'person' : 'people'}{' '}
            will be added and {preview.counts.update.toLocaleString('en-GB')} updated; their channels follow
            their roles and cohorts. An import cannot be undone in one step.
          </p>
        </Confirm>
      )}
    </section>
  );
}
