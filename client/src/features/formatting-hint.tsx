import { useId, useState } from 'react';

// What each mark does, as typed and as it reads: kept to the subset messages render (ui/markdown).
const MARKS: [typed: string, means: string][] = [
  ['**bold**', 'bold'],
  ['_italic_', 'italic'],
  ['`code`', 'code'],
  ['```', 'on its own line, before and after, for a block of code'],
  ['- item', 'a list (or 1. for a numbered one)'],
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
      >
        Aa
      </button>
      <div id={id} className="format-hint" hidden={!open}>
        <p className="format-hint-title">Formatting</p>
        <ul>
          {MARKS.map(([typed, means]) => (
            <li key={typed}>
              <code>{typed}</code> <span className="muted">{means}</span>
            </li>
          ))}
        </ul>
      </div>
    </>
  );
}
