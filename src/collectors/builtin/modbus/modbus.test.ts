import ModbusSerial from 'modbus-serial';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  freePort,
  pymodbusVersion,
  SERVED,
  startPymodbusSerialServer,
  startPymodbusServer,
  type PymodbusSerialServer,
  type PymodbusServer,
} from '../../../../test/support/pymodbus-server.js';
import { onLines, testLines } from '../../../../test/support/line-session.js';
import { openPtyPair, type PtyPair } from '../../../../test/support/pty-pair.js';
import { PluginHost } from '../../../plugins/plugin-host.js';
import { createLogger } from '../../../shared/logger.js';
import { checkCollector } from '../../sdk/conformance.js';
import type { CollectorSession, PointRequest } from '../../sdk/index.js';
import {
  modbusRtu,
  modbusTcp,
  planRequests,
  pointSchema,
  REGISTER_MAPS,
  registerMapPoints,
  rtuDeviceSchema,
  tcpDeviceSchema,
  type ModbusPoint,
  type ModbusPointInput,
} from './index.js';

const ctx = { logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => new Date() };
const lines = testLines();
const signal = () => AbortSignal.timeout(5000);
const TIMEOUT_MS = 300;
const point = (id: string, settings: ModbusPointInput): PointRequest<ModbusPoint> => ({
  id,
  settings: pointSchema.parse(settings),
});
const threePhase = registerMapPoints(REGISTER_MAPS['three-phase-scaled']);
const singlePhase = registerMapPoints(REGISTER_MAPS['single-phase-float32']);
const summary = (values: { pointId: string; value?: string; quality: string; reason?: string }[]) =>
  Object.fromEntries(values.map((v) => [v.pointId, v.quality === 'good' ? v.value : `${v.quality}: ${v.reason}`]));

// The pymodbus tests run wherever Debian's python3-pymodbus is installed, and always in CI (which installs it).
const version = pymodbusVersion();
const withPymodbus = version !== undefined || Boolean(process.env.CI);

describe('Modbus collector settings', () => {
  it('fills in the usual defaults and refuses what Modbus cannot address', () => {
    expect(tcpDeviceSchema.parse({ host: 'gw', unitId: 1 })).toEqual({
      transport: 'tcp',
      host: 'gw',
      port: 502,
      unitId: 1,
      responseTimeoutMs: 2000,
    });
    expect(rtuDeviceSchema.parse({ path: '/dev/ttyUSB0', unitId: 17 })).toEqual({
      transport: 'rtu',
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
      unitId: 17,
      responseTimeoutMs: 2000,
    });
    expect(tcpDeviceSchema.safeParse({ host: 'gw', unitId: 0 }).success).toBe(false);
    expect(tcpDeviceSchema.safeParse({ host: 'gw', unitId: 248 }).success).toBe(false);
    expect(rtuDeviceSchema.safeParse({ path: '/dev/ttyS0', unitId: 1, dataBits: 7 }).success).toBe(false);

    expect(pointSchema.parse({ address: 10, type: 'uint16' })).toEqual({
      table: 'holding',
      address: 10,
      type: 'uint16',
      wordOrder: 'big',
      scale: '1',
      decimals: 2,
    });
    expect(pointSchema.safeParse({ address: 65535, type: 'uint32' }).success).toBe(false);
    expect(pointSchema.safeParse({ address: 65535, type: 'int16' }).success).toBe(true);
    expect(pointSchema.safeParse({ address: 0, type: 'uint16', scale: '1e-2' }).success).toBe(false);
    expect(pointSchema.safeParse({ address: 0, type: 'uint16', scale: '0.00' }).success).toBe(false);
    expect(pointSchema.safeParse({ address: 0, type: 'uint16', decimals: 7 }).success).toBe(false);
    expect(pointSchema.safeParse({ address: 0, type: 'double' }).success).toBe(false);
  });

  it('describes two collectors; meters behind one gateway share a resource key, meters on one path a line', () => {
    expect(modbusTcp.describe()).toMatchObject({ id: 'modbus-tcp', transport: 'tcp', mode: 'poll' });
    expect(modbusRtu.describe()).toMatchObject({ id: 'modbus-rtu', transport: 'serial', mode: 'poll' });
    const tcp = (unitId: number, port = 502) => ({
      id: `u${unitId}`,
      settings: tcpDeviceSchema.parse({ host: '10.1.2.3', port, unitId }),
    });
    expect(modbusTcp.resourceKey!(tcp(1))).toBe('tcp:10.1.2.3:502');
    expect(modbusTcp.resourceKey!(tcp(2))).toBe(modbusTcp.resourceKey!(tcp(1)));
    expect(modbusTcp.resourceKey!(tcp(1, 503))).not.toBe(modbusTcp.resourceKey!(tcp(1)));
    const rtu = (unitId: number) => ({
      id: `r${unitId}`,
      settings: rtuDeviceSchema.parse({ path: '/dev/ttyUSB0', unitId }),
    });
    expect(modbusRtu.serialLine!(rtu(1))).toEqual({
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
    });
    expect(modbusRtu.serialLine!(rtu(7))).toEqual(modbusRtu.serialLine!(rtu(1)));
  });

  it('reads touching registers of one table with one request', () => {
    const blocks = planRequests([...threePhase, ...singlePhase]).map(({ table, start, count, members }) => ({
      table,
      start,
      count,
      size: members.length,
    }));
    expect(blocks).toEqual([
      { table: 'holding', start: 0x0100, count: 4, size: 2 },
      { table: 'holding', start: 0x2000, count: 6, size: 3 },
      { table: 'holding', start: 0x4000, count: 2, size: 1 },
      { table: 'input', start: 0x0000, count: 8, size: 7 },
    ]);
    // Overlapping and duplicate points share the request; a gap starts a new one.
    const odd = [
      point('a', { address: 10, type: 'uint32' }),
      point('b', { address: 11, type: 'uint16' }),
      point('a2', { address: 10, type: 'uint32' }),
      point('c', { address: 13, type: 'uint16' }),
      point('far', { address: 200, type: 'float32' }),
    ];
    expect(planRequests(odd).map((b) => [b.start, b.count, b.members])).toEqual([
      [10, 2, [0, 2, 1]],
      [13, 1, [3]],
      [200, 2, [4]],
    ]);
    // A request carries 125 registers at most.
    const run = Array.from({ length: 126 }, (_, i) => point(`r${i}`, { address: 1000 + i, type: 'uint16' }));
    expect(planRequests(run).map((b) => [b.start, b.count, b.members.length])).toEqual([
      [1000, 125, 125],
      [1125, 1, 1],
    ]);
  });
});

describe.skipIf(!withPymodbus)(`Modbus TCP against pymodbus ${version ?? '(not installed)'}`, () => {
  let server: PymodbusServer;
  const sessions: CollectorSession<ModbusPoint>[] = [];
  const device = (unitId: number, extra: Record<string, unknown> = {}) => ({
    id: `unit-${unitId}`,
    settings: modbusTcp.deviceSchema.parse({
      host: '127.0.0.1',
      port: server.port,
      unitId,
      responseTimeoutMs: TIMEOUT_MS,
      ...extra,
    }),
  });
  async function session(unitId: number, extra: Record<string, unknown> = {}) {
    const s = modbusTcp.createSession(device(unitId, extra), ctx);
    sessions.push(s);
    await s.connect(signal());
    return s;
  }

  beforeAll(async () => {
    server = await startPymodbusServer();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  afterAll(async () => server?.stop());

  it('passes the conformance kit', async () => {
    const results = await checkCollector(modbusTcp, {
      device: {
        id: 'meter',
        settings: {
          host: '127.0.0.1',
          port: server.port,
          unitId: SERVED.threePhaseUnit,
          responseTimeoutMs: TIMEOUT_MS,
        },
      },
      points: [
        ...threePhase.map((request) => ({ request, expect: 'good' as const })),
        { request: point('outside', { address: SERVED.threePhaseHoldingEnd, type: 'uint16' }), expect: 'bad' },
      ],
      unreachableDevice: { id: 'dead', settings: { host: '127.0.0.1', port: await freePort(), unitId: 1 } },
      timeoutMs: 2000,
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(11);
  });

  it('decodes a three-phase meter exactly as served, with one request per block', async () => {
    const s = await session(SERVED.threePhaseUnit);
    const holding = vi.spyOn(ModbusSerial.default.prototype, 'readHoldingRegisters');
    const input = vi.spyOn(ModbusSerial.default.prototype, 'readInputRegisters');
    const values = await s.read!(threePhase, signal());
    expect(summary(values)).toEqual(SERVED.threePhase);
    expect(values.map((v) => v.pointId)).toEqual(threePhase.map((p) => p.id));
    expect(values.find((v) => v.pointId === 'forwardActiveTotal')).toMatchObject({ unit: 'kWh', quality: 'good' });
    expect(values.every((v) => v.measuredAt instanceof Date)).toBe(true);
    expect(holding.mock.calls).toEqual([[0x0100, 4]]);
    expect(input.mock.calls).toEqual([[0x0000, 8]]);
  });

  it('decodes a single-phase float32 meter behind the same gateway', async () => {
    const s = await session(SERVED.singlePhaseUnit);
    expect(summary(await s.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
  });

  it('decodes word-swapped and signed values, and reports NaN as bad', async () => {
    const s = await session(SERVED.threePhaseUnit);
    const { float32WordSwapped, uint32WordSwapped, int16Negative, float32NaN } = SERVED.extras;
    const values = await s.read!(
      [
        point('f', { address: float32WordSwapped.address, type: 'float32', wordOrder: 'little', decimals: 1 }),
        point('u', {
          address: uint32WordSwapped.address,
          type: 'uint32',
          wordOrder: 'little',
          scale: '0.001',
          decimals: 3,
        }),
        point('u-big', { address: uint32WordSwapped.address, type: 'uint32', decimals: 0 }),
        point('i', { address: int16Negative.address, type: 'int16', scale: '0.1', decimals: 1 }),
        point('nan', { address: float32NaN.address, type: 'float32' }),
      ],
      signal(),
    );
    expect(summary(values)).toEqual({
      f: '200.0',
      u: '123456.789',
      // The same words taken high word first: 0xCD15075B.
      'u-big': String(0xcd15075b),
      i: '-123.4',
      nan: 'bad: value is not a number (float32 NaN)',
    });
  });

  it('gives a bad value with the exception for an address outside the block, without spoiling its neighbours', async () => {
    const s = await session(SERVED.threePhaseUnit);
    const end = SERVED.threePhaseHoldingEnd;
    const values = await s.read!(
      [
        point('last', { address: end - 2, type: 'float32' }), // the NaN pair: bad, but for its own reason
        point('past', { address: end, type: 'uint16' }),
        point('straddling', { address: end - 1, type: 'uint32' }),
        point('int16', { address: SERVED.extras.int16Negative.address, type: 'int16', decimals: 0 }),
        point('wrong-table', { table: 'input', address: 0x0100, type: 'uint16' }),
      ],
      signal(),
    );
    expect(summary(values)).toEqual({
      last: 'bad: value is not a number (float32 NaN)',
      past: 'bad: exception 2: illegal data address',
      straddling: 'bad: exception 2: illegal data address',
      int16: '-1234',
      'wrong-table': 'bad: exception 2: illegal data address',
    });
    expect(values.every((v) => v.quality === 'good' || v.value === undefined)).toBe(true);
  });

  it('reports a gateway whose meter does not answer, and a unit id nobody answers to, within the timeout', async () => {
    const missing = await session(SERVED.gatewayTargetMissingUnit);
    expect(summary(await missing.read!(singlePhase.slice(0, 1), signal()))).toEqual({
      voltage: 'bad: exception 11: gateway target device failed to respond',
    });

    const silent = await session(SERVED.silentUnit);
    const started = Date.now();
    const values = await silent.read!(singlePhase, signal());
    const elapsed = Date.now() - started;
    expect(new Set(Object.values(summary(values)))).toEqual(new Set([`bad: no reply within ${TIMEOUT_MS} ms`]));
    // Two requests (the map's two blocks), each waiting for its own timeout, no more.
    expect(elapsed).toBeGreaterThanOrEqual(2 * TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(2 * TIMEOUT_MS + 1000);
    expect(await silent.probe!(signal())).toBe(false);

    // The connection survives timeouts: the next unit on the same gateway answers.
    const live = await session(SERVED.singlePhaseUnit);
    expect(await live.probe!(signal())).toBe(true);
    expect(summary(await live.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
  });

  it('rejects promptly when the signal fires during a read', async () => {
    const silent = await session(SERVED.silentUnit, { responseTimeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('poll cancelled')), 100);
    const started = Date.now();
    await expect(silent.read!(singlePhase, controller.signal)).rejects.toThrow('poll cancelled');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects the read when the server goes away, and fails to connect while it is down', async () => {
    const live = await session(SERVED.threePhaseUnit);
    const waiting = await session(SERVED.silentUnit, { responseTimeoutMs: 5000 });
    const started = Date.now();
    const reading = expect(waiting.read!(singlePhase, signal())).rejects.toThrow(/closed|lost/);
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    await reading;
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(live.read!(threePhase, signal())).rejects.toThrow(/closed|lost|not connected/);

    const dead = modbusTcp.createSession(device(SERVED.threePhaseUnit), ctx);
    sessions.push(dead);
    const connectStarted = Date.now();
    await expect(dead.connect(signal())).rejects.toThrow(/cannot reach 127\.0\.0\.1/);
    expect(Date.now() - connectStarted).toBeLessThan(TIMEOUT_MS + 1000);
    await dead.close();
    await dead.close();

    server = await startPymodbusServer({ port: server.port });
    const again = await session(SERVED.threePhaseUnit);
    expect(summary(await again.read!(threePhase, signal()))).toEqual(SERVED.threePhase);
  });
});

describe.skipIf(!withPymodbus)('Modbus RTU on a serial line (socat pseudo-terminals, pymodbus)', () => {
  let line: PtyPair;
  let server: PymodbusSerialServer;
  const sessions: CollectorSession<ModbusPoint>[] = [];
  const device = (unitId: number, extra: Record<string, unknown> = {}) => ({
    id: `rtu-${unitId}`,
    settings: modbusRtu.deviceSchema.parse({ path: line.b, unitId, responseTimeoutMs: TIMEOUT_MS, ...extra }),
  });
  function session(unitId: number, extra: Record<string, unknown> = {}) {
    const s = onLines(lines, ctx, (c) => modbusRtu.createSession(device(unitId, extra), c));
    sessions.push(s);
    return s;
  }
  async function connected(unitId: number, extra: Record<string, unknown> = {}) {
    const s = session(unitId, extra);
    await s.connect(signal());
    return s;
  }

  beforeAll(async () => {
    line = await openPtyPair('modbus-rtu');
    server = await startPymodbusSerialServer(line.a);
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await server?.stop();
    await line?.stop();
  });

  it('passes the conformance kit', async () => {
    const results = await checkCollector(modbusRtu, {
      device: {
        id: 'meter',
        settings: { path: line.b, unitId: SERVED.singlePhaseUnit, responseTimeoutMs: TIMEOUT_MS },
      },
      points: [
        ...singlePhase.map((request) => ({ request, expect: 'good' as const })),
        { request: point('outside', { address: 0x3000, type: 'float32' }), expect: 'bad' },
      ],
      unreachableDevice: { id: 'dead', settings: { path: `${line.b}-missing`, unitId: 1 } },
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
  });

  it('reads meters on one line by unit id, with exceptions and silence as bad values', async () => {
    for (const [unitId, points, expected] of [
      [SERVED.threePhaseUnit, threePhase, SERVED.threePhase],
      [SERVED.singlePhaseUnit, singlePhase, SERVED.singlePhase],
      [
        SERVED.gatewayTargetMissingUnit,
        singlePhase.slice(3),
        { forwardActiveTotal: 'bad: exception 11: gateway target device failed to respond' },
      ],
      [SERVED.silentUnit, singlePhase.slice(3), { forwardActiveTotal: `bad: no reply within ${TIMEOUT_MS} ms` }],
    ] as const) {
      const s = await connected(unitId);
      expect(summary(await s.read!([...points], signal()))).toEqual(expected);
      await s.close();
    }
  });

  it('collects two meters on one line through the host, both sessions open at once', async () => {
    const host = new PluginHost(createLogger('silent'), { callTimeoutMs: 4000, installDir: process.cwd() });
    await host.load([{ kind: 'builtin', collector: modbusRtu }]);
    const order: string[] = [];
    const collect = async (unitId: number, points: PointRequest<ModbusPoint>[]) => {
      const s = await host.openSession('modbus-rtu', {
        id: `rtu-${unitId}`,
        settings: { path: line.b, unitId, responseTimeoutMs: TIMEOUT_MS },
      });
      try {
        await s.connect();
        order.push(`connected ${unitId}`);
        const values = await s.read(points);
        order.push(`read ${unitId}`);
        return values;
      } finally {
        await s.close();
      }
    };
    // As the runtime starts them: the second session connects before the first one reads.
    const [three, single] = await Promise.all([
      collect(SERVED.threePhaseUnit, threePhase),
      collect(SERVED.singlePhaseUnit, singlePhase),
    ]).finally(() => host.stop());
    expect(order).toEqual(['connected 1', 'connected 2', 'read 1', 'read 2']);
    expect(summary(three!)).toEqual(SERVED.threePhase);
    expect(summary(single!)).toEqual(SERVED.singlePhase);
  });

  it('gives each open session its own meter, each with its own timeout, until the last one closes', async () => {
    const three = await connected(SERVED.threePhaseUnit);
    const single = await connected(SERVED.singlePhaseUnit);
    const silent = await connected(SERVED.silentUnit, { responseTimeoutMs: 150 });
    expect(summary(await single.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
    expect(summary(await three.read!(threePhase, signal()))).toEqual(SERVED.threePhase);
    expect(summary(await silent.read!(singlePhase.slice(3), signal()))).toEqual({
      forwardActiveTotal: 'bad: no reply within 150 ms',
    });
    expect(summary(await single.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);

    // Leaving does not close the line under the others.
    await three.close();
    await silent.close();
    expect(summary(await single.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
    await expect(lockedBySomeoneElse(line.b)).resolves.toBe(true);

    // The last one out closes the port: another program could open it now.
    await single.close();
    await expect(lockedBySomeoneElse(line.b)).resolves.toBe(false);

    // And the next session opens it again.
    const again = await connected(SERVED.threePhaseUnit);
    expect(summary(await again.read!(threePhase, signal()))).toEqual(SERVED.threePhase);
  });

  it('refuses a meter whose serial settings differ from the open line, with the reason', async () => {
    const open = await connected(SERVED.threePhaseUnit);
    const faster = session(SERVED.singlePhaseUnit, { baudRate: 19_200 });
    await expect(faster.connect(signal())).rejects.toThrow(
      `${line.b} is open at 9600 baud 8E1 for another meter, this one is set to 19200 baud 8E1: meters on one line need the same serial settings`,
    );
    const otherFraming = session(SERVED.singlePhaseUnit, { parity: 'none', stopBits: 2 });
    await expect(otherFraming.connect(signal())).rejects.toThrow(/is open at 9600 baud 8E1 .* set to 9600 baud 8N2/);
    await faster.close();
    await otherFraming.close();
    // The refused sessions took no share of the line: the meter already on it still reads.
    expect(summary(await open.read!(threePhase, signal()))).toEqual(SERVED.threePhase);

    // Once the line is free it opens with the new settings (a pseudo-terminal ignores the baud rate).
    await open.close();
    await faster.connect(signal());
    expect(summary(await faster.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
  });
});

describe.skipIf(!withPymodbus)('Modbus RTU when the serial line goes away', () => {
  it('rejects the calls in flight and on the lost line, and the next connect opens the line again', async () => {
    let line = await openPtyPair('modbus-rtu-lost');
    let server = await startPymodbusSerialServer(line.a);
    const sessions: CollectorSession<ModbusPoint>[] = [];
    const connected = async (unitId: number, responseTimeoutMs = TIMEOUT_MS) => {
      const s = onLines(lines, ctx, (c) =>
        modbusRtu.createSession(
          {
            id: `rtu-${unitId}`,
            settings: modbusRtu.deviceSchema.parse({ path: line.b, unitId, responseTimeoutMs }),
          },
          c,
        ),
      );
      sessions.push(s);
      await s.connect(signal());
      return s;
    };
    try {
      const waiting = await connected(SERVED.silentUnit, 4000);
      const idle = await connected(SERVED.singlePhaseUnit);
      const started = Date.now();
      // Expected before the line goes, so that the rejection is never left unhandled meanwhile.
      const reading = expect(waiting.read!(singlePhase, signal())).rejects.toThrow(
        new RegExp(`serial line ${line.b} (closed|disconnected)`),
      );
      await new Promise((r) => setTimeout(r, 100));
      await line.stop();
      await reading;
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(idle.read!(singlePhase, signal())).rejects.toThrow(
        new RegExp(`serial line ${line.b} (closed|disconnected)`),
      );
      await expect(connected(SERVED.singlePhaseUnit)).rejects.toThrow(`cannot open ${line.b}`);

      // The adapter is plugged in again (and the meters' end of the line with it): the next
      // connect opens the line anew.
      await server.stop();
      line = await openPtyPair('modbus-rtu-lost', line);
      server = await startPymodbusSerialServer(line.a);
      const back = await connected(SERVED.singlePhaseUnit);
      expect(summary(await back.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
      // The sessions of the lost line close without touching the new one.
      await waiting.close();
      await idle.close();
      expect(summary(await back.read!(singlePhase, signal()))).toEqual(SERVED.singlePhase);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
      await server.stop();
      await line.stop();
    }
  });
});

/** True when the port is held open (and so locked) by somebody: serialport refuses to lock it. */
async function lockedBySomeoneElse(path: string): Promise<boolean> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  const error = await new Promise<Error | null>((resolve) => port.open(resolve));
  if (!error) {
    await new Promise((resolve) => port.close(resolve));
    return false;
  }
  if (/Cannot lock port/.test(error.message)) return true;
  throw error;
}
