// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Type-aware lint for every .ts/.tsx file (each file is checked with the nearest tsconfig.json:
 * tsconfig.json at the root, client/tsconfig.json for the PWA).
 *
 * The rules that matter most in a socket server: no floating promises, no misused promises (an async
 * callback where a sync one is expected), exhaustive switches over protocol unions.
 *
 * Import direction (core no-restricted-imports; one config block per area, because a later block's
 * options for the same rule replace an earlier block's, they do not merge):
 *   - packages/* never import the server, the client or React;
 *   - protocol → model → engine is one-way: protocol imports neither model nor engine, model not engine;
 *   - the server's src/ does not use the client engine;
 *   - nobody reaches into another workspace with a relative path (../../packages/…, ../../model/src/…);
 *     import it by name (@commonroom/…), and only its entry point;
 *   - inside the server (docs/DESIGN.md "Layers"): http/ → ws/ → rooms/ → auth/ → storage/, and http/ →
 *     services/ → auth/ (services and rooms do not import each other);
 *     storage imports nothing of the server above it, and nothing under src/ imports the test entry point;
 *   - inside the PWA: sync/ (framework-free) imports no React and nothing of hooks/, features/ or ui/;
 *     ui/ (presentational) imports neither sync/ nor the engine nor hooks/ or features/; hooks/ and
 *     features/ reach the engine through @commonroom/engine and the engine context, never sync/.
 */

/** @typedef {{ group: string[]; message: string } | { regex: string; message: string }} Pattern */

/** @type {Pattern[]} */
const noRelativeCrossPackage = [
  {
    group: ['**/packages/**'],
    message: 'import another workspace package by name (@commonroom/…), not by a relative path',
  },
  {
    // ../../model/src/x.ts from packages/engine/src, ../../../protocol/src from a subfolder, etc.
    regex: String.raw`^(?:\.\./)+[^./][^/]*/src(?:/|$)`,
    message: 'import another workspace package by name (@commonroom/…), not through its src/',
  },
  {
    // Except a package's shared test suites and test-only entry points, declared exports
    // (@commonroom/engine/test/storage-suite, @commonroom/engine/testing, and
    // @commonroom/sync-server/testing, which the bench uses).
    regex: String.raw`^@commonroom/[^/]+/(?!test/|testing$)`,
    message: 'import a workspace package through its entry point (@commonroom/name), not its files',
  },
];
/** @type {Pattern} */
const noServer = {
  group: ['@commonroom/sync-server', '**/sync-server', '**/sync-server/**'],
  message: 'only the server imports the server',
};
/** @type {Pattern} */
const noClient = {
  group: ['@commonroom/client', '**/client/**', 'react', 'react/*', 'react-dom', 'react-dom/*'],
  message: 'packages must not import the client or React',
};

/** @type {Pattern[]} */
const serverSrc = [
  { ...noClient, message: 'the server does not import the client or React' },
  ...noRelativeCrossPackage,
  { group: ['@commonroom/engine'], message: 'the server does not use the client engine' },
  {
    group: ['**/testing.ts'],
    message: 'src/testing.ts is the test-only entry point: only tests (and the bench) import it',
  },
];

/**
 * The server's folders (and src/ files) a layer may not import, and the composition files no layer imports.
 * @param {string} message
 * @param {string[]} above
 * @returns {Pattern}
 */
const serverLayers = (message, above) => ({
  group: [
    ...above.flatMap((d) => (d.endsWith('.ts') ? [`../${d}`] : [`../${d}/*`, `../${d}`])),
    '../main.ts',
    '../server.ts',
    '../assemble*.ts', // assemble.ts and the parts it wires: assemble-stores.ts, assemble-services.ts
  ],
  message,
});

/**
 * @param {string[]} files
 * @param {Pattern[]} patterns
 * @returns {import('eslint').Linter.Config}
 */
/** The PWA's code never imports a test-only entry point (client/test may). */
const noTestingEntry = {
  group: ['@commonroom/*/testing'],
  message: 'a test-only entry point is for tests (client/test)',
};

const restrictImports = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default defineConfig(
  globalIgnores([
    '**/node_modules/**',
    '**/dist/**',
    'client/dist/**',
    'data/**',
    '**/coverage/**',
    '**/.test-artifacts/**',
    'bench-results/**',
    // The unminified server bundle `npm run bench -- --profile` writes (bench/src/profile-bundle.ts).
    'bench/.prof-build/**',
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Frame switches cover the whole Frame union (both directions) and send the wrong direction to
      // `default:`, so a default counts as exhaustive. A switch with no default must list every case.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, allowDefaultCaseForExhaustiveSwitch: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // Matches verbatimModuleSyntax: `import type { X }` for types; autofix writes separate type imports.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Numbers and booleans in template strings (log lines, ids, error messages) are fine; null,
      // undefined and objects in a message are almost always a bug.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: false, allowAny: false, allowRegExp: false },
      ],
      // Yjs and lib0 type many internals as `any` (Y.Map#get, Y.Array#toArray, decoding helpers);
      // those values are validated by zod schemas right after reading, so the no-unsafe-* family
      // would only flag the reads the schemas exist to check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Async handlers with no await are common in hono routes and tests (they must return a Promise).
      '@typescript-eslint/require-await': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },

  // Import direction. packages/protocol and packages/model come after packages/** and replace its list.
  restrictImports(['packages/**/*.{ts,tsx}'], [noServer, noClient, ...noRelativeCrossPackage]),
  restrictImports(
    ['packages/protocol/**/*.{ts,tsx}'],
    [
      noServer,
      noClient,
      ...noRelativeCrossPackage,
      { group: ['@commonroom/model', '@commonroom/engine'], message: 'protocol is the bottom layer' },
    ],
  ),
  restrictImports(
    ['packages/model/**/*.{ts,tsx}'],
    [
      noServer,
      noClient,
      ...noRelativeCrossPackage,
      { group: ['@commonroom/engine'], message: 'model must not import the engine' },
    ],
  ),
  restrictImports(
    ['sync-server/**/*.{ts,tsx}'],
    [{ ...noClient, message: 'the server does not import the client or React' }, ...noRelativeCrossPackage],
  ),
  restrictImports(['sync-server/src/**/*.{ts,tsx}'], serverSrc),
  // The server's layers, lowest first. Each list names what lies above the layer (and the composition
  // files at src/: main, server, assemble, testing); src/timers.ts and src/config.ts are leaves anyone uses.
  restrictImports(
    ['sync-server/src/storage/**/*.ts'],
    [
      ...serverSrc,
      serverLayers('storage holds the data and imports nothing of the server above it', [
        'auth',
        'rooms',
        'services',
        'http',
        'ws',
        'seed.ts',
      ]),
    ],
  ),
  restrictImports(
    ['sync-server/src/auth/**/*.ts'],
    [
      ...serverSrc,
      serverLayers('auth (who may do what) sits on storage only', [
        'rooms',
        'services',
        'http',
        'ws',
        'seed.ts',
      ]),
    ],
  ),
  restrictImports(
    ['sync-server/src/rooms/**/*.ts'],
    [
      ...serverSrc,
      serverLayers('rooms sit on auth and storage; the edges (http, ws) and services call them', [
        'services',
        'http',
        'ws',
        'seed.ts',
      ]),
    ],
  ),
  restrictImports(
    ['sync-server/src/services/**/*.ts'],
    [
      ...serverSrc,
      serverLayers(
        'services sit on auth and storage; they reach the rooms and sockets through what they are given',
        ['rooms', 'http', 'ws'],
      ),
    ],
  ),
  restrictImports(
    ['sync-server/src/ws/**/*.ts'],
    [
      ...serverSrc,
      serverLayers('the socket edge drives the rooms; the HTTP routes sit above it', [
        'http',
        'services',
        'seed.ts',
      ]),
    ],
  ),
  restrictImports(
    ['sync-server/src/http/**/*.ts'],
    [...serverSrc, serverLayers('http is the top layer', [])],
  ),
  restrictImports(['client/**/*.{ts,tsx}'], [noServer, ...noRelativeCrossPackage, noTestingEntry]),
  restrictImports(
    [
      'client/src/sync/**/*.{ts,tsx}',
      'client/src/search/**/*.{ts,tsx}',
      'client/src/attachments/**/*.{ts,tsx}',
    ],
    [
      noServer,
      ...noRelativeCrossPackage,
      noTestingEntry,
      {
        group: [
          'react',
          'react/*',
          'react-dom',
          'react-dom/*',
          '**/hooks/**',
          '**/features/**',
          '**/ui/**',
          '**/app.tsx',
        ],
        message:
          'client/src/sync, client/src/search and client/src/attachments are framework-free: no React, and nothing of the UI above them',
      },
    ],
  ),
  restrictImports(
    ['client/src/ui/**/*.{ts,tsx}'],
    [
      noServer,
      ...noRelativeCrossPackage,
      noTestingEntry,
      {
        group: [
          '@commonroom/engine',
          'dexie',
          'yjs',
          '**/sync/**',
          '**/hooks/**',
          '**/features/**',
          '**/app.tsx',
        ],
        message: 'client/src/ui is presentational: it knows nothing of sync; features pass it what it shows',
      },
    ],
  ),
  restrictImports(
    ['client/src/hooks/**/*.{ts,tsx}', 'client/src/features/**/*.{ts,tsx}'],
    [
      noServer,
      ...noRelativeCrossPackage,
      noTestingEntry,
      {
        group: ['dexie', '**/sync/**', '**/app.tsx'],
        message:
          'hooks and features reach the engine through @commonroom/engine and the engine context, not client/src/sync',
      },
    ],
  ),
  // The PWA's end-to-end tests start a real server with the server's own test harness
  // (../../sync-server/test/harness.ts); they still may not reach into the server's src/ or a package's.
  restrictImports(['client/test/**/*.{ts,tsx}'], noRelativeCrossPackage),

  {
    files: ['**/test/**/*.{ts,tsx}', '**/*.test.{ts,tsx}'],
    rules: {
      // expect(obj.method).toHaveBeenCalled() and friends pass methods unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // Failure messages print exit codes, signals and maybe-missing fields as they are, null included.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowAny: false, allowRegExp: false },
      ],
    },
  },

  // Plain JavaScript (this file, scripts/*.mjs, public/*.js): no type information, so no type-aware rules.
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  { files: ['eslint.config.js', 'scripts/**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
  { files: ['public/**/*.js'], languageOptions: { globals: globals.browser } },
);
