import type { ReactNode } from 'react';
import { usePath, navigate } from '../../hooks/use-path.ts';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ChannelPage } from './channel-page.tsx';
import { ChannelsScreen } from './channels-screen.tsx';
import { AuditScreen } from './audit-screen.tsx';
import { ImportScreen } from './import-screen.tsx';
import { PeopleScreen } from './people-screen.tsx';
import { PersonPage } from './person-page.tsx';
import { SettingsScreen } from './settings-screen.tsx';
import './admin.css';

/**
 * The admin area (issue 13 §1), loaded only when an admin opens it, so the first screen's JavaScript does
 * not grow. Its own paths (/admin/people, /admin/people/:id, /admin/channels, /admin/channels/:id,
 * /admin/settings, /admin/audit) survive a reload and the back button. The server stays the authority:
 * every route it calls checks the role again.
 */
export function AdminArea() {
  const engine = useEngine();
  const path = usePath();
  const importing = /^\/admin\/people\/import\/?$/.test(path);
  const person = importing ? undefined : /^\/admin\/people\/([A-Za-z0-9_-]+)\/?$/.exec(path)?.[1];
  const channel = /^\/admin\/channels\/([A-Za-z0-9_-]+)\/?$/.exec(path)?.[1];
  const channels = /^\/admin\/channels\/?$/.test(path);
  const settings = /^\/admin\/settings\/?$/.test(path);
  const audit = /^\/admin\/audit\/?$/.test(path);
  const known = importing || person !== undefined || /^\/admin(\/people)?\/?$/.test(path);

  const link = (to: string, label: ReactNode, current: boolean) => (
    <a
      href={to}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {label}
    </a>
  );

  return (
    <div className="admin">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="admin-bar">
        <span className="admin-brand">Commonroom admin</span>
        <nav aria-label="Admin">
          {link('/admin/people', 'People', path.startsWith('/admin/people') || path === '/admin')}
          {link('/admin/channels', 'Channels', path.startsWith('/admin/channels'))}
          {link('/admin/settings', 'Settings', settings)}
          {link('/admin/audit', 'Audit log', audit)}
        </nav>
        <span className="admin-me muted">{engine.me()?.displayName}</span>
        {link(
          '/',
          <>
            <span className="wide-only">← Back to messages</span>
            <span className="narrow-only">← Messages</span>
          </>,
          false,
        )}
      </header>
      <main className="admin-main" id="main">
        {importing ? (
          <ImportScreen />
        ) : person !== undefined ? (
          <PersonPage key={person} id={person} />
        ) : channel !== undefined ? (
          <ChannelPage key={channel} id={channel} />
        ) : channels ? (
          <ChannelsScreen />
        ) : settings ? (
          <SettingsScreen />
        ) : audit ? (
          <AuditScreen />
        ) : known ? (
          <PeopleScreen />
        ) : (
          <section className="admin-section">
            <h1>Not found</h1>
            <p>There is no admin page at this address. {link('/admin/people', 'Go to People', false)}</p>
          </section>
        )}
      </main>
    </div>
  );
}
