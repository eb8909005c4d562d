/**
 * Where the plugin worker's program is: the compiled `plugin-worker.js` beside this module, as
 * `npm run build` lays it out in dist/. Under vitest, which runs the TypeScript sources, the
 * project's vitest.config.ts replaces this module with one that points at a copy compiled once by
 * SWC (docs/adr/0018-the-plugin-worker-as-a-module.md): the host itself never compiles anything.
 */
export const PLUGIN_WORKER_URL: URL = new URL('./plugin-worker.js', import.meta.url);
