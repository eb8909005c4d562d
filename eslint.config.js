// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The import rule (README "Layout", ADR 0020), enforced: each layer lists what it must not reach.
 * A file gets one layer: where two `files` globs match, the later entry's list replaces the
 * earlier one, so a narrower folder repeats what it keeps of the wider one.
 */
const layer = (files, forbidden, ignores = []) => ({
  files,
  // Tests may reach across layers, and into inner files, to set up what they check.
  ignores: ['**/*.test.ts', ...ignores],
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
/** An inner file of a folder with a face: anything in it but its index.js. */
const past = (dir) => `${UP_TO_SRC}(${dir})/(?!index\\.js$)`;

const THROUGH_FACES = [
  [past('schema/[^/]+'), 'import a schema module through its face, schema/<module>/index.js'],
  [past('jobs|reports|storage'), 'import jobs, reports and storage through their faces (index.js)'],
];
const COLLECTION_PORT = [past('collectors'), 'use collection through its face, collectors/index.js (the port)'];
// A file of src/schema/<module>/: its own files directly, other modules through their faces.
const MODULE = [
  [
    to('server|plugins|demo|bootstrap|backup|jobs|app\\.js|main\\.js'),
    'schema may use auth, orm, shared, billing, reports, storage and the collection port; the jobs only through an interface of its kernel',
  ],
  COLLECTION_PORT,
  [past('reports|storage'), 'import reports and storage through their faces (index.js)'],
  ['^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$)', 'import another module only through its face: ../<module>/index.js'],
  ['^\\.\\./index\\.js$', "a module does not import the schema's composition"],
  ['^\\./index\\.js$', "a module's files import each other, not their own face (that would be a cycle)"],
];
// Every part of collection below the top: no API, no server, no plugin host (it reaches plugins
// through the SessionOpener and Subscriber ports), no billing.
const COLLECTION_BELOW = [
  to('auth|schema|server|plugins|demo|bootstrap|backup|billing|config|jobs|reports|storage|app\\.js|main\\.js'),
  'collection uses orm enums, shared and the SDK types; the API and the plugin host use it, not the other way',
];

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
        to(
          'orm|auth|schema|server|plugins|collectors|demo|bootstrap|billing|backup|jobs|reports|storage|app\\.js|main\\.js',
        ),
        'config and shared depend on nothing in src',
      ],
    ],
  ),
  layer(
    ['src/orm/**'],
    [
      [
        to('auth|schema|server|plugins|collectors|demo|bootstrap|billing|backup|jobs|reports|storage|app\\.js'),
        'orm may use only shared and config',
      ],
    ],
  ),
  layer(
    ['src/billing/**'],
    [
      [
        to('orm|auth|schema|server|plugins|collectors|demo|bootstrap|backup|config|jobs|reports|storage|app\\.js'),
        'billing engines use only shared (ADR 0014)',
      ],
    ],
  ),
  layer(
    ['src/reports/**'],
    [
      [
        to('orm|auth|schema|server|plugins|collectors|demo|bootstrap|backup|config|jobs|storage|app\\.js'),
        'reports render what they are given: shared and billing only, no database',
      ],
    ],
  ),
  layer(
    ['src/storage/**'],
    [
      [
        to('orm|auth|schema|server|plugins|collectors|demo|bootstrap|backup|billing|jobs|reports|app\\.js'),
        'storage adapters use only shared and config',
      ],
    ],
  ),
  layer(
    ['src/backup/**'],
    [
      [
        to('auth|schema|server|plugins|collectors|demo|bootstrap|billing|jobs|reports|storage|app\\.js'),
        'backup may use only orm, shared and config',
      ],
    ],
  ),
  layer(
    ['src/auth/**'],
    [
      [
        to('schema|server|plugins|collectors|demo|bootstrap|billing|backup|jobs|reports|storage|app\\.js'),
        'auth may use only orm, shared and config',
      ],
    ],
  ),
  layer(['src/schema/*/**'], MODULE),
  layer(
    ['src/schema/common/**'],
    [['^\\.\\./(?!\\.\\.)', 'the kernel (schema/common) imports no feature module'], ...MODULE],
  ),
  layer(
    ['src/schema/*.ts'],
    [
      ['^\\./[^/]+/(?!index\\.js$)', 'compose the modules through their faces (<module>/index.js)'],
      [to('server|plugins|demo|bootstrap|backup|jobs|app\\.js|main\\.js'), 'the schema does not know who serves it'],
    ],
  ),
  layer(
    ['src/jobs/**'],
    [
      [
        to('auth|server|plugins|collectors|demo|bootstrap|backup|reports|storage|app\\.js|main\\.js'),
        'jobs use schema faces, billing, orm, shared and config',
      ],
      ...THROUGH_FACES,
    ],
  ),
  layer(
    ['src/server/**'],
    [
      [
        to('plugins|demo|bootstrap|backup|billing|jobs|app\\.js|main\\.js'),
        'the server carries the API: auth, schema faces, reports, storage and the collection port',
      ],
      ...THROUGH_FACES,
      COLLECTION_PORT,
    ],
  ),
  layer(
    ['src/demo/**'],
    [
      [
        to('server|plugins|bootstrap|backup|jobs|reports|storage|app\\.js|main\\.js'),
        'the demo seed writes rows: orm, auth, billing, shared and config',
      ],
      // Seeded history follows the simulator's load curve, so that it runs on into the live values.
      [
        `${UP_TO_SRC}collectors/(?!builtin/simulator/load-curve\\.js$)`,
        "of collection the demo uses only the simulator's load curve",
      ],
      ...THROUGH_FACES,
    ],
  ),
  layer(
    ['src/bootstrap/**'],
    [
      [
        to('server|plugins|collectors|demo|backup|billing|jobs|reports|storage|app\\.js|main\\.js'),
        'first-start data uses orm, auth, shared and config',
      ],
      ...THROUGH_FACES,
    ],
  ),
  layer(
    ['src/collectors/*.ts'],
    [COLLECTION_BELOW, ['^\\./builtin(/|$)', 'collection runs plugins through the host, never a built-in directly']],
  ),
  layer(
    ['src/collectors/ingestion/**'],
    [
      COLLECTION_BELOW,
      ['^\\.\\./(runtime|alarms|builtin|collection\\.js|port\\.js|index\\.js)', 'ingestion knows nothing above it'],
    ],
  ),
  layer(
    ['src/collectors/alarms/**'],
    [
      COLLECTION_BELOW,
      ['^\\.\\./(runtime|builtin|collection\\.js|port\\.js|index\\.js)', 'alarms follow ingestion and meter events'],
    ],
  ),
  layer(
    ['src/collectors/runtime/**'],
    [
      COLLECTION_BELOW,
      ['^\\.\\./(alarms|builtin|collection\\.js|port\\.js|index\\.js)', 'the runtime hands readings to a sink'],
    ],
  ),
  layer(
    ['src/app.ts'],
    [
      ['^\\./schema/[^/]+/(?!index\\.js$)', 'import a schema module through its face, schema/<module>/index.js'],
      ['^\\./(jobs|reports|storage)/(?!index\\.js$)', 'import jobs, reports and storage through their faces'],
      ['^\\./collectors/(?!(index|builtin/index)\\.js$)', 'assemble collection through collectors/index.js'],
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
