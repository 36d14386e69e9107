import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * tsx strips whitespace from what it compiles, so a CPU profile of a tsx process names every function at
 * line 1. For `--profile` the server process runs from this bundle instead: our workspace packages bundled
 * unminified with their line structure, npm packages left as imports.
 */
/** Two levels below the repository, as sync-server/src is: the server finds the repository root from its own file. */
export const PROFILE_BUILD_DIR = fileURLToPath(new URL('../.prof-build', import.meta.url));

export async function bundleForProfile(script: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const entry = fileURLToPath(new URL(script, import.meta.url));
  const outfile = join(outDir, script.replace(/^.*\//, '').replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: false,
    logLevel: 'warning',
    plugins: [
      {
        name: 'external-npm',
        setup(b) {
          // Bare imports of npm packages stay imports; @commonroom/* (workspace sources) are bundled.
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@commonroom/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}
