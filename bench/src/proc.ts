import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Child processes for servers and load. Every server and every batch of clients runs in its own Node
 * process (tsx loader), so load never shares an event loop with the server it measures.
 * Messages both ways are `{ id, type, ... }`; a request is answered by a message with the same id.
 */

export type Msg = { id?: number; type: string; [k: string]: unknown };

export type Child = {
  proc: ChildProcess;
  request<T = Msg>(type: string, body?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves with the next unsolicited message of this type. */
  next<T = Msg>(type: string, timeoutMs?: number): Promise<T>;
  kill(): Promise<void>;
};

export function spawnChild(
  script: string,
  args: string[],
  opts: { exposeGc?: boolean; bundled?: string; env?: Record<string, string> } = {},
): Child {
  // A bundled script (profiling) is plain JavaScript; everything else runs through the tsx loader.
  const execArgv = opts.bundled
    ? ['--max-old-space-size=4096']
    : ['--import', 'tsx', '--max-old-space-size=4096'];
  if (opts.exposeGc) execArgv.push('--expose-gc');
  const proc = fork(opts.bundled ?? fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  const typed = new Map<string, ((m: Msg) => void)[]>();
  const early = new Map<string, Msg[]>();
  let exited: Error | null = null;
  proc.on('message', (raw) => {
    const m = raw as Msg;
    if (m.id !== undefined && waiting.has(m.id)) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.type === 'error') w?.reject(new Error(`${script}: ${String(m.message)}`));
      else w?.resolve(m);
      return;
    }
    const list = typed.get(m.type);
    const f = list?.shift();
    if (f) f(m);
    else early.set(m.type, [...(early.get(m.type) ?? []), m]);
  });
  proc.on('exit', (code, signal) => {
    exited = new Error(`${script} exited (code ${String(code)}, signal ${String(signal)})`);
    for (const w of waiting.values()) w.reject(exited);
    waiting.clear();
  });
  const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${script}: no answer to ${what} within ${ms} ms`)), ms);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  return {
    proc,
    request<T = Msg>(type: string, body: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(exited);
      const id = nextId++;
      const p = new Promise<Msg>((resolve, reject) => waiting.set(id, { resolve, reject }));
      proc.send({ ...body, id, type });
      return withTimeout(p, timeoutMs, type) as Promise<T>;
    },
    next<T = Msg>(type: string, timeoutMs = 120_000): Promise<T> {
      const queued = early.get(type)?.shift();
      if (queued) return Promise.resolve(queued as T);
      if (exited) return Promise.reject(exited);
      const p = new Promise<Msg>((resolve) => typed.set(type, [...(typed.get(type) ?? []), resolve]));
      return withTimeout(p, timeoutMs, type) as Promise<T>;
    },
    kill(): Promise<void> {
      if (exited || proc.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
}

/** In a child: answers requests from the parent. A handler's result is sent back with the request's id. */
export function serveParent(
  handlers: Record<string, (m: Msg) => Promise<Record<string, unknown>> | Record<string, unknown>>,
): void {
  process.on('message', (raw) => {
    const m = raw as Msg;
    const h = handlers[m.type];
    if (!h) {
      process.send?.({ id: m.id, type: 'error', message: `unknown request ${m.type}` });
      return;
    }
    Promise.resolve()
      .then(() => h(m))
      .then(
        (r) => process.send?.({ ...r, id: m.id, type: 'ok' }),
        (e: unknown) =>
          process.send?.({
            id: m.id,
            type: 'error',
            message: e instanceof Error ? (e.stack ?? e.message) : String(e),
          }),
      );
  });
  // The parent going away ends the child.
  process.on('disconnect', () => process.exit(0));
}

export const tell = (m: Msg): void => {
  process.send?.(m);
};
