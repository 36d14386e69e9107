/**
 * Recent searches (issue 16): the last few words this person searched for, on this device only. Removed at
 * sign-out with the search index (search/search-client.ts forgetDeviceSearch).
 */
export const RECENT_KEY = 'commonroom:recent-searches';
const KEEP = 6;

export function recentSearches(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string').slice(0, KEEP) : [];
  } catch {
    return [];
  }
}

export function rememberSearch(q: string): void {
  const words = q.trim();
  if (!words) return;
  const next = [words, ...recentSearches().filter((s) => s !== words)].slice(0, KEEP);
  localStorage.setItem(RECENT_KEY, JSON.stringify(next));
}

export function forgetRecentSearches(): void {
  localStorage.removeItem(RECENT_KEY);
}
