import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registersAt, registerTexts, type Profile } from '../src/collectors/builtin/simulator/load-curve.js';
import {
  simulatedMeter,
  simulatedRelay,
  startDlt645Simulator,
  type Dlt645Simulator,
} from '../src/collectors/builtin/dlt645/simulator.js';
import { fromGlobalId } from '../src/shared/global-id.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * Relay control through HTTP with real tokens: demo meters (the simulator plugin, collected because
 * the demo is on), a DL/T 645 meter behind a TCP gateway, a meter on a plugin without relay control
 * and a meter on no channel.
 */
let server: TestServer;
let sim: Dlt645Simulator;
let manager: string;

const RELAY = `mutation($m: ID!, $c: RelayCommand!) {
  controlMeterRelay(input: { meterId: $m, command: $c }) { status detail meter { id } }
}`;
const READ = `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { register value quality } } }`;

type Meter = { id: string; commAddress: string; customer: { category: string } | null };

async function meters(search: string, protocol: string, token: string): Promise<Meter[]> {
  const res = await server.gql<any>(
    `query($s: String!) { orgUnits(filter: { search: $s }) { nodes { id } } }`,
    { s: search },
    token,
  );
  const list = await server.gql<any>(
    `query($o: ID!, $p: [MeterProtocol!]) { meters(first: 100, filter: { orgUnitSubtree: $o, protocols: $p }) { nodes { id commAddress customer { category } } } }`,
    { o: res.data.orgUnits.nodes[0].id, p: [protocol] },
    token,
  );
  if (list.errors) throw new Error(JSON.stringify(list.errors));
  return list.data.meters.nodes;
}

async function relay(meterId: string, command: string, token = manager) {
  return server.gql<any>(RELAY, { m: meterId, c: command }, token);
}

async function readTotal(meterId: string): Promise<string> {
  const res = await server.gql<any>(READ, { m: meterId }, manager);
  expect(res.errors).toBeUndefined();
  const total = res.data.readMeterNow.values.find((v: any) => v.register === 'FORWARD_ACTIVE_TOTAL');
  expect(total.quality).toBe('good');
  return total.value;
}

beforeAll(async () => {
  // The demo on: its simulated meters are collected (without faults, and no scheduled cycle during the test).
  server = await startTestServer({
    env: { DEMO: 'true', DEMO_FAULT_RATE: '0', DEMO_LIVE_INTERVAL_MS: '3600000' },
    demoDays: 1,
  });
  manager = await server.login('manager1');
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

describe('relay control of simulated meters', () => {
  it('trips a meter of the station: it stops counting, and permit close reconnects it', async () => {
    const candidates = (await meters('ST-YJ', 'SIMULATED', manager)).filter((m) => m.customer);
    expect(candidates.length).toBeGreaterThan(10);
    // The simulator's curve, as the plugin computes it for an untripped meter.
    const textAt = (m: Meter, at: number) =>
      registerTexts(
        registersAt(Number(fromGlobalId(m.id)!.id), m.customer!.category.toLowerCase() as Profile, new Date(at)),
      ).total;
    // Registers move in 0.01 kWh steps: take the meter consuming most now, so that the test shows
    // soon that a step never came.
    const now = Date.now();
    const rate = (m: Meter) => Number(textAt(m, now + 600_000)) - Number(textAt(m, now));
    const meter = [...candidates].sort((a, b) => rate(b) - rate(a))[0]!;
    /** Waits until the untripped curve has gone past `value` by `steps` hundredths. */
    const curvePast = async (value: string, steps: number) => {
      while (Number(textAt(meter, Date.now())) < Number(value) + steps * 0.01 - 1e-9)
        await new Promise((r) => setTimeout(r, 250));
    };

    const before = Date.now();
    const tripped = await relay(meter.id, 'TRIP');
    const after = Date.now();
    expect(tripped.errors).toBeUndefined();
    expect(tripped.data.controlMeterRelay).toEqual({ status: 'DONE', detail: 'relay open', meter: { id: meter.id } });
    const atTrip = await readTotal(meter.id);
    // The value of the curve at the moment of the trip.
    expect(Number(atTrip)).toBeGreaterThanOrEqual(Number(textAt(meter, before)));
    expect(Number(atTrip)).toBeLessThanOrEqual(Number(textAt(meter, after)));

    // Once an untripped meter would show more, the tripped one still shows the same value.
    await curvePast(atTrip, 1);
    const whileTripped = await readTotal(meter.id);
    expect(whileTripped).toBe(atTrip);
    expect(Number(textAt(meter, Date.now()))).toBeGreaterThan(Number(whileTripped));

    // Staff see who tripped it in the meter's events.
    const events = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events(first: 5) { nodes { type detail } } } }`,
      { m: meter.id },
      manager,
    );
    expect(events.data.meter.events.nodes[0]).toMatchObject({
      type: 'RELAY_TRIPPED',
      detail: { command: 'TRIP', status: 'DONE', requestedBy: expect.any(Number) },
    });

    const permitted = await relay(meter.id, 'PERMIT_CLOSE');
    expect(permitted.data.controlMeterRelay).toMatchObject({ status: 'DONE', detail: 'relay closed' });
    const atPermit = textAt(meter, Date.now());
    // Counting again from where it stopped: once the curve has moved on by two steps since the
    // permit, the meter has moved by at least one, and it stays below the untripped curve.
    await curvePast(atPermit, 2);
    const grown = await readTotal(meter.id);
    expect(Number(grown)).toBeGreaterThan(Number(atTrip));
    expect(Number(grown)).toBeLessThan(Number(textAt(meter, Date.now())));
    const types = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events(first: 5) { nodes { type } } } }`,
      { m: meter.id },
      manager,
    );
    expect(types.data.meter.events.nodes.map((e: any) => e.type).slice(0, 2)).toEqual([
      'RELAY_PERMITTED',
      'RELAY_TRIPPED',
    ]);
  }, 300_000);

  it("refuses a meter of another station like any mutation on it, and a reader's attempt", async () => {
    const admin = await server.login('admin');
    const [other] = await meters('ST-TY', 'SIMULATED', admin);
    expect(other).toBeDefined();
    expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(onlyError(await relay(other!.id, 'TRIP')).extensions?.code);
    const [own] = await meters('ST-YJ', 'SIMULATED', manager);
    const reader = await server.login('reader1');
    // A reader may see the meter but not update it.
    expect(['FORBIDDEN', 'BAD_USER_INPUT']).toContain(onlyError(await relay(own!.id, 'TRIP', reader)).extensions?.code);
    expect(onlyError(await relay(own!.id, 'OPEN')).extensions?.code).toBe('BAD_USER_INPUT');
    // Nothing was sent: no relay event on either meter.
    for (const m of [other!, own!]) {
      const events = await server.gql<any>(
        `query($m: ID!) { meter(id: $m) { events(first: 5) { nodes { type } } } }`,
        { m: m.id },
        admin,
      );
      expect(events.data.meter.events.nodes.filter((e: any) => e.type.startsWith('RELAY_'))).toEqual([]);
    }
  });
});

describe('relay control of meters on channels', () => {
  let supply: Meter;
  let areaId: string;

  beforeAll(async () => {
    const res = await server.gql<any>(`{ orgUnits(filter: { search: "TA-YJ-01" }) { nodes { id } } }`, {}, manager);
    areaId = res.data.orgUnits.nodes[0].id;
    const dlt = await meters('ST-YJ', 'DLT645_2007', manager);
    supply = dlt[0]!;
    const meter = simulatedMeter(supply.commAddress, '100.00');
    meter.relay = simulatedRelay('123456', 2);
    sim = await startDlt645Simulator([meter]);
  });

  const attach = async (
    meterId: string,
    pluginId: string,
    channel: Record<string, unknown>,
    own: object,
    point: object,
  ) => {
    const created = await server.gql<any>(
      `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id settings } } }`,
      { i: { name: `${pluginId} ${meterId.slice(-4)}`, pluginId, settings: channel, orgUnitId: areaId } },
      manager,
    );
    expect(created.errors).toBeUndefined();
    const set = await server.gql<any>(
      `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status statusDetail settings } } }`,
      {
        i: {
          meterId,
          channelId: created.data.createChannel.channel.id,
          settings: own,
          points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: point }],
        },
      },
      manager,
    );
    expect(set.errors).toBeUndefined();
    return { channel: created.data.createChannel.channel, collection: set.data.setMeterCollection.collection };
  };

  it('answers NOT_COLLECTED for a meter on no channel', async () => {
    expect((await relay(supply.id, 'TRIP')).data.controlMeterRelay).toEqual({
      status: 'NOT_COLLECTED',
      detail: 'the meter is not under automatic collection',
      meter: { id: supply.id },
    });
  });

  it('trips a DL/T 645 meter with its password, which the API never shows', async () => {
    const { collection } = await attach(
      supply.id,
      'dlt645-2007-tcp',
      { host: '127.0.0.1', port: sim.port, responseTimeoutMs: 500 },
      { address: supply.commAddress, relayPassword: '123456', relayOperatorCode: '00001234' },
      { di: '00010000' },
    );
    expect(collection).toMatchObject({ status: 'OK', statusDetail: null });
    expect(collection.settings).toEqual({
      address: supply.commAddress,
      relayPassword: '[redacted]',
      relayOperatorCode: '00001234',
    });
    const relayOf = sim.meters.get(supply.commAddress)!.relay!;
    expect((await relay(supply.id, 'TRIP')).data.controlMeterRelay).toMatchObject({ status: 'DONE' });
    expect(relayOf.state).toBe('open');
    expect(relayOf.log.at(-1)).toEqual({ operation: 0x1a, operatorCode: '00001234' });

    // Sent back as read ("[redacted]"), the stored password is kept: permit close still works.
    const again = await attach(
      supply.id,
      'dlt645-2007-tcp',
      { host: '127.0.0.1', port: sim.port },
      collection.settings,
      {
        di: '00010000',
      },
    );
    expect(again.collection.status).toBe('OK');
    expect((await relay(supply.id, 'PERMIT_CLOSE')).data.controlMeterRelay).toMatchObject({ status: 'DONE' });
    expect(relayOf.state).toBe('permitted');

    // A wrong password: the meter's refusal, with its reason, recorded as a failed command.
    await attach(
      supply.id,
      'dlt645-2007-tcp',
      { host: '127.0.0.1', port: sim.port, responseTimeoutMs: 500 },
      { address: supply.commAddress, relayPassword: '000000' },
      { di: '00010000' },
    );
    expect((await relay(supply.id, 'TRIP')).data.controlMeterRelay).toMatchObject({
      status: 'REFUSED',
      detail: 'meter error: password error or unauthorised',
    });
    expect(relayOf.state).toBe('permitted');
    // Silence: FAILED, whether the relay switched is unknown.
    sim.faults.silent = true;
    expect((await relay(supply.id, 'TRIP')).data.controlMeterRelay).toMatchObject({
      status: 'FAILED',
      detail: 'no reply within 500 ms',
    });
    sim.faults.silent = false;
    const events = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events(first: 10) { nodes { type detail } } } }`,
      { m: supply.id },
      manager,
    );
    const kinds = events.data.meter.events.nodes.map((e: any) => [e.type, e.detail.status]);
    expect(kinds).toEqual([
      ['RELAY_COMMAND_FAILED', 'FAILED'],
      ['RELAY_COMMAND_FAILED', 'REFUSED'],
      ['RELAY_PERMITTED', 'DONE'],
      ['RELAY_TRIPPED', 'DONE'],
    ]);
    // The password is in no event and in no audit record.
    const audit = await server.gql<any>(
      `{ auditLog(first: 50) { nodes { action details } } }`,
      {},
      await server.login('admin'),
    );
    expect(audit.errors).toBeUndefined();
    const relayRecord = audit.data.auditLog.nodes.find((n: any) => n.action === 'controlMeterRelay');
    expect(relayRecord.details).toMatchObject({ notes: { relay: { command: 'TRIP', status: 'FAILED' } } });
    expect(JSON.stringify(events.data)).not.toContain('123456');
    expect(JSON.stringify(audit.data)).not.toContain('123456');
  });

  it('answers UNSUPPORTED for a meter whose plugin has no relay control', async () => {
    await attach(
      supply.id,
      'modbus-tcp',
      { host: '127.0.0.1', port: 1 },
      { unitId: 1 },
      { address: 0, type: 'uint32', scale: '0.01' },
    );
    expect((await relay(supply.id, 'TRIP')).data.controlMeterRelay).toEqual({
      status: 'UNSUPPORTED',
      detail: 'collector plugin "modbus-tcp" has no relay control',
      meter: { id: supply.id },
    });
  });
});
