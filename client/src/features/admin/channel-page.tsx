import {
  slugifyChannelName,
  type AdminChannel,
  type AdminUpdateChannelRequest,
  type PostPolicy,
} from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { getChannel, KIND_LABELS, updateChannel } from './channel-api.ts';
import { ChannelNameField, CohortField, PostPolicyField } from './channel-fields.tsx';
import { ChannelMembers } from './channel-members.tsx';
import { ArchiveCard } from './channel-archive.tsx';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long' });

/** One channel (/admin/channels/:id): its settings, archiving, and its members. Never its messages. */
export function ChannelPage({ id }: { id: string }) {
  const engine = useEngine();
  const [channel, setChannel] = useState<AdminChannel | null>(null);
  const [form, setForm] = useState({
    name: '',
    description: '',
    topic: '',
    cohort: '',
    postPolicy: 'everyone' as PostPolicy,
  });
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (c: AdminChannel) => {
    setChannel(c);
    setForm({
      name: c.name,
      description: c.description,
      topic: c.topic,
      cohort: c.cohort ?? '',
      postPolicy: c.postPolicy,
    });
  };
  useEffect(() => {
    let alive = true;
    getChannel(engine, id)
      .then((c) => alive && show(c))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, id]);

  const back = (
    <a
      href="/admin/channels"
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate('/admin/channels');
      }}
    >
      ← Channels
    </a>
  );
  if (!channel)
    return (
      <section className="admin-section" aria-busy={!error}>
        {back}
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const change = async (
    patch: AdminUpdateChannelRequest,
    said: (c: AdminChannel, added: number) => string,
  ) => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await updateChannel(engine, id, patch);
      show(r.channel);
      setResult(said(r.channel, r.added));
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(false);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    const cohort = form.cohort.trim();
    const patch: AdminUpdateChannelRequest = {
      name: slugifyChannelName(form.name, true),
      description: form.description,
      topic: form.topic,
      cohort: cohort === '' ? null : cohort,
      ...(channel.kind !== 'announcement' ? { postPolicy: form.postPolicy } : {}),
    };
    void change(patch, (c, added) =>
      added > 0
        ? `Saved. ${added} ${added === 1 ? 'person' : 'people'} of ${c.cohort ?? ''} joined #${c.name}.`
        : `Saved #${c.name}.`,
    );
  };

  return (
    <section className="admin-section" aria-labelledby="channel-title">
      {back}
      <header className="admin-head">
        <div>
          <h1 id="channel-title">#{channel.name}</h1>
          <p className="admin-sub">
            <span className={`kind-pill kind-${channel.kind}`}>{KIND_LABELS[channel.kind]}</span>{' '}
            {channel.archived && <span className="status-pill status-off">Archived</span>}{' '}
            <span className="muted">
              {channel.memberCount} {channel.memberCount === 1 ? 'member' : 'members'} · created{' '}
              {channel.createdAt > 0 ? dateFormat.format(channel.createdAt) : 'with the workspace'}
            </span>
          </p>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="admin-cards channel-cards">
        <form className="admin-card admin-form" onSubmit={save} aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <ChannelNameField
            id="channel-name"
            value={form.name}
            onChange={(name) => setForm((f) => ({ ...f, name }))}
          />
          <label>
            Description
            <input
              value={form.description}
              maxLength={500}
              onChange={(e) => setForm((f) => ({ ...f, description: e.target.value }))}
            />
          </label>
          <label>
            Topic
            <input
              value={form.topic}
              maxLength={250}
              onChange={(e) => setForm((f) => ({ ...f, topic: e.target.value }))}
            />
          </label>
          <PostPolicyField
            id="channel-post"
            value={form.postPolicy}
            announcement={channel.kind === 'announcement'}
            onChange={(postPolicy) => setForm((f) => ({ ...f, postPolicy }))}
          />
          <CohortField
            id="channel-cohort"
            value={form.cohort}
            bound={channel.cohort}
            onChange={(cohort) => setForm((f) => ({ ...f, cohort }))}
          />
          <div>
            <button type="submit" className="primary" disabled={busy}>
              Save changes
            </button>
          </div>
        </form>
        <ArchiveCard channel={channel} busy={busy} change={change} />
      </div>
      <ChannelMembers channel={channel} onChanged={(c) => c && show(c)} />
    </section>
  );
}
