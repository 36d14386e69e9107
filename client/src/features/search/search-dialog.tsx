import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { byCodeUnit } from '../../ui/compare.ts';
import { relativeTime } from '../../ui/format.ts';
import { conversationTitle } from '../people.tsx';
import { hasTerms } from '../../search/normalise.ts';
import { recentSearches, rememberSearch } from '../../search/recent-searches.ts';
import { rangeOf } from './date-range.ts';
import { SearchFilters, type FilterState } from './search-filters.tsx';
import { loadHitSegment, useSearch, type Shown } from './use-search.ts';
import './search-dialog.css';

/**
 * The search screen (issue 16): a modal with one field; results as one types, device first, the server's
 * for older history marked "from the server". ↑/↓ move, Enter opens the message (its thread for a reply).
 */
/** Results shown at once; "Show more results" adds as many again (a list of hundreds is no use to read). */
export const PAGE = 50;

const NO_FILTERS: FilterState = {
  onlyHere: false,
  from: '',
  when: 'any',
  days: { from: '', to: '' },
  links: false,
  threads: false,
  order: 'newest',
};

export function SearchDialog(props: {
  /** The conversation on screen, for "Only in this conversation". */
  here: string | null;
  onClose: () => void;
  onOpen: (hash: string) => void;
}) {
  const engine = useEngine();
  const ref = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [q, setQ] = useState('');
  const [f, setF] = useState<FilterState>(NO_FILTERS);
  /** The highlighted result, by message: the server's hits arriving mid-way keep it where it is. */
  const [picked, setPicked] = useState<string | null>(null);
  /** How many results are shown (PAGE, then a page more each "Show more results"). */
  const [shown, setShown] = useState(PAGE);
  const here = props.here ? engine.conversations().find((c) => c.id === props.here) : undefined;
  const { hits, server, more } = useSearch(
    engine,
    q,
    {
      ...(f.onlyHere && here ? { conversationId: here.id } : {}),
      ...(f.from ? { authorId: f.from } : {}),
      ...(f.links ? { hasLink: true } : {}),
      ...(f.threads ? { inThreads: true } : {}),
      ...rangeOf(f.when, f.days, Date.now()),
    },
    f.order,
  );
  const listId = useId();
  const idOf = (h: Shown) => `${h.conversationId} ${h.key}`;
  const visible = hits.slice(0, shown);
  const active = Math.max(0, picked === null ? 0 : visible.findIndex((h) => idOf(h) === picked));
  // A new search starts at the top, one page long.
  useEffect(() => {
    setPicked(null);
    setShown(PAGE);
  }, [q, f]);
  useEffect(() => {
    const el = ref.current;
    const before = document.activeElement as HTMLElement | null;
    el?.showModal();
    // showModal focuses the first control (Close); the field is where one types.
    input.current?.focus();
    return () => {
      el?.close();
      before?.focus();
    };
  }, []);

  const open = (h: Shown) => {
    rememberSearch(q);
    props.onOpen(`#/c/${h.conversationId}/m/${h.key}`);
    if (h.from === 'server' && !engine.view(h.conversationId).state.byKey.has(h.key))
      void loadHitSegment(engine, h.conversationId, h.seq);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      const next = visible[Math.max(0, Math.min(visible.length - 1, active + step))];
      if (next) setPicked(idOf(next));
    } else if (e.key === 'Enter' && visible[active]) {
      e.preventDefault();
      open(visible[active]);
    }
  };
  useEffect(() => {
    document.getElementById(`${listId}-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [active, listId]);

  const people = engine.directory().sort((a, b) => byCodeUnit(a.displayName, b.displayName));
  const nameOf = (id: string) => engine.user(id)?.displayName ?? 'Someone';
  const where = (id: string) => {
    const c = engine.conversations().find((x) => x.id === id);
    return c ? (c.kind === 'dm' ? conversationTitle(engine, c) : `#${c.name ?? ''}`) : 'a conversation';
  };
  const recent = recentSearches();
  const now = Date.now();

  return (
    <dialog
      ref={ref}
      className="dialog search-dialog"
      aria-labelledby="search-title"
      onCancel={props.onClose}
    >
      <header className="dialog-head">
        <h2 id="search-title">Search messages</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={props.onClose}>
          ✕
        </button>
      </header>
      <input
        className="search-input"
        // Not type="search": there Escape only empties the field, and it must close the dialog.
        type="text"
        enterKeyHint="search"
        aria-label="Search messages"
        placeholder="Words to find"
        role="combobox"
        aria-expanded={visible.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        {...(visible[active] ? { 'aria-activedescendant': `${listId}-${active}` } : {})}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={onKey}
        ref={input}
      />
      <SearchFilters
        state={f}
        set={(change) => setF((was) => ({ ...was, ...change }))}
        hereName={here ? where(here.id) : null}
        people={people}
      />
      <ServerNote state={server.kind} message={'message' in server ? server.message : ''} />
      {q.trim() === '' ? (
        <Empty recent={recent} onPick={setQ} />
      ) : !hasTerms(q) ? (
        <p className="muted search-none">
          Type a word to search for: punctuation on its own matches nothing.
        </p>
      ) : hits.length === 0 ? (
        <p className="muted search-none">
          {server.kind === 'asking'
            ? 'Searching…'
            : more
              ? `None of the most recent messages match “${q.trim()}”.`
              : `No messages match “${q.trim()}”.`}
        </p>
      ) : null}
      <ul className="search-results" id={listId} role="listbox" aria-label="Results">
        {visible.map((h, i) => (
          <li
            key={`${h.conversationId} ${h.key}`}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            onClick={() => open(h)}
            onMouseMove={() => setPicked(idOf(h))}
          >
            <span className="search-meta">
              <strong>{nameOf(h.authorId)}</strong> in {where(h.conversationId)}
              {h.parent !== null && ' (thread)'} · {relativeTime(h.ts, now)}
              {h.from === 'server' && <span className="search-server">from the server</span>}
            </span>
            <span className="search-text">
              {h.parts.map((p, j) =>
                p.match ? <mark key={j}>{p.text}</mark> : <span key={j}>{p.text}</span>,
              )}
            </span>
          </li>
        ))}
      </ul>
      {hits.length > shown ? (
        <div className="search-more-row">
          <p className="muted search-count" aria-live="polite">
            Showing {shown} of {hits.length}
            {more ? ' so far' : ''}.
          </p>
          <button
            type="button"
            className="link-button search-more"
            onClick={() => {
              // The first newly shown result is highlighted and the field keeps focus (the combobox's
              // place): on the last page this button goes, and focus must not fall to the page.
              const first = hits[shown];
              if (first) setPicked(idOf(first));
              setShown((n) => n + PAGE);
              // One button for both: when the held results run short of the next page and the server
              // has more, its next page is asked for too (otherwise "of 54 so far" would need a second
              // button to reach the rest).
              if (more && hits.length < shown + 2 * PAGE) more();
              input.current?.focus();
            }}
          >
            Show more results
          </button>
        </div>
      ) : (
        more && (
          <button type="button" className="link-button search-more" onClick={more}>
            {hits.length === 0 ? 'Search older messages' : 'More results from the server'}
          </button>
        )
      )}
    </dialog>
  );
}

function ServerNote({ state, message }: { state: string; message: string }) {
  if (state === 'offline')
    return (
      <p className="search-note" role="status">
        Showing what is on this device; connect to search older messages.
      </p>
    );
  if (state === 'error')
    return (
      <p className="search-note" role="status">
        Older messages could not be searched: {message}
      </p>
    );
  return null;
}

function Empty({ recent, onPick }: { recent: string[]; onPick: (q: string) => void }) {
  return (
    <div className="search-empty">
      {recent.length > 0 && (
        <>
          <h3>Recent searches</h3>
          <ul className="search-recent">
            {recent.map((r) => (
              <li key={r}>
                <button type="button" className="link-button" onClick={() => onPick(r)}>
                  {r}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted">
        Type a few words. Messages on this device show at once; older ones come from the server when you are
        online. Word beginnings match too: “deadl” finds “deadline”.
      </p>
      <ul className="search-tips muted" aria-label="Filters">
        <li>
          <strong>From</strong>: one person’s messages
        </li>
        <li>
          <strong>When</strong>: today, the past week or month, or dates you choose
        </li>
        <li>
          <strong>Only in</strong>: the conversation you have open
        </li>
        <li>
          <strong>Has a link</strong>, <strong>In threads</strong>: narrow it further
        </li>
      </ul>
    </div>
  );
}
