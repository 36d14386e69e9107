import { NetworkError, type Engine } from '@commonroom/engine';
import { OkReply } from '@commonroom/protocol';
import { pendingUploads } from '../attachments/pending-count.ts';
import { clearAllDrafts } from '../ui/drafts.ts';

/** Signing out, here or everywhere, from the sidebar. */

/** Signs out here, after a warning when messages are still waiting to send. True when signed out. */
export async function signOut(engine: Engine): Promise<boolean> {
  const waiting = engine.status().waiting + pendingUploads().count + pendingUploads().failed;
  if (waiting > 0 && !confirm(`${waiting} message(s) have not been sent yet. Sign out and lose them?`))
    return false;
  await engine.logout(true);
  clearAllDrafts();
  return true;
}

/** Every device of this person, this one too, wipes itself when the server closes it (T10, wipe.ts). */
export async function signOutEverywhere(engine: Engine): Promise<void> {
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
}
