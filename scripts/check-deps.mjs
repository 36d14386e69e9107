#!/usr/bin/env node
// Checks the dependency facts these machines need (README, issue 2): exactly one yjs 13.6.x (two copies
// break Yjs' constructor checks), better-sqlite3 12.11.1 (13.x crashes on Node 20), and versions of hono,
// @hono/node-server and ws with the WebSocket fixes we rely on.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const found = new Map();

function walk(dir, depth) {
  const nm = join(dir, 'node_modules');
  if (!existsSync(nm) || depth > 8) return;
  for (const entry of readdirSync(nm, { withFileTypes: true })) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const names = entry.name.startsWith('@')
      ? readdirSync(join(nm, entry.name)).map((n) => `${entry.name}/${n}`)
      : [entry.name];
    for (const name of names) {
      const pkgDir = join(nm, name);
      const pj = join(pkgDir, 'package.json');
      if (!existsSync(pj)) continue;
      let version;
      try {
        version = JSON.parse(readFileSync(pj, 'utf8')).version;
      } catch {
        continue;
      }
      if (!found.has(name)) found.set(name, []);
      found.get(name).push({ version, path: pkgDir });
      if (!pkgDir.includes('/node_modules/@commonroom/')) walk(pkgDir, depth + 1);
    }
  }
}
walk(root, 0);
for (const ws of ['client', 'sync-server', ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}`)])
  walk(join(root, ws), 1);

const cmp = (a, b) => {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};
const problems = [];
const copies = (name) => found.get(name) ?? [];
const yjs = copies('yjs');
if (yjs.length !== 1)
  problems.push(
    `expected exactly one copy of yjs, found ${yjs.length}: ${yjs.map((c) => `${c.version} at ${c.path}`).join(', ')}`,
  );
else if (!yjs[0].version.startsWith('13.6.')) problems.push(`yjs must be 13.6.x, found ${yjs[0].version}`);
for (const c of copies('better-sqlite3'))
  if (c.version !== '12.11.1')
    problems.push(`better-sqlite3 must be 12.11.1 (13.x crashes on Node 20), found ${c.version} at ${c.path}`);
if (copies('better-sqlite3').length === 0) problems.push('better-sqlite3 is not installed');
const atLeast = (name, min, why) => {
  if (copies(name).length === 0) problems.push(`${name} is not installed`);
  for (const c of copies(name))
    if (cmp(c.version, min) < 0) problems.push(`${name} must be >= ${min} (${why}), found ${c.version} at ${c.path}`);
};
atLeast('hono', '4.13.5', 'security fixes');
atLeast('@hono/node-server', '2.1.6', 'older versions let WebSocket upgrades skip Origin checks');
atLeast('ws', '8.21.0', 'security fixes');

if (problems.length > 0) {
  console.error(`Dependency check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `Dependencies OK: yjs ${yjs[0].version} (one copy), better-sqlite3 ${copies('better-sqlite3')[0].version}, hono ${copies('hono')[0].version}, @hono/node-server ${copies('@hono/node-server')[0].version}, ws ${copies(
    'ws',
  )
    .map((c) => c.version)
    .join(', ')}`,
);
