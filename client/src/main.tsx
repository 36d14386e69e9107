import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { preloadMessageList } from './features/conversation-pane.tsx';
import { createBrowserEngine } from './sync/boot.ts';
import { AppErrorBoundary } from './ui/error-boundary.tsx';
import './ui/styles.css';

// The only side effects of the client: register the service worker (the app opens offline after one
// visit) and mount.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
}

const root = document.getElementById('root');
if (root) {
  // The device's copy (IndexedDB, the open conversations' documents) is read and the message list's code
  // fetched from the first moment, while React draws its first frame, not from an effect after that
  // frame: at an offline cold start they are the first screen's longest waits (issue 20).
  const engine = createBrowserEngine();
  const started = engine.init();
  preloadMessageList();
  createRoot(root).render(
    <StrictMode>
      <AppErrorBoundary>
        <App engine={engine} started={started} />
      </AppErrorBoundary>
    </StrictMode>,
  );
}
