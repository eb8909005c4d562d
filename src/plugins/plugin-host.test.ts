import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dlt645 from '../collectors/builtin/dlt645/index.js';
import { createLogger } from '../shared/logger.js';
import { SDK_VERSION } from '../collectors/sdk/index.js';
import { PluginHost } from './plugin-host.js';

const fixtures = new URL('../../test/fixtures/plugins/', import.meta.url).pathname;
const pkg = (name: string) => ({ kind: 'package' as const, spec: `./${name}` });
let host: PluginHost;

beforeAll(async () => {
  host = new PluginHost(createLogger('silent'), { callTimeoutMs: 500, installDir: fixtures });
  await host.load([
    { kind: 'builtin', collector: dlt645 },
    pkg('good'),
    pkg('throwing'),
    pkg('hanging'),
    pkg('busy'),
    pkg('crashing'),
    pkg('wrong-sdk'),
    pkg('not-branded'),
    pkg('duplicate'),
    pkg('missing'),
    pkg('relay'),
  ]);
});
afterAll(async () => host?.stop());

const device = { id: 'd1', settings: { line: 'a' } };
const points = [{ id: 'p1', settings: { scale: 2 } }];

async function readWith(pluginId: string) {
  const session = await host.openSession(pluginId, device);
  try {
    await session.connect();
    return await session.read(points);
  } finally {
    await session.close();
  }
}

describe('plugin host', () => {
  it('loads built-in and package plugins, refusing bad ones with a reason', () => {
    const byId = Object.fromEntries(host.list().map((s) => [s.source.replace(/^@fixtures\//, ''), s]));
    expect(byId.builtin).toMatchObject({ id: 'dlt645-2007-tcp', status: 'ready' });
    expect(byId['good@1.0.0']).toMatchObject({ id: 'fixture-good', status: 'ready' });
    expect(byId['./wrong-sdk']).toMatchObject({
      status: 'failed',
      error: `needs collector SDK ^2.0.0, this server provides ${SDK_VERSION}`,
    });
    expect(byId['./not-branded']!.error).toMatch(/does not export a collector made by defineCollector/);
    expect(byId['duplicate@1.0.0']).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/duplicate collector id "fixture-good": already provided by @fixtures\/good@1.0.0/),
    });
    expect(byId['./missing']!.error).toMatch(/no readable package.json/);
  });

  it('runs a vendor plugin in its worker and validates settings there', async () => {
    expect(await readWith('fixture-good')).toMatchObject([{ pointId: 'p1', value: '85', quality: 'good' }]);
    expect(await host.validateDevice('fixture-good', { line: 5 })).toEqual([
      { path: ['line'], message: expect.any(String) },
    ]);
    expect(await host.validateDevice('dlt645-2007-tcp', { host: 'x', port: 1, address: '12' })).toEqual([
      { path: ['address'], message: 'must be 12 decimal digits' },
    ]);
  });

  it('contains a throw, a hang, a busy loop and a crash, and the others keep working', async () => {
    await expect(readWith('fixture-throwing')).rejects.toThrow('boom from the vendor');
    await expect(readWith('fixture-hanging')).rejects.toThrow(/timed out after 500 ms/);
    await expect(readWith('fixture-busy')).rejects.toThrow(/timed out after 500 ms/);
    await expect(readWith('fixture-crashing')).rejects.toThrow(/plugin crashed/);
    // The good plugin, and the crashed one's restarted worker for its non-failing calls, still answer.
    expect(await readWith('fixture-good')).toMatchObject([{ value: '85' }]);
    expect(await host.validateDevice('fixture-crashing', {})).toEqual([]);
    // The busy worker was terminated and comes back on the next use.
    await new Promise((r) => setTimeout(r, 600));
    expect(await host.validateDevice('fixture-busy', {})).toEqual([]);
  });

  it('carries relay commands and their results across the worker boundary, checked', async () => {
    const relay = async (line: string, command: 'TRIP' | 'PERMIT_CLOSE') => {
      const session = await host.openSession('fixture-relay', { id: 'r1', settings: { line } }, { urgent: true });
      try {
        await session.connect();
        return await session.controlRelay!(command);
      } finally {
        await session.close();
      }
    };
    expect(await relay('ok', 'TRIP')).toEqual({ status: 'confirmed', state: 'open' });
    expect(await relay('ok', 'PERMIT_CLOSE')).toEqual({ status: 'confirmed', state: 'permitted' });
    expect(await relay('refuse', 'TRIP')).toEqual({ status: 'refused', reason: 'password error or unauthorised' });
    await expect(relay('garbage', 'TRIP')).rejects.toThrow(
      'the plugin answered an invalid relay result: unknown status maybe',
    );
    await expect(relay('throw', 'TRIP')).rejects.toThrow('gateway unreachable');
    // Without the capability there is nothing to call; before connect, nothing is sent.
    const plain = await host.openSession('fixture-good', device);
    expect(plain.controlRelay).toBeUndefined();
    await plain.close();
    const early = await host.openSession('fixture-relay', { id: 'r2', settings: {} });
    await expect(early.controlRelay!('TRIP')).rejects.toThrow('controlRelay before connect');
    await early.close();
  });

  it('refuses read before connect and unknown plugins', async () => {
    const session = await host.openSession('fixture-good', device);
    await expect(session.read(points)).rejects.toThrow('read before connect');
    await session.close();
    await expect(host.openSession('nope', device)).rejects.toThrow('no collector plugin "nope" is loaded');
  });
});
