import { slugifyChannelName, type ChannelKind, type PostPolicy } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { createChannel } from './channel-api.ts';
import { ChannelNameField, CohortField, PostPolicyField } from './channel-fields.tsx';

const KINDS: { kind: ChannelKind; label: string; hint: string }[] = [
  { kind: 'public', label: 'Public', hint: 'Anyone can find it, read it and join.' },
  { kind: 'private', label: 'Private', hint: 'Only the people added can find and read it.' },
  { kind: 'announcement', label: 'Announcement', hint: 'Everyone can read; only staff post.' },
];

/** Creates a channel: name (slugified as typed), kind, description, who may post, an optional cohort. */
export function CreateChannel({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (text: string) => void;
}) {
  const engine = useEngine();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ChannelKind>('public');
  const [description, setDescription] = useState('');
  const [postPolicy, setPostPolicy] = useState<PostPolicy>('everyone');
  const [cohort, setCohort] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const final = slugifyChannelName(name, true);
    if (final === '') return setError('Give the channel a name.');
    setBusy(true);
    setError(null);
    try {
      const c = cohort.trim();
      const r = await createChannel(engine, {
        name: final,
        kind,
        description: description.trim(),
        postPolicy,
        ...(c ? { cohort: c } : {}),
      });
      onCreated(
        `#${r.channel.name} was created.` +
          (c ? ` ${r.added} ${r.added === 1 ? 'person' : 'people'} of ${c} joined it.` : ''),
      );
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New channel" onClose={onClose}>
      <form className="admin-form" onSubmit={(e) => void submit(e)}>
        <ChannelNameField id="new-channel-name" value={name} onChange={setName} />
        <fieldset className="kind-choice">
          <legend>Kind</legend>
          {KINDS.map((k) => (
            <label key={k.kind} className="kind-option">
              <input
                type="radio"
                name="kind"
                value={k.kind}
                checked={kind === k.kind}
                onChange={() => setKind(k.kind)}
              />
              <span>
                <strong>{k.label}</strong>
                <span className="hint"> {k.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <label>
          Description (optional)
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        </label>
        <PostPolicyField
          id="new-channel-post"
          value={postPolicy}
          announcement={kind === 'announcement'}
          onChange={setPostPolicy}
        />
        <CohortField id="new-channel-cohort" value={cohort} onChange={setCohort} />
        <ErrorText message={error} />
        <div className="dialog-buttons">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create channel'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
