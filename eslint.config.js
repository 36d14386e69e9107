// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Type-aware lint. The rules that matter most in a socket server: no floating promises, no misused
 * promises (an async callback where a sync one is expected), exhaustive switches over protocol unions.
 * Import direction: packages never import the server or the client, and protocol → model → engine.
 */
const packageBoundaries = (extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['**/sync-server/**', '@commonroom/sync-server'], message: 'packages must not import the server' },
        {
          group: ['**/client/**', '@commonroom/client', 'react', 'react-dom'],
          message: 'packages must not import the client or React',
        },
        {
          group: ['../../*/src/**', '../../../packages/**'],
          message: 'import another package by name, not through its src/',
        },
        ...extra,
      ],
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      'coverage/**',
      '.test-artifacts/**',
      'public/**',
      'bench-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Our wire and storage values are parsed by schemas; template strings with numbers are fine.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Yjs and lib0 type many internals as any; reading them is checked by schemas right after.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Async handlers with no await are common in hono routes and tests.
      '@typescript-eslint/require-await': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  { files: ['packages/**/*.ts'], rules: packageBoundaries() },
  {
    files: ['packages/protocol/**/*.ts'],
    rules: packageBoundaries([
      { group: ['@commonroom/model', '@commonroom/engine'], message: 'protocol is the bottom layer' },
    ]),
  },
  {
    files: ['packages/model/**/*.ts'],
    rules: packageBoundaries([{ group: ['@commonroom/engine'], message: 'model must not import the engine' }]),
  },
  {
    files: ['sync-server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@commonroom/engine', '**/client/**'], message: 'the server does not use the client engine' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // Tests use non-null assertions on values they have just checked, and unbound expect helpers.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
