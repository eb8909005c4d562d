import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordEvent,
  simulatedMeter,
  startDlt645Simulator,
  type Dlt645Simulator,
} from '../src/collectors/builtin/dlt645/simulator.js';
import { formatDecimal } from '../src/shared/decimal.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let sim: Dlt645Simulator;
let manager: string;
let areaId: string;
let meters: { id: string; commAddress: string; latestReading: { value: string } }[];

const next = (m: (typeof meters)[number]) => (Number(m.latestReading.value) + 0.5).toFixed(2);
// The API gives decimals without trailing zeros ("8828.10" is "8828.1"); the demo's values vary with the time of day.
const asServed = (value: string) => formatDecimal(value);

beforeAll(async () => {
  // Cycles every second and re-collection after about 1, 2, 4 s, so a task settles while the test waits.
  server = await startTestServer({ env: { COLLECTION_CYCLE_MS: '1000', COLLECTION_RETRY_BASE_MS: '1000' } });
  manager = await server.login('manager1');
  const res = await server.gql<any>(
    `{ orgUnits(filter: { search: "TA-YJ-03" }) { nodes { id meters(first: 3) { nodes { id commAddress latestReading { value } } } } } }`,
    {},
    manager,
  );
  areaId = res.data.orgUnits.nodes[0].id;
  meters = res.data.orgUnits.nodes[0].meters.nodes;
  // Only the first meter answers at first; the second is connected later, the third never.
  sim = await startDlt645Simulator([simulatedMeter(meters[0]!.commAddress, next(meters[0]!))]);
  const channel = await server.gql<any>(
    `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`,
    {
      i: {
        name: 'YJ-03 gateway',
        pluginId: 'dlt645-2007-tcp',
        settings: { host: '127.0.0.1', port: sim.port, responseTimeoutMs: 300 },
        orgUnitId: areaId,
      },
    },
    manager,
  );
  const channelId = channel.data.createChannel.channel.id;
  for (const m of meters) {
    const set = await server.gql<any>(
      `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status } } }`,
      {
        i: {
          meterId: m.id,
          channelId,
          settings: { address: m.commAddress },
          points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { di: '00010000' } }],
        },
      },
      manager,
    );
    expect(set.data.setMeterCollection.collection.status).toBe('OK');
  }
});
afterAll(async () => {
  await server?.stop();
  await sim?.close();
});

const SCHEDULE = `mutation($i: CreateCollectionScheduleInput!) { createCollectionSchedule(input: $i) { schedule { id name kind intervalMinutes maxAttempts windowStart windowEnd orgUnit { code } } } }`;
const TASK = `query($id: ID!) { collectionTask(id: $id) { id kind status meters succeeded retrying gaveUp finishedAt schedule { name }
  retries { totalCount nodes { status attempts lastError nextAttemptAt meter { id } } } } }`;

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    value = await probe();
  }
  return value;
}

describe('collection schedules, tasks and re-collection', () => {
  it('rejects a schedule that cannot run, naming the fields', async () => {
    const bad = await server.gql(
      SCHEDULE,
      { i: { name: 'odd', kind: 'INTERVAL', intervalMinutes: 7, maxAttempts: 0, orgUnitId: areaId } },
      manager,
    );
    expect(
      onlyError(bad)
        .extensions!.fields!.map((f) => f.path.join('.'))
        .sort(),
    ).toEqual(['input.intervalMinutes', 'input.maxAttempts']);
    const halfWindow = await server.gql(
      SCHEDULE,
      { i: { name: 'half', kind: 'DAILY_FROZEN', windowStart: '01:00', orgUnitId: areaId } },
      manager,
    );
    expect(onlyError(halfWindow).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.windowEnd']);
    const other = await server.login('manager2');
    const foreign = await server.gql(SCHEDULE, { i: { name: 'x', kind: 'INTERVAL', orgUnitId: areaId } }, other);
    expect(onlyError(foreign).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.orgUnitId']);
    expect(
      (await server.gql<any>(`{ collectionSchedules { totalCount } }`, {}, manager)).data.collectionSchedules
        .totalCount,
    ).toBe(0);
  });

  it('runs a slot as a task, re-collects failed meters with growing pauses, then recovers or gives up', async () => {
    const created = await server.gql<any>(
      SCHEDULE,
      { i: { name: 'YJ-03 every minute', kind: 'INTERVAL', intervalMinutes: 1, maxAttempts: 4, orgUnitId: areaId } },
      manager,
    );
    expect(created.errors).toBeUndefined();
    const schedule = created.data.createCollectionSchedule.schedule;
    expect(schedule).toMatchObject({
      kind: 'INTERVAL',
      intervalMinutes: 1,
      maxAttempts: 4,
      orgUnit: { code: 'TA-YJ-03' },
    });

    // The first cycle creates the slot's task and reads the three meters: one answers.
    const tasks = await until(
      () =>
        server.gql<any>(
          `query($s: ID!) { collectionTasks(filter: { scheduleId: $s }) { nodes { id status meters succeeded retrying } } }`,
          { s: schedule.id },
          manager,
        ),
      (r) => r.data.collectionTasks.nodes.some((t: any) => t.meters === 3 && t.retrying === 2),
    );
    const task = tasks.data.collectionTasks.nodes.find((t: any) => t.meters === 3);
    expect(task).toMatchObject({ status: 'RETRYING', succeeded: 1, retrying: 2 });

    // The second meter comes back: its next attempt recovers it. The third never answers.
    sim.meters.set(meters[1]!.commAddress, simulatedMeter(meters[1]!.commAddress, next(meters[1]!)));
    const settled = await until(
      () => server.gql<any>(TASK, { id: task.id }, manager),
      (r) => r.data.collectionTask.retrying === 0,
      30_000,
    );
    expect(settled.errors).toBeUndefined();
    const done = settled.data.collectionTask;
    expect(done).toMatchObject({
      kind: 'INTERVAL',
      status: 'INCOMPLETE',
      meters: 3,
      succeeded: 2,
      retrying: 0,
      gaveUp: 1,
      schedule: { name: 'YJ-03 every minute' },
    });
    expect(done.finishedAt).toBeTruthy();
    const byMeter = Object.fromEntries(done.retries.nodes.map((r: any) => [r.meter.id, r]));
    expect(done.retries.totalCount).toBe(2);
    const [second, third] = [meters[1]!.id, meters[2]!.id];
    expect(byMeter[second]).toMatchObject({ status: 'RECOVERED', nextAttemptAt: null });
    expect(byMeter[second].attempts).toBeGreaterThanOrEqual(2);
    expect(byMeter[third]).toMatchObject({ status: 'GAVE_UP', attempts: 4, nextAttemptAt: null });
    expect(byMeter[third].lastError).toBe('no reply within 300 ms');
    // The recovered meter's value is stored.
    const stored = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { latestReading { value } } }`,
      { m: meters[1]!.id },
      manager,
    );
    expect(stored.data.meter.latestReading.value).toBe(asServed(next(meters[1]!)));
  });

  it('leaves a channel whose gateway is down alone for a while instead of timing out every meter', async () => {
    const area = await server.gql<any>(
      `{ orgUnits(filter: { search: "TA-YJ-01" }) { nodes { id meters(first: 4) { nodes { id commAddress } } } } }`,
      {},
      manager,
    );
    const { id: area01, meters: behind } = area.data.orgUnits.nodes[0];
    const channel = await server.gql<any>(
      `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`,
      {
        i: {
          name: 'YJ-01 gateway (down)',
          pluginId: 'dlt645-2007-tcp',
          settings: { host: '127.0.0.1', port: 1, responseTimeoutMs: 300 },
          orgUnitId: area01,
        },
      },
      manager,
    );
    for (const m of behind.nodes)
      await server.gql(
        `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status } } }`,
        {
          i: {
            meterId: m.id,
            channelId: channel.data.createChannel.channel.id,
            settings: { address: m.commAddress },
            points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { di: '00010000' } }],
          },
        },
        manager,
      );
    const created = await server.gql<any>(
      SCHEDULE,
      { i: { name: 'YJ-01 every minute', kind: 'INTERVAL', intervalMinutes: 1, maxAttempts: 5, orgUnitId: area01 } },
      manager,
    );
    const errors = await until(
      async (): Promise<string[]> =>
        (
          await server.gql<any>(
            `query($s: ID!) { collectionTasks(filter: { scheduleId: $s }) { nodes { retries { nodes { lastError } } } } }`,
            { s: created.data.createCollectionSchedule.schedule.id },
            manager,
          )
        ).data.collectionTasks.nodes.flatMap((t: any) => t.retries.nodes.map((r: any) => r.lastError as string)),
      (e) => e.some((m) => m.startsWith('channel backing off')),
    );
    // The first attempts met the closed port; later ones were not even tried.
    expect(errors.some((m) => /ECONNREFUSED|connect/i.test(m))).toBe(true);
    expect(errors.find((m) => m.startsWith('channel backing off'))).toMatch(
      /^channel backing off after \d+ failed connections, next attempt at \d{4}-/,
    );
    await server.gql(
      `mutation($i: UpdateCollectionScheduleInput!) { updateCollectionSchedule(input: $i) { schedule { enabled } } }`,
      { i: { id: created.data.createCollectionSchedule.schedule.id, enabled: false } },
      manager,
    );
  });

  it('books an on-demand read as a task with who asked', async () => {
    const read = await server.gql<any>(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { value quality } } }`,
      { m: meters[0]!.id },
      manager,
    );
    expect(read.data.readMeterNow.values).toEqual([{ value: asServed(next(meters[0]!)), quality: 'good' }]);
    const res = await server.gql<any>(
      `{ collectionTasks(first: 1, filter: { kinds: [ON_DEMAND] }) { nodes { kind status meters succeeded requestedBy { username } orgUnit { code } } } }`,
      {},
      manager,
    );
    expect(res.data.collectionTasks.nodes).toEqual([
      {
        kind: 'ON_DEMAND',
        status: 'COMPLETED',
        meters: 1,
        succeeded: 1,
        requestedBy: { username: 'manager1' },
        orgUnit: { code: 'TA-YJ-03' },
      },
    ]);
  });

  it('answers an on-demand read of a meter behind a gateway that is down with bad values, booked as incomplete', async () => {
    // A meter of the channel on a closed port (the test above).
    const area = await server.gql<any>(
      `{ orgUnits(filter: { search: "TA-YJ-01" }) { nodes { meters(first: 1) { nodes { id } } } } }`,
      {},
      manager,
    );
    const read = await server.gql<any>(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { register value quality reason } } }`,
      { m: area.data.orgUnits.nodes[0].meters.nodes[0].id },
      manager,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data.readMeterNow.values).toEqual([
      { register: 'FORWARD_ACTIVE_TOTAL', value: null, quality: 'bad', reason: expect.any(String) },
    ]);
    const res = await server.gql<any>(
      `{ collectionTasks(first: 1, filter: { kinds: [ON_DEMAND] }) { nodes { status succeeded orgUnit { code } retries { nodes { status lastError } } } } }`,
      {},
      manager,
    );
    expect(res.data.collectionTasks.nodes).toEqual([
      {
        status: 'INCOMPLETE',
        succeeded: 0,
        orgUnit: { code: 'TA-YJ-01' },
        retries: { nodes: [{ status: 'GAVE_UP', lastError: read.data.readMeterNow.values[0].reason }] },
      },
    ]);
  });

  it('turns a cover opened on the meter into an alarm that reaches its station live, and no other', async () => {
    const watch = (token: string) =>
      server.subscribe(token, `subscription { collectionAlarms { type message meter { id } orgUnit { code } } }`);
    const mine = watch(manager);
    const other = watch(await server.login('manager2'));
    await new Promise((r) => setTimeout(r, 300));
    const opened = new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000);
    recordEvent(sim.meters.get(meters[0]!.commAddress)!, 'cover', opened);
    // An on-demand read also reads the meter's event records.
    const read = await server.gql<any>(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { quality } } }`,
      { m: meters[0]!.id },
      manager,
    );
    expect(read.errors).toBeUndefined();
    const end = Date.now() + 10_000;
    while (!mine.received.some((e) => e.data.collectionAlarms.type === 'METER_COVER_OPEN') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    const alarm = mine.received.find((e) => e.data.collectionAlarms.type === 'METER_COVER_OPEN');
    expect(alarm?.data.collectionAlarms).toEqual({
      type: 'METER_COVER_OPEN',
      message: `Meter cover open recorded by the meter at ${opened.toISOString()}`,
      meter: { id: meters[0]!.id },
      orgUnit: { code: 'TA-YJ-03' },
    });
    const events = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events { nodes { type occurredAt } } } }`,
      { m: meters[0]!.id },
      manager,
    );
    expect(events.data.meter.events.nodes).toEqual([{ type: 'METER_COVER_OPEN', occurredAt: opened.toISOString() }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(other.received).toEqual([]);
    await Promise.all([mine.client.dispose(), other.client.dispose()]);
  });

  it("keeps schedules and tasks to the caller's station", async () => {
    const other = await server.login('manager2');
    const res = await server.gql<any>(
      `{ collectionSchedules { totalCount } collectionTasks { totalCount } }`,
      {},
      other,
    );
    expect(res.data).toEqual({ collectionSchedules: { totalCount: 0 }, collectionTasks: { totalCount: 0 } });
    const mine = await server.gql<any>(`{ collectionTasks { totalCount nodes { id } } }`, {}, manager);
    expect(mine.data.collectionTasks.totalCount).toBeGreaterThanOrEqual(2);
    const peek = await server.gql<any>(TASK, { id: mine.data.collectionTasks.nodes[0].id }, other);
    expect(onlyError(peek).extensions?.code).toBe('NOT_FOUND');
    const customer = await server.login('customer1');
    expect(
      (await server.gql<any>(`{ collectionTasks { totalCount } }`, {}, customer)).data.collectionTasks.totalCount,
    ).toBe(0);
  });
});
