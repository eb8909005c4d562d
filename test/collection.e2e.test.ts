import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { SDK_VERSION } from '../src/collectors/sdk/index.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      COLLECTOR_PLUGINS:
        './test/fixtures/plugins/good, ./test/fixtures/plugins/wrong-sdk, ./test/fixtures/plugins/crashing',
    },
  });
});
afterAll(async () => server?.stop());

describe('collector plugins configured for the server', () => {
  it('lists built-in and vendor plugins with their status; a refused plugin does not stop the server', async () => {
    const admin = await server.login('admin');
    const res = await server.gql<{ collectorPlugins: Record<string, unknown>[] }>(
      `{ collectorPlugins { id source status error mode transport timeSync } }`,
      {},
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.collectorPlugins).toEqual([
      {
        id: 'dlt645-2007-tcp',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'tcp',
        timeSync: true,
      },
      {
        id: 'dlt645-2007-serial',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'serial',
        timeSync: true,
      },
      {
        id: 'modbus-tcp',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'tcp',
        timeSync: false,
      },
      {
        id: 'modbus-rtu',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'serial',
        timeSync: false,
      },
      {
        id: 'mqtt-json',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'push',
        transport: 'broker',
        timeSync: false,
      },
      {
        id: 'simulator',
        source: 'builtin',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'virtual',
        timeSync: false,
      },
      {
        id: 'fixture-good',
        source: '@fixtures/good@1.0.0',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'virtual',
        timeSync: false,
      },
      {
        id: null,
        source: './test/fixtures/plugins/wrong-sdk',
        status: 'FAILED',
        error: `needs collector SDK ^2.0.0, this server provides ${SDK_VERSION}`,
        mode: null,
        transport: null,
        timeSync: false,
      },
      {
        id: 'fixture-crashing',
        source: '@fixtures/crashing@1.0.0',
        status: 'READY',
        error: null,
        mode: 'poll',
        transport: 'virtual',
        timeSync: false,
      },
    ]);
  });

  it('is for administrators and auditors', async () => {
    const auditor = await server.login('auditor');
    expect((await server.gql(`{ collectorPlugins { id } }`, {}, auditor)).errors).toBeUndefined();
    const reader = await server.login('reader1');
    expect(onlyError(await server.gql(`{ collectorPlugins { id } }`, {}, reader)).extensions?.code).toBe('FORBIDDEN');
  });
});
