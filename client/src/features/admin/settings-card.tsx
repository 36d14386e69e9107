import type { Engine } from '@commonroom/engine';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';

/** What a card's form asks the server for, or what is wrong in words and the id of the field to fix. */
export type Checked<P> = { patch: P } | { problem: string; field?: string };

/** What a card's fields are drawn with: the form's values, a setter, and the field marked invalid. */
export type CardFields<F> = {
  form: F;
  set: (change: Partial<F>) => void;
  /** The id of the field the last problem was about, for `aria-invalid`. */
  invalid: string | null;
};

type Props<S, F, P> = {
  /** The card's name: its legend, and its heading while it loads. */
  title: string;
  /** Extra classes on the form (a test or a rule of its own finds the card by them). */
  className?: string;
  /** What the card is for, under its title. */
  intro: ReactNode;
  load: (engine: Engine) => Promise<S>;
  /** The form's values for what the server has. */
  toForm: (saved: S) => F;
  check: (form: F, saved: S) => Checked<P>;
  /** Sends the change; answers what the server now has. */
  save: (engine: Engine, patch: P) => Promise<S>;
  /** Whether the form differs from what is saved; Save waits for a change. Absent: Save is always on. */
  dirty?: (form: F, saved: S) => boolean;
  /** "Save retention": names what is saved, since several cards share the page. */
  saveLabel: string;
  /** Said once saved: what changed and when it applies. */
  savedText: string;
  children: (fields: CardFields<F>) => ReactNode;
};

/**
 * One card of Admin → Settings saved on its own (quiet hours, retention, attachment limits): it loads its
 * part of the settings, shows a form, checks it before sending (a problem in words, its field marked and
 * focused so the fix starts there), saves, and says what the save did. Each card owns only its fields and
 * its checks; the loading, busy, saved and error states look and behave the same on every card.
 */
export function SettingsCard<S, F, P>(props: Props<S, F, P>) {
  const { title, load, toForm } = props;
  const engine = useEngine();
  const [saved, setSaved] = useState<S | null>(null);
  const [form, setForm] = useState<F | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  // Saved, the Save button is disabled under the keyboard's focus (nothing left to save): focus moves to
  // the words that say it was saved, rather than falling to the page.
  const resultRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (result) resultRef.current?.focus();
  }, [result]);
  const [busy, setBusy] = useState(false);
  const show = (s: S) => {
    setSaved(s);
    setForm(toForm(s));
  };
  useEffect(() => {
    let alive = true;
    load(engine)
      .then((s) => {
        if (!alive) return;
        setSaved(s);
        setForm(toForm(s));
      })
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
    // Loaded once per engine: `load` and `toForm` are each card's own fixed functions.
  }, [engine]);

  if (saved === null || form === null)
    return (
      <section className={`admin-card settings-card ${props.className ?? ''}`} aria-busy={!error}>
        <h2>{title}</h2>
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const dirty = props.dirty ? props.dirty(form, saved) : true;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(null);
    const checked = props.check(form, saved);
    if ('problem' in checked) {
      setError(checked.problem);
      if (checked.field) {
        setInvalid(checked.field);
        document.getElementById(checked.field)?.focus();
      }
      return;
    }
    setBusy(true);
    try {
      show(await props.save(engine, checked.patch));
      setResult(props.savedText);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className={`settings-form settings-card ${props.className ?? ''}`}
      noValidate
      onSubmit={(e) => void submit(e)}
    >
      <fieldset className="admin-card">
        <legend>{title}</legend>
        <p className="hint">{props.intro}</p>
        {props.children({ form, set: (change) => setForm({ ...form, ...change }), invalid })}
        {result && (
          <p className="admin-result" role="status" tabIndex={-1} ref={resultRef}>
            {result}
          </p>
        )}
        <ErrorText message={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={!dirty || busy}>
            {busy ? 'Saving…' : props.saveLabel}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

/** A whole-number setting with its label and a hint that is its description. */
export function NumberSetting({
  id,
  label,
  hint,
  range,
  value,
  invalid,
  placeholder,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  range: { min: number; max: number };
  value: string;
  invalid: boolean;
  placeholder?: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="setting-field">
      <label className="field">
        <span>{label}</span>
        <input
          id={id}
          className="narrow"
          type="number"
          inputMode="numeric"
          min={range.min}
          max={range.max}
          step={1}
          placeholder={placeholder}
          aria-invalid={invalid || undefined}
          aria-describedby={`${id}-hint`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}
