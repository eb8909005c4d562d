import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlt645Serial } from '../src/collectors/builtin/dlt645/index.js';
import {
  simulatedMeter,
  startDlt645SerialSimulator,
  type Dlt645SerialSimulator,
} from '../src/collectors/builtin/dlt645/simulator.js';
import { modbusRtu, REGISTER_MAPS, registerMapPoints } from '../src/collectors/builtin/modbus/index.js';
import type { PointRequest } from '../src/collectors/sdk/index.js';
import { PluginHost } from '../src/plugins/plugin-host.js';
import { createLogger } from '../src/shared/logger.js';
import { startProtocolRouter, type ProtocolRouter } from './support/protocol-router.js';
import { openPtyPair, type PtyPair } from './support/pty-pair.js';
import { SERVED, startPymodbusSerialServer, type PymodbusSerialServer } from './support/pymodbus-server.js';

/**
 * One RS-485 line, three collectors: a Modbus RTU meter (pymodbus) and a DL/T 645 meter (the
 * project's simulator) on one pseudo-terminal line, read through one plugin host by the built-in
 * `modbus-rtu` and `dlt645-2007-serial` collectors in the host's process and by a vendor-style
 * plugin in its worker thread. The host opens the port once and lends it to each session for its
 * calls (SDK 1.3). At the far end a router passes each request to the simulator of its protocol
 * (test/support/protocol-router.ts).
 */
const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
const METER = '000000000042';
let bus: PtyPair;
let modbusSide: PtyPair;
let dltSide: PtyPair;
let pymodbus: PymodbusSerialServer;
let dlt645: Dlt645SerialSimulator;
let router: ProtocolRouter;
let host: PluginHost;

beforeAll(async () => {
  [bus, modbusSide, dltSide] = await Promise.all([
    openPtyPair('bus'),
    openPtyPair('bus-modbus'),
    openPtyPair('bus-dlt645'),
  ]);
  pymodbus = await startPymodbusSerialServer(modbusSide.a);
  dlt645 = await startDlt645SerialSimulator([simulatedMeter(METER, '1234.56')], { path: dltSide.a, baudRate: 9600 });
  router = await startProtocolRouter({ line: bus.a, modbus: modbusSide.b, dlt645: dltSide.b });
  host = new PluginHost(createLogger('silent'), { callTimeoutMs: 4000, installDir: fixtures });
  const loaded = await host.load([
    { kind: 'builtin', collector: modbusRtu },
    { kind: 'builtin', collector: dlt645Serial },
    { kind: 'package', spec: './serial-worker' },
  ]);
  expect(loaded.map((p) => [p.id, p.status, p.error])).toEqual([
    ['modbus-rtu', 'ready', undefined],
    ['dlt645-2007-serial', 'ready', undefined],
    ['fixture-serial-worker', 'ready', undefined],
  ]);
});

afterAll(async () => {
  await host?.stop();
  await router?.stop();
  await dlt645?.close();
  await pymodbus?.stop();
  await Promise.all([bus, modbusSide, dltSide].map((line) => line?.stop()));
});

// Every device on the line uses the line's settings: Modbus RTU's usual 9600 baud 8E1.
const modbusMeter = { id: 'modbus-1', settings: { path: '', unitId: SERVED.threePhaseUnit, responseTimeoutMs: 1500 } };
const dltMeter = { id: 'dlt-42', settings: { path: '', address: METER, baudRate: 9600, responseTimeoutMs: 1500 } };
const workerMeter = { id: 'worker-1', settings: { path: '', unitId: SERVED.threePhaseUnit } };
const on = <D extends { settings: object }>(device: D) => ({
  ...device,
  settings: { ...device.settings, path: bus.b },
});

async function collect(pluginId: string, device: { id: string; settings: unknown }, points: PointRequest[]) {
  const session = await host.openSession(pluginId, device);
  try {
    await session.connect();
    return await session.read(points);
  } finally {
    await session.close();
  }
}

const summary = (values: { pointId: string; value?: string; quality: string; reason?: string }[]) =>
  Object.fromEntries(values.map((v) => [v.pointId, v.quality === 'good' ? v.value : `${v.quality}: ${v.reason}`]));

describe('a Modbus RTU meter and a DL/T 645 meter on one serial line', () => {
  it('are read through the host in turns, in-process and from a worker, with one open port', async () => {
    const threePhase = registerMapPoints(REGISTER_MAPS['three-phase-scaled']).slice(0, 3);
    const energy = [{ id: 'energy', settings: { di: '00010000', index: 0 } }];
    const registers = [
      { id: 'voltageA', settings: { register: 0 } },
      { id: 'currentA', settings: { register: 3 } },
    ];
    for (let round = 0; round < 3; round++) {
      // Started together, as the runtime starts them: every session holds the line open at once.
      const [modbus, dlt, worker] = await Promise.all([
        collect('modbus-rtu', on(modbusMeter), threePhase),
        collect('dlt645-2007-serial', on(dltMeter), energy),
        collect('fixture-serial-worker', on(workerMeter), registers),
      ]);
      expect(summary(modbus)).toEqual({ voltageA: '230.1', voltageB: '229.8', voltageC: '230.5' });
      expect(summary(dlt)).toEqual({ energy: '1234.56' });
      expect(summary(worker)).toEqual({ voltageA: '2301', currentA: '1523' });
    }
    // The requests of both protocols went over the one line, taking turns.
    const protocols = router.routed.map((r) => r.protocol);
    expect(protocols.filter((p) => p === 'dlt645')).toHaveLength(3);
    expect(protocols.filter((p) => p === 'modbus')).toHaveLength(3 * (1 + registers.length));
    const switches = protocols.filter((p, i) => i > 0 && p !== protocols[i - 1]).length;
    expect(switches).toBeGreaterThanOrEqual(3);
    // The last session out closed the port: another program may open it now.
    expect(await lockedBySomebody(bus.b)).toBe(false);
  });

  it('refuses a meter set to other serial settings than the open line, naming both', async () => {
    const modbus = await host.openSession('modbus-rtu', on(modbusMeter));
    const slow = await host.openSession(
      'dlt645-2007-serial',
      on({ ...dltMeter, settings: { ...dltMeter.settings, baudRate: 2400 } }),
    );
    try {
      await modbus.connect();
      const refused = await slow.connect().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({
        name: 'CollectorError',
        kind: 'misconfigured',
        message: `${bus.b} is open at 9600 baud 8E1 for another meter, this one is set to 2400 baud 8E1: meters on one line need the same serial settings`,
      });
      expect(summary(await modbus.read(registerMapPoints(REGISTER_MAPS['three-phase-scaled']).slice(0, 1)))).toEqual({
        voltageA: '230.1',
      });
    } finally {
      await slow.close();
      await modbus.close();
    }
  });
});

/** True when the port is held open (and so locked) by somebody: serialport refuses to lock it. */
async function lockedBySomebody(path: string): Promise<boolean> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  const error = await new Promise<Error | null>((resolve) => port.open(resolve));
  if (!error) {
    await new Promise((resolve) => port.close(resolve));
    return false;
  }
  if (/Cannot lock port/.test(error.message)) return true;
  throw error;
}
