import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PluginHost } from '../../plugins/plugin-host.js';
import { createLogger } from '../../shared/logger.js';
import type { IncomingReading } from '../ingestion/readings.js';
import {
  CollectorError,
  defineCollector,
  z,
  type DeviceEvent,
  type PointRequest,
  type PointValue,
  type ValueSink,
} from '../sdk/index.js';
import { PushRuntime, type PushRuntimeOptions } from './push-runtime.js';
import type { CollectionTarget } from './runtime.js';

/** What the test plugin's session does, per device id; the log says what the host made it do. */
type Script = {
  connect?: () => Promise<void>;
  subscribe: (points: PointRequest[], sink: ValueSink, signal: AbortSignal) => Promise<void>;
};
const scripts = new Map<string, Script>();
const log: string[] = [];

const tiny = defineCollector({
  describe: () => ({ id: 'tiny-push', displayName: { en: 'tiny push' }, mode: 'push', transport: 'broker' }),
  deviceSchema: z.object({ topic: z.string() }),
  pointSchema: z.object({ field: z.string() }),
  createSession: (device) => ({
    connect: async () => {
      log.push(`connect ${device.settings.topic}`);
      await scripts.get(device.id)?.connect?.();
    },
    subscribe: async (points, sink, signal) => {
      log.push(`subscribe ${device.settings.topic}`);
      try {
        await scripts.get(device.id)!.subscribe(points, sink, signal);
      } finally {
        log.push(`${signal.aborted ? 'aborted' : 'ended'} ${device.settings.topic}`);
      }
    },
    close: async () => void log.push(`close ${device.settings.topic}`),
  }),
});

let host: PluginHost;
beforeAll(async () => {
  host = new PluginHost(createLogger('silent'), { callTimeoutMs: 500, installDir: process.cwd() });
  await host.load([{ kind: 'builtin', collector: tiny }]);
});

const target = (meterId: number, topic = `t${meterId}`): CollectionTarget => ({
  meterId,
  pluginId: 'tiny-push',
  device: { id: `meter-${meterId}`, settings: { topic } },
  points: [
    { id: 'FORWARD_ACTIVE_TOTAL', register: 'FORWARD_ACTIVE_TOTAL', settings: { field: 'total' } },
    { id: 'FORWARD_ACTIVE_T1', register: 'FORWARD_ACTIVE_T1', settings: { field: 't1' } },
  ],
  group: { orgPath: '/1/' },
});

/** Delivers `values()` every `everyMs` until stopped. */
const streaming =
  (values: () => unknown[], everyMs = 10): Script['subscribe'] =>
  async (_points, sink, signal) => {
    const timer = setInterval(() => sink.values(values() as PointValue[]), everyMs);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(timer);
  };
const forever: Script['subscribe'] = (_p, _s, signal) =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

const until = async (done: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
};

let runtime: PushRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  scripts.clear();
  log.length = 0;
});

function setup(targets: () => CollectionTarget[], options: Partial<PushRuntimeOptions> = {}) {
  const readings: IncomingReading[] = [];
  const bad: [number, PointValue][] = [];
  const failures: [number, string][] = [];
  const successes: [number, PointValue[]][] = [];
  const events: [number, DeviceEvent[]][] = [];
  runtime = new PushRuntime(
    host,
    { submit: (r) => (readings.push(...r), { accepted: r.length }) },
    async () => targets(),
    createLogger('silent'),
    {
      intervalMs: 60_000,
      onBadValue: (m, v) => void bad.push([m, v]),
      onFailure: (m, r) => void failures.push([m, r]),
      onSuccess: (m, v) => void successes.push([m, v]),
      events: { record: async (m, e) => void events.push([m, e]) },
      ...options,
    },
  );
  return { runtime, readings, bad, failures, successes, events };
}

describe('push runtime', () => {
  it('hands pushed values to ingestion as automatic readings, bad ones and events to their places', async () => {
    const at = new Date('2026-11-26T08:00:00Z');
    scripts.set('meter-1', {
      subscribe: async (points, sink, signal) => {
        sink.event({ type: 'METER_COVER_OPEN', occurredAt: at });
        sink.values([
          { pointId: points[0]!.id, value: '100.25', quality: 'good', measuredAt: at },
          { pointId: points[1]!.id, quality: 'bad', reason: 'no such field', measuredAt: at },
        ]);
        sink.values([{ pointId: points[0]!.id, value: 7, quality: 'good', measuredAt: at } as never]);
        await forever(points, sink, signal);
      },
    });
    const { runtime, readings, bad, failures, successes, events } = setup(() => [target(1)]);
    runtime.start();
    await until(() => bad.length === 2);
    expect(readings).toEqual([
      {
        meterId: 1,
        register: 'FORWARD_ACTIVE_TOTAL',
        value: '100.25',
        measuredAt: '2026-11-26T08:00:00.000Z',
        source: 'AUTOMATIC',
      },
    ]);
    expect(bad.map(([m, v]) => [m, v.pointId, v.reason])).toEqual([
      [1, 'FORWARD_ACTIVE_T1', 'no such field'],
      [1, 'FORWARD_ACTIVE_TOTAL', 'the plugin delivered a value of type number, not a decimal string'],
    ]);
    expect(events).toEqual([[1, [{ type: 'METER_COVER_OPEN', occurredAt: at }]]]);
    // Reported once for the first batch; the second (still with a bad value) is no news.
    expect(successes.map(([m, v]) => [m, v.length])).toEqual([[1, 2]]);
    expect(failures).toEqual([]);
    expect(runtime.status()).toEqual([{ meterId: 1, pluginId: 'tiny-push', state: 'subscribed', failures: 0 }]);
  });

  it('reconnects with growing pauses while subscribe rejects, and raises a failure for each', async () => {
    const attempts: number[] = [];
    let rejections = 4;
    scripts.set('meter-2', {
      subscribe: async (points, sink, signal) => {
        attempts.push(Date.now());
        if (rejections-- > 0) throw new Error('broker refused the subscription');
        await streaming(() => [{ pointId: points[0]!.id, value: '1', quality: 'good', measuredAt: new Date() }])(
          points,
          sink,
          signal,
        );
      },
    });
    const { runtime, readings, failures, successes } = setup(() => [target(2)], {
      backoff: { baseMs: 40, capMs: 1000 },
      random: () => 1,
    });
    const pauses = vi.spyOn(runtime, 'delayMs');
    runtime.start();
    await until(() => readings.length > 0);
    expect(attempts).toHaveLength(5);
    // Random pinned to the full pause: 40, 80, 160, 320 ms, and the attempts waited that long.
    expect(pauses.mock.results.map((r) => r.value)).toEqual([40, 80, 160, 320]);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual([40, 80, 160, 320][i]! - 5));
    expect(failures).toEqual(Array(4).fill([2, 'broker refused the subscription']));
    expect(successes).toHaveLength(1);
    expect(runtime.status()[0]).toMatchObject({ state: 'subscribed', failures: 4 });
  });

  it('does not resubscribe a misconfigured meter in the usual rhythm, but as soon as its settings change', async () => {
    let attempts = 0;
    const refusing: Script = {
      subscribe: async () => {
        attempts++;
        throw new CollectorError('misconfigured', 'the broker refused the credentials');
      },
    };
    scripts.set('meter-3', refusing);
    let topic = 'wrong';
    const { runtime, failures } = setup(() => [target(3, topic)], {
      backoff: { baseMs: 10, capMs: 20, permanentMs: 60_000 },
      random: () => 1,
    });
    runtime.start();
    await until(() => failures.length === 1);
    // With retriable failures this would be a dozen attempts by now.
    await new Promise((r) => setTimeout(r, 150));
    expect(attempts).toBe(1);
    expect(failures).toEqual([[3, 'misconfigured: the broker refused the credentials']]);
    expect(runtime.status()[0]).toMatchObject({
      state: 'waiting',
      lastError: 'misconfigured: the broker refused the credentials',
    });

    // The operator fixes the settings: the next reconciliation subscribes at once.
    scripts.set('meter-3', { subscribe: forever });
    topic = 'right';
    await runtime.reconcile();
    await until(() => runtime.status()[0]?.state === 'subscribed');
    expect(log).toContain('subscribe right');
  });

  it('raises a failure when connect fails, and starts over from the first pause after a healthy period', async () => {
    let connects = 0;
    const attempts: number[] = [];
    scripts.set('meter-3', {
      connect: async () => {
        if (++connects <= 2) throw new Error('connection refused');
      },
      // Healthy for 150 ms, then the connection breaks.
      subscribe: async (points, sink) => {
        attempts.push(Date.now());
        sink.values([{ pointId: points[0]!.id, value: '1', quality: 'good', measuredAt: new Date() }]);
        await new Promise((r) => setTimeout(r, 150));
        throw new Error('connection lost');
      },
    });
    const { runtime, failures } = setup(() => [target(3)], {
      backoff: { baseMs: 40, capMs: 1000, healthyMs: 100 },
      random: () => 1,
    });
    const pauses = vi.spyOn(runtime, 'delayMs');
    runtime.start();
    await until(() => attempts.length >= 3);
    expect(failures.slice(0, 2)).toEqual([
      [3, 'connection refused'],
      [3, 'connection refused'],
    ]);
    // Delivered before it broke: not a communication failure; healthy: the pause is the first one again.
    expect(failures).toHaveLength(2);
    expect(pauses.mock.calls.map(([n]) => n)).toEqual([0, 1, 0, 0].slice(0, pauses.mock.calls.length));
    expect(pauses.mock.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('pauses between half and all of a doubling delay, capped', () => {
    const pause = (random: number) =>
      new PushRuntime(host, { submit: () => ({ accepted: 0 }) }, async () => [], createLogger('silent'), {
        intervalMs: 1000,
        random: () => random,
      });
    expect([0, 1, 2, 5, 6, 40].map((n) => pause(1).delayMs(n))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
    expect([0, 1, 6].map((n) => pause(0).delayMs(n))).toEqual([500, 1000, 30_000]);
    expect(pause(0.5).delayMs(0)).toBe(750);
  });

  it('subscribes new meters, resubscribes changed ones and stops removed ones', async () => {
    for (const id of [4, 5, 6]) scripts.set(`meter-${id}`, { subscribe: forever });
    let targets = [target(4), target(5)];
    const { runtime } = setup(() => targets);
    await runtime.reconcile();
    await until(() => log.filter((l) => l.startsWith('subscribe')).length === 2);
    targets = [target(4), target(5, 'moved'), target(6)];
    await runtime.reconcile();
    await until(() => log.filter((l) => l.startsWith('subscribe')).length === 4);
    targets = [target(6)];
    await runtime.reconcile();
    await until(() => log.includes('close t4') && log.includes('close moved'));
    expect(log.filter((l) => l.endsWith('t5'))).toEqual(['connect t5', 'subscribe t5', 'aborted t5', 'close t5']);
    // The old session was closed before the new one connected.
    expect(log.indexOf('close t5')).toBeLessThan(log.indexOf('connect moved'));
    expect(runtime.status().map((s) => s.meterId)).toEqual([6]);
  });

  it('stops by aborting every subscription and waiting for the closes', async () => {
    for (const id of [7, 8]) scripts.set(`meter-${id}`, { subscribe: forever });
    // Meter 9 never connects: it waits between attempts when the stop comes.
    scripts.set('meter-9', { connect: async () => Promise.reject(new Error('down')), subscribe: forever });
    const { runtime } = setup(() => [target(7), target(8), target(9)], { backoff: { baseMs: 60_000 } });
    runtime.start();
    await until(() => log.filter((l) => l.startsWith('subscribe')).length === 2 && log.includes('close t9'));
    const started = Date.now();
    await runtime.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(log.filter((l) => /^(aborted|close) t[78]$/.test(l)).sort()).toEqual([
      'aborted t7',
      'aborted t8',
      'close t7',
      'close t8',
    ]);
    const settled = log.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(log.length).toBe(settled);
    expect(runtime.status()).toEqual([]);
  });
});
