import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCollector } from '../../sdk/conformance.js';
import type { PointValue } from '../../sdk/index.js';
import plugin, { valuesFromMessage, type MqttPoint } from './index.js';

const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const ctx = { logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => new Date('2026-11-26T08:00:00Z') };
const points = [
  { id: 'total', settings: { path: 'energy.total', scale: '1', decimals: 2 } },
  { id: 'volts', settings: { path: 'voltage', scale: '0.1', decimals: 1, unit: 'V' } },
];
const device = (address: string) => plugin.deviceSchema.parse({ url: BROKER, address, timestampField: 'ts' });

let publisher: mqtt.MqttClient;
beforeAll(async () => {
  publisher = await mqtt.connectAsync(BROKER);
});
afterAll(async () => publisher?.endAsync());

describe('MQTT collector: payload mapping', () => {
  it('maps JSON fields exactly, with the payload timestamp', () => {
    const values = valuesFromMessage(
      JSON.stringify({ ts: 1795680000, energy: { total: 1234.5678 }, voltage: 2201 }),
      points as never,
      device('m1'),
      ctx.now(),
    );
    expect(values).toEqual([
      { pointId: 'total', value: '1234.57', unit: undefined, quality: 'good', measuredAt: new Date(1795680000 * 1000) },
      { pointId: 'volts', value: '220.1', unit: 'V', quality: 'good', measuredAt: new Date(1795680000 * 1000) },
    ]);
  });

  it('turns garbage into bad values with reasons, never into numbers', () => {
    expect(valuesFromMessage('not json{', points as never, device('m1'), ctx.now()).map((v) => v.reason)).toEqual([
      'payload is not JSON',
      'payload is not JSON',
    ]);
    const partial = valuesFromMessage(
      JSON.stringify({ ts: '2026-11-26T08:00:00Z', energy: { total: 'abc' } }),
      points as never,
      device('m1'),
      ctx.now(),
    );
    expect(partial.map((v) => [v.quality, v.reason])).toEqual([
      ['bad', 'no number at energy.total'],
      ['bad', 'no number at voltage'],
    ]);
    expect(
      valuesFromMessage(JSON.stringify({ energy: { total: 1 } }), points as never, device('m1'), ctx.now())[0]!.reason,
    ).toBe('payload has no valid ts');
  });
});

describe('MQTT collector against the local Mosquitto broker', () => {
  it('passes the conformance kit (push mode)', async () => {
    const address = `conf-${process.pid}`;
    const timer = setInterval(
      () =>
        publisher.publish(
          `meters/${address}/telemetry`,
          JSON.stringify({ ts: Date.now(), energy: { total: 10.5 }, voltage: 2300 }),
          { qos: 1 },
        ),
      100,
    );
    try {
      const results = await checkCollector(plugin, {
        device: { id: 'd1', settings: { url: BROKER, address, timestampField: 'ts' } },
        points: points.map((p) => ({ request: p, expect: 'good' as const })),
        unreachableDevice: { id: 'd2', settings: { url: 'mqtt://127.0.0.1:1', address: 'x' } },
        timeoutMs: 3000,
      });
      expect(results.filter((r) => !r.ok)).toEqual([]);
    } finally {
      clearInterval(timer);
    }
  });

  it('delivers each published message with QoS 1 and keeps going after a garbage payload', async () => {
    const address = `live-${process.pid}`;
    const session = plugin.createSession({ id: 'd', settings: device(address) }, ctx);
    await session.connect(AbortSignal.timeout(5000));
    const received: PointValue[][] = [];
    const controller = new AbortController();
    const running = session.subscribe!(
      points as { id: string; settings: MqttPoint }[],
      { values: (v) => received.push(v), event: () => {} },
      controller.signal,
    );
    await new Promise((r) => setTimeout(r, 300));
    const topic = `meters/${address}/telemetry`;
    await publisher.publishAsync(
      topic,
      JSON.stringify({ ts: '2026-11-26T08:15:00Z', energy: { total: 100 }, voltage: 2200 }),
      { qos: 1 },
    );
    await publisher.publishAsync(topic, '\u0000garbage', { qos: 1 });
    await publisher.publishAsync(
      topic,
      JSON.stringify({ ts: '2026-11-26T08:30:00Z', energy: { total: 100.25 }, voltage: 2210 }),
      { qos: 1 },
    );
    const end = Date.now() + 5000;
    while (received.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await running;
    await session.close();
    expect(received.map((batch) => batch.map((v) => v.value ?? v.reason))).toEqual([
      ['100.00', '220.0'],
      ['payload is not JSON', 'payload is not JSON'],
      ['100.25', '221.0'],
    ]);
  });
});
