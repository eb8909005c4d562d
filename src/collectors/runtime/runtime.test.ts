import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../plugins/plugin-host.js';
import { createLogger } from '../../shared/logger.js';
import { CollectorError, defineCollector, z } from '../sdk/index.js';
import { ChannelBackoff } from './channel-backoff.js';
import { CollectionRuntime, type CollectionTarget, type JobResult } from './runtime.js';

/** A poll plugin whose sessions fail as their device's `fail` setting says, and count their connects. */
const connects: string[] = [];
const failing = defineCollector({
  describe: () => ({ id: 'failing-poll', displayName: { en: 'failing poll' }, mode: 'poll', transport: 'tcp' }),
  deviceSchema: z.object({ fail: z.enum(['none', 'misconfigured', 'unreachable']) }),
  pointSchema: z.object({}),
  createSession: (device) => ({
    connect: async () => {
      connects.push(`${device.id} ${device.settings.fail}`);
      if (device.settings.fail === 'misconfigured')
        throw new CollectorError('misconfigured', 'meter address 99 is not on this gateway');
      if (device.settings.fail === 'unreachable') throw new Error('connection refused');
    },
    read: async (points) =>
      points.map((p) => ({ pointId: p.id, value: '1.00', quality: 'good' as const, measuredAt: new Date() })),
    close: async () => {},
  }),
});

let host: PluginHost;
beforeAll(async () => {
  host = new PluginHost(createLogger('silent'), { callTimeoutMs: 1000, installDir: process.cwd() });
  await host.load([{ kind: 'builtin', collector: failing }]);
});
afterAll(() => host.stop());

const target = (meterId: number, fail: string): CollectionTarget => ({
  meterId,
  pluginId: 'failing-poll',
  device: { id: `m${meterId}`, settings: { fail } },
  points: [{ id: 'total', register: 'FORWARD_ACTIVE_TOTAL', settings: {} }],
  group: { orgPath: '/1/', channelId: 1 },
});

describe('collection runtime and the error kinds of plugins', () => {
  it('gives up on a misconfigured meter at once, leaves it alone until its settings change, and spares its channel', async () => {
    let now = 1_000_000;
    let targets = [target(1, 'misconfigured'), target(2, 'none')];
    const recorded: JobResult[][] = [];
    const backoff = new ChannelBackoff({ threshold: 1, baseMs: 60_000, capMs: 60_000, random: () => 0 });
    const runtime = new CollectionRuntime(
      host,
      { submit: (r) => ({ accepted: r.length }) },
      { due: async () => targets.map((t) => ({ target: t })), record: async (r) => void recorded.push(r) },
      createLogger('silent'),
      { intervalMs: 60_000, concurrency: 1, backoff, permanentPauseMs: 3_600_000, now: () => now },
    );
    const outcome = (cycle: JobResult[]) => cycle.map((r) => [r.job.target.meterId, r.ok, r.error, r.permanent]);

    await runtime.runCycle();
    expect(outcome(recorded[0]!)).toEqual([
      [1, false, 'misconfigured: meter address 99 is not on this gateway', true],
      [2, true, undefined, undefined],
    ]);
    // A misconfigured meter is not its channel's failure: the other meter is still read.
    expect(backoff.blocked('channel:1', now)).toBeUndefined();

    connects.length = 0;
    now += 60_000;
    await runtime.runCycle();
    expect(outcome(recorded[1]!)).toEqual([
      [1, false, 'misconfigured: meter address 99 is not on this gateway', true],
      [2, true, undefined, undefined],
    ]);
    expect(connects).toEqual(['m2 none']);

    // After the pause it is tried again; with new settings, at once.
    now += 3_600_000;
    await runtime.runCycle();
    expect(connects).toEqual(['m2 none', 'm1 misconfigured', 'm2 none']);
    targets = [target(1, 'none'), target(2, 'none')];
    now += 60_000;
    await runtime.runCycle();
    expect(outcome(recorded[3]!)).toEqual([
      [1, true, undefined, undefined],
      [2, true, undefined, undefined],
    ]);
  });

  it('keeps a retriable failure retriable: the message as it was, and the channel backs off', async () => {
    const recorded: JobResult[][] = [];
    const backoff = new ChannelBackoff({ threshold: 1, baseMs: 60_000, capMs: 60_000, random: () => 0 });
    const runtime = new CollectionRuntime(
      host,
      { submit: (r) => ({ accepted: r.length }) },
      { due: async () => [{ target: target(3, 'unreachable') }], record: async (r) => void recorded.push(r) },
      createLogger('silent'),
      { intervalMs: 60_000, backoff },
    );
    await runtime.runCycle();
    expect(recorded[0]!.map((r) => [r.ok, r.error, r.permanent])).toEqual([[false, 'connection refused', undefined]]);
    expect(backoff.blocked('channel:1')).toMatch(/backing off/);
  });
});
