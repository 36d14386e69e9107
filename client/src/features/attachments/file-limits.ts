import { MAX_FILES_PER_MESSAGE } from '@commonroom/model';

/**
 * The largest file the server takes, as it advertises it in the workspace settings (GET /api/workspace),
 * remembered for offline use; 25 MB (the server's default) until heard. Checked on the device so a file
 * that would be refused is never queued; the server checks again at upload.
 */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;
const KEY = 'commonroom:max-file-bytes';

export function knownMaxFileBytes(): number {
  try {
    const n = Number(localStorage.getItem(KEY));
    return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_FILE_BYTES;
  } catch {
    return DEFAULT_MAX_FILE_BYTES;
  }
}

let asked: Promise<number> | null = null;

/**
 * Reads the limit from the workspace settings once per page when online (a composer opens with every
 * conversation); keeps the last one heard otherwise. The server checks again at upload either way.
 */
export function refreshMaxFileBytes(): Promise<number> {
  return (asked ??= readMaxFileBytes());
}

async function readMaxFileBytes(): Promise<number> {
  try {
    const r = await fetch('/api/workspace', { credentials: 'same-origin' });
    if (r.ok) {
      const w = (await r.json()) as { attachmentMaxFileMb?: unknown };
      const mb = w.attachmentMaxFileMb;
      const bytes = typeof mb === 'number' ? mb * 1024 * 1024 : null;
      if (bytes !== null && bytes > 0) localStorage.setItem(KEY, String(bytes));
    }
  } catch {
    // Offline: the last limit heard, and asked again next time.
    asked = null;
  }
  return knownMaxFileBytes();
}

/** "2.4 MB", "312 KB": sizes as people read them. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** Which of `incoming` may join `staged`, and why the others may not (plain words), before anything is queued. */
export function admitFiles(
  stagedCount: number,
  incoming: readonly File[],
  maxBytes: number,
): { ok: File[]; problem: string | null } {
  const ok: File[] = [];
  const problems: string[] = [];
  for (const f of incoming) {
    if (f.size === 0) problems.push(`${f.name} is empty.`);
    else if (f.size > maxBytes)
      problems.push(`${f.name} is ${fileSize(f.size)}: files can be up to ${fileSize(maxBytes)}.`);
    else if (stagedCount + ok.length >= MAX_FILES_PER_MESSAGE) {
      problems.push(`A message can carry up to ${MAX_FILES_PER_MESSAGE} files.`);
      break;
    } else ok.push(f);
  }
  return { ok, problem: problems.length > 0 ? problems.join(' ') : null };
}
