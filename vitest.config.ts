import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from '@swc/core';
import swc from 'unplugin-swc';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import SlowFirst from './test/support/slow-first.js';

const require = createRequire(import.meta.url);

/**
 * End-to-end files that choose their databases themselves, whatever the suite runs on: the
 * compiled server on the embedded database (start), backups of both kinds (backup), two servers on
 * PostgreSQL joined through Redis (redis-fanout). CI runs them once, with the unit tests.
 */
const OWN_DATABASE = ['test/start.e2e.test.ts', 'test/backup.e2e.test.ts', 'test/redis-fanout.e2e.test.ts'];

/**
 * The plugin host starts its worker thread from `plugin-worker.js` beside `worker/location.ts`
 * (the build's layout). A worker thread runs outside vite and Node 20 cannot run TypeScript, so
 * under vitest `location.ts` is replaced by a module pointing at a copy of the worker compiled by
 * SWC, once per content, in the temporary folder (docs/adr/0018-the-plugin-worker-as-a-module.md).
 */
function pluginWorker(): Plugin {
  const location = fileURLToPath(new URL('./src/plugins/worker/location.ts', import.meta.url));
  const source = fileURLToPath(new URL('./src/plugins/worker/plugin-worker.ts', import.meta.url));
  let compiled: string | undefined;
  const compile = () => {
    const text = readFileSync(source, 'utf8');
    const out = join(
      tmpdir(),
      `metergraph-plugin-worker-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`,
    );
    const { code } = transformSync(text, {
      filename: source,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    });
    // Written aside and renamed: several test processes may compile the same content at once.
    const partial = `${out}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, out);
    return out;
  };
  return {
    name: 'metergraph-plugin-worker',
    enforce: 'pre',
    load(id) {
      if (id.split('?')[0] !== location) return undefined;
      compiled ??= compile();
      return `export const PLUGIN_WORKER_URL = new URL(${JSON.stringify(pathToFileURL(compiled).href)});`;
    },
  };
}

export default defineConfig({
  plugins: [
    pluginWorker(),
    // SWC instead of esbuild: type-graphql and MikroORM need emitted decorator metadata.
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
