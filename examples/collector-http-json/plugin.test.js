// The vendor's own tests, with Node's built-in test runner (`npm test`): the SDK's conformance kit
// against the simulator, plus the plugin's own cases.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkCollector } from '@metergraph/collector-sdk/conformance';
import plugin from './index.js';
import { startSimulator } from './simulator.js';

let sim;
before(async () => {
  sim = await startSimulator({
    'EV-0001': () => ({
      time: '2026-11-26T08:00:00Z',
      energy: { import: '1234.56', tariffs: ['100.00', '400.00', '500.00', '234.56'] },
      voltage: '220.1',
    }),
    'EV-0002': () => ({ time: 'garbage', energy: { import: 'n/a' } }),
  });
});
after(() => sim.close());

test('passes the Metergraph conformance kit', async () => {
  const results = await checkCollector(plugin, {
    device: { id: 'm1', settings: { baseUrl: sim.url, address: 'EV-0001' } },
    points: [
      {
        request: { id: 'import', register: 'FORWARD_ACTIVE_TOTAL', settings: { field: 'energy.import' } },
        expect: 'good',
      },
      { request: { id: 't4', register: 'FORWARD_ACTIVE_T4', settings: { field: 'energy.tariffs.3' } }, expect: 'good' },
      { request: { id: 'missing', settings: { field: 'energy.export' } }, expect: 'bad' },
    ],
    unreachableDevice: { id: 'dead', settings: { baseUrl: 'http://127.0.0.1:1', address: 'EV-0009' } },
    timeoutMs: 3000,
  });
  assert.deepEqual(
    results.filter((r) => !r.ok),
    [],
  );
});

test('reads exact values with the meter time, and explains what it cannot read', async () => {
  const ctx = { logger: console, now: () => new Date('2026-11-26T09:00:00Z') };
  const good = plugin.createSession({ id: 'm1', settings: { baseUrl: sim.url, address: 'EV-0001' } }, ctx);
  const [value] = await good.read([{ id: 'import', settings: { field: 'energy.import' } }], AbortSignal.timeout(3000));
  assert.deepEqual(value, {
    pointId: 'import',
    value: '1234.56',
    quality: 'good',
    measuredAt: new Date('2026-11-26T08:00:00Z'),
  });
  const odd = plugin.createSession({ id: 'm2', settings: { baseUrl: sim.url, address: 'EV-0002' } }, ctx);
  const [bad] = await odd.read([{ id: 'import', settings: { field: 'energy.import' } }], AbortSignal.timeout(3000));
  assert.equal(bad.quality, 'bad');
  assert.equal(bad.reason, 'no decimal at energy.import');
  const unknown = plugin.createSession({ id: 'm3', settings: { baseUrl: sim.url, address: 'EV-0404' } }, ctx);
  const [missing] = await unknown.read(
    [{ id: 'import', settings: { field: 'energy.import' } }],
    AbortSignal.timeout(3000),
  );
  assert.equal(missing.reason, 'the gateway does not know this meter');
});
