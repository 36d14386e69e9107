import type { AdminChannel, ChannelKind } from '@commonroom/protocol';
import { Suspense, useEffect, useRef, useState } from 'react';
import { lazy } from '../../ui/lazy.tsx';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { listChannels, type ChannelQuery } from './channel-api.ts';
import { ChannelsTable } from './channels-table.tsx';
import { TableFrame } from './table-frame.tsx';

const CreateChannel = lazy(async () => ({ default: (await import('./channel-create.tsx')).CreateChannel }));
const Announce = lazy(async () => ({ default: (await import('./announce.tsx')).Announce }));

const SEARCH_PAUSE_MS = 150;

/**
 * Every channel in the college (issue 13 §3), private ones included: their names, who is in them and how
 * they are set up, never their messages. A college has hundreds of channels, not thousands: the server
 * answers the whole filtered list at once.
 */
export function ChannelsScreen() {
  const engine = useEngine();
  const [q, setQ] = useState<ChannelQuery>({ query: '', kind: '', archived: '' });
  const [channels, setChannels] = useState<AdminChannel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'create' | 'announce' | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const asked = useRef(0);

  useEffect(() => {
    const mine = ++asked.current;
    const t = setTimeout(() => {
      listChannels(engine, q)
        .then((list) => {
          if (mine !== asked.current) return;
          setChannels(list);
          setError(null);
        })
        .catch((e: unknown) => mine === asked.current && setError(problem(e)));
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(t);
  }, [engine, q, reload]);

  // Back online after a failed load: ask again rather than leave "could not be loaded" up.
  useEffect(() => {
    const again = () => setReload((n) => n + 1);
    window.addEventListener('online', again);
    return () => window.removeEventListener('online', again);
  }, []);

  const set = (patch: Partial<ChannelQuery>) => setQ((old) => ({ ...old, ...patch }));
  const filtered = q.query.trim() !== '' || q.kind !== '' || q.archived !== '';
  const open = (id: string) => navigate(`/admin/channels/${id}`);

  return (
    <section className="admin-section" aria-labelledby="channels-title">
      <header className="admin-head">
        <div>
          <h1 id="channels-title">Channels</h1>
          <p className="muted admin-sub" aria-live="polite">
            {channels ? `${channels.length} ${filtered ? 'matching' : 'in total'}` : ' '}
          </p>
        </div>
        <div className="admin-actions">
          <button type="button" onClick={() => setDialog('announce')}>
            Post to several channels
          </button>
          <button type="button" className="primary" onClick={() => setDialog('create')}>
            New channel
          </button>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <div className="admin-toolbar" role="search">
        <label className="grow">
          <span className="visually-hidden">Search channels</span>
          <input
            type="search"
            placeholder="Search by name, description or cohort"
            value={q.query}
            onChange={(e) => set({ query: e.target.value })}
            aria-label="Search channels"
          />
        </label>
        <label>
          <span className="visually-hidden">Kind</span>
          <select
            aria-label="Kind"
            value={q.kind}
            onChange={(e) => set({ kind: e.target.value as ChannelKind | '' })}
          >
            <option value="">All kinds</option>
            <option value="public">Public</option>
            <option value="private">Private</option>
            <option value="announcement">Announcement</option>
          </select>
        </label>
        <label>
          <span className="visually-hidden">Archived</span>
          <select
            aria-label="Archived"
            value={q.archived}
            onChange={(e) => set({ archived: e.target.value as ChannelQuery['archived'] })}
          >
            <option value="">Any status</option>
            <option value="no">Open only</option>
            <option value="yes">Archived only</option>
          </select>
        </label>
      </div>
      <ErrorText message={error} />
      <TableFrame label="Channels">
        <ChannelsTable
          channels={error ? null : channels}
          failed={error !== null}
          emptyText={filtered ? 'No channel matches this search.' : 'No channels yet. Create the first one.'}
          onOpen={open}
        />
      </TableFrame>
      <Suspense fallback={null}>
        {dialog === 'create' && (
          <CreateChannel
            onClose={() => setDialog(null)}
            onCreated={(text) => {
              setDialog(null);
              setResult(text);
              setReload((n) => n + 1);
            }}
          />
        )}
        {dialog === 'announce' && (
          <Announce
            onClose={() => setDialog(null)}
            onSent={(text) => {
              setDialog(null);
              setResult(text);
            }}
          />
        )}
      </Suspense>
    </section>
  );
}
