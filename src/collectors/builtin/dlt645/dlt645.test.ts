import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { checkCollector } from '../../sdk/conformance.js';
import type { DeviceEvent, PointRequest } from '../../sdk/index.js';
import { Control, decodeFrame, encodeFrame, readRequest, RelayOperation } from './codec.js';
import plugin, { type Dlt645Point } from './index.js';
import {
  createDlt645Responder,
  recordEvent,
  simulatedMeter,
  simulatedRelay,
  startDlt645Simulator,
  type Dlt645Simulator,
} from './simulator.js';

let sim: Dlt645Simulator;
const ctx = { logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => new Date() };
const device = (address: string, extra: Record<string, unknown> = {}) => ({
  id: address,
  settings: plugin.deviceSchema.parse({ host: '127.0.0.1', port: sim.port, address, responseTimeoutMs: 300, ...extra }),
});
const point = (id: string, di: string, index = 0): PointRequest<Dlt645Point> => ({ id, settings: { di, index } });
const signal = () => AbortSignal.timeout(5000);

/** Whole seconds: event record times carry no milliseconds. */
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  const m1 = simulatedMeter('000000000001', '1234.56');
  // Events for the conformance kit's readEvents check: one ended, one still going on.
  recordEvent(m1, 'powerDown', at('2026-11-20T01:00:00Z'), at('2026-11-20T01:45:30Z'));
  recordEvent(m1, 'cover', at('2026-11-21T06:10:00Z'));
  m1.relay = simulatedRelay('123456', 2);
  sim = await startDlt645Simulator([m1, simulatedMeter('000000000002', '98765.43')]);
});
afterAll(async () => sim?.close());

async function session(address: string, extra: Record<string, unknown> = {}) {
  const s = plugin.createSession(device(address, extra), ctx);
  await s.connect(signal());
  return s;
}

describe('DL/T 645 collector against the TCP simulator', () => {
  it('passes the conformance kit', async () => {
    const results = await checkCollector(plugin, {
      device: {
        id: 'm1',
        settings: {
          host: '127.0.0.1',
          port: sim.port,
          address: '000000000001',
          responseTimeoutMs: 300,
          relayPassword: '123456',
        },
      },
      relay: [
        { command: 'TRIP', expect: 'confirmed' },
        { command: 'PERMIT_CLOSE', expect: 'confirmed' },
      ],
      points: [
        { request: point('energy', '00010000'), expect: 'good' },
        { request: point('voltage', '02010100'), expect: 'good' },
        { request: point('missing', '00020100'), expect: 'bad' },
      ],
      unreachableDevice: { id: 'dead', settings: { host: '127.0.0.1', port: 1, address: '000000000009' } },
      timeoutMs: 2000,
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(12);
    expect(results.map((r) => r.check)).toContain(
      'readEvents() gives events with a type and valid times, oldest first',
    );
    expect(results.map((r) => r.check)).toContain('controlRelay() answers each command with a valid result');
    expect(sim.meters.get('000000000001')!.relay!.state).toBe('permitted');
  });

  it('trips and permits close with the password and operator code, valid for the configured minutes', async () => {
    const relay = sim.meters.get('000000000001')!.relay!;
    relay.state = 'closed';
    relay.log = [];
    const now = new Date('2026-11-26T12:00:00Z');
    // The meter's clock agrees with the host's (fixed) clock: it checks the deadline against its own.
    const meter = sim.meters.get('000000000001')!;
    meter.clockOffsetMs = now.getTime() - Date.now();
    onTestFinished(() => {
      meter.clockOffsetMs = 0;
    });
    const s = plugin.createSession(
      device('000000000001', { relayPassword: '123456', relayOperatorCode: '12345678', relayValidityMinutes: 1440 }),
      { ...ctx, now: () => now },
    );
    await s.connect(signal());
    sim.received.length = 0;
    expect(await s.controlRelay!('TRIP', signal())).toEqual({ status: 'confirmed' });
    expect(relay.state).toBe('open');
    // The request as it went out: PA 02, password 56 34 12, operator 78 56 34 12, N1 1A, N2 00, and
    // the deadline 2026-11-27 20:00:00 local (12:00Z + 8 h + 1440 min) as ss mm hh DD MM YY.
    const sent = sim.received.at(-1)!;
    expect(sent.control).toBe(Control.RELAY);
    expect(sent.data.toString('hex')).toBe('02563412785634121a00000020271126');
    expect(await s.controlRelay!('PERMIT_CLOSE', signal())).toEqual({ status: 'confirmed' });
    expect(relay.state).toBe('permitted');
    expect(relay.log).toEqual([
      { operation: RelayOperation.TRIP, operatorCode: '12345678' },
      { operation: RelayOperation.PERMIT_CLOSE, operatorCode: '12345678' },
    ]);
    await s.close();
  });

  it("refuses with the meter's error, refuses without a password, and tells silence apart", async () => {
    const relay = sim.meters.get('000000000001')!.relay!;
    relay.state = 'closed';
    const wrong = await session('000000000001', { relayPassword: '654321' });
    expect(await wrong.controlRelay!('TRIP', signal())).toEqual({
      status: 'refused',
      reason: 'meter error: password error or unauthorised',
    });
    expect(relay.state).toBe('closed');
    await wrong.close();

    const noSwitch = await session('000000000002', { relayPassword: '123456' });
    expect(await noSwitch.controlRelay!('TRIP', signal())).toEqual({
      status: 'refused',
      reason: 'meter error: other error',
    });
    await noSwitch.close();

    const unset = await session('000000000001');
    const before = sim.received.length;
    expect(await unset.controlRelay!('TRIP', signal())).toMatchObject({
      status: 'refused',
      reason: /no relay password/,
    });
    expect(sim.received.length).toBe(before); // nothing was sent
    await unset.close();

    const s = await session('000000000001', { relayPassword: '123456' });
    relay.keepPower = true;
    expect(await s.controlRelay!('TRIP', signal())).toMatchObject({ status: 'refused' });
    relay.keepPower = false;
    sim.faults.silent = true;
    expect(await s.controlRelay!('TRIP', signal())).toEqual({ status: 'no-answer', reason: 'no reply within 300 ms' });
    sim.faults = { corruptChecksum: true };
    expect(await s.controlRelay!('TRIP', signal())).toEqual({
      status: 'no-answer',
      reason: 'malformed reply: bad-checksum',
    });
    sim.faults = {};
    relay.state = 'closed';
    await s.close();
  });

  it('reads energy, tariffs, instantaneous values and picks the right meter on a shared gateway', async () => {
    const s = await session('000000000002');
    const values = await s.read!(
      [
        point('total', '00010000'),
        point('flat', '00010300'),
        point('current', '02020100'),
        point('power', '02030000'),
        point('pf', '02060000'),
      ],
      signal(),
    );
    expect(values.map((v) => [v.pointId, v.value, v.unit, v.quality])).toEqual([
      ['total', '98765.43', 'kWh', 'good'],
      ['flat', '98765.43', 'kWh', 'good'],
      ['current', '1.250', 'A', 'good'],
      ['power', '0.2750', 'kW', 'good'],
      ['pf', '0.998', '', 'good'],
    ]);
    await s.close();
  });

  it('stamps daily frozen values with the meter freeze time, not the read time', async () => {
    const s = await session('000000000001');
    const [total, t3] = await s.read!([point('frozen', '05060101', 0), point('frozen-t3', '05060101', 3)], signal());
    const freeze = sim.meters.get('000000000001')!.lastFreeze;
    expect(total).toMatchObject({ value: '1234.56', quality: 'good' });
    expect(t3).toMatchObject({ value: '1234.56', quality: 'good' });
    // The freeze time travels in whole minutes of local time.
    expect(total!.measuredAt.toISOString()).toBe(
      new Date(Math.floor(freeze.getTime() / 60_000) * 60_000).toISOString(),
    );
    await s.close();
  });

  it("answers a frozen request (point.at) from the meter's daily freeze, and only for the freeze asked for", async () => {
    const s = await session('000000000001');
    const freeze = sim.meters.get('000000000001')!.lastFreeze;
    const at = new Date(Math.floor(freeze.getTime() / 60_000) * 60_000);
    const frozen = (id: string, di: string, when: Date) => ({ ...point(id, di), at: when });
    const [total, t3, voltage] = await s.read!(
      [frozen('total', '00010000', at), frozen('t3', '00010300', at), frozen('u', '02010100', at)],
      signal(),
    );
    expect(total).toMatchObject({ value: '1234.56', quality: 'good', measuredAt: at });
    expect(t3).toMatchObject({ value: '1234.56', quality: 'good', measuredAt: at });
    expect(voltage).toMatchObject({ quality: 'bad', reason: 'no daily frozen value for data identifier 02010100' });
    // A day the meter does not keep (the simulator holds only the last freeze), and a future one.
    const [older] = await s.read!([frozen('total', '00010000', new Date(at.getTime() - 86_400_000))], signal());
    expect(older).toMatchObject({
      quality: 'bad',
      reason: 'freeze time unavailable: meter error: no requested data',
    });
    const [future] = await s.read!([frozen('total', '00010000', new Date(at.getTime() + 86_400_000))], signal());
    expect(future!.quality).toBe('bad');
    expect(future!.reason).toMatch(/^the meter holds no daily freeze at /);
    await s.close();
  });

  it('turns meter errors, corrupt frames, silence and unknown meters into bad values with a reason', async () => {
    const s = await session('000000000001');
    const [unknownDi] = await s.read!([point('x', '00030000')], signal());
    expect(unknownDi).toMatchObject({ quality: 'bad', reason: 'meter error: no requested data' });
    expect(unknownDi!.value).toBeUndefined();

    sim.faults.corruptChecksum = true;
    const [corrupt] = await s.read!([point('e', '00010000')], signal());
    expect(corrupt).toMatchObject({ quality: 'bad', reason: 'malformed reply: bad-checksum' });
    sim.faults.corruptChecksum = false;

    sim.faults.garbageBeforeReply = true;
    const [afterGarbage] = await s.read!([point('e', '00010000')], signal());
    expect(afterGarbage).toMatchObject({ quality: 'good', value: '1234.56' });
    sim.faults.garbageBeforeReply = false;

    sim.faults.silent = true;
    const [silent] = await s.read!([point('e', '00010000')], signal());
    expect(silent).toMatchObject({ quality: 'bad', reason: 'no reply within 300 ms' });
    sim.faults.silent = false;

    const ghost = await session('000000000077');
    const [none] = await ghost.read!([point('e', '00010000')], signal());
    expect(none).toMatchObject({ quality: 'bad', reason: 'no reply within 300 ms' });
    await ghost.close();

    // A late reply to a timed-out request is not taken as the answer to the next one.
    sim.faults.delayMs = 400;
    const [late] = await s.read!([point('v', '02010100')], signal());
    expect(late!.quality).toBe('bad');
    sim.faults.delayMs = 0;
    await new Promise((r) => setTimeout(r, 200));
    const [fresh] = await s.read!([point('e', '00010000')], signal());
    expect(fresh).toMatchObject({ quality: 'good', value: '1234.56' });
    await s.close();
  });

  it("waits through echoes, other meters' replies, late replies and noise for its own answer", async () => {
    const s = await session('000000000001');
    sim.faults = { echoRequest: true, foreignReplyFirst: true, staleReplyFirst: true, garbageBeforeReply: true };
    const values = await s.read!([point('e', '00010000'), point('v', '02010100')], signal());
    sim.faults = {};
    expect(values.map((v) => [v.value, v.quality, v.reason])).toEqual([
      ['1234.56', 'good', undefined],
      ['220.1', 'good', undefined],
    ]);
    await s.close();
  });

  it('synchronises the meter clock with a broadcast', async () => {
    const meter = sim.meters.get('000000000001')!;
    meter.clockOffsetMs = 3_600_000;
    const s = await session('000000000001');
    await s.syncTime!(new Date(), signal());
    await new Promise((r) => setTimeout(r, 100));
    expect(Math.abs(meter.clockOffsetMs)).toBeLessThan(2000);
    expect(await s.probe!(signal())).toBe(true);
    await s.close();
  });

  it('reads cover-open, terminal-cover-open and power-down records, oldest first, in meter local time', async () => {
    const meter = simulatedMeter('000000000003');
    sim.meters.set(meter.address, meter);
    recordEvent(meter, 'powerDown', at('2026-11-19T15:30:00Z'), at('2026-11-19T17:00:05Z'));
    recordEvent(meter, 'cover', at('2026-11-20T02:00:00Z'), at('2026-11-20T02:05:00Z'));
    recordEvent(meter, 'terminal', at('2026-11-21T10:00:00Z'), at('2026-11-21T10:01:00Z'));
    recordEvent(meter, 'cover', at('2026-11-22T08:00:00Z'));
    recordEvent(meter, 'powerDown', at('2026-11-23T05:00:59Z'));
    const s = await session(meter.address);
    const before = sim.received.length;
    const events = await s.readEvents!(undefined, signal());
    const frames = sim.received.slice(before);
    await s.close();
    expect(events).toEqual<DeviceEvent[]>([
      { type: 'POWER_OFF', occurredAt: at('2026-11-19T15:30:00Z'), endedAt: at('2026-11-19T17:00:05Z') },
      { type: 'METER_COVER_OPEN', occurredAt: at('2026-11-20T02:00:00Z'), endedAt: at('2026-11-20T02:05:00Z') },
      { type: 'TERMINAL_COVER_OPEN', occurredAt: at('2026-11-21T10:00:00Z'), endedAt: at('2026-11-21T10:01:00Z') },
      { type: 'METER_COVER_OPEN', occurredAt: at('2026-11-22T08:00:00Z') },
      { type: 'POWER_OFF', occurredAt: at('2026-11-23T05:00:59Z') },
    ]);
    // A count per kind, then exactly the records counted.
    expect(frames.map((f) => f.data.readUInt32LE(0).toString(16).padStart(8, '0'))).toEqual([
      '03300d00',
      '03300d01',
      '03300d02',
      '03300e00',
      '03300e01',
      '03110000',
      '03110001',
      '03110002',
    ]);
  });

  it('with since, returns only later events and stops at the first record not after it', async () => {
    const meter = sim.meters.get('000000000003')!;
    const s = await session(meter.address);
    const since = at('2026-11-21T10:00:00Z'); // the terminal cover opening
    const before = sim.received.length;
    const events = await s.readEvents!(since, signal());
    const frames = sim.received.slice(before).map((f) => f.data.readUInt32LE(0).toString(16));
    expect(events.map((e) => [e.type, e.occurredAt.toISOString()])).toEqual([
      ['METER_COVER_OPEN', '2026-11-22T08:00:00.000Z'],
      ['POWER_OFF', '2026-11-23T05:00:59.000Z'],
    ]);
    expect(frames).toEqual(['3300d00', '3300d01', '3300d02', '3300e00', '3300e01', '3110000', '3110001', '3110002']);
    expect(await s.readEvents!(at('2026-11-23T05:00:59Z'), signal())).toEqual([]);
    await s.close();
  });

  it('reads no more than the 10 records a meter keeps, whatever the count', async () => {
    const meter = simulatedMeter('000000000004');
    sim.meters.set(meter.address, meter);
    for (let day = 1; day <= 12; day++)
      recordEvent(meter, 'powerDown', at(`2026-10-${String(day).padStart(2, '0')}T00:00:00Z`), undefined);
    const s = await session(meter.address);
    const before = sim.received.length;
    const events = await s.readEvents!(undefined, signal());
    await s.close();
    expect(sim.received.length - before).toBe(3 + 10); // three counts, ten power-down records
    expect(events.map((e) => e.occurredAt.toISOString().slice(0, 10))).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((d) => `2026-10-${String(d).padStart(2, '0')}`),
    );
  });

  it('treats a kind the meter refuses as no events, and a meter without records as none', async () => {
    const meter = simulatedMeter('000000000005');
    sim.meters.set(meter.address, meter);
    recordEvent(meter, 'cover', at('2026-11-20T02:00:00Z'), at('2026-11-20T02:05:00Z'));
    recordEvent(meter, 'terminal', at('2026-11-20T03:00:00Z'));
    // An end before the start (the clock was set back meanwhile) is not taken as the end.
    recordEvent(meter, 'powerDown', at('2026-11-20T04:00:00Z'), at('2026-11-20T03:59:00Z'));
    delete meter.events.terminal; // an older meter: no terminal cover switch
    const debug: string[] = [];
    const s = plugin.createSession(device(meter.address), {
      ...ctx,
      logger: { ...ctx.logger, debug: (message: string) => void debug.push(message) },
    });
    await s.connect(signal());
    const before = sim.received.length;
    const events = await s.readEvents!(undefined, signal());
    expect(events).toEqual<DeviceEvent[]>([
      { type: 'METER_COVER_OPEN', occurredAt: at('2026-11-20T02:00:00Z'), endedAt: at('2026-11-20T02:05:00Z') },
      { type: 'POWER_OFF', occurredAt: at('2026-11-20T04:00:00Z') },
    ]);
    // The refused count is not followed by record requests.
    expect(sim.received.slice(before).map((f) => f.data.readUInt32LE(0).toString(16))).toEqual([
      '3300d00',
      '3300d01',
      '3300e00',
      '3110000',
      '3110001',
    ]);
    expect(debug).toContain('dlt645 meter keeps no such event records');

    meter.events = {};
    expect(await s.readEvents!(undefined, signal())).toEqual([]);
    await s.close();
  });

  it('rejects readEvents when the meter does not answer or answers garbage', async () => {
    const s = await session('000000000003');
    sim.faults.silent = true;
    await expect(s.readEvents!(undefined, signal())).rejects.toThrow(
      'meter cover open count (03300D00): no reply within 300 ms',
    );
    sim.faults = { corruptChecksum: true };
    await expect(s.readEvents!(undefined, signal())).rejects.toThrow(/malformed reply: bad-checksum/);
    sim.faults = {};
    await new Promise((r) => setTimeout(r, 50));
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(s.readEvents!(undefined, controller.signal)).rejects.toThrow('stop');
    expect((await s.readEvents!(undefined, signal())).length).toBe(5);
    await s.close();
  });

  it('rejects the whole read when the connection is lost', async () => {
    const s = await session('000000000001');
    const reading = s.read!([point('e', '00010000')], signal());
    await sim.close();
    sim = await startDlt645Simulator([...sim.meters.values()], { port: sim.port });
    await expect(reading).rejects.toThrow(/connection closed|not connected/);
    await s.close();
  });
});

describe('DL/T 645 simulator event records', () => {
  /** A stream whose writes are collected, fed requests by hand. */
  function wire() {
    const written: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk);
        done();
      },
    });
    /** Lets the stream deliver what was pushed and the responder answer it. */
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    return { stream, written, settle };
  }

  it('answers the count and the last power-down record byte for byte as the standard lays them out', async () => {
    const meter = simulatedMeter('123456789012');
    // 2026-11-26 10:30:45 and 11:02:03 at UTC+8 (the golden frames of codec.test.ts).
    recordEvent(meter, 'powerDown', at('2026-11-26T02:30:45Z'), at('2026-11-26T03:02:03Z'));
    const responder = createDlt645Responder([meter]);
    const { stream, written, settle } = wire();
    responder.serve(stream);
    stream.push(encodeFrame(readRequest('123456789012', 0x03110000)));
    stream.push(encodeFrame(readRequest('123456789012', 0x03110001)));
    await settle();
    const frames = written.map((bytes) => {
      const result = decodeFrame(bytes);
      return result.kind === 'frame' ? encodeFrame(result.frame, { preamble: 0 }).toString('hex') : result.kind;
    });
    // count: DI 00 00 11 03 + 01 00 00, +33 -> 33 33 44 36 34 33 33;
    // 646 + 145 + 7 + (51+51+68+54) + (52+51+51) = 1176; mod 256 = 152 = 98
    expect(frames[0]).toBe('6812907856341268910733334436343333' + '9816');
    expect(frames[1]).toBe('68129078563412689110' + '34334436786343594459363544594459' + 'c116');
  });

  it('answers "no requested data" for a kind it does not keep, and for records it does not hold', async () => {
    const meter = simulatedMeter('123456789012');
    delete meter.events.cover;
    const responder = createDlt645Responder([meter]);
    const { stream, written, settle } = wire();
    responder.serve(stream);
    for (const di of [0x03300d00, 0x03300d01, 0x03300e00, 0x03300e01])
      stream.push(encodeFrame(readRequest('123456789012', di)));
    await settle();
    const replies = written.map((bytes) => {
      const result = decodeFrame(bytes);
      return result.kind === 'frame' ? [result.frame.control.toString(16), result.frame.data.toString('hex')] : [];
    });
    expect(replies).toEqual([
      ['d1', '02'],
      ['d1', '02'],
      ['91', '000e3003000000'],
      ['d1', '02'],
    ]);
  });
});
