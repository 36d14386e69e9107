import { useEffect, useId, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { listCohorts } from './admin-api.ts';

/**
 * Cohorts as typed ("bio-l3, eng-l2"), with the cohorts already in use offered as suggestions. The person
 * joins the course channel named like each cohort, when there is one.
 */
export function CohortField({
  value,
  onChange,
  label = 'Cohorts (courses)',
}: {
  value: string;
  onChange: (v: string) => void;
  label?: string;
}) {
  const engine = useEngine();
  const id = useId();
  const [known, setKnown] = useState<string[]>([]);
  useEffect(() => {
    let alive = true;
    listCohorts(engine)
      .then((l) => alive && setKnown(l.cohorts.map((c) => c.name)))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [engine]);
  // Suggest completions of the last entry being typed.
  const parts = value.split(',');
  const head = parts
    .slice(0, -1)
    .map((p) => p.trim())
    .filter(Boolean);
  const prefix = head.length > 0 ? `${head.join(', ')}, ` : '';
  return (
    <label>
      {label}
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        list={`${id}-list`}
        autoComplete="off"
        placeholder="e.g. level3-adult-care, bio-l3"
        aria-describedby={`${id}-hint`}
      />
      <datalist id={`${id}-list`}>
        {known
          .filter((k) => !head.includes(k))
          .map((k) => (
            <option key={k} value={`${prefix}${k}`} />
          ))}
      </datalist>
      <span id={`${id}-hint`} className="hint">
        Separate with commas. They join each cohort's course channel (the channel with the same name).
      </span>
    </label>
  );
}
