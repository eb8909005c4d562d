import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onLines, testLines } from '../../../../test/support/line-session.js';
import { openPtyPair, type PtyPair } from '../../../../test/support/pty-pair.js';
import { PluginHost } from '../../../plugins/plugin-host.js';
import { createLogger } from '../../../shared/logger.js';
import { checkCollector } from '../../sdk/conformance.js';
import type { PointRequest } from '../../sdk/index.js';
import { DATA_ITEMS } from './data-identifiers.js';
import { dlt645Serial, type Dlt645Point } from './index.js';
import {
  recordEvent,
  simulatedMeter,
  simulatedRelay,
  startDlt645SerialSimulator,
  type Dlt645SerialSimulator,
} from './simulator.js';

const ctx = { logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => new Date() };
const lines = testLines();
const signal = () => AbortSignal.timeout(6000);
// Generous enough for a busy machine (socat, simulator and collector share two cores), short enough to keep silence tests quick.
const TIMEOUT_MS = 800;
const M1 = '000000000001';
const M2 = '000000000002';
const point = (id: string, di: string, index = 0): PointRequest<Dlt645Point> => ({ id, settings: { di, index } });

/** The value the simulated meter holds for a DI, as the collector must report it. */
function expected(sim: Dlt645SerialSimulator, address: string, di: number, index = 0): string {
  const value = sim.meters.get(address)!.values.get(di)!.split(',')[index]!;
  const decimals = DATA_ITEMS.find((item) => item.di === di)!.decimals;
  return Number(value).toFixed(decimals);
}

describe('DL/T 645 serial collector settings', () => {
  it("defaults to the standard's 2400 baud 8E1 and puts every meter of a path on one line", () => {
    const settings = dlt645Serial.deviceSchema.parse({ path: '/dev/ttyUSB0', address: M1 });
    expect(settings).toEqual({
      path: '/dev/ttyUSB0',
      baudRate: 2400,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
      address: M1,
      responseTimeoutMs: 2000,
      preamble: 4,
      utcOffsetMinutes: 480,
      relayPasswordLevel: 2,
      relayOperatorCode: '00000000',
      relayValidityMinutes: 5,
    });
    expect(dlt645Serial.describe()).toMatchObject({ id: 'dlt645-2007-serial', transport: 'serial', mode: 'poll' });
    const line = (address: string) =>
      dlt645Serial.serialLine!({ id: address, settings: { ...settings, address } as typeof settings });
    expect(line(M1)).toEqual({ path: '/dev/ttyUSB0', baudRate: 2400, dataBits: 8, parity: 'even', stopBits: 1 });
    expect(line(M2)).toEqual(line(M1));
    for (const bad of [{ dataBits: 7 }, { address: '12' }, { path: '' }, { preamble: 5 }, { parity: 'mark' }])
      expect(dlt645Serial.deviceSchema.safeParse({ path: '/dev/ttyUSB0', address: M1, ...bad }).success).toBe(false);
  });
});

describe('DL/T 645 collector on a serial line (socat pseudo-terminals)', () => {
  let line: PtyPair;
  let sim: Dlt645SerialSimulator;
  const device = (address: string, extra: Record<string, unknown> = {}) => ({
    id: address,
    settings: dlt645Serial.deviceSchema.parse({ path: line.b, address, responseTimeoutMs: TIMEOUT_MS, ...extra }),
  });
  async function session(address: string, extra: Record<string, unknown> = {}) {
    const s = onLines(lines, ctx, (c) => dlt645Serial.createSession(device(address, extra), c));
    await s.connect(signal());
    return s;
  }

  beforeAll(async () => {
    line = await openPtyPair('dlt645');
    const m1 = simulatedMeter(M1, '1234.56');
    recordEvent(m1, 'cover', new Date('2026-11-24T09:00:00Z'), new Date('2026-11-24T09:03:00Z'));
    recordEvent(m1, 'powerDown', new Date('2026-11-25T22:10:00Z'));
    m1.relay = simulatedRelay('A1B2C3', 4);
    sim = await startDlt645SerialSimulator([m1, simulatedMeter(M2, '98765.43')], {
      path: line.a,
    });
  });
  afterEach(() => {
    sim.faults = {};
  });
  afterAll(async () => {
    await sim?.close();
    await line?.stop();
  });

  it('passes the conformance kit', async () => {
    const results = await checkCollector(dlt645Serial, {
      device: { id: 'm1', settings: { path: line.b, address: M1, responseTimeoutMs: TIMEOUT_MS } },
      points: [
        { request: point('energy', '00010000'), expect: 'good' },
        { request: point('voltage', '02010100'), expect: 'good' },
        { request: point('no-value', '00030000'), expect: 'bad' },
        { request: point('unsupported', '00020100'), expect: 'bad' },
      ],
      unreachableDevice: { id: 'dead', settings: { path: `${line.b}-missing`, address: '000000000009' } },
      timeoutMs: 2000,
      serialLines: lines,
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // The serial line's cases ran (SDK 1.3), on the host's lines.
    expect(results.map((r) => r.check)).toEqual(
      expect.arrayContaining([
        'connect() opens the line serialLine(device) names, through ctx.serialLine',
        'reads as before after another session used the line between its calls',
        'does not take bytes that came before its request as the answer',
        'close() releases every serial line the session opened',
      ]),
    );
    expect(results.length).toBeGreaterThanOrEqual(12);
    expect(results.map((r) => r.check)).toContain(
      'readEvents() gives events with a type and valid times, oldest first',
    );
  });

  it("trips and permits close on a shared line through the adapter's echo and a neighbour's reply", async () => {
    const relay = sim.meters.get(M1)!.relay!;
    const s = await session(M1, { relayPassword: 'a1b2c3', relayPasswordLevel: 4 });
    sim.faults = { echoRequest: true, foreignReplyFirst: true };
    expect(await s.controlRelay!('TRIP', signal())).toEqual({ status: 'confirmed' });
    expect(relay.state).toBe('open');
    expect(await s.controlRelay!('PERMIT_CLOSE', signal())).toEqual({ status: 'confirmed' });
    expect(relay.state).toBe('permitted');
    await s.close();
    const wrongLevel = await session(M1, { relayPassword: 'A1B2C3', relayPasswordLevel: 2 });
    expect(await wrongLevel.controlRelay!('TRIP', signal())).toEqual({
      status: 'refused',
      reason: 'meter error: password error or unauthorised',
    });
    await wrongLevel.close();
    expect(relay.state).toBe('permitted');
  });

  it("reads the meter's event records through echoes, neighbours' replies and noise", async () => {
    // A cover-open record is 60 bytes: sent one byte every 2 ms behind a neighbour's reply of the
    // same length, it needs a longer reply timeout than the other tests use.
    const s = await session(M1, { responseTimeoutMs: 2000 });
    sim.faults = { echoRequest: true, foreignReplyFirst: true, garbageBeforeReply: true, byteByByte: true };
    const events = await s.readEvents!(undefined, signal()).finally(() => s.close());
    expect(events).toEqual([
      {
        type: 'METER_COVER_OPEN',
        occurredAt: new Date('2026-11-24T09:00:00Z'),
        endedAt: new Date('2026-11-24T09:03:00Z'),
      },
      { type: 'POWER_OFF', occurredAt: new Date('2026-11-25T22:10:00Z') },
    ]);
  });

  it('reads the energy registers the meter holds, with the meter freeze time on frozen values', async () => {
    const s = await session(M1);
    const dis = ['00010000', '00010100', '00010200', '00010300', '00010400', '00020000'];
    const values = await s.read!([...dis.map((di) => point(di, di)), point('frozen-t3', '05060101', 3)], signal());
    await s.close();
    expect(values.map((v) => [v.pointId, v.value, v.unit, v.quality])).toEqual([
      ...dis.map((di) => [di, expected(sim, M1, Number.parseInt(di, 16)), 'kWh', 'good']),
      ['frozen-t3', expected(sim, M1, 0x05060101, 3), 'kWh', 'good'],
    ]);
    expect(values[0]!.value).toBe('1234.56');
    const freeze = sim.meters.get(M1)!.lastFreeze;
    expect(values.at(-1)!.measuredAt.getTime()).toBe(Math.floor(freeze.getTime() / 60_000) * 60_000);
    expect(sim.received.at(-1)).toMatchObject({ address: M1, control: 0x11 });
  });

  it('serves two meters on one line through the host, one frame at a time', async () => {
    const host = new PluginHost(createLogger('silent'), { callTimeoutMs: 4000, installDir: process.cwd() });
    await host.load([{ kind: 'builtin', collector: dlt645Serial }]);
    const collect = async (address: string) => {
      const s = await host.openSession('dlt645-2007-serial', {
        id: address,
        settings: { path: line.b, address, responseTimeoutMs: TIMEOUT_MS },
      });
      try {
        await s.connect();
        return await s.read([point('total', '00010000'), point('voltage', '02010100')]);
      } finally {
        await s.close();
      }
    };
    const before = sim.received.length;
    // Concurrent collections, as the runtime starts them: both sessions hold the line open at once.
    const [one, two] = await Promise.all([collect(M1), collect(M2)]);
    await host.stop();
    expect(one!.map((v) => [v.value, v.quality])).toEqual([
      ['1234.56', 'good'],
      ['220.1', 'good'],
    ]);
    expect(two!.map((v) => [v.value, v.quality])).toEqual([
      ['98765.43', 'good'],
      ['220.1', 'good'],
    ]);
    expect(
      sim.received
        .slice(before)
        .map((f) => f.address)
        .sort(),
    ).toEqual([M1, M1, M2, M2]);
  });

  it('takes only replies from its own meter to its own request, whatever else is on the line', async () => {
    const s = await session(M2);
    // The adapter hears its own request, a neighbour answers with another value, the meter's late
    // answer to an earlier request comes first, noise with a stray 0x68, bytes one by one.
    sim.faults = {
      echoRequest: true,
      foreignReplyFirst: true,
      staleReplyFirst: true,
      garbageBeforeReply: true,
      byteByByte: true,
    };
    const values = await s.read!([point('total', '00010000'), point('current', '02020100')], signal());
    expect(values.map((v) => [v.value, v.quality, v.reason])).toEqual([
      ['98765.43', 'good', undefined],
      ['1.250', 'good', undefined],
    ]);

    // A reply later than the timeout is not taken as the answer to the next request.
    sim.faults = { delayMs: TIMEOUT_MS + 150 };
    const [late] = await s.read!([point('voltage', '02010100')], signal());
    expect(late).toMatchObject({ quality: 'bad', reason: `no reply within ${TIMEOUT_MS} ms` });
    sim.faults = {};
    const [next] = await s.read!([point('total', '00010000')], signal());
    expect(next).toMatchObject({ quality: 'good', value: '98765.43' });
    await s.close();
  });

  it('turns a wrong address, a silent meter, error replies and corrupt frames into bad values with a reason', async () => {
    const ghost = await session('000000000077');
    const started = Date.now();
    const [none] = await ghost.read!([point('e', '00010000')], signal());
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(none).toMatchObject({ quality: 'bad', reason: `no reply within ${TIMEOUT_MS} ms` });
    expect(none!.value).toBeUndefined();
    expect(await ghost.probe!(signal())).toBe(false);
    await ghost.close();

    const s = await session(M1);
    sim.faults = { silent: true };
    const [silent] = await s.read!([point('e', '00010000')], signal());
    expect(silent).toMatchObject({ quality: 'bad', reason: `no reply within ${TIMEOUT_MS} ms` });

    sim.faults = { corruptChecksum: true };
    const [corrupt] = await s.read!([point('e', '00010000')], signal());
    expect(corrupt).toMatchObject({ quality: 'bad', reason: 'malformed reply: bad-checksum' });
    expect(corrupt!.value).toBeUndefined();

    sim.faults = {};
    const [noValue] = await s.read!([point('q', '00030000')], signal());
    expect(noValue).toMatchObject({ quality: 'bad', reason: 'meter error: no requested data' });
    expect(await s.probe!(signal())).toBe(true);
    await s.close();
  });

  it('sets the clocks of every meter on the line with one broadcast', async () => {
    for (const meter of sim.meters.values()) meter.clockOffsetMs = 3_600_000;
    const s = await session(M1);
    await s.syncTime!(new Date(), signal());
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    for (const meter of sim.meters.values()) expect(Math.abs(meter.clockOffsetMs)).toBeLessThan(2000);
  });

  it('refuses a second meter on the same line with other serial settings', async () => {
    const s = await session(M1);
    const other = onLines(lines, ctx, (c) => dlt645Serial.createSession(device(M2, { baudRate: 9600 }), c));
    await expect(other.connect(signal())).rejects.toThrow(
      /is open at 2400 baud 8E1 for another meter, this one is set to 9600 baud 8E1/,
    );
    await other.close();
    await s.close();
    // Once the line is free again it opens with the new settings.
    await other.connect(signal());
    await other.close();
  });
});

describe('DL/T 645 serial collector when the line goes away', () => {
  it('rejects the read in flight and the next connect, without crashing', async () => {
    const line = await openPtyPair('dlt645-lost');
    const sim = await startDlt645SerialSimulator([simulatedMeter(M1)], { path: line.a });
    try {
      sim.faults = { silent: true };
      const s = onLines(lines, ctx, (c) =>
        dlt645Serial.createSession(
          {
            id: M1,
            settings: dlt645Serial.deviceSchema.parse({ path: line.b, address: M1, responseTimeoutMs: 2000 }),
          },
          c,
        ),
      );
      await s.connect(signal());
      const reading = s.read!([point('e', '00010000')], signal());
      // Expected before the line goes, so that the rejection is never left unhandled meanwhile.
      const rejected = expect(reading).rejects.toThrow(/serial line .* (disconnected|closed)/);
      await new Promise((r) => setTimeout(r, 100));
      await line.stop();
      await rejected;
      await expect(s.read!([point('e', '00010000')], signal())).rejects.toThrow(/disconnected|closed/);
      await s.close();
      await s.close();
      const again = onLines(lines, ctx, (c) =>
        dlt645Serial.createSession(
          { id: M1, settings: dlt645Serial.deviceSchema.parse({ path: line.b, address: M1 }) },
          c,
        ),
      );
      await expect(again.connect(signal())).rejects.toThrow(/cannot open/);
      await again.close();
    } finally {
      await sim.close();
      await line.stop();
    }
  });
});
