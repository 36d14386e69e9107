import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
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
  createRoot(root).render(
    <StrictMode>
      <AppErrorBoundary>
        <App engine={createBrowserEngine()} />
      </AppErrorBoundary>
    </StrictMode>,
  );
}
