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

const require = createRequire(import.meta.url);

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
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
