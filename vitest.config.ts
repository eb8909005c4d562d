import { createRequire } from 'node:module';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import SlowFirst from './test/support/slow-first.js';

const require = createRequire(import.meta.url);

/**
 * End-to-end files that choose their databases themselves, whatever the suite runs on: the
 * compiled server on the embedded database (start), backups of both kinds (backup), two servers on
 * PostgreSQL joined through Redis (redis-fanout). CI runs them once, with the unit tests.
 */
const OWN_DATABASE = ['test/start.e2e.test.ts', 'test/backup.e2e.test.ts', 'test/redis-fanout.e2e.test.ts'];

export default defineConfig({
  // SWC instead of esbuild: type-graphql and MikroORM need emitted decorator metadata.
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }),
  ],
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds; Node loads the CJS one for type-graphql,
    // so our code must get the same copy or `instanceof GraphQLScalarType` fails.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: SlowFirst },
    // Three projects, so that CI runs what does not depend on the suite's database once
    // (`--project unit --project own-database`) and the rest on each database (`--project e2e`).
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: OWN_DATABASE,
          // The migrated and the seeded database, built once per run for every server to copy.
          globalSetup: ['test/support/global-setup.ts'],
          // A worker imports the app once and runs file after file with it: every file starts
          // servers of its own, and importing the app is most of what a file would repeat.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'own-database', include: OWN_DATABASE } },
    ],
  },
});
