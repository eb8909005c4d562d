import { Dec, formatDecimal } from '../src/shared/decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  simulatedMeter,
  startDlt645Simulator,
  type Dlt645Simulator,
} from '../src/collectors/builtin/dlt645/simulator.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let sim: Dlt645Simulator;
let manager: string;
let meter: { id: string; commAddress: string; latestReading: { value: string } };
let areaId: string;

beforeAll(async () => {
  // Cycles every second, so that the channel's meter is collected while the tests run.
  server = await startTestServer({ env: { COLLECTION_CYCLE_MS: '1000' } });
  manager = await server.login('manager1');
  const res = await server.gql<any>(
    `{ orgUnits(filter: { search: "TA-YJ-02" }) { nodes { id meters(first: 1) { nodes { id commAddress latestReading { value } } } } } }`,
    {},
    manager,
  );
  areaId = res.data.orgUnits.nodes[0].id;
  meter = res.data.orgUnits.nodes[0].meters.nodes[0];
  // The meter on the wire continues its history: a little more than its newest reading.
  const next = (Number(meter.latestReading.value) + 0.5).toFixed(2);
  sim = await startDlt645Simulator([simulatedMeter(meter.commAddress, next)]);
});
afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id name pluginId status statusDetail settings } } }`;
const SET = `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status statusDetail settings points { register settings } channel { name } } } }`;

describe('collection channels, meters under collection and on-demand reads', () => {
  let channelId: string;

  it('creates a channel; an unknown plugin is a status, not an error', async () => {
    const res = await server.gql<any>(
      CREATE,
      {
        i: {
          name: 'YJ-02 gateway',
          pluginId: 'dlt645-2007-tcp',
          settings: { host: '127.0.0.1', port: sim.port, responseTimeoutMs: 500 },
          orgUnitId: areaId,
        },
      },
      manager,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.createChannel.channel).toMatchObject({
      status: 'OK',
      statusDetail: null,
      pluginId: 'dlt645-2007-tcp',
    });
    channelId = res.data.createChannel.channel.id;
    const missing = await server.gql<any>(
      CREATE,
      { i: { name: 'Old protocol', pluginId: 'iec-102', settings: {}, orgUnitId: areaId } },
      manager,
    );
    expect(missing.data.createChannel.channel).toMatchObject({
      status: 'PLUGIN_MISSING',
      statusDetail: 'no collector plugin "iec-102" is loaded',
    });
    const bad = await server.gql(
      CREATE,
      { i: { name: '', pluginId: 'Not An Id', settings: {}, orgUnitId: areaId } },
      manager,
    );
    expect(
      onlyError(bad)
        .extensions!.fields!.map((f) => f.path.join('.'))
        .sort(),
    ).toEqual(['input.name', 'input.pluginId']);
  });

  it("checks a meter's settings against the plugin's schema and keeps bad ones with the reasons", async () => {
    const bad = await server.gql<any>(
      SET,
      {
        i: {
          meterId: meter.id,
          channelId,
          settings: { address: '12' },
          points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { di: 'xyz' } }],
        },
      },
      manager,
    );
    expect(bad.data.setMeterCollection.collection.status).toBe('INVALID_SETTINGS');
    expect(bad.data.setMeterCollection.collection.statusDetail).toBe(
      'address: must be 12 decimal digits; points.0.di: must be 8 hex digits such as 00010000',
    );
    const read = await server.gql(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { value } } }`,
      { m: meter.id },
      manager,
    );
    expect(onlyError(read).extensions?.code).toBe('BAD_USER_INPUT');
    const good = await server.gql<any>(
      SET,
      {
        i: {
          meterId: meter.id,
          channelId,
          settings: { address: meter.commAddress },
          points: [
            { register: 'FORWARD_ACTIVE_TOTAL', settings: { di: '00010000' } },
            { register: 'FORWARD_ACTIVE_T3', settings: { di: '00010300' } },
          ],
        },
      },
      manager,
    );
    expect(good.data.setMeterCollection.collection).toMatchObject({
      status: 'OK',
      statusDetail: null,
      channel: { name: 'YJ-02 gateway' },
    });
  });

  it('reads a meter on demand over DL/T 645 and stores the values', async () => {
    const res = await server.gql<any>(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { register value quality reason } } }`,
      { m: meter.id },
      manager,
    );
    expect(res.errors).toBeUndefined();
    // Decimals travel in their shortest exact form ("21481.1", not "21481.10").
    const expected = formatDecimal(new Dec(meter.latestReading.value).plus('0.5'));
    expect(res.data.readMeterNow.values).toEqual([
      { register: 'FORWARD_ACTIVE_TOTAL', value: expected, quality: 'good', reason: null },
      { register: 'FORWARD_ACTIVE_T3', value: expected, quality: 'good', reason: null },
    ]);
    let stored = '';
    for (let i = 0; i < 50 && stored !== expected; i++) {
      const latest = await server.gql<any>(
        `query($m: ID!) { meter(id: $m) { latestReading { value quality } collection { lastSuccessAt } } }`,
        { m: meter.id },
        manager,
      );
      stored = latest.data.meter.latestReading.value;
      if (stored === expected) {
        expect(latest.data.meter.latestReading.quality).toBe('GOOD');
        expect(latest.data.meter.collection.lastSuccessAt).toBeTruthy();
      } else await new Promise((r) => setTimeout(r, 100));
    }
    expect(stored).toBe(expected);
  });

  it('reports completeness per transformer area for a local day', async () => {
    const station = (await server.gql<any>(`{ orgUnits(filter: { search: "ST-YJ" }) { nodes { id } } }`, {}, manager))
      .data.orgUnits.nodes[0].id;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const res = await server.gql<any>(
      `query($o: ID!, $d: LocalDate!) { collectionCompleteness(orgUnitId: $o, day: $d) { orgUnit { code } installedMeters collectedMeters readMeters successRate coverage } }`,
      { o: station, d: today },
      manager,
    );
    expect(res.errors).toBeUndefined();
    const area = res.data.collectionCompleteness.find((r: any) => r.orgUnit.code === 'TA-YJ-02');
    // The demo's meters are SIMULATED (under automatic collection) and froze a reading at local midnight.
    expect(area).toEqual({
      orgUnit: { code: 'TA-YJ-02' },
      installedMeters: 61,
      collectedMeters: 61,
      readMeters: 61,
      successRate: '1',
      coverage: '1',
    });
    const empty = await server.gql<any>(
      `query($o: ID!) { collectionCompleteness(orgUnitId: $o, day: "2020-01-01") { readMeters successRate } }`,
      { o: station },
      manager,
    );
    expect(empty.data.collectionCompleteness.every((r: any) => r.readMeters === 0 && r.successRate === '0')).toBe(true);
  });

  it('keeps channels to their station', async () => {
    const other = await server.login('manager2');
    expect((await server.gql<any>(`{ channels { totalCount } }`, {}, other)).data.channels.totalCount).toBe(0);
    expect((await server.gql<any>(`{ channels { totalCount } }`, {}, manager)).data.channels.totalCount).toBe(2);
    const reader = await server.login('reader1');
    expect(
      onlyError(
        await server.gql(
          `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { value } } }`,
          { m: meter.id },
          reader,
        ),
      ).extensions?.code,
    ).toBe('FORBIDDEN');
  });

  it('reports collection progress live to administrators and auditors only', async () => {
    const watch = (token: string) =>
      server.subscribe(
        token,
        `subscription { collectionProgress { meters succeeded failed values badValues finishedAt } }`,
      );
    const admin = watch(await server.login('admin'));
    const reader = watch(await server.login('reader1'));
    await new Promise((r) => setTimeout(r, 300)); // let both subscriptions register
    // A schedule for the channel: its first slot is due at once, so the next cycle reads the meter.
    const schedule = await server.gql<any>(
      `mutation($i: CreateCollectionScheduleInput!) { createCollectionSchedule(input: $i) { schedule { id kind intervalMinutes channel { name } } } }`,
      { i: { name: 'YJ-02 every minute', kind: 'INTERVAL', intervalMinutes: 1, orgUnitId: areaId, channelId } },
      manager,
    );
    expect(schedule.data.createCollectionSchedule.schedule).toMatchObject({
      kind: 'INTERVAL',
      intervalMinutes: 1,
      channel: { name: 'YJ-02 gateway' },
    });
    const end = Date.now() + 10_000;
    while (admin.received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(admin.received[0].data.collectionProgress).toMatchObject({
      meters: 1,
      succeeded: 1,
      failed: 0,
      values: 2,
      badValues: 0,
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(reader.received).toEqual([]);
    await Promise.all([admin.client.dispose(), reader.client.dispose()]);
  });
});
