import { Dialog } from '../ui/dialog.tsx';
import './shortcuts-dialog.css';

/** ⌘ on Apple devices, Ctrl elsewhere: the search hint in the sidebar says the same. */
const mod = (): string => (/Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl');

type Shortcut = { keys: string[][]; does: string };

/**
 * The keyboard shortcuts the app has (issue 18), opened with `?`. Each line is a real handler: app.tsx
 * (search, moving between conversations, this help), composer-box.tsx (send, new line, mentions),
 * message-item.tsx (editing), conversation-pane.tsx and ui/dialog.tsx (Escape), search-dialog.tsx,
 * activity-view.tsx and details-tabs.tsx (arrows).
 */
function groups(): { title: string; items: Shortcut[] }[] {
  return [
    {
      title: 'Anywhere',
      items: [
        { keys: [[mod(), 'K']], does: 'Search messages' },
        {
          keys: [
            ['Alt', '↑'],
            ['Alt', '↓'],
          ],
          does: 'Previous or next conversation',
        },
        { keys: [['?']], does: 'Show these shortcuts' },
        { keys: [['Esc']], does: 'Close a dialog, menu or thread' },
      ],
    },
    {
      title: 'Writing a message',
      items: [
        { keys: [['Enter']], does: 'Send' },
        { keys: [['Shift', 'Enter']], does: 'New line' },
        { keys: [['@']], does: 'Mention someone: ↑ ↓ to choose, Enter or Tab to pick' },
        { keys: [['Esc']], does: 'Cancel an edit, or close the mention list' },
      ],
    },
    {
      title: 'Lists',
      items: [
        { keys: [['↑'], ['↓']], does: 'Move through search results and Activity' },
        { keys: [['Enter']], does: 'Open the chosen result' },
        { keys: [['←'], ['→']], does: 'Switch tabs in a channel’s details' },
        { keys: [['Tab']], does: 'Move between buttons and fields' },
      ],
    },
  ];
}

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <div className="shortcuts" data-testid="shortcuts">
        {groups().map((g) => (
          <section key={g.title} aria-labelledby={`shortcuts-${g.title}`}>
            <h3 id={`shortcuts-${g.title}`}>{g.title}</h3>
            <dl>
              {g.items.map((s) => (
                <div key={s.does} className="shortcut">
                  <dt>
                    {s.keys.map((combo, i) => (
                      <span key={combo.join('+')}>
                        {i > 0 && <span className="or"> or </span>}
                        {combo.map((k, j) => (
                          <span key={k}>
                            {j > 0 && '+'}
                            <kbd>{k}</kbd>
                          </span>
                        ))}
                      </span>
                    ))}
                  </dt>
                  <dd>{s.does}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  );
}
