import { useId, useState, type ReactNode } from 'react';

// What each mark does, as typed and as it shows: kept to the subset messages render (ui/markdown).
const MARKS: [typed: string, shows: ReactNode][] = [
  ['**bold**', <strong key="b">bold</strong>],
  ['_italic_', <em key="i">italic</em>],
  ['`code`', <code key="c">code</code>],
  ['```', 'on a line before and after a block of code'],
  ['- item', 'a list (1. for a numbered one)'],
  ['> words', 'a quote'],
  ['[words](https://…)', 'a link'],
];

/**
 * The composer's "Aa" button: shows, under the composer's tools, how to format a message. A disclosure (a
 * button that says whether it is open and what it opens), so a screen reader can find and read it.
 */
export function FormattingHint() {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <>
      <button
        type="button"
        className="icon-button format-button"
        aria-label="Formatting help"
        aria-expanded={open}
        aria-controls={id}
        title="Formatting help"
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && open) {
            e.preventDefault();
            setOpen(false);
          }
        }}
      >
        Aa
      </button>
      <div id={id} className="format-hint" hidden={!open}>
        <p className="format-hint-title">Formatting</p>
        <dl>
          {MARKS.map(([typed, shows]) => (
            <div key={typed} className="format-row">
              <dt>
                <code>{typed}</code>
              </dt>
              <dd>{shows}</dd>
            </div>
          ))}
        </dl>
      </div>
    </>
  );
}
