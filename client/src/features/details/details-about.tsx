import { ApiError } from '@commonroom/engine';
import { Conversation } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import * as z from 'zod/mini';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { fieldProblem } from '../../ui/field-problem.ts';

const Reply = z.object({ conversation: Conversation });

/**
 * A channel's topic and description, and (for those the server lets change them: the channel's moderators,
 * T4, checked again on every change) a form to edit them. Changes need a connection; every change is
 * audited by the server (`channel.updated`).
 */
export function DetailsAbout({ conversation: c }: { conversation: Conversation }) {
  const engine = useEngine();
  const [editing, setEditing] = useState(false);
  const [topic, setTopic] = useState(c.topic);
  const [description, setDescription] = useState(c.description);
  const [errors, setErrors] = useState<{ topic?: string; description?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const may = c.canModerate && c.kind !== 'dm' && !c.archived;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await engine.api.request('PATCH', `/api/conversations/${c.id}`, Reply, {
        topic: topic.trim(),
        description: description.trim(),
      });
      await engine.refreshConversations();
      setEditing(false);
      setSaved(true);
    } catch (err) {
      if (!(err instanceof ApiError)) setErrors({ form: 'You need to be online to change the channel.' });
      else {
        const p = fieldProblem(err.message);
        setErrors(
          p.field === 'topic' || p.field === 'description' ? { [p.field]: p.text } : { form: p.text },
        );
      }
    } finally {
      setBusy(false);
    }
  };

  if (!editing)
    return (
      <section className="details-about" aria-label="About this channel">
        <dl>
          <dt>Topic</dt>
          <dd className={c.topic ? '' : 'muted'}>{c.topic || 'No topic set.'}</dd>
          <dt>Description</dt>
          <dd className={c.description ? '' : 'muted'}>{c.description || 'No description yet.'}</dd>
        </dl>
        {saved && (
          <p className="notice" role="status">
            Saved. Everyone in #{c.name} sees the new details.
          </p>
        )}
        {may && (
          <button
            type="button"
            onClick={() => {
              setTopic(c.topic);
              setDescription(c.description);
              setSaved(false);
              setEditing(true);
            }}
          >
            Edit topic and description
          </button>
        )}
      </section>
    );

  const field = (
    id: 'topic' | 'description',
    label: string,
    value: string,
    set: (v: string) => void,
    max: number,
  ) => (
    <div className="field">
      <label htmlFor={`details-${id}`}>{label}</label>
      <textarea
        id={`details-${id}`}
        value={value}
        rows={id === 'topic' ? 2 : 3}
        maxLength={max}
        onChange={(e) => set(e.target.value)}
        aria-invalid={errors[id] ? true : undefined}
        aria-describedby={`details-${id}-hint${errors[id] ? ` details-${id}-error` : ''}`}
      />
      <span id={`details-${id}-hint`} className="hint">
        {max - value.length} characters left
      </span>
      {errors[id] && (
        <span id={`details-${id}-error`} className="field-error" role="alert">
          {errors[id]}
        </span>
      )}
    </div>
  );
  return (
    <form className="details-about details-edit" onSubmit={(e) => void save(e)}>
      {field('topic', 'Topic (shown under the name)', topic, setTopic, 250)}
      {field('description', 'Description', description, setDescription, 500)}
      <ErrorText message={errors.form ?? null} />
      <div className="dialog-buttons">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
