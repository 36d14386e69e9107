import { ApiError } from '@commonroom/engine';
import { slugifyChannelName } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { fieldProblem } from '../ui/field-problem.ts';
import './channel-create-form.css';

/**
 * Staff create a channel from the channel browser (issue 18): what is typed becomes a valid name as it is
 * typed, the name it will have is shown, and a refusal about the name is said next to the name field in
 * plain words (the server's `name: …` mapped by fieldProblem), anything else under the form.
 */
export function ChannelCreateForm({ onCreated }: { onCreated: (id: string) => void }) {
  const engine = useEngine();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const final = slugifyChannelName(name, true);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (final === '')
      return setNameError('Give the channel a name: letters or digits, like “level2-revision”.');
    setBusy(true);
    try {
      onCreated((await engine.createChannel(final, kind)).id);
    } catch (err) {
      if (!(err instanceof ApiError)) setError('You need to be online to create a channel.');
      else if (err.code === 'name-taken')
        setNameError(`There is already a channel called #${final}. Try another name.`);
      else {
        const p = fieldProblem(err.message);
        if (p.field === 'name') setNameError(p.text);
        else setError(p.text);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="create-channel" onSubmit={(e) => void create(e)} noValidate>
      <h3>Create a channel</h3>
      <div className="field">
        <label htmlFor="create-channel-name">Name</label>
        <input
          id="create-channel-name"
          value={name}
          onChange={(e) => {
            setName(slugifyChannelName(e.target.value));
            setNameError(null);
          }}
          placeholder="e.g. level2-revision"
          autoComplete="off"
          spellCheck={false}
          maxLength={60}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={`create-channel-name-hint${nameError ? ' create-channel-name-error' : ''}`}
        />
        <span
          id="create-channel-name-hint"
          className="hint"
          aria-live="polite"
          data-testid="channel-name-preview"
        >
          {final
            ? `It will be called #${final}.`
            : 'Lowercase letters, digits and dashes: spaces become dashes as you type.'}
        </span>
        {nameError && (
          <span id="create-channel-name-error" className="field-error" role="alert">
            {nameError}
          </span>
        )}
      </div>
      <label>
        Who can find it
        <select value={kind} onChange={(e) => setKind(e.target.value === 'private' ? 'private' : 'public')}>
          <option value="public">Everyone (public)</option>
          <option value="private">Invited people only (private)</option>
        </select>
      </label>
      <ErrorText message={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create'}
      </button>
    </form>
  );
}
