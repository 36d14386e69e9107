/**
 * Unsent text per conversation (and thread), kept in this browser so a half-written message survives
 * switching channels, a reload or the app closing. Cleared when sent, and all of it at sign-out: college
 * computers are shared.
 */
const PREFIX = 'commonroom.draft.';

export function loadDraft(key: string): string {
  try {
    return localStorage.getItem(PREFIX + key) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(key: string, text: string): void {
  try {
    if (text) localStorage.setItem(PREFIX + key, text);
    else localStorage.removeItem(PREFIX + key);
  } catch {
    // Storage full or blocked: the draft lives on screen only.
  }
}

export function clearAllDrafts(): void {
  try {
    for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  } catch {
    // Nothing stored.
  }
}
