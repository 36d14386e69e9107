import { useEffect } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { useSafeguarding } from '../../hooks/use-safeguarding.ts';
import { navigate, usePath } from '../../hooks/use-path.ts';
import { AreaLink } from './area-link.tsx';
import { ExportScreen } from './export-screen.tsx';
import { ItemPage } from './item-page.tsx';
import { KeywordsScreen } from './keywords-screen.tsx';
import { MonitorScreen } from './monitor-screen.tsx';
import { QueueScreen } from './queue-screen.tsx';
import '../admin/admin.css';
import './safeguarding.css';

/**
 * The safeguarding area (issue 14), for safeguarding leads only, loaded when a lead opens it so the first
 * screen's JavaScript does not grow. Paths: /safeguarding (the queue), /safeguarding/items/:id,
 * /safeguarding/keywords, /safeguarding/monitor, /safeguarding/export. Every route it calls checks again that the person is a
 * lead: an admin without the capability sees nothing here.
 */
export function SafeguardingArea() {
  const engine = useEngine();
  const path = usePath();
  const item = /^\/safeguarding\/items\/([0-9]+)\/?$/.exec(path)?.[1];
  const keywords = /^\/safeguarding\/keywords\/?$/.test(path);
  const monitor = /^\/safeguarding\/monitor\/?$/.test(path);
  const exporting = /^\/safeguarding\/export\/?$/.test(path);
  const lead = useSafeguarding()?.lead;
  // Not a lead (once the server said so): the conversations, not a page whose every route would refuse.
  useEffect(() => {
    if (lead === false) navigate('/', true);
  }, [lead]);
  if (lead !== true)
    return (
      <main className="login" id="main" aria-busy="true">
        <p>Opening the safeguarding area… It needs a connection.</p>
      </main>
    );
  const queue = /^\/safeguarding(\/items)?\/?$/.test(path);
  return (
    <div className="admin safeguarding">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="admin-bar">
        <span className="admin-brand">Safeguarding</span>
        <nav aria-label="Safeguarding">
          <AreaLink to="/safeguarding" current={queue || item !== undefined}>
            Queue
          </AreaLink>
          <AreaLink to="/safeguarding/monitor" current={monitor}>
            Monitor a conversation
          </AreaLink>
          <AreaLink to="/safeguarding/keywords" current={keywords}>
            Keyword alerts
          </AreaLink>
          <AreaLink to="/safeguarding/export" current={exporting}>
            Export
          </AreaLink>
        </nav>
        <span className="admin-me muted">{engine.me()?.displayName}</span>
        <AreaLink to="/">
          <span className="wide-only">← Back to messages</span>
          <span className="narrow-only">← Messages</span>
        </AreaLink>
      </header>
      <main className="admin-main" id="main">
        {item !== undefined ? (
          <ItemPage key={item} id={item} />
        ) : keywords ? (
          <KeywordsScreen />
        ) : monitor ? (
          <MonitorScreen />
        ) : exporting ? (
          <ExportScreen />
        ) : queue ? (
          <QueueScreen />
        ) : (
          <section className="admin-section">
            <h1>Not found</h1>
            <p>
              There is no safeguarding page at this address.{' '}
              <AreaLink to="/safeguarding">Go to the queue</AreaLink>
            </p>
          </section>
        )}
      </main>
    </div>
  );
}
