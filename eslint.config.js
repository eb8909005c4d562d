// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The import rule of docs/architecture.md, enforced: each layer lists what it must not reach. */
const layer = (files, forbidden) => ({
  files,
  // Tests may reach across layers to set up what they check.
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map(([regex, why]) => ({ regex, message: why })),
      },
    ],
  },
});

const UP_TO_SRC = '^(\\.\\./)+';
const to = (dir) => `${UP_TO_SRC}(${dir})(/|$)`;

export default tseslint.config(
  {
    ignores: [
      'dist/',
      // The SDK package's build output, compiled from src/collectors/sdk (linted there).
      'packages/*/dist/',
      'node_modules/',
      'data/',
      'coverage/',
      'test-results/',
      'test/generated/',
      'bench/results/',
      'examples/dashboard/vendor/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  layer(
    ['src/config/**', 'src/shared/**'],
    [
      [
        to('orm|auth|schema|server|plugins|collectors|demo|bootstrap|billing|app\\.js|main\\.js'),
        'config and shared depend on nothing in src',
      ],
    ],
  ),
  layer(
    ['src/orm/**'],
    [
      [
        to('auth|schema|server|plugins|collectors|demo|bootstrap|billing|app\\.js'),
        'orm may use only shared and config',
      ],
    ],
  ),
  layer(
    ['src/billing/**'],
    [
      [
        to('orm|auth|schema|server|plugins|collectors|demo|bootstrap|backup|config|app\\.js'),
        'billing engines use only shared (ADR 0014)',
      ],
    ],
  ),
  layer(
    ['src/backup/**'],
    [
      [
        to('auth|schema|server|plugins|collectors|demo|bootstrap|app\\.js'),
        'backup may use only orm, shared and config',
      ],
    ],
  ),
  layer(
    ['src/auth/**'],
    [
      [
        to('schema|server|plugins|collectors|demo|bootstrap|billing|app\\.js'),
        'auth may use only orm, shared and config',
      ],
    ],
  ),
  layer(
    ['src/schema/**'],
    [
      [
        to('server|plugins|demo|bootstrap|app\\.js|collectors/(sdk|builtin)'),
        'schema may use auth, orm, shared and the collection ports',
      ],
    ],
  ),
  layer(
    ['src/plugins/**'],
    [
      [
        to('orm|auth|schema|server|demo|bootstrap|collectors/(runtime|ingestion|builtin)'),
        'the plugin host knows only the SDK types and shared',
      ],
    ],
  ),
  layer(['src/collectors/sdk/**'], [['^\\.\\./', 'the SDK imports nothing from the rest of src']]),
  {
    // The worker thread must hold the plugin and nothing of the host: Node's own modules only,
    // and types, which vanish when compiled (docs/adr/0018-the-plugin-worker-as-a-module.md).
    files: ['src/plugins/worker/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:)',
              allowTypeImports: true,
              message: 'the plugin worker imports only node: modules at run time (types are fine)',
            },
          ],
        },
      ],
    },
  },
  layer(
    ['src/collectors/builtin/**', 'examples/**'],
    [
      [
        '(^|/)(orm|auth|schema|server|plugins|shared|config|runtime|ingestion|demo|bootstrap)(/|$)',
        'collectors are written against the SDK only',
      ],
    ],
  ),
  {
    files: ['src/main.ts', 'src/**/*-cli.ts', 'bench/**', 'tools/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-console': 'off' },
  },
);
