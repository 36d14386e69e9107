import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import { fold } from '../../search/normalise.ts';

/** At most this many names under the field: a college's 20,000 people would be a list nobody reads. */
export const MAX_SHOWN = 20;

type Person = { id: string; displayName: string };

/**
 * The "From" filter (issue 16): a typeahead over everyone, in the ARIA combobox pattern (WAI-ARIA APG
 * "editable combobox with list autocomplete"). Typing lists up to MAX_SHOWN people whose name has a word
 * starting so (case and accents folded: "zoe" finds Zoë); ↑/↓ move, Enter or a click picks, Escape closes
 * the list (a second Escape closes the dialog). Leaving the field without picking keeps the person chosen
 * before; an empty field is "Anyone".
 */
export function PersonPicker(props: {
  label: string;
  people: readonly Person[];
  /** The chosen person's id, '' for anyone. */
  value: string;
  onChange: (id: string) => void;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const chosen = props.people.find((p) => p.id === props.value);
  const [text, setText] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  // Each name's words folded once, not on every keystroke (20,000 names).
  const folded = useMemo(
    () => props.people.map((p) => ({ p, words: fold(p.displayName).split(/[\s'’-]+/) })),
    [props.people],
  );
  const typed = text ?? chosen?.displayName ?? '';
  const matches = useMemo(() => {
    const q = fold(typed.trim());
    // One more than shown: whether to say that typing more narrows it.
    if (q === '') return folded.slice(0, MAX_SHOWN + 1).map((f) => f.p);
    const out: Person[] = [];
    for (const f of folded) {
      if (f.words.some((w) => w.startsWith(q)) || fold(f.p.displayName).startsWith(q)) out.push(f.p);
      if (out.length > MAX_SHOWN) break;
    }
    return out;
  }, [folded, typed]);
  const listed = matches.slice(0, MAX_SHOWN);
  const shown = open ? listed : [];

  const pick = (p: Person | null): void => {
    props.onChange(p?.id ?? '');
    setText(null);
    setOpen(false);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!open) {
        setOpen(true);
        setActive(0);
        return;
      }
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => Math.max(0, Math.min(listed.length - 1, a + step)));
    } else if (e.key === 'Enter' && open) {
      e.preventDefault();
      const p = listed[active];
      if (p) pick(p);
    } else if (e.key === 'Escape' && open) {
      // The list closes; the dialog stays (its cancel would close it).
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      setText(null);
    }
  };

  return (
    <div className="search-select search-person">
      <label htmlFor={id}>{props.label}</label>
      <div className="search-person-field">
        <input
          id={id}
          type="text"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          placeholder="Anyone"
          aria-expanded={shown.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          {...(open && listed[active] ? { 'aria-activedescendant': `${listId}-${active}` } : {})}
          value={typed}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
            setActive(0);
            if (e.target.value.trim() === '') props.onChange('');
          }}
          onKeyDown={onKey}
          onBlur={() => {
            setOpen(false);
            setText(null);
          }}
        />
        {chosen && (
          <button
            type="button"
            className="icon-button search-person-clear"
            aria-label={`Anyone (clear ${chosen.displayName})`}
            onClick={() => pick(null)}
          >
            ✕
          </button>
        )}
        <div className="search-person-popup" hidden={!open}>
          <ul className="search-person-list" id={listId} role="listbox" aria-label={`${props.label}: people`}>
            {shown.map((p, i) => (
              <li
                key={p.id}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                // Before the field's blur, which would close the list first.
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(p);
                }}
                onMouseMove={() => setActive(i)}
              >
                {p.displayName}
              </li>
            ))}
          </ul>
          {matches.length === 0 && <p className="search-person-note">No one by that name</p>}
          {matches.length > MAX_SHOWN && (
            <p className="search-person-note">The first {MAX_SHOWN}: type more of a name to narrow them.</p>
          )}
        </div>
      </div>
    </div>
  );
}
