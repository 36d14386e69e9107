import { useId, useState, type ReactNode } from 'react';
import { describeDays, WHEN_CHOICES, type When } from './date-range.ts';
import { PersonPicker } from './person-picker.tsx';
import type { Order } from './use-search.ts';

/** What the filters row shows and sets (the dialog holds the state). */
export type FilterState = {
  onlyHere: boolean;
  from: string;
  when: When;
  /** The custom range's days as date inputs give them (yyyy-mm-dd), '' when not set. */
  days: { from: string; to: string };
  links: boolean;
  threads: boolean;
  order: Order;
};

/**
 * The search screen's filters (issue 16): where, who, when, has a link, in threads, and the order. Native
 * controls, each with its label, so a phone shows its own pickers (a UK phone's date picker is in
 * dd/mm/yyyy) and a screen reader names every one; "From" is a typeahead (person-picker.tsx), since a
 * college's every person would be a select of 20,000.
 */
export function SearchFilters(props: {
  state: FilterState;
  set: (change: Partial<FilterState>) => void;
  /** "#general" or a DM's name when a conversation is open: "Only in" it. */
  hereName: string | null;
  people: readonly { id: string; displayName: string }[];
}) {
  const { state: s, set } = props;
  // On a phone the filters fold behind a button, so the results have the screen; a desktop shows them.
  const [open, setOpen] = useState(false);
  const on = [s.onlyHere, s.from !== '', s.when !== 'any', s.links, s.threads].filter(Boolean).length;
  const id = useId();
  return (
    <>
      <button
        type="button"
        className="search-filter-toggle"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen(!open)}
      >
        {on === 0 ? 'Filters' : `Filters · ${on} on`}
      </button>
      <div className={open ? 'search-filters open' : 'search-filters'} id={id}>
        <div className="search-filter-row">
          <PersonPicker
            label="From"
            people={props.people}
            value={s.from}
            onChange={(from) => set({ from })}
          />
          <Select label="When" value={s.when} onChange={(v) => set({ when: v as When })}>
            {WHEN_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </Select>
          <Select
            label="Sort"
            wide
            value={s.order}
            onChange={(v) => set({ order: v === 'best' ? 'best' : 'newest' })}
          >
            <option value="newest">Newest first</option>
            <option value="best">Best match</option>
          </Select>
        </div>
        {s.when === 'custom' && (
          <fieldset className="search-filter-row search-dates">
            <legend className="visually-hidden">Dates</legend>
            <DateField
              label="From date"
              value={s.days.from}
              set={(from) => set({ days: { ...s.days, from } })}
            />
            <DateField label="To date" value={s.days.to} set={(to) => set({ days: { ...s.days, to } })} />
            <p className="search-dates-words muted" aria-live="polite">
              {describeDays(s.days)}
            </p>
          </fieldset>
        )}
        <div className="search-filter-row">
          {props.hereName !== null && (
            <Check
              label={`Only in ${props.hereName}`}
              on={s.onlyHere}
              set={(onlyHere) => set({ onlyHere })}
            />
          )}
          <Check label="Has a link" on={s.links} set={(links) => set({ links })} />
          <Check label="In threads" on={s.threads} set={(threads) => set({ threads })} />
        </div>
      </div>
    </>
  );
}

function Select(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  /** Takes a phone's whole row (the third of a two-column grid). */
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <label className={props.wide ? 'search-select search-wide' : 'search-select'}>
      <span>{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.children}
      </select>
    </label>
  );
}

function DateField(props: { label: string; value: string; set: (v: string) => void }) {
  return (
    <label className="search-select">
      <span>{props.label}</span>
      <input type="date" value={props.value} onChange={(e) => props.set(e.target.value)} />
    </label>
  );
}

function Check(props: { label: string; on: boolean; set: (on: boolean) => void }) {
  return (
    <label className="search-check">
      <input type="checkbox" checked={props.on} onChange={(e) => props.set(e.target.checked)} />
      {props.label}
    </label>
  );
}
