import { Component, type ReactNode } from 'react';

/**
 * The last line: a screen that fails to draw says so in plain words with a way out, never a blank page.
 * Nothing waiting to send is lost by reloading (the outbox and the upload queue are on the device).
 */
export class AppErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown): void {
    console.error('The app failed to draw', error);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="app-failed" role="alert">
        <h1>Something went wrong on this screen</h1>
        <p>Anything you wrote is still saved on this device and will be sent. Reloading usually fixes it.</p>
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </main>
    );
  }
}
