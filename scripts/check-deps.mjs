#!/usr/bin/env node
// Checks the installed dependency facts these machines need (README, issue 2), with no dependencies:
//   - exactly one copy of yjs, and it is 13.6.x (two copies break Yjs' constructor checks);
//   - better-sqlite3 is exactly 12.11.1 (13.x crashes on Node 20);
//   - hono >= 4.13.5, @hono/node-server >= 2.1.6, ws >= 8.21.0, for every installed copy.
// "Installed" means a package directory directly inside any node_modules folder under the repo, nested
// ones included (node_modules/a/node_modules/yjs, client/node_modules/yjs, …). A copy counts by the
// "name" in its package.json, so an npm alias (`"old-yjs": "npm:yjs@13.5"`) is a copy of yjs too.
// Exit 0 with one OK line, or exit 1 listing every problem.
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = join(import.meta.dirname, '..');
const WATCHED = new Set(['yjs', 'better-sqlite3', 'hono', '@hono/node-server', 'ws']);
// Never descend into these: not installs, and possibly large.
const SKIP = new Set(['.git', 'data', '.test-artifacts', 'coverage', 'dist', 'bench-results']);

/** @type {Map<string, { version: string; path: string }[]>} */
const copies = new Map([...WATCHED].map((name) => [name, []]));

/** @param {string} dir */
const subdirs = (dir) => {
  try {
    // Dirent.isDirectory() is false for symlinks, so workspace links (node_modules/@commonroom/*) and
    // other links are not followed: every real directory is visited once.
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  } catch {
    return [];
  }
};

/** @param {string} pkgDir */
const readManifest = (pkgDir) => {
  try {
    const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    return typeof pj.name === 'string' && typeof pj.version === 'string' ? pj : undefined;
  } catch {
    return undefined;
  }
};

/** A package directory inside node_modules: record it, then look for its own node_modules. */
const visitPackage = (pkgDir) => {
  const pj = readManifest(pkgDir);
  if (pj && WATCHED.has(pj.name))
    copies.get(pj.name)?.push({ version: pj.version, path: relative(root, pkgDir) });
  visitTree(pkgDir);
};

/** @param {string} nm a node_modules directory */
const visitNodeModules = (nm) => {
  for (const e of subdirs(nm)) {
    if (e.name.startsWith('.')) continue; // .bin, .cache, .vite, .package-lock.json's neighbours
    const p = join(nm, e.name);
    if (e.name.startsWith('@')) for (const s of subdirs(p)) visitPackage(join(p, s.name));
    else visitPackage(p);
  }
};

/** Any other directory: find node_modules folders below it (workspaces, nested installs). */
const visitTree = (dir) => {
  for (const e of subdirs(dir)) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.name === 'node_modules') visitNodeModules(p);
    else if (!relative(root, dir).split(sep).includes('node_modules')) visitTree(p); // in a package: only its node_modules
  }
};

if (!lstatSync(join(root, 'node_modules'), { throwIfNoEntry: false })?.isDirectory()) {
  console.error('Dependency check failed: node_modules is missing; run npm ci first.');
  process.exit(1);
}
visitTree(root);

/** Semver-ish: 1 if a > b, -1 if a < b, 0 if equal; a prerelease sorts before its release. */
const compare = (a, b) => {
  const [ca, pa = ''] = a.split('+')[0].split(/-(.*)/s);
  const [cb, pb = ''] = b.split('+')[0].split(/-(.*)/s);
  const na = ca.split('.').map(Number);
  const nb = cb.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((na[i] ?? 0) !== (nb[i] ?? 0)) return (na[i] ?? 0) > (nb[i] ?? 0) ? 1 : -1;
  if (pa === pb) return 0;
  if (pa === '') return 1;
  if (pb === '') return -1;
  return pa < pb ? -1 : 1;
};

const problems = [];
const list = (cs) => cs.map((c) => `${c.version} at ${c.path}`).join(', ');

const yjs = copies.get('yjs') ?? [];
if (yjs.length !== 1) {
  problems.push(
    yjs.length === 0
      ? 'yjs is not installed'
      : `expected exactly one copy of yjs, found ${yjs.length}: ${list(yjs)} (run npm dedupe, align versions)`,
  );
}
for (const c of yjs)
  if (!/^13\.6\.\d+$/.test(c.version)) problems.push(`yjs must be 13.6.x, found ${c.version} at ${c.path}`);

const sqlite = copies.get('better-sqlite3') ?? [];
if (sqlite.length === 0) problems.push('better-sqlite3 is not installed');
for (const c of sqlite)
  if (c.version !== '12.11.1')
    problems.push(
      `better-sqlite3 must be exactly 12.11.1 (13.x crashes on Node 20), found ${c.version} at ${c.path}`,
    );

/** @param {string} name @param {string} min @param {string} why */
const atLeast = (name, min, why) => {
  const cs = copies.get(name) ?? [];
  if (cs.length === 0) problems.push(`${name} is not installed`);
  for (const c of cs)
    if (compare(c.version, min) < 0)
      problems.push(`${name} must be >= ${min} (${why}), found ${c.version} at ${c.path}`);
};
atLeast('hono', '4.13.5', 'security fixes');
atLeast('@hono/node-server', '2.1.6', 'older versions let WebSocket upgrades skip Origin checks');
atLeast('ws', '8.21.0', 'security fixes');

if (problems.length > 0) {
  console.error(`Dependency check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const versions = (name) => [...new Set((copies.get(name) ?? []).map((c) => c.version))].join(', ');
console.log(
  `Dependencies OK: yjs ${versions('yjs')} (one copy), better-sqlite3 ${versions('better-sqlite3')}, ` +
    `hono ${versions('hono')}, @hono/node-server ${versions('@hono/node-server')}, ` +
    `ws ${versions('ws')} (${copies.get('ws')?.length} ${copies.get('ws')?.length === 1 ? 'copy' : 'copies'})`,
);
