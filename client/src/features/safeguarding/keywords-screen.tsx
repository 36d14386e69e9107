import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { getKeywords, problem, putKeywords } from './safeguarding-api.ts';

/**
 * The keyword alert list: one phrase a line, `*` for any letters inside a word. The server checks every
 * new message and edit against it; a match raises an item in the queue and changes nothing for the sender.
 */
export function KeywordsScreen() {
  const engine = useEngine();
  const [text, setText] = useState<string | null>(null);
  const [saved, setSaved] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    getKeywords(engine)
      .then((r) => {
        if (!alive) return;
        setSaved(r.phrases);
        setText(r.phrases.join('\n'));
      })
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const phrases = (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    try {
      const r = await putKeywords(engine, phrases);
      const before = new Set(saved.map((p) => p.toLowerCase()));
      const after = new Set(r.phrases.map((p) => p.toLowerCase()));
      const added = r.phrases.filter((p) => !before.has(p.toLowerCase())).length;
      const removed = saved.filter((p) => !after.has(p.toLowerCase())).length;
      setSaved(r.phrases);
      setText(r.phrases.join('\n'));
      setResult(
        added + removed === 0
          ? 'Nothing changed.'
          : `Saved: ${added} added, ${removed} removed. ${r.phrases.length} phrases are checked from now on.`,
      );
    } catch (err) {
      setError(problem(err));
    }
  };

  return (
    <section className="admin-section" aria-labelledby="keywords-title">
      <header className="admin-head">
        <div>
          <h1 id="keywords-title">Keyword alerts</h1>
          <p className="muted admin-sub">
            Every new message and edit is checked on the server, including ones written offline and sent
            later. A match adds an alert to the queue. The message is not blocked or changed, and its sender
            is not told.
          </p>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="sg-columns">
        <form className="admin-card admin-form sg-main" onSubmit={(e) => void save(e)}>
          <label>
            Words and phrases, one a line
            <textarea
              className="sg-keywords"
              rows={14}
              value={text ?? ''}
              disabled={text === null}
              spellCheck={false}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <div>
            <button type="submit" className="primary" disabled={text === null}>
              Save list
            </button>
          </div>
        </form>
        <aside className="admin-card sg-side" aria-labelledby="how-title">
          <h2 id="how-title">How matching works</h2>
          <ul className="sg-help">
            <li>
              Whole words, in any capitals: <code>knife</code> matches “Knife” but not “knives”.
            </li>
            <li>
              <code>*</code> stands for any letters: <code>kill*</code> matches “killing”, <code>*harm</code>{' '}
              matches “selfharm”.
            </li>
            <li>
              A phrase matches with any spacing: <code>meet me alone</code>.
            </li>
            <li>Changes apply to messages from now on; they are written to the audit log.</li>
          </ul>
        </aside>
      </div>
    </section>
  );
}
