import { NetworkError, type Engine } from '@commonroom/engine';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { requestPersistentStorage } from './sync/boot.ts';
import { OkReply } from '@commonroom/protocol';
import { clearAllDrafts } from './ui/drafts.ts';
import { reloadOnWipeElsewhere, takeWipeNotice } from './sync/wipe.ts';
import { LoginPage } from './features/login-page.tsx';
import { connectTabs } from './sync/tabs.ts';
import { EngineProvider, useEngine, useEngineVersion } from './hooks/engine-context.tsx';
import { useUnreadTitle } from './hooks/use-unread.ts';
import { useSafeguarding } from './hooks/use-safeguarding.ts';
import { navigate, usePath } from './hooks/use-path.ts';
import { ConversationPane } from './features/conversation-pane.tsx';
import { Sidebar } from './features/sidebar.tsx';

// Loaded when first used, to keep the first screen's JavaScript small.
const ChannelBrowser = lazy(async () => ({
  default: (await import('./features/channel-browser.tsx')).ChannelBrowser,
}));
const NewMessage = lazy(async () => ({ default: (await import('./features/new-message.tsx')).NewMessage }));
// The admin area is for a few people on desktops: its code loads only when one of them opens it.
const AdminArea = lazy(async () => ({
  default: (await import('./features/admin/admin-area.tsx')).AdminArea,
}));
// The safeguarding area is for a few leads: loaded only when one of them opens it (issue 14).
const SafeguardingArea = lazy(async () => ({
  default: (await import('./features/safeguarding/safeguarding-area.tsx')).SafeguardingArea,
}));
// Everyone's profile page: opened now and then, so loaded when opened (the first screen stays small).
const FloatingNotices = lazy(async () => ({
  default: (await import('./features/floating-notices.tsx')).FloatingNotices,
}));
const ProfilePage = lazy(async () => ({
  default: (await import('./features/profile/profile-page.tsx')).ProfilePage,
}));
const SetupPage = lazy(async () => ({ default: (await import('./features/setup-page.tsx')).SetupPage }));
const SetPasswordPage = lazy(async () => ({
  default: (await import('./features/set-password-page.tsx')).SetPasswordPage,
}));

type Phase =
  | { kind: 'loading' }
  | { kind: 'setup'; token: string }
  | { kind: 'set-password'; signedInAs: string | null }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'in' };

export function App({ engine }: { engine: Engine }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  useEffect(() => {
    let alive = true;
    const notice = takeWipeNotice();
    void engine.init().then((me) => {
      if (!alive) return;
      const setupToken = location.pathname === '/setup' ? location.hash.slice(1) : '';
      // A one-time set-password link (its page reads the token from the address).
      if (location.pathname.startsWith('/set-password'))
        setPhase({ kind: 'set-password', signedInAs: me?.displayName ?? null });
      else if (me) {
        connectTabs(engine);
        setPhase({ kind: 'in' });
      } else if (setupToken) setPhase({ kind: 'setup', token: setupToken });
      else setPhase({ kind: 'signed-out', ...(notice ? { notice } : {}) });
    });
    return () => {
      alive = false;
    };
  }, [engine]);

  // The server ended the session (T10): deactivation and "sign out everywhere" wipe this device, at its first
  // contact, whichever it is; any other end leaves the sign-in page to the Shell and keeps unsent work.
  useEffect(() => {
    const stopListening = reloadOnWipeElsewhere();
    const stopHearing = engine.onSessionEnded((e) => {
      if (e.wipe) void import('./sync/wipe-device.ts').then((m) => m.wipeDevice(engine, e.reason));
    });
    return () => {
      stopListening();
      stopHearing();
    };
  }, [engine]);

  const opening = (
    <main className="login" id="main" aria-busy="true">
      <p>Opening Commonroom…</p>
    </main>
  );
  return (
    <EngineProvider engine={engine}>
      {phase.kind === 'loading' ? (
        opening
      ) : phase.kind === 'setup' ? (
        <Suspense fallback={null}>
          <SetupPage
            token={phase.token}
            onDone={() => {
              void requestPersistentStorage();
              connectTabs(engine);
              setPhase({ kind: 'in' });
            }}
          />
        </Suspense>
      ) : phase.kind === 'set-password' ? (
        <Suspense fallback={null}>
          <SetPasswordPage
            signedInAs={phase.signedInAs}
            onDone={() => {
              void requestPersistentStorage();
              connectTabs(engine);
              setPhase({ kind: 'in' });
            }}
            onSignIn={() => {
              if (phase.signedInAs) {
                connectTabs(engine);
                setPhase({ kind: 'in' });
              } else setPhase({ kind: 'signed-out' });
            }}
          />
        </Suspense>
      ) : phase.kind === 'signed-out' ? (
        <LoginPage
          {...(phase.notice ? { notice: phase.notice } : {})}
          onSignedIn={() => {
            void requestPersistentStorage();
            connectTabs(engine);
            setPhase({ kind: 'in' });
          }}
        />
      ) : (
        <SignedIn onSignedOut={(notice) => setPhase({ kind: 'signed-out', ...(notice ? { notice } : {}) })} />
      )}
    </EngineProvider>
  );
}

/** Signed in: the admin area at /admin/… (admins only), the conversations everywhere else. */
function SignedIn({ onSignedOut }: { onSignedOut: (notice?: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const path = usePath();
  const status = engine.status();
  const admin = path === '/admin' || path.startsWith('/admin/');
  const allowed = engine.isAdmin();

  useEffect(() => {
    if (status.connection === 'signed-out') onSignedOut('Your session has ended. Please sign in again.');
  }, [status.connection, onSignedOut]);
  // Not an admin: the address shows the conversations, not a page they may not open.
  useEffect(() => {
    if (admin && !allowed) navigate('/', true);
  }, [admin, allowed]);
  // The safeguarding area checks for itself that this person is a lead (and the server on every call).
  if (path === '/safeguarding' || path.startsWith('/safeguarding/'))
    return (
      <Suspense fallback={null}>
        <SafeguardingArea />
      </Suspense>
    );
  if (admin && allowed)
    return (
      <Suspense
        fallback={
          <main className="login" id="main" aria-busy="true">
            <p>Opening the admin area…</p>
          </main>
        }
      >
        <AdminArea />
      </Suspense>
    );
  if (path === '/profile')
    return (
      <Suspense
        fallback={
          <main className="login" id="main" aria-busy="true">
            <p>Opening your profile…</p>
          </main>
        }
      >
        <ProfilePage />
      </Suspense>
    );
  return <Shell onSignedOut={onSignedOut} />;
}

const WORKSPACE_KEY = 'commonroom:workspace-name';

const conversationFromHash = (): string | null => /^#\/c\/([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1] ?? null;

function Shell({ onSignedOut }: { onSignedOut: (notice?: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [selected, setSelected] = useState<string | null>(conversationFromHash);
  const [dialog, setDialog] = useState<'browse' | 'new' | null>(null);
  // The last name heard, so a device started offline shows the college's name, not the product's.
  const [workspace, setWorkspace] = useState(() => localStorage.getItem(WORKSPACE_KEY) ?? 'Commonroom');
  const workspaceVersion = engine.workspaceVersion();

  const select = useCallback((id: string | null) => {
    setSelected(id);
    history.replaceState(null, '', id ? `#/c/${id}` : '#');
  }, []);

  useEffect(() => {
    void fetch('/api/workspace', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<{ workspaceName: string }>) : null))
      .then((w) => {
        if (!w) return;
        setWorkspace(w.workspaceName);
        localStorage.setItem(WORKSPACE_KEY, w.workspaceName);
      })
      .catch(() => undefined);
    // Read again whenever an admin renames the workspace (a notice to every open app).
  }, [workspaceVersion]);

  // Desktop opens #general by default; a phone starts on the list.
  useEffect(() => {
    if (selected === null && matchMedia('(min-width: 700px)').matches) {
      const general = engine.conversations().find((c) => c.name === 'general' && c.isMember);
      if (general) select(general.id);
    }
  });

  // A notification clicked while the app is open: the service worker hands over its link (push-sw.ts).
  useEffect(() => {
    const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : null;
    if (!sw) return;
    const onMessage = (e: MessageEvent) => {
      const data = e.data as { type?: unknown; url?: unknown } | null;
      if (data?.type !== 'commonroom-open' || typeof data.url !== 'string') return;
      const id = /^\/#\/c\/([A-Za-z0-9_-]+)$/.exec(data.url)?.[1];
      if (id) select(id);
    };
    sw.addEventListener('message', onMessage);
    return () => sw.removeEventListener('message', onMessage);
  }, [select]);

  // Alt+↑ / Alt+↓ move between conversations.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      const list = [...document.querySelectorAll<HTMLButtonElement>('.sidebar .conv')];
      const i = list.findIndex((b) => b.classList.contains('selected'));
      const next = list[Math.max(0, Math.min(list.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        e.preventDefault();
        next.click();
        next.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  // The page title (and the app badge) carry the total unread count, after the workspace's name.
  useUnreadTitle(workspace);
  const safeguarding = useSafeguarding();

  const signOut = async () => {
    const waiting = engine.status().waiting;
    if (waiting > 0 && !confirm(`${waiting} message(s) have not been sent yet. Sign out and lose them?`))
      return;
    await engine.logout(true);
    clearAllDrafts();
    onSignedOut();
  };

  // Every device of this person, this one too, wipes itself when the server closes it (T10, wipe.ts).
  const signOutEverywhere = async () => {
    if (!confirm('Sign out on every device? Each of them, this one too, clears the messages it stored.'))
      return;
    try {
      await engine.api.request('POST', '/api/auth/sign-out-everywhere', OkReply);
    } catch (e) {
      alert(
        e instanceof NetworkError
          ? 'You are offline. Connect to sign out everywhere.'
          : 'That did not work. Please try again.',
      );
    }
  };

  return (
    <div className={`shell${selected ? ' has-selection' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to conversation
      </a>
      <Sidebar
        workspaceName={workspace}
        selected={selected}
        onSelect={select}
        onBrowse={() => setDialog('browse')}
        onNewMessage={() => setDialog('new')}
        onSignOut={() => void signOut()}
        onSignOutEverywhere={() => void signOutEverywhere()}
        onProfile={() => navigate('/profile')}
        {...(engine.isAdmin() ? { onAdmin: () => navigate('/admin/people') } : {})}
        {...(safeguarding?.lead
          ? { safeguarding: { open: safeguarding.open, onOpen: () => navigate('/safeguarding') } }
          : {})}
      />
      {selected ? (
        <ConversationPane conversationId={selected} onBack={() => select(null)} />
      ) : (
        <main className="pane pane-empty" id="main">
          <p className="muted">Choose a conversation.</p>
        </main>
      )}
      <Suspense fallback={null}>
        {dialog === 'browse' && (
          <ChannelBrowser
            onClose={() => setDialog(null)}
            onOpen={(id) => {
              setDialog(null);
              select(id);
            }}
          />
        )}
        {dialog === 'new' && (
          <NewMessage
            onClose={() => setDialog(null)}
            onOpen={(id) => {
              setDialog(null);
              select(id);
            }}
          />
        )}
        <FloatingNotices safeguarding={safeguarding} />
      </Suspense>
    </div>
  );
}
