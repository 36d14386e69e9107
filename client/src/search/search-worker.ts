/// <reference lib="webworker" />
import { createSearchCore, type SearchCore } from './search-core.ts';
import { openSearchStore } from './search-store.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';

/**
 * The search worker's entry (started by search-client.ts): the index lives here, off the page's thread, so
 * building, saving and querying never hold up typing or scrolling.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;
let core: Promise<SearchCore> | null = null;
const getCore = (): Promise<SearchCore> => (core ??= openSearchStore().then((s) => createSearchCore(s)));

async function handle(req: WorkerRequest): Promise<unknown> {
  const c = await getCore();
  switch (req.t) {
    case 'open':
      return c.open();
    case 'apply':
      await c.apply(req.batch);
      return null;
    case 'search':
      return c.search(req.query);
    case 'clear':
      await c.clear();
      return null;
  }
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  handle(req).then(
    (ok) => scope.postMessage({ id: req.id, ok } satisfies WorkerReply),
    (err: unknown) =>
      scope.postMessage({
        id: req.id,
        error: err instanceof Error ? err.message : String(err),
      } satisfies WorkerReply),
  );
};
