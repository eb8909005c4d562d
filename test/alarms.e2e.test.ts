import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { createLogger } from '../src/shared/logger.js';
import { onlyError, startTestServer, until, type TestServer } from './harness.js';

let server: TestServer;
let raiser: AlarmRaiser;
let yjMeter: number;
let tyMeter: number;

beforeAll(async () => {
  server = await startTestServer();
  const sql: SqlExecutor = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  // The server's own event bus, so that subscribers over WebSocket receive what this raiser raises.
  raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
  const meterIn = async (prefix: string) =>
    Number(
      (
        await sql.execute<{ id: number }>(
          `select m.id from meter m join org_unit o on o.id = m.org_unit_id where o.code like ? and m.protocol = 'SIMULATED' order by m.id limit 1`,
          [`${prefix}%`],
        )
      )[0]!.id,
    );
  yjMeter = await meterIn('TA-YJ');
  tyMeter = await meterIn('TA-TY');
});
afterAll(async () => server?.stop());

const LIST = `query($f: AlarmFilter) { alarms(filter: $f) { totalCount nodes { id type severity status count message acknowledgedBy { username } meter { assetNo } orgUnit { code } } } }`;

describe('alarms', () => {
  it('merges repeats into one active alarm and scopes it to the station', async () => {
    const first = await raiser.raise({
      meterId: yjMeter,
      type: AlarmType.READING_FAILURE,
      message: 'no answer',
      at: new Date(),
    });
    const again = await raiser.raise({
      meterId: yjMeter,
      type: AlarmType.READING_FAILURE,
      message: 'no answer again',
      at: new Date(),
    });
    expect(first!.created).toBe(true);
    expect(again).toEqual({ id: first!.id, created: false });
    const manager1 = await server.login('manager1');
    const seen = await server.gql<any>(LIST, { f: { types: ['READING_FAILURE'] } }, manager1);
    expect(seen.data.alarms.totalCount).toBe(1);
    expect(seen.data.alarms.nodes[0]).toMatchObject({
      type: 'READING_FAILURE',
      severity: 'MINOR',
      status: 'OPEN',
      count: 2,
      message: 'no answer again',
    });
    const manager2 = await server.login('manager2');
    expect((await server.gql<any>(LIST, { f: { types: ['READING_FAILURE'] } }, manager2)).data.alarms.totalCount).toBe(
      0,
    );
    expect(
      (await server.gql(`query($id: ID!) { alarm(id: $id) { id } }`, { id: seen.data.alarms.nodes[0].id }, manager2))
        .errors?.[0]?.extensions?.code,
    ).toBe('NOT_FOUND');
  });

  it('goes OPEN -> ACKNOWLEDGED -> CLOSED with who and when; a new occurrence opens a new alarm', async () => {
    const manager1 = await server.login('manager1');
    const id = (await server.gql<any>(LIST, { f: { types: ['READING_FAILURE'], statuses: ['OPEN'] } }, manager1)).data
      .alarms.nodes[0].id;
    const reader = await server.login('reader1');
    expect(
      onlyError(
        await server.gql(
          `mutation($id: ID!) { acknowledgeAlarm(input: { id: $id }) { alarm { status } } }`,
          { id },
          reader,
        ),
      ).extensions?.code,
    ).toBe('FORBIDDEN');
    const ack = await server.gql<any>(
      `mutation($id: ID!) { acknowledgeAlarm(input: { id: $id, note: "on my way" }) { alarm { status note acknowledgedAt acknowledgedBy { username } } } }`,
      { id },
      manager1,
    );
    expect(ack.data.acknowledgeAlarm.alarm).toMatchObject({
      status: 'ACKNOWLEDGED',
      note: 'on my way',
      acknowledgedBy: { username: 'manager1' },
    });
    expect(
      onlyError(
        await server.gql(
          `mutation($id: ID!) { acknowledgeAlarm(input: { id: $id }) { alarm { status } } }`,
          { id },
          manager1,
        ),
      ).extensions?.code,
    ).toBe('BAD_USER_INPUT');
    // Still active while acknowledged: a repeat is merged.
    expect(
      (await raiser.raise({ meterId: yjMeter, type: AlarmType.READING_FAILURE, message: 'x', at: new Date() }))!
        .created,
    ).toBe(false);
    const closed = await server.gql<any>(
      `mutation($id: ID!) { closeAlarm(input: { id: $id, note: "replaced the RS-485 cable" }) { alarm { status closedAt } } }`,
      { id },
      manager1,
    );
    expect(closed.data.closeAlarm.alarm.status).toBe('CLOSED');
    expect(
      (await raiser.raise({ meterId: yjMeter, type: AlarmType.READING_FAILURE, message: 'again', at: new Date() }))!
        .created,
    ).toBe(true);
    expect((await server.gql<any>(LIST, { f: { types: ['READING_FAILURE'] } }, manager1)).data.alarms.totalCount).toBe(
      2,
    );
  });

  it('pushes a new alarm to subscribers in scope within moments, and nothing to another station', async () => {
    const collect = (token: string) =>
      server.subscribe(token, `subscription { collectionAlarms { type severity meter { assetNo } orgUnit { code } } }`);
    const yj = collect(await server.login('manager1'));
    const ty = collect(await server.login('manager2'));
    const auditor = collect(await server.login('auditor'));
    await Promise.all([yj.ready, ty.ready, auditor.ready]);
    await raiser.raise({ meterId: yjMeter, type: AlarmType.METER_COVER_OPEN, message: 'cover opened', at: new Date() });
    await raiser.raise({ meterId: yjMeter, type: AlarmType.METER_COVER_OPEN, message: 'cover opened', at: new Date() }); // merged: no second event
    await until(() => yj.received.length > 0 && auditor.received.length > 0);
    // Time for a wrongly delivered (or second) event to arrive too.
    await new Promise((r) => setTimeout(r, 400));
    expect(yj.received).toEqual([
      {
        data: {
          collectionAlarms: {
            type: 'METER_COVER_OPEN',
            severity: 'CRITICAL',
            meter: { assetNo: expect.any(String) },
            orgUnit: { code: 'TA-YJ-01' },
          },
        },
      },
    ]);
    expect(auditor.received).toHaveLength(1);
    expect(ty.received).toEqual([]);
    await raiser.raise({ meterId: tyMeter, type: AlarmType.POWER_OFF, message: 'power off', at: new Date() });
    await until(() => ty.received.length > 0);
    await new Promise((r) => setTimeout(r, 400));
    expect(ty.received).toHaveLength(1);
    expect(yj.received).toHaveLength(1);
    await Promise.all([yj.client.dispose(), ty.client.dispose(), auditor.client.dispose()]);
  });
});

describe('alarms that clear by themselves', () => {
  it('become CLEARED when the meter answers again, and a new failure opens a new alarm', async () => {
    const first = await raiser.raise({
      meterId: tyMeter,
      type: AlarmType.COMMUNICATION_FAILURE,
      message: 'no answer',
      at: new Date(),
    });
    expect(await raiser.clear(tyMeter, [AlarmType.COMMUNICATION_FAILURE, AlarmType.READING_FAILURE])).toBe(1);
    expect(await raiser.clear(tyMeter, [AlarmType.COMMUNICATION_FAILURE])).toBe(0);
    const admin = await server.login('admin');
    const alarm = await server.gql<any>(
      `query($id: ID!) { alarm(id: $id) { status clearedAt } }`,
      { id: Buffer.from(`Alarm:${first!.id}`).toString('base64url') },
      admin,
    );
    expect(alarm.data.alarm.status).toBe('CLEARED');
    expect(Date.parse(alarm.data.alarm.clearedAt)).toBeGreaterThan(Date.now() - 60_000);
    const again = await raiser.raise({
      meterId: tyMeter,
      type: AlarmType.COMMUNICATION_FAILURE,
      message: 'no answer',
      at: new Date(),
    });
    expect(again).toMatchObject({ created: true });
    expect(again!.id).not.toBe(first!.id);
  });
});

describe('alarms list', () => {
  it('pages newest first with cursors, ties on lastAt broken by id, without gaps or repeats', async () => {
    // Six alarms, three of them raised at the same instant.
    const t0 = Date.now() - 3_600_000;
    const plan: [number, AlarmType, number][] = [
      [yjMeter, AlarmType.CLOCK_DEVIATION, t0],
      [tyMeter, AlarmType.CLOCK_DEVIATION, t0],
      [yjMeter, AlarmType.PHASE_IMBALANCE, t0],
      [tyMeter, AlarmType.PHASE_IMBALANCE, t0 - 1000],
      [yjMeter, AlarmType.VOLTAGE_LOSS, t0 + 1000],
      [tyMeter, AlarmType.VOLTAGE_LOSS, t0 - 1000],
    ];
    for (const [meterId, type, at] of plan) await raiser.raise({ meterId, type, message: 'paging', at: new Date(at) });
    const admin = await server.login('admin');
    const f = { types: ['CLOCK_DEVIATION', 'PHASE_IMBALANCE', 'VOLTAGE_LOSS'] };
    const all = (
      await server.gql<any>(
        `query($f: AlarmFilter) { alarms(first: 100, filter: $f) { nodes { id lastAt } } }`,
        { f },
        admin,
      )
    ).data.alarms.nodes as { id: string; lastAt: string }[];
    expect(all).toHaveLength(plan.length);
    const localId = (id: string) => BigInt(Buffer.from(id, 'base64url').toString().split(':')[1]!);
    const sorted = [...all].sort((a, b) =>
      a.lastAt === b.lastAt ? (localId(b.id) > localId(a.id) ? 1 : -1) : Date.parse(b.lastAt) - Date.parse(a.lastAt),
    );
    expect(all).toEqual(sorted);

    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res: any = await server.gql<any>(
        `query($f: AlarmFilter, $after: String) { alarms(first: 2, after: $after, filter: $f) { nodes { id } pageInfo { endCursor hasNextPage } } }`,
        { f, after },
        admin,
      );
      paged.push(...res.data.alarms.nodes.map((n: { id: string }) => n.id));
      if (!res.data.alarms.pageInfo.hasNextPage) break;
      after = res.data.alarms.pageInfo.endCursor;
    }
    expect(paged).toEqual(all.map((n) => n.id));
  });
});
