import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * A meter on an `mqtt-json` channel is collected through the server: the push runtime keeps a
 * subscription on the local Mosquitto broker, and what the meter publishes becomes its readings.
 */
const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
// Topics of this run only, so that parallel runs and retained messages of others do not meet.
const PREFIX = `mg-e2e/${process.pid}-${randomBytes(4).toString('hex')}`;

let server: TestServer;
let publisher: mqtt.MqttClient;
let manager: string;
let areaId: string;
let channelId: string;
let meter: { id: string; commAddress: string; latestReading: { value: string } };

const topic = () => `${PREFIX}/${meter.commAddress}/telemetry`;
const LATEST = `query($m: ID!) { meter(id: $m) { latestReading { value quality source measuredAt } collection { lastSuccessAt } } }`;

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 150));
    value = await probe();
  }
  return value;
}

const latest = async () => (await server.gql<any>(LATEST, { m: meter.id }, manager)).data.meter;

/**
 * Publishes `message` (QoS 1) until the meter's latest reading has `value`: the subscription may
 * still be connecting when the first one goes out, and the same timestamp is stored once.
 */
async function publishUntilStored(message: object, value: string) {
  const payload = JSON.stringify(message);
  return until(
    async () => {
      await publisher.publishAsync(topic(), payload, { qos: 1 });
      return latest();
    },
    (m) => m.latestReading?.value === value,
  );
}

beforeAll(async () => {
  publisher = await mqtt.connectAsync(BROKER);
  server = await startTestServer({ env: { COLLECTION_CYCLE_MS: '1000' } });
  manager = await server.login('manager1');
  const res = await server.gql<any>(
    `{ orgUnits(filter: { search: "TA-YJ-01" }) { nodes { id meters(first: 1) { nodes { id commAddress latestReading { value } } } } } }`,
    {},
    manager,
  );
  areaId = res.data.orgUnits.nodes[0].id;
  meter = res.data.orgUnits.nodes[0].meters.nodes[0];
  const channel = await server.gql<any>(
    `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id status } } }`,
    {
      i: {
        name: 'YJ-01 MQTT broker',
        pluginId: 'mqtt-json',
        settings: { url: BROKER, topic: `${PREFIX}/{address}/telemetry`, timestampField: 'ts' },
        orgUnitId: areaId,
      },
    },
    manager,
  );
  expect(channel.data.createChannel.channel.status).toBe('OK');
  channelId = channel.data.createChannel.channel.id;
  const set = await server.gql<any>(
    `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status statusDetail } } }`,
    {
      i: {
        meterId: meter.id,
        channelId,
        settings: { address: meter.commAddress },
        points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { path: 'energy.total', decimals: 2 } }],
      },
    },
    manager,
  );
  expect(set.data.setMeterCollection.collection).toEqual({ status: 'OK', statusDetail: null });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await publisher?.endAsync();
});

describe('collection of a push-mode (MQTT) meter through the server', () => {
  const base = () => Number(meter.latestReading.value);
  const first = () => (base() + 0.5).toFixed(2);
  // After the seeded history (its newest reading is the last local midnight, before the server started).
  let firstAt: Date;

  it('stores what the meter publishes as its latest reading', async () => {
    firstAt = new Date();
    const stored = await publishUntilStored({ ts: firstAt.toISOString(), energy: { total: Number(first()) } }, first());
    expect(stored.latestReading).toEqual({
      value: first(),
      quality: 'GOOD',
      source: 'AUTOMATIC',
      measuredAt: firstAt.toISOString(),
    });
    expect(stored.collection.lastSuccessAt).toBeTruthy();
  });

  it('keeps the subscription through a garbage message: a reading failure, no reading, then the next value', async () => {
    await publisher.publishAsync(topic(), 'not json{', { qos: 1 });
    const alarms = await until(
      async () =>
        (
          await server.gql<any>(
            `query($f: AlarmFilter) { alarms(filter: $f) { nodes { type status message } } }`,
            { f: { meterId: meter.id, types: ['READING_FAILURE'] } },
            manager,
          )
        ).data.alarms.nodes,
      (nodes: any[]) => nodes.length > 0,
    );
    expect(alarms).toEqual([{ type: 'READING_FAILURE', status: 'OPEN', message: 'payload is not JSON' }]);
    expect((await latest()).latestReading.value).toBe(first());

    const second = (base() + 1.25).toFixed(2);
    const stored = await publishUntilStored(
      { ts: new Date(firstAt.getTime() + 30_000).toISOString(), energy: { total: Number(second) } },
      second,
    );
    expect(stored.latestReading).toMatchObject({ value: second, quality: 'GOOD', source: 'AUTOMATIC' });
    // A value of every point again clears the reading failure.
    const cleared = await until(
      async () =>
        (
          await server.gql<any>(
            `query($f: AlarmFilter) { alarms(filter: $f) { nodes { status } } }`,
            { f: { meterId: meter.id, types: ['READING_FAILURE'] } },
            manager,
          )
        ).data.alarms.nodes,
      (nodes: any[]) => nodes.every((n) => n.status === 'CLEARED'),
    );
    expect(cleared).toEqual([{ status: 'CLEARED' }]);
  });

  it('is not read on schedule, and cannot be read on demand', async () => {
    const schedule = await server.gql<any>(
      `mutation($i: CreateCollectionScheduleInput!) { createCollectionSchedule(input: $i) { schedule { id } } }`,
      { i: { name: 'YJ-01 MQTT every minute', kind: 'INTERVAL', intervalMinutes: 1, orgUnitId: areaId, channelId } },
      manager,
    );
    expect(schedule.errors).toBeUndefined();
    const tasks = await until(
      async () =>
        (
          await server.gql<any>(
            `query($f: CollectionTaskFilter) { collectionTasks(filter: $f) { nodes { meters status } } }`,
            { f: { scheduleId: schedule.data.createCollectionSchedule.schedule.id } },
            manager,
          )
        ).data.collectionTasks.nodes,
      (nodes: any[]) => nodes.length > 0 && nodes[0].status !== 'RUNNING',
    );
    // The slot's task found no meter to read: the push meter is the push runtime's.
    expect(tasks).toEqual([{ meters: 0, status: 'COMPLETED' }]);
    const read = await server.gql(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { value } } }`,
      { m: meter.id },
      manager,
    );
    expect(onlyError(read)).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/delivers its values by itself \(mqtt-json, push mode\)/),
    });
    const failures = await server.gql<any>(
      `query($f: AlarmFilter) { alarms(filter: $f) { totalCount } }`,
      { f: { meterId: meter.id, types: ['COMMUNICATION_FAILURE'] } },
      manager,
    );
    expect(failures.data.alarms.totalCount).toBe(0);
  });
});
