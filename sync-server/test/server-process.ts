import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN } from './harness.ts';

/** The real server as a child process, to kill with SIGKILL (durability.test.ts, outbox-liveness.test.ts). */

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** The real server, `node --import tsx sync-server/src/main.ts` by default, on a fixed port and data directory. */
export class ServerProcess {
  child: ChildProcess | null = null;
  output = '';
  starts = 0;
  constructor(
    readonly port: number,
    readonly dataDir: string,
    /** A different entry (a test's, with small limits) and what it reads from the environment. */
    readonly entry = 'sync-server/src/main.ts',
    readonly extraEnv: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.starts++;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATA_DIR: this.dataDir,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      SCRYPT_LOG_N: '10',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
    };
    Object.assign(env, this.extraEnv);
    if (process.env.HOME) env.HOME = process.env.HOME;
    if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Even if the test runner dies without running afterAll, the server does not outlive it.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const start = this.starts;
    const collect = (b: Buffer): void => {
      this.output = (this.output + `[start ${start}] ${b.toString()}`).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const status: { exited: string | null } = { exited: null };
    child.once('exit', (code, signal) => {
      status.exited = `exited with code ${code} signal ${signal}`;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (status.exited !== null) throw new Error(`server start ${start} ${status.exited}:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`server start ${start} did not answer /healthz:\n${this.output}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  }
}
