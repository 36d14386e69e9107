import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * `--profile`: a CPU profile of the server process over each measured window only (from the first CPU
 * reading of a figure to the second), so account set-up and start-up stay out of it. The server runs from
 * an unminified bundle in that mode (see profile-bundle.ts), so the profile's lines are real lines.
 */
export function createWindowProfiler(dir: string) {
  const session = new Session();
  session.connect();
  let running = false;
  let n = 0;
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
    );
  return {
    /** Starts a profile, or stops the running one and writes it; returns the file written, if any. */
    async toggle(label: string): Promise<string | null> {
      if (!running) {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 200 });
        await post('Profiler.start');
        running = true;
        return null;
      }
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      running = false;
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${label}-${process.pid}-${++n}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
