import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The PWA's JavaScript as a phone downloads it: a production build of client/, then gzip (zlib's default
 * level, what a server's on-the-fly compression sends) of what the HTML loads at once (its module script
 * and modulepreloads) and of every chunk, lazy ones included. The service worker is counted apart: it is
 * fetched by the browser in the background, not by the page.
 */
export type BundleResult = {
  initialJsKB: number;
  totalJsKB: number;
  cssKB: number;
  serviceWorkerKB: number;
  chunks: number;
  /** The chunks the HTML loads, with their gzip sizes. */
  initial: { file: string; kB: number }[];
};

const gz = (path: string): number => gzipSync(readFileSync(path)).length / 1024;
const round = (kb: number): number => Math.round(kb * 10) / 10;

export function bundleRun(root: string): BundleResult {
  execFileSync('npm', ['run', 'build', '-w', 'client'], { cwd: root, stdio: 'ignore' });
  const dist = join(root, 'client', 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const referenced = [
    ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
  ].map((m) => m[1] as string);
  const initial = referenced.map((file) => ({ file, kB: round(gz(join(dist, file))) }));
  const assets = readdirSync(join(dist, 'assets'));
  const js = assets.filter((f) => f.endsWith('.js'));
  const css = assets.filter((f) => f.endsWith('.css'));
  const sum = (files: string[], dir: string) => files.reduce((n, f) => n + gz(join(dir, f)), 0);
  const workers = readdirSync(dist).filter((f) => f.endsWith('.js'));
  return {
    initialJsKB: round(referenced.reduce((n, f) => n + gz(join(dist, f)), 0)),
    totalJsKB: round(sum(js, join(dist, 'assets'))),
    cssKB: round(sum(css, join(dist, 'assets'))),
    serviceWorkerKB: round(sum(workers, dist)),
    chunks: js.length,
    initial,
  };
}
