import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../src/plugins/plugin-host.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

/**
 * The example vendor package (examples/collector-http-json) loaded the way an installation loads
 * a vendor's plugin: by path in COLLECTOR_PLUGINS, in its own worker, importing the SDK package.
 */
const root = new URL('..', import.meta.url).pathname;
let gateway: Server;
let gatewayUrl: string;
let server: TestServer;

beforeAll(async () => {
  // The vendor package imports @metergraph/collector-sdk, which is built from src/collectors/sdk.
  execFileSync('npm', ['run', '-s', 'build:sdk'], { cwd: root, stdio: 'inherit' });
  gateway = createServer((req, res) => {
    if (req.url !== '/meters/EV-0001') return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ time: '2026-11-26T08:00:00Z', energy: { import: '4321.09' } }));
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  server = await startTestServer({
    demo: false,
    env: {
      COLLECTOR_PLUGINS: './examples/collector-http-json',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
    },
  });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await new Promise((r) => gateway?.close(r));
});

describe('a vendor plugin package', () => {
  it('is loaded from configuration and listed as ready', async () => {
    const token = await server.login('root', 'root-password-1');
    const res = await server.gql<{
      collectorPlugins: { id: string; source: string; status: string; transport: string }[];
    }>(`{ collectorPlugins { id source status transport } }`, {}, token);
    expect(res.data!.collectorPlugins).toContainEqual({
      id: 'example-vendor-http-json',
      source: '@example-vendor/metergraph-http-json@1.2.0',
      status: 'READY',
      transport: 'http',
    });
  });

  it('reads a meter through its worker, with settings validated by its own schema', async () => {
    const host = new PluginHost(createLogger('silent'), { callTimeoutMs: 3000, installDir: root });
    await host.load([{ kind: 'package', spec: './examples/collector-http-json' }]);
    try {
      expect(await host.validateDevice('example-vendor-http-json', { baseUrl: 'ftp://x', address: 'EV-0001' })).toEqual(
        [{ path: ['baseUrl'], message: 'must be an http:// or https:// URL' }],
      );
      const session = await host.openSession('example-vendor-http-json', {
        id: 'm1',
        settings: { baseUrl: gatewayUrl, address: 'EV-0001' },
      });
      await session.connect();
      const values = await session.read([
        { id: 'import', register: 'FORWARD_ACTIVE_TOTAL', settings: { field: 'energy.import' } },
        { id: 'export', settings: { field: 'energy.export' } },
      ]);
      await session.close();
      expect(values).toEqual([
        { pointId: 'import', value: '4321.09', quality: 'good', measuredAt: new Date('2026-11-26T08:00:00Z') },
        {
          pointId: 'export',
          quality: 'bad',
          reason: 'no decimal at energy.export',
          measuredAt: new Date('2026-11-26T08:00:00Z'),
        },
      ]);
    } finally {
      await host.stop();
    }
  });

  it('may describe its settings in plain JSON Schema: validated with paths, defaults filled in, in its worker', async () => {
    const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
    const host = new PluginHost(createLogger('silent'), { callTimeoutMs: 3000, installDir: fixtures });
    try {
      expect((await host.load([{ kind: 'package', spec: './json-schema' }])).map((p) => [p.id, p.status])).toEqual([
        ['fixture-json-schema', 'ready'],
      ]);
      expect(await host.validateDevice('fixture-json-schema', { serial: 'x', extra: 1 })).toEqual([
        { path: ['extra'], message: 'must NOT have additional properties' },
        { path: ['serial'], message: 'must match pattern "^[A-Z]{2}\\d{6}$"' },
      ]);
      expect(await host.validatePoint('fixture-json-schema', {})).toEqual([
        { path: ['raw'], message: "must have required property 'raw'" },
      ]);
      const session = await host.openSession('fixture-json-schema', { id: 'm1', settings: { serial: 'AB123456' } });
      await session.connect();
      expect((await session.read([{ id: 'p', settings: { raw: 12345 } }])).map((v) => v.value)).toEqual(['1234.50']);
      await session.close();
      // Settings that cannot work fail as misconfigured, which the runtime does not retry.
      const wrong = await host.openSession('fixture-json-schema', { id: 'm2', settings: { serial: 'nope' } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(wrong).toMatchObject({
        kind: 'misconfigured',
        message: 'device settings: serial: must match pattern "^[A-Z]{2}\\d{6}$"',
      });
    } finally {
      await host.stop();
    }
  });
});
