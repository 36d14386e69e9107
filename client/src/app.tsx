import type { Engine } from '@commonroom/engine';
import { Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { lazy } from './ui/lazy.tsx';
import { requestPersistentStorage } from './sync/boot.ts';
import { reloadOnWipeElsewhere, takeWipeNotice } from './sync/wipe.ts';
// Not lazy: a sign-in page that fails to load (offline, before the service worker holds it) locks a person
// out (CHANGELOG, 2026-12-07).
import { LoginPage } from './features/login-page.tsx';
import { signOut as signOutHere, signOutEverywhere as signOutAll } from './features/sign-out.ts';
import { connectTabs } from './sync/tabs.ts';
import { EngineProvider, useEngine, useEngineVersion } from './hooks/engine-context.tsx';
import { useUnreadTitle } from './hooks/use-unread.ts';
import { useSafeguarding } from './hooks/use-safeguarding.ts';
import { navigate, usePath } from './hooks/use-path.ts';
import { ConversationPane, preloadMessageList } from './features/conversation-pane.tsx';
import { Sidebar } from './features/sidebar.tsx';
import { typingIn, useHelpKey } from './features/help-key.ts';
import { rememberDmPolicy } from './features/dm-rule.ts';
import type { DeviceReport } from './sync/device-report.ts';
import { afterFirstScreen, loadDeferred } from './ui/first-screen.ts';
import { AfterFirstScreen } from './ui/after-first-screen.tsx';

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
const StatusDialog = lazy(async () => ({
  default: (await import('./features/status/status-dialog.tsx')).StatusDialog,
}));
// Mentions and replies for me (issue 15 §2): its own view, loaded when opened.
const ActivityView = lazy(async () => ({
  default: (await import('./features/activity-view.tsx')).ActivityView,
}));
// Search (issue 16): the dialog, its CSS and the result merge load when it is first opened.
const SearchDialog = lazy(async () => ({
  default: (await import('./features/search/search-dialog.tsx')).SearchDialog,
}));
// The keyboard shortcuts help (issue 18), opened with `?`.
const ShortcutsDialog = lazy(async () => ({
  default: (await import('./features/shortcuts-dialog.tsx')).ShortcutsDialog,
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

export function App({
  engine,
  started,
}: {
  engine: Engine;
  /** `engine.init()`, called by the entry point before the first render (main.tsx). */
  started: ReturnType<Engine['init']>;
}) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  useEffect(() => {
    let alive = true;
    const notice = takeWipeNotice();
    void started.then((me) => {
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
  }, [engine, started]);

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

/**
 * Where the address points: `#/c/<conversation>`, `#/c/<conversation>/m/<author:local>` (a message: push
 * notifications and Activity link there) or `#/activity`. `n` counts arrivals, so the same link again jumps again.
 */
type Route = { id: string | null; key: string | null; activity: boolean; n: number };
const route = (hash: string, n: number): Route => {
  const m = /^#\/c\/([\w-]+)(?:\/m\/([\w-]+(?::|%3A)[\w-]+))?$/.exec(hash);
  return { id: m?.[1] ?? null, key: m?.[2]?.replace('%3A', ':') ?? null, activity: hash === '#/activity', n };
};

function Shell({ onSignedOut }: { onSignedOut: (notice?: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [at, setAt] = useState(() => route(location.hash, 0));
  const selected = at.id;
  const [dialog, setDialog] = useState<'browse' | 'new' | 'status' | 'search' | 'shortcuts' | null>(null);
  // The last name heard, so a device started offline shows the college's name, not the product's.
  const [workspace, setWorkspace] = useState(() => localStorage.getItem(WORKSPACE_KEY) ?? 'Commonroom');
  const workspaceVersion = engine.workspaceVersion();

  const go = useCallback((hash: string) => {
    setAt((a) => route(hash, a.n + 1));
    history.replaceState(null, '', hash || '#');
  }, []);
  const select = useCallback((id: string | null) => go(id ? `#/c/${id}` : ''), [go]);
  // A link within the app (an Activity entry) changes the hash: follow it; Back returns to where it was.
  useEffect(() => {
    // Only the app's own routes: the skip link's `#main` must not close the conversation.
    const onHash = () => {
      if (location.hash.startsWith('#/')) go(location.hash);
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [go]);

  useEffect(() => {
    void fetch('/api/workspace', { credentials: 'same-origin' })
      .then((r) =>
        r.ok ? (r.json() as Promise<{ workspaceName: string; studentDmPolicy?: unknown }>) : null,
      )
      .then((w) => {
        if (!w) return;
        setWorkspace(w.workspaceName);
        localStorage.setItem(WORKSPACE_KEY, w.workspaceName);
        rememberDmPolicy(w.studentDmPolicy);
      })
      .catch(() => undefined);
    // Read again whenever an admin renames the workspace (a notice to every open app).
  }, [workspaceVersion]);

  useEffect(preloadMessageList, []);
  // Attachments (issue 17): the upload queue starts with the app, so messages with files saved before a
  // reload or while offline go when the network is there. Its code is a chunk of its own, loaded once the
  // first screen is painted (ui/first-screen.ts).
  useEffect(() => {
    void afterFirstScreen()
      .then(() => loadDeferred(() => import('./attachments/attachments.ts')))
      .then((m) => m.attachmentsFor(engine));
  }, [engine]);
  // Device search (issue 16): its code, MiniSearch and its worker are chunks of their own, loaded after the
  // first screen; it keeps its index current from here on and forgets itself at sign-out.
  useEffect(() => {
    void afterFirstScreen()
      .then(() => loadDeferred(() => import('./search/search-client.ts')))
      .then((m) => m.deviceSearch(engine));
  }, [engine]);

  // The server hears what this device shows (presence, and no push for a conversation on screen); the
  // code loads after the first screen.
  const report = useRef<DeviceReport | null>(null);
  const shown = useRef(selected);
  shown.current = selected;
  useEffect(() => {
    let alive = true;
    void afterFirstScreen()
      .then(() => loadDeferred(() => import('./sync/device-report.ts')))
      .then((m) => {
        if (alive) report.current = m.startDeviceReport(engine, () => shown.current);
      });
    return () => {
      alive = false;
      report.current?.stop();
      report.current = null;
    };
  }, [engine]);
  useEffect(() => report.current?.changed(), [selected]);

  // Desktop opens #general by default; a phone starts on the list.
  useEffect(() => {
    if (selected === null && !at.activity && matchMedia('(min-width: 700px)').matches) {
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
      if (data.url.startsWith('/#/')) go(data.url.slice(1));
    };
    sw.addEventListener('message', onMessage);
    return () => sw.removeEventListener('message', onMessage);
  }, [go]);

  // Ctrl+K (Cmd+K on a Mac) opens search from anywhere in the conversations.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.key.toLowerCase() !== 'k') return;
      e.preventDefault();
      setDialog('search');
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  useHelpKey(useCallback(() => setDialog('shortcuts'), []));

  // Alt+↑ / Alt+↓ move between conversations, but not while typing (Alt+↑ moves a caret to a text's start
  // on some systems) nor over a dialog (the conversation behind it must not change unseen).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      if (typingIn(e.target) || document.querySelector('dialog[open]')) return;
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

  // Not lazy either: signing out must work offline on a first visit too.
  const signOut = async () => {
    if (await signOutHere(engine)) onSignedOut();
  };
  const signOutEverywhere = () => signOutAll(engine);

  return (
    <div className={`shell${selected || at.activity ? ' has-selection' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to conversation
      </a>
      <Sidebar
        workspaceName={workspace}
        selected={at.activity ? 'activity' : selected}
        onSelect={select}
        onActivity={() => go('#/activity')}
        onSearch={() => setDialog('search')}
        onBrowse={() => setDialog('browse')}
        onNewMessage={() => setDialog('new')}
        onSignOut={() => void signOut()}
        onSignOutEverywhere={() => void signOutEverywhere()}
        onProfile={() => navigate('/profile')}
        onStatus={() => setDialog('status')}
        {...(engine.isAdmin() ? { onAdmin: () => navigate('/admin/people') } : {})}
        {...(safeguarding?.lead
          ? { safeguarding: { open: safeguarding.open, onOpen: () => navigate('/safeguarding') } }
          : {})}
      />
      {at.activity ? (
        <Suspense fallback={<main className="pane" id="main" aria-busy="true" />}>
          <ActivityView onBack={() => select(null)} />
        </Suspense>
      ) : selected ? (
        <ConversationPane
          conversationId={selected}
          target={at.key ? { key: at.key, n: at.n } : null}
          onBack={() => select(null)}
        />
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
        {dialog === 'search' && (
          <SearchDialog
            here={selected}
            onClose={() => setDialog(null)}
            onOpen={(hash) => {
              setDialog(null);
              go(hash);
            }}
          />
        )}
        {dialog === 'status' && <StatusDialog onClose={() => setDialog(null)} />}
        {dialog === 'shortcuts' && <ShortcutsDialog onClose={() => setDialog(null)} />}
        <AfterFirstScreen>
          <FloatingNotices safeguarding={safeguarding} />
        </AfterFirstScreen>
      </Suspense>
    </div>
  );
}
