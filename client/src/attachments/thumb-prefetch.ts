import type { MessageView } from '@commonroom/model';
import type { FileCache, FileOwner } from './file-cache.ts';
import { isImage } from './image-files.ts';

/**
 * Thumbnails of recent conversations, fetched ahead while online (issue 17, "viewing offline"): the images
 * of the conversations most recently active, newest first, so a photo sent to a conversation the person has
 * not opened on this device still shows on the bus with no signal. Thumbnails only, never whole files; kept
 * within the budget, where they make room before anything the person opened (file-cache.ts `putAhead`).
 * Nothing is fetched while the browser asks to save data (`navigator.connection.saveData`). Plain
 * TypeScript, its engine, cache, fetcher and timer passed in; no React.
 */

export type PrefetchSource = {
  subscribe(listener: () => void): () => void;
  me(): { id: string } | null;
  conversations(): readonly { id: string; isMember: boolean }[];
  /** The same object until one of the conversation's documents changes (engine.view). */
  view(conversationId: string): { state: { byKey: ReadonlyMap<string, MessageView> } };
};

export type PrefetchTarget = { id: string } & FileOwner;

/** How far ahead: the most recently active conversations, and the newest images of each. */
export const RECENT_CONVERSATIONS = 10;
export const IMAGES_PER_CONVERSATION = 50;

/**
 * The thumbnails worth having, most wanted first: the newest image of each recent conversation (the most
 * recently active first), then the second newest of each, and so on, so a tight budget holds a few of every
 * conversation rather than all of one. Deleted and removed messages carry nothing.
 */
export function prefetchTargets(source: PrefetchSource): PrefetchTarget[] {
  const recent: { latest: number; images: PrefetchTarget[] }[] = [];
  for (const c of source.conversations()) {
    if (!c.isMember) continue;
    let latest = 0;
    const found: (PrefetchTarget & { ts: number; n: number })[] = [];
    for (const m of source.view(c.id).state.byKey.values()) {
      latest = Math.max(latest, m.ts);
      if (m.deleted || m.removed) continue;
      m.files.forEach((f, n) => {
        if (isImage(f)) found.push({ id: f.id, conversationId: c.id, messageKey: m.key, ts: m.ts, n });
      });
    }
    found.sort((a, b) => b.ts - a.ts || a.n - b.n);
    recent.push({
      latest,
      images: found
        .slice(0, IMAGES_PER_CONVERSATION)
        .map(({ id, conversationId, messageKey }) => ({ id, conversationId, messageKey })),
    });
  }
  recent.sort((a, b) => b.latest - a.latest);
  const top = recent.slice(0, RECENT_CONVERSATIONS);
  const out: PrefetchTarget[] = [];
  for (let i = 0; i < IMAGES_PER_CONVERSATION; i++)
    for (const c of top) {
      const t = c.images[i];
      if (t) out.push(t);
    }
  return out;
}

export type ThumbPrefetchDeps = {
  source: PrefetchSource;
  cache: Pick<FileCache, 'keepAhead' | 'putAhead' | 'sweep' | 'budget'>;
  /** A thumbnail's bytes from the server; null when the file has none (a picture the server could not read). */
  thumb: (attachmentId: string) => Promise<Blob | null>;
  /** Online (the engine's socket is up) and not asked to save data. */
  allowed: () => boolean;
  /** Runs a pass as the one tab that prefetches; skipped while another tab runs one (Web Locks). */
  exclusive?: (fn: () => Promise<void>) => Promise<void>;
  /** Calls `fn` a little later, so a burst of changes is one pass. */
  later: (fn: () => void) => void;
  now: () => number;
};

export type ThumbPrefetch = ReturnType<typeof createThumbPrefetch>;

export function createThumbPrefetch(deps: ThumbPrefetchDeps) {
  const { source, cache } = deps;
  /** Thumbnails that failed this session while online (refused, swept): not asked for again until `retry`. */
  const failed = new Set<string>();
  /** Thumbnails the server does not have: never asked for again. */
  const none = new Set<string>();
  /** The targets (and budget) of the last pass that finished: the same again needs no pass. */
  let lastDone = '';
  let person: string | null = null;
  /** Each conversation's view as last swept. */
  const swept = new Map<string, unknown>();
  let scheduled = false;
  let running = false;
  let again = false;
  let stopped = false;
  let unsubscribe: (() => void) | null = null;

  /** Copies of files whose message no longer carries them (deleted, removed, expired) leave the device. */
  const sweep = async (): Promise<void> => {
    for (const c of source.conversations()) {
      if (!c.isMember) continue;
      const view = source.view(c.id);
      if (swept.get(c.id) === view) continue;
      swept.set(c.id, view);
      await cache.sweep(c.id, (key, id) => {
        const m = view.state.byKey.get(key);
        return m === undefined ? undefined : !m.deleted && !m.removed && m.files.some((f) => f.id === id);
      });
    }
  };

  const pass = async (): Promise<void> => {
    const me = source.me()?.id ?? null;
    if (me !== person) {
      // Another person (or nobody): nothing of the last one's session carries over.
      person = me;
      failed.clear();
      none.clear();
      swept.clear();
      lastDone = '';
    }
    if (me === null) return;
    await sweep();
    if (!deps.allowed()) return;
    const budget = await cache.budget();
    if (budget === 0) return;
    const targets = prefetchTargets(source).filter((t) => !failed.has(t.id) && !none.has(t.id));
    const sig = `${budget}:${targets.map((t) => t.id).join(',')}`;
    if (sig === lastDone) return;
    const since = deps.now();
    for (const [k, t] of targets.entries()) {
      if (stopped || source.me()?.id !== me || !deps.allowed()) return;
      // The most wanted the highest, all within this pass's millisecond: eviction keeps them in this order.
      const rank = since + (targets.length - k) / (targets.length + 1);
      if (await cache.keepAhead(t.id, rank)) continue;
      let blob: Blob | null;
      try {
        blob = await deps.thumb(t.id);
      } catch {
        // Offline now: the pass ends and the next one (the network back) asks again. Online, this one failed.
        if (!deps.allowed()) return;
        failed.add(t.id);
        continue;
      }
      if (blob === null) {
        none.add(t.id);
        continue;
      }
      const owner = { conversationId: t.conversationId, messageKey: t.messageKey };
      // No room left beside what the person opened (or they signed out): done until something changes.
      if (!(await cache.putAhead(t.id, blob, { owner, since, rank, userId: me }))) break;
    }
    lastDone = sig;
  };

  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await (deps.exclusive ? deps.exclusive(pass) : pass());
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        schedule();
      }
    }
  };

  function schedule(): void {
    if (scheduled || stopped) return;
    scheduled = true;
    deps.later(() => {
      scheduled = false;
      // The device's storage failed: the next change tries again.
      run().catch(() => undefined);
    });
  }

  return {
    /** Watches the engine: each change (a message, the socket up) schedules a pass. */
    start(): void {
      stopped = false;
      unsubscribe ??= source.subscribe(schedule);
      schedule();
    },
    schedule,
    /** The network came back (or the browser stopped saving data): what failed is asked for again. */
    retry(): void {
      failed.clear();
      lastDone = '';
      schedule();
    },
    /** One pass now (tests; the app schedules them). */
    pass: run,
    stop(): void {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}
