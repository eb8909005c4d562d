import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCollector, z, type DeviceEvent, type PointValue } from '../collectors/sdk/index.js';
import { createLogger } from '../shared/logger.js';
import { PluginHost, type SubscriptionSink } from './plugin-host.js';

const fixtures = new URL('../../test/fixtures/plugins/', import.meta.url).pathname;
const CALL_TIMEOUT_MS = 500;

/** A built-in push plugin whose devices all share one line, with a read to compete for it. */
const calls: string[] = [];
const shared = defineCollector({
  describe: () => ({
    id: 'shared-line-push',
    displayName: { en: 'push on a shared line' },
    mode: 'push',
    transport: 'serial',
  }),
  deviceSchema: z.object({}),
  pointSchema: z.object({ value: z.string() }),
  resourceKey: () => 'line:one',
  createSession: (device) => ({
    connect: async () => void calls.push(`connect ${device.id}`),
    read: async (points) => {
      calls.push(`read ${device.id}`);
      return points.map((p) => ({
        pointId: p.id,
        value: p.settings.value,
        quality: 'good' as const,
        measuredAt: new Date(),
      }));
    },
    subscribe: async (points, sink, signal) => {
      calls.push(`subscribe ${device.id}`);
      const timer = setInterval(
        () =>
          sink.values(
            points.map((p) => ({ pointId: p.id, value: p.settings.value, quality: 'good', measuredAt: new Date() })),
          ),
        20,
      );
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      clearInterval(timer);
      calls.push(`subscribe ${device.id} ended`);
    },
    close: async () => void calls.push(`close ${device.id}`),
  }),
});

let host: PluginHost;
beforeAll(async () => {
  host = new PluginHost(createLogger('silent'), { callTimeoutMs: CALL_TIMEOUT_MS, installDir: fixtures });
  const statuses = await host.load([
    { kind: 'builtin', collector: shared },
    { kind: 'package', spec: './push' },
    { kind: 'package', spec: './push-crashing' },
    { kind: 'package', spec: './good' },
  ]);
  expect(statuses.map((s) => s.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
});
afterAll(async () => host?.stop());

interface Recorder extends SubscriptionSink {
  batches: PointValue[][];
  events: DeviceEvent[];
  connects: number;
}
const recorder = (): Recorder => {
  const r: Recorder = {
    batches: [],
    events: [],
    connects: 0,
    values: (v) => void r.batches.push(v),
    event: (e) => void r.events.push(e),
    connected: () => void r.connects++,
  };
  return r;
};
const until = async (done: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
};
const points = [
  { id: 'p1', settings: { value: '10.5' } },
  { id: 'p2', settings: { value: '20' } },
];

describe('push subscriptions through the plugin host', () => {
  it('runs a built-in subscription past the call timeout without holding its line', async () => {
    calls.length = 0;
    const sink = recorder();
    const controller = new AbortController();
    const running = host.subscribe('shared-line-push', { id: 'a', settings: {} }, points, sink, controller.signal);
    await until(() => sink.batches.length >= 2);
    // A poll read on the same line gets its turn while the subscription runs.
    const session = await host.openSession('shared-line-push', { id: 'b', settings: {} });
    await session.connect();
    expect(await session.read(points)).toMatchObject([{ value: '10.5' }, { value: '20' }]);
    await session.close();
    await new Promise((r) => setTimeout(r, CALL_TIMEOUT_MS + 100));
    const before = sink.batches.length;
    await until(() => sink.batches.length > before);
    controller.abort();
    await running;
    expect(sink.connects).toBe(1);
    expect(sink.batches[0]).toEqual([
      { pointId: 'p1', value: '10.5', quality: 'good', measuredAt: expect.any(Date) },
      { pointId: 'p2', value: '20', quality: 'good', measuredAt: expect.any(Date) },
    ]);
    expect(calls).toEqual([
      'connect a',
      'subscribe a',
      'connect b',
      'read b',
      'close b',
      'subscribe a ended',
      'close a',
    ]);
  });

  it('streams values and events back from a package plugin in its worker, until stopped', async () => {
    const sink = recorder();
    const controller = new AbortController();
    const running = host.subscribe(
      'fixture-push',
      { id: 'm1', settings: { everyMs: 10 } },
      points,
      sink,
      controller.signal,
    );
    await until(() => sink.batches.length >= 5);
    controller.abort();
    await running;
    const after = sink.batches.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.batches.length).toBe(after);
    expect(sink.events).toEqual([{ type: 'METER_COVER_OPEN', occurredAt: new Date('2026-01-01T00:00:00Z') }]);
    expect(sink.batches.every((b) => b.map((v) => v.value).join() === '10.5,20')).toBe(true);
  });

  it('checks what the worker delivers: garbage becomes bad values with reasons, then values flow on', async () => {
    const sink = recorder();
    const controller = new AbortController();
    const running = host.subscribe(
      'fixture-push',
      { id: 'm2', settings: { mode: 'garbage' } },
      points,
      sink,
      controller.signal,
    );
    await until(() => sink.batches.length >= 5);
    controller.abort();
    await running;
    const reasons = (b: PointValue[]) => b.map((v) => `${v.pointId}: ${v.reason}`);
    expect(reasons(sink.batches[0]!)).toEqual([
      'p1: the plugin delivered a value of type number, not a decimal string',
      'nobody: the plugin delivered a value for unknown point "nobody"',
      'p1: the plugin delivered a value without a valid measuredAt',
    ]);
    expect(reasons(sink.batches[1]!)).toEqual([
      expect.stringMatching(/^p1: values could not be passed to the host: /),
      expect.stringMatching(/^p2: values could not be passed to the host: /),
    ]);
    expect(reasons(sink.batches[2]!)).toEqual([
      'p1: the plugin delivered something other than a list of values',
      'p2: the plugin delivered something other than a list of values',
    ]);
    // The invalid event was dropped; the valid one came through.
    expect(sink.events).toHaveLength(1);
    expect(sink.batches[3]!.map((v) => v.value)).toEqual(['10.5', '20']);
  });

  it('validates point settings as read does, and closes the session', async () => {
    const sink = recorder();
    await expect(
      host.subscribe(
        'fixture-push',
        { id: 'm3', settings: {} },
        [{ id: 'p1', settings: { value: 'x' } }],
        sink,
        AbortSignal.timeout(5000),
      ),
    ).rejects.toThrow(/value/);
    expect(sink.batches).toEqual([]);
    calls.length = 0;
    await expect(
      host.subscribe(
        'shared-line-push',
        { id: 'x', settings: {} },
        [{ id: 'p1', settings: { value: 5 } }],
        sink,
        AbortSignal.timeout(5000),
      ),
    ).rejects.toThrow(/value/);
    expect(calls).toEqual(['connect x', 'close x']);
  });

  it('does not wait for a plugin that ignores its stop longer than the call timeout', async () => {
    const controller = new AbortController();
    const running = host.subscribe(
      'fixture-push',
      { id: 'm4', settings: { mode: 'deaf' } },
      points,
      recorder(),
      controller.signal,
    );
    await new Promise((r) => setTimeout(r, 50));
    const stoppedAt = Date.now();
    controller.abort();
    await running;
    expect(Date.now() - stoppedAt).toBeLessThan(CALL_TIMEOUT_MS * 3);
  });

  it('ends a subscription with an error when its worker crashes; other plugins keep going', async () => {
    const healthy = recorder();
    const healthyStop = new AbortController();
    const healthyRun = host.subscribe(
      'fixture-push',
      { id: 'h', settings: { everyMs: 10 } },
      points,
      healthy,
      healthyStop.signal,
    );
    const crashing = recorder();
    await expect(
      host.subscribe(
        'fixture-push-crashing',
        { id: 'c', settings: { mode: 'crash' } },
        points,
        crashing,
        AbortSignal.timeout(5000),
      ),
    ).rejects.toThrow(/plugin crashed: worker exited with code 5/);
    expect(crashing.batches.length).toBeGreaterThanOrEqual(1);
    // The other package's subscription still delivers, and a poll plugin still reads.
    const before = healthy.batches.length;
    await until(() => healthy.batches.length > before + 2);
    const session = await host.openSession('fixture-good', { id: 'g', settings: {} });
    await session.connect();
    expect(await session.read([{ id: 'p1', settings: { scale: 2 } }])).toMatchObject([{ value: '85' }]);
    await session.close();
    // The crashed plugin's worker starts again for the next subscription.
    const again = recorder();
    const againStop = new AbortController();
    const againRun = host.subscribe(
      'fixture-push-crashing',
      { id: 'c', settings: {} },
      points,
      again,
      againStop.signal,
    );
    await until(() => again.batches.length >= 1);
    againStop.abort();
    healthyStop.abort();
    await Promise.all([againRun, healthyRun]);
  });
});
