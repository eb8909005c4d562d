import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PERMISSIONS } from '../src/auth/permissions.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { pgArray } from '../src/shared/pg-array.js';
import { Migration20261126223000_assessment } from '../migrations/Migration20261126223000_assessment.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { pdfText } from './support/pdf-text.js';

/**
 * The assessment KPIs of one supply station over September 2026 (Asia/Shanghai, 30 days), on a
 * station built by hand beside the demo's: meters under collection with frozen readings missing,
 * two transformer areas (one within its loss band, one not) and one without a supply meter, work
 * orders, alarms, check-reading stops, hazard reports and training records. Work orders, stops and
 * hazards are written straight into their tables. Every figure is written out below with its
 * arithmetic; the API must give exactly these numbers.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const users: Record<string, number> = {};
const units: Record<string, number> = {};
const meters: Record<string, number> = {};
const FROM = '2026-09-01';
const TO = '2026-10-01';
/** An instant in Asia/Shanghai (UTC+8, no daylight saving). */
const at = (local: string) => new Date(`${local}+08:00`);
const day = (n: number) => `2026-09-${String(n).padStart(2, '0')}`;
const PASSWORD = 'kpi-station-password';

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  server
    .em()
    .getConnection()
    .execute<T[]>(text, params as never[]);
const one = async (text: string, params: unknown[] = []) => Number((await sql<{ id: number }>(text, params))[0]!.id);

const RATE = `numerator denominator rate`;
const FIGURES = `collectionSuccess { ${RATE} } coverage { ${RATE} } lineLossQualification { ${RATE} }
  workOrderTimeliness { ${RATE} } abnormalityClosure { ${RATE} } checkReadingAccuracy { ${RATE} }
  hazards { reported verified points } training { completed failed hours } metersOverdueVerification`;
const KPIS = `query($i: KpiInput!) { kpis(input: $i) {
  orgUnit { code name } from to timeZone checkReadingToleranceKwh
  unit { ${FIGURES} }
  lineLossAreas { area { code } status lossRate band { min max } qualified }
  people { userId username displayName role active user { username } figures { ${FIGURES} } } } }`;

interface Rate {
  numerator: number;
  denominator: number;
  rate: string | null;
}
interface Figures {
  collectionSuccess: Rate | null;
  coverage: Rate | null;
  lineLossQualification: Rate | null;
  workOrderTimeliness: Rate;
  abnormalityClosure: Rate;
  checkReadingAccuracy: Rate;
  hazards: { reported: number; verified: number; points: number };
  training: { completed: number; failed: number; hours: string };
  metersOverdueVerification: number | null;
}
interface Report {
  orgUnit: { code: string; name: string };
  from: string;
  to: string;
  timeZone: string;
  checkReadingToleranceKwh: string;
  unit: Figures | null;
  lineLossAreas: { area: { code: string }; status: string; lossRate: string | null; qualified: boolean }[] | null;
  people:
    { username: string; displayName: string; role: string; active: boolean; user: unknown; figures: Figures }[] | null;
}

/** A rate as the API gives it: a Decimal, so without trailing zeros ("50" for 50.00 %). */
const rate = (numerator: number, denominator: number, r: string | null): Rate => ({ numerator, denominator, rate: r });

const kpis = (token: string, input: Record<string, unknown>) => server.gql<{ kpis: Report }>(KPIS, { i: input }, token);
const station = () => toGlobalId('OrgUnit', units.station!);
const kpisOk = async (token: string, input: Record<string, unknown> = {}) => {
  const res = await kpis(token, { orgUnitId: station(), from: FROM, to: TO, ...input });
  expect(res.errors).toBeUndefined();
  return res.data!.kpis;
};

// ---------------------------------------------------------------------------------------------
// The fixture.

async function gqlOk<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

async function createUnit(kind: string, code: string, name: string, parent: number) {
  const res = await gqlOk<{ createOrgUnit: { orgUnit: { id: string } } }>(
    `mutation($i: CreateOrgUnitInput!) { createOrgUnit(input: $i) { orgUnit { id } } }`,
    { i: { kind, code, name, parentId: toGlobalId('OrgUnit', parent) } },
    tokens.admin!,
  );
  units[code] = Number(Buffer.from(res.createOrgUnit.orgUnit.id, 'base64url').toString().split(':')[1]);
  return units[code];
}

async function createUser(username: string, displayName: string, role: string) {
  await gqlOk(
    `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`,
    { i: { username, displayName, role, password: PASSWORD, orgUnitId: station() } },
    tokens.admin!,
  );
  users[username] = await one(`select id from app_user where username = ?`, [username]);
  tokens[username] = await server.login(username, PASSWORD);
}

let seq = 0;
async function meter(
  name: string,
  unit: number,
  opts: { installedAt?: string | null; removedAt?: string; nextVerification?: string; collected?: boolean } = {},
) {
  seq++;
  const installed = opts.installedAt === undefined ? '2026-01-01T00:00:00' : opts.installedAt;
  meters[name] = await one(
    `insert into meter (asset_no, barcode, comm_address, protocol, manufacturer, model, accuracy_class, status,
                        installed_at, removed_at, next_verification_date, org_unit_id)
     values (?, ?, ?, 'DLT645_2007', 'Holley', 'DTZ341', '1.0', ?, ?, ?, ?, ?) returning id`,
    [
      `KPI-ASSET-${seq}`,
      `KPIBAR${seq}`,
      String(900000000000 + seq),
      installed === null ? 'IN_STOCK' : opts.removedAt ? 'REMOVED' : 'INSTALLED',
      installed === null ? null : at(installed),
      opts.removedAt ? at(opts.removedAt) : null,
      opts.nextVerification ?? '2030-01-01',
      unit,
    ],
  );
  if (opts.collected)
    await sql(`insert into meter_collection (meter_id, channel_id, settings, points) values (?, ?, '{}', '[]')`, [
      meters[name],
      channel,
    ]);
  return meters[name]!;
}

/** A customer whose service point has had `meterName` on it since January. */
async function customerOn(meterName: string, accountNo: string) {
  const customer = await one(
    `insert into customer (account_no, name, category, address, contracted_capacity, org_unit_id)
     values (?, ?, 'RESIDENTIAL', '平安路 1 号', 10, ?) returning id`,
    [accountNo, `客户 ${accountNo}`, units.station],
  );
  const point = await one(`insert into service_point (code, customer_id) values (?, ?) returning id`, [
    `SP${accountNo}`,
    customer,
  ]);
  await sql(
    `insert into meter_assignment (service_point_id, meter_id, installed_at, initial_reading) values (?, ?, ?, 0)`,
    [point, meters[meterName], at('2026-01-01T00:00:00')],
  );
}

/** Readings of a meter's total register: [instant, value, source]. */
async function readings(meterName: string, rows: [Date, number, string][]) {
  await sql(
    `insert into reading (meter_id, register, value, measured_at, source)
     select ?, 'FORWARD_ACTIVE_TOTAL', v, t, s from unnest(?::numeric[], ?::timestamptz[], ?::text[]) as x(v, t, s)`,
    [
      meters[meterName],
      pgArray(rows.map((r) => r[1])),
      pgArray(rows.map((r) => r[0].toISOString())),
      pgArray(rows.map((r) => r[2])),
    ],
  );
}

/** Daily frozen readings at the midnights of September `days`, base + step x (day - 1), and October 1st. */
async function frozen(meterName: string, days: number[], base: number, step: number, october: number | null) {
  const rows: [Date, number, string][] = days.map((d) => [
    at(`${day(d)}T00:00:00`),
    base + step * (d - 1),
    'AUTOMATIC',
  ]);
  if (october !== null) rows.push([at('2026-10-01T00:00:00'), october, 'AUTOMATIC']);
  await readings(meterName, rows);
}

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);
let channel = 0;

async function workOrder(
  kind: string,
  due: string,
  assignees: string[],
  o: {
    status?: string;
    submitted?: string;
    reviewed?: string;
    closed?: string;
    cancel?: string;
    alarm?: number;
    unit?: number;
  } = {},
) {
  const id = await one(
    `insert into work_order (kind, status, title, org_unit_id, due_at, created_by_id, submitted_at, reviewed_at, closed_at, cancel_reason, alarm_id)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      kind,
      o.status ?? 'ASSIGNED',
      `${kind} due ${due}`,
      o.unit ?? units.station,
      at(due),
      users.kpimgr,
      o.submitted ? at(o.submitted) : null,
      o.reviewed ? at(o.reviewed) : null,
      o.closed ? at(o.closed) : null,
      o.cancel ?? null,
      o.alarm ?? null,
    ],
  );
  for (const user of assignees)
    await sql(`insert into work_order_assignee (work_order_id, user_id) values (?, ?)`, [id, users[user]]);
  return id;
}

async function stop(
  order: number,
  seqNo: number,
  meterName: string,
  s: { status: string; by?: string; visited?: string; difference?: string },
) {
  await sql(
    `insert into work_order_stop (work_order_id, seq, meter_id, status, visited_by_id, visited_at, difference)
     values (?, ?, ?, ?, ?, ?, ?)`,
    [
      order,
      seqNo,
      meters[meterName],
      s.status,
      s.by ? users[s.by] : null,
      s.visited ? at(s.visited) : null,
      s.difference ?? null,
    ],
  );
}

async function alarm(
  meterName: string | null,
  unit: number,
  type: string,
  status: string,
  first: string,
  end?: string,
) {
  return one(
    `insert into alarm (type, severity, status, meter_id, org_unit_id, message, first_at, last_at, closed_at, cleared_at)
     values (?, 'MAJOR', ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      type,
      status,
      meterName ? meters[meterName] : null,
      unit,
      `${type} at ${first}`,
      at(first),
      at(first),
      status === 'CLOSED' && end ? at(end) : null,
      status === 'CLEARED' && end ? at(end) : null,
    ],
  );
}

async function hazard(by: string, reported: string, status: string, points: number, unit = units.station) {
  await sql(
    `insert into hazard_report (category, status, description, org_unit_id, reported_by_id, reported_at, points)
     values ('METER_BOX_DAMAGE', ?, 'box door hanging', ?, ?, ?, ?)`,
    [status, unit, users[by], at(reported), points],
  );
}

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const user of ['admin', 'manager1', 'manager2', 'auditor', 'customer1']) tokens[user] = await server.login(user);
  const bureau = await one(`select id from org_unit where kind = 'BUREAU' order by id limit 1`);
  units.station = await createUnit('SUPPLY_STATION', 'ST-KPI', '平安供电所', bureau);
  const areaA = await createUnit('TRANSFORMER_AREA', 'TA-KPI-A', '平安一号台区', units.station);
  const areaB = await createUnit('TRANSFORMER_AREA', 'TA-KPI-B', '平安二号台区', units.station);
  await createUnit('TRANSFORMER_AREA', 'TA-KPI-C', '平安三号台区', units.station);
  await createUser('kpimgr', '王站长', 'STATION_MANAGER');
  await createUser('kpireader1', '张三', 'METER_READER');
  await createUser('kpireader2', '李四', 'METER_READER');
  await createUser('kpiinsp', '赵六', 'INSPECTOR');
  users.reader1 = await one(`select id from app_user where username = 'reader1'`);

  // Meters. Under collection: SA, SB (the areas' supply meters), A1, A2, X (installed on the
  // 21st), R (removed on the 11th) and a meter still in stock; B1 is read by hand.
  channel = await one(
    `insert into channel (name, plugin_id, settings, org_unit_id) values ('平安 gateway', 'simulator', '{}', ?) returning id`,
    [units.station],
  );
  await meter('SA', areaA, { collected: true });
  await meter('A1', areaA, { collected: true, nextVerification: '2026-10-01' });
  await meter('A2', areaA, { collected: true });
  await meter('X', areaA, { collected: true, installedAt: '2026-09-21T00:00:00', nextVerification: '2026-09-30' });
  await meter('R', areaA, { collected: true, removedAt: '2026-09-11T00:00:00', nextVerification: '2026-01-01' });
  await meter('STOCK', units.station, { collected: true, installedAt: null, nextVerification: '2020-01-01' });
  await meter('SB', areaB, { collected: true });
  await meter('B1', areaB, { nextVerification: '2026-09-15' });
  await sql(`update org_unit set supply_meter_id = ? where id = ?`, [meters.SA, areaA]);
  await sql(`update org_unit set supply_meter_id = ? where id = ?`, [meters.SB, areaB]);
  await customerOn('A1', '061000000001');
  await customerOn('A2', '061000000002');
  await customerOn('B1', '061000000003');

  // Daily frozen readings. SA and SB: every day. A1: the 5th to the 7th missing. A2: every day,
  // the 11th and 12th estimated (not collected), the 13th collected and edited since. X: from the
  // 21st. R: to the 10th, the 4th missing. B1: read by hand on the 1st and on October 1st.
  await frozen('SA', range(1, 30), 1000, 3, 1100);
  await frozen('SB', range(1, 30), 2000, 3, 2100);
  await frozen('A1', [...range(1, 4), ...range(8, 30)], 500, 1, 548);
  await frozen('A2', [...range(1, 10), 13, ...range(14, 30)], 200, 1, 247);
  await readings('A2', [
    [at(`${day(11)}T00:00:00`), 210, 'ESTIMATED'],
    [at(`${day(12)}T00:00:00`), 211, 'ESTIMATED'],
  ]);
  const edited = await one(`select id from reading where meter_id = ? and measured_at = ?`, [
    meters.A2,
    at(`${day(13)}T00:00:00`),
  ]);
  await sql(`update reading set source = 'EDITED', value = 212.5 where id = ?`, [edited]);
  await sql(
    `insert into reading_version (reading_id, version, value, source, quality, reason) values (?, 1, 212, 'AUTOMATIC', 'GOOD', 'typo')`,
    [edited],
  );
  await frozen('X', range(21, 30), 10, 1, 20);
  await frozen('R', [1, 2, 3, ...range(5, 10)], 700, 1, null);
  await readings('B1', [
    [at(`${day(1)}T00:00:00`), 300, 'MANUAL'],
    [at('2026-10-01T00:00:00'), 380, 'MANUAL'],
  ]);

  // Alarms of the station's meters (and one of a gateway, no meter).
  const al1 = await alarm('A1', areaA, 'METER_COVER_OPEN', 'CLOSED', `${day(3)}T10:00:00`, `${day(8)}T09:00:00`);
  await alarm('A2', areaA, 'REGISTER_DECREASE', 'CLEARED', `${day(10)}T10:00:00`, `${day(11)}T09:00:00`);
  await alarm('B1', areaB, 'POWER_OFF', 'OPEN', `${day(20)}T10:00:00`);
  await alarm('SA', areaA, 'CLOCK_DEVIATION', 'CLOSED', `${day(25)}T10:00:00`, '2026-10-03T09:00:00');
  await alarm('SB', areaB, 'METER_OFFLINE', 'CLOSED', '2026-08-28T10:00:00', `${day(2)}T09:00:00`);
  await alarm('X', areaA, 'STOPPED_METER', 'ACKNOWLEDGED', `${day(29)}T10:00:00`);
  await alarm(null, units.station, 'COMMUNICATION_FAILURE', 'OPEN', `${day(15)}T10:00:00`);

  // Work orders.
  const r1 = 'kpireader1';
  const r2 = 'kpireader2';
  const insp = 'kpiinsp';
  const wo1 = await workOrder('PERIODIC_CHECK_READING', `${day(10)}T12:00:00`, [r1, r2], {
    status: 'APPROVED',
    submitted: `${day(10)}T10:00:00`,
    reviewed: `${day(10)}T15:00:00`,
  });
  const wo2 = await workOrder('ELECTRICITY_INSPECTION', `${day(15)}T18:00:00`, [r1, insp], {
    status: 'CLOSED',
    submitted: `${day(16)}T09:00:00`,
    reviewed: `${day(17)}T09:00:00`,
    closed: `${day(18)}T09:00:00`,
  });
  await workOrder('METER_INSTALLATION', `${day(20)}T18:00:00`, [r2, insp], {
    status: 'SUBMITTED',
    submitted: `${day(20)}T18:00:00`,
  });
  await workOrder('PERIODIC_VERIFICATION', `${day(25)}T18:00:00`, [r2, insp], { status: 'IN_PROGRESS' });
  await workOrder('METER_EXCHANGE', `${day(12)}T18:00:00`, [r1, r2], {
    status: 'CLOSED',
    closed: `${day(5)}T09:00:00`,
    cancel: 'customer moved out',
  });
  await workOrder('ALARM_FOLLOW_UP', `${day(8)}T18:00:00`, [r1, insp], {
    status: 'APPROVED',
    submitted: `${day(7)}T16:00:00`,
    reviewed: `${day(9)}T09:00:00`,
    alarm: al1,
  });
  await workOrder('ALARM_FOLLOW_UP', `${day(28)}T18:00:00`, [r2, insp], {
    status: 'APPROVED',
    submitted: `${day(29)}T09:00:00`,
    reviewed: '2026-10-02T09:00:00',
  });
  await workOrder('HAZARD_RECTIFICATION', '2026-10-05T18:00:00', [r1, r2], {
    status: 'SUBMITTED',
    submitted: `${day(30)}T09:00:00`,
  });
  await workOrder('METER_INSTALLATION', '2026-08-30T18:00:00', [r1, insp], {
    status: 'SUBMITTED',
    submitted: `${day(2)}T09:00:00`,
  });
  const wo10 = await workOrder('PERIODIC_CHECK_READING', '2026-10-03T18:00:00', [r2, insp], { status: 'IN_PROGRESS' });
  await workOrder('ALARM_FOLLOW_UP', `${day(20)}T18:00:00`, [r1, insp], {
    status: 'CLOSED',
    closed: `${day(19)}T09:00:00`,
    cancel: 'raised twice',
  });
  await workOrder('ELECTRICITY_INSPECTION', '2026-10-01T00:00:00', [r1, insp]);
  await workOrder('ELECTRICITY_INSPECTION', `${day(1)}T00:00:00`, [r1, r2], {
    status: 'APPROVED',
    submitted: '2026-08-31T17:00:00',
    reviewed: `${day(1)}T09:00:00`,
  });
  // Another station's order due in September, given to its reader: not ST-KPI's.
  const yj = await one(`select id from org_unit where code = 'ST-YJ'`);
  const other = await one(
    `insert into work_order (kind, status, title, org_unit_id, due_at, created_by_id) values ('ELECTRICITY_INSPECTION', 'ASSIGNED', 'elsewhere', ?, ?, ?) returning id`,
    [yj, at(`${day(10)}T12:00:00`), users.reader1],
  );
  await sql(`insert into work_order_assignee (work_order_id, user_id) values (?, ?)`, [other, users.reader1]);

  // Check-reading stops.
  await stop(wo1, 1, 'A1', { status: 'VISITED', by: r1, visited: `${day(10)}T09:00:00`, difference: '0.5' });
  await stop(wo1, 2, 'A2', { status: 'VISITED', by: r2, visited: `${day(10)}T09:30:00`, difference: '-1' });
  await stop(wo1, 3, 'B1', { status: 'VISITED', by: r1, visited: `${day(10)}T09:45:00`, difference: '2.5' });
  await stop(wo1, 4, 'SA', { status: 'SKIPPED', by: r1, visited: `${day(10)}T09:50:00` });
  await stop(wo1, 5, 'X', { status: 'VISITED', by: r1, visited: `${day(10)}T09:55:00` });
  await stop(wo10, 1, 'SB', { status: 'VISITED', by: r2, visited: `${day(30)}T10:00:00`, difference: '-1.5' });
  await stop(wo10, 2, 'A1', { status: 'VISITED', by: insp, visited: `${day(30)}T11:00:00`, difference: '0' });
  await stop(wo10, 3, 'A2', { status: 'VISITED', by: r2, visited: '2026-10-01T08:00:00', difference: '0' });
  await stop(wo2, 1, 'B1', { status: 'VISITED', by: insp, visited: `${day(15)}T10:00:00`, difference: '5' });

  // Hazard reports.
  await hazard(r1, `${day(5)}T10:00:00`, 'VERIFIED', 5, areaA);
  await hazard(r1, `${day(18)}T10:00:00`, 'VERIFIED', 3);
  await hazard(r1, `${day(20)}T10:00:00`, 'DISMISSED', 0);
  await hazard(insp, `${day(22)}T10:00:00`, 'VERIFIED', 10, areaB);
  await hazard(insp, `${day(25)}T10:00:00`, 'REPORTED', 0);
  await hazard(r2, '2026-08-31T23:00:00', 'VERIFIED', 4);
  await hazard(r2, '2026-10-01T07:00:00', 'VERIFIED', 2);
  await hazard(r2, `${day(1)}T01:00:00`, 'VERIFIED', 6);

  // Training, through the API, by the station's manager.
  for (const [user, completedOn, result, hours] of [
    [r1, day(10), 'PASSED', '8'],
    [r1, day(20), 'FAILED', '4'],
    [insp, day(30), 'ATTENDED', '2.5'],
    [insp, '2026-10-01', 'PASSED', '3'],
    [r2, '2026-08-31', 'PASSED', '2'],
    ['kpimgr', day(1), 'PASSED', '1.5'],
  ] as const)
    await gqlOk(
      `mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { trainingRecord { id } } }`,
      {
        i: { userId: toGlobalId('User', users[user]!), course: '计量安全 Metering safety', completedOn, result, hours },
      },
      tokens.kpimgr!,
    );
}, 180_000);
afterAll(async () => server?.stop());

// ---------------------------------------------------------------------------------------------

describe('a station over a month', () => {
  it('gives the station figures computed by hand', async () => {
    const report = await kpisOk(tokens.kpimgr!);
    expect(report).toMatchObject({
      orgUnit: { code: 'ST-KPI', name: '平安供电所' },
      from: FROM,
      to: TO,
      timeZone: 'Asia/Shanghai',
      checkReadingToleranceKwh: '1',
    });
    expect(report.unit).toEqual({
      // Meter-days (meter installed and under collection at a day's midnight): SA, SB, A1, A2 30
      // days each (120), X the 21st-30th (10), R the 1st-10th (10) = 140; STOCK never installed.
      // Collected: SA 30 + SB 30 + A1 27 (5th-7th missing) + A2 28 (11th, 12th estimated; the
      // edited 13th was collected) + X 10 + R 9 (4th missing) = 134. 134 / 140 = 95.714 %.
      collectionSuccess: rate(134, 140, '95.71'),
      // Installed at October 1st 00:00: SA, A1, A2, X, SB, B1 = 6 (R removed, STOCK in stock);
      // under collection: all but B1 = 5. 5 / 6 = 83.333 %.
      coverage: rate(5, 6, '83.33'),
      // A: (100 - 48 - 47) / 100 = 5.00 % within 0-7; B: (100 - 80) / 100 = 20.00 %, outside;
      // C has no supply meter, not computable. 1 / 2.
      lineLossQualification: rate(1, 2, '50'),
      // Due in [Sep 1, Oct 1), not cancelled: WO1 (on time), WO2 (late), WO3 (at its due time),
      // WO4 (never), WO6 (on time), WO7 (late), WO13 (due at 00:00 on the 1st, on time) = 7;
      // WO5 and WO11 cancelled, WO8, WO9, WO10, WO12 (due at Oct 1 00:00) outside. 4 / 7 = 57.142 %.
      workOrderTimeliness: rate(4, 7, '57.14'),
      // Raised in September on meters: A1 (closed 8th), A2 (cleared 11th), B1 (open), SA (closed
      // Oct 3rd), X (acknowledged) = 5; SB's was raised in August, the gateway's has no meter. 2 / 5.
      abnormalityClosure: rate(2, 5, '40'),
      // Visited in September with a difference, of check readings: 0.5, -1, 2.5 (WO1), -1.5, 0
      // (WO10) = 5; within 1 kWh: 0.5, -1, 0 = 3. The skipped stop, the one without a value, the
      // one visited Oct 1st and the inspection's are not counted. 3 / 5.
      checkReadingAccuracy: rate(3, 5, '60'),
      // Reported in September (local days): 5th, 18th, 20th, 22nd, 25th, and 01:00 on the 1st
      // (still August 31st in UTC) = 6; verified: 5 + 3 + 10 + 6 = 24 points. Aug 31st 23:00 and
      // Oct 1st 07:00 (September 30th in UTC) are outside.
      hazards: { reported: 6, verified: 4, points: 24 },
      // Completed on a September day: 10th PASSED 8 h, 30th ATTENDED 2.5 h, 1st PASSED 1.5 h = 3,
      // 12 h; FAILED on the 20th = 1; Oct 1st and Aug 31st outside.
      training: { completed: 3, failed: 1, hours: '12' },
      // Installed at the end and due before Oct 1st: B1 (Sep 15th), X (Sep 30th) = 2; A1 is due
      // on Oct 1st, R is removed, STOCK is not installed.
      metersOverdueVerification: 2,
    });
    expect(report.lineLossAreas).toEqual([
      { area: { code: 'TA-KPI-A' }, status: 'OK', lossRate: '5', band: { min: '0', max: '7' }, qualified: true },
      { area: { code: 'TA-KPI-B' }, status: 'OK', lossRate: '20', band: { min: '0', max: '7' }, qualified: false },
      {
        area: { code: 'TA-KPI-C' },
        status: 'NO_SUPPLY_METER',
        lossRate: null,
        band: { min: '0', max: '7' },
        qualified: false,
      },
    ]);
    expect(report.people).toBeNull();
  });

  it('gives each member of the field staff their own figures, computed by hand', async () => {
    const report = await kpisOk(tokens.kpimgr!, { people: true });
    expect(report.people!.map((p) => [p.username, p.displayName, p.role])).toEqual([
      ['kpiinsp', '赵六', 'INSPECTOR'],
      ['kpimgr', '王站长', 'STATION_MANAGER'],
      ['kpireader1', '张三', 'METER_READER'],
      ['kpireader2', '李四', 'METER_READER'],
    ]);
    const of = (username: string) => report.people!.find((p) => p.username === username)!.figures;
    expect(of('kpireader1')).toEqual({
      collectionSuccess: null,
      coverage: null,
      lineLossQualification: null,
      // Assigned, due in September, not cancelled: WO1 (on time), WO2 (late), WO6 (on time), WO13
      // (on time) = 4; WO5 and WO11 cancelled; WO8, WO9, WO12 outside. 3 / 4.
      workOrderTimeliness: rate(3, 4, '75'),
      // ALARM_FOLLOW_UP: WO6, approved on the 9th; WO11 cancelled. 1 / 1.
      abnormalityClosure: rate(1, 1, '100'),
      // Stops visited: 0.5 (within), 2.5 (not); the stop on X has no value, the skipped one none. 1 / 2.
      checkReadingAccuracy: rate(1, 2, '50'),
      // 5th and 18th verified (5 + 3), 20th dismissed.
      hazards: { reported: 3, verified: 2, points: 8 },
      training: { completed: 1, failed: 1, hours: '8' },
      metersOverdueVerification: null,
    });
    expect(of('kpiinsp')).toEqual({
      collectionSuccess: null,
      coverage: null,
      lineLossQualification: null,
      // WO2 (late), WO3 (at its due time), WO4 (never), WO6 (on time), WO7 (late) = 5; WO9, WO10,
      // WO12 outside, WO11 cancelled. 2 / 5.
      workOrderTimeliness: rate(2, 5, '40'),
      // WO6 approved on the 9th; WO7 approved Oct 2nd, after the period. 1 / 2.
      abnormalityClosure: rate(1, 2, '50'),
      // The 0 on the 30th; the inspection's stop is no check reading. 1 / 1.
      checkReadingAccuracy: rate(1, 1, '100'),
      // 22nd verified (10 points), 25th still reported.
      hazards: { reported: 2, verified: 1, points: 10 },
      // 30th ATTENDED 2.5 h; Oct 1st outside.
      training: { completed: 1, failed: 0, hours: '2.5' },
      metersOverdueVerification: null,
    });
    // reader2: WO1, WO3, WO13 on time, WO4, WO7 not (3 / 5); WO7 not approved in time (0 / 1);
    // stops -1 (within), -1.5 (not); the 1st 01:00 hazard (6 points); no September course.
    expect(of('kpireader2')).toMatchObject({
      workOrderTimeliness: rate(3, 5, '60'),
      abnormalityClosure: rate(0, 1, '0'),
      checkReadingAccuracy: rate(1, 2, '50'),
      hazards: { reported: 1, verified: 1, points: 6 },
      training: { completed: 0, failed: 0, hours: '0' },
    });
    // The manager did none of the work: nothing to count, so no rate.
    expect(of('kpimgr')).toMatchObject({
      workOrderTimeliness: rate(0, 0, null),
      abnormalityClosure: rate(0, 0, null),
      checkReadingAccuracy: rate(0, 0, null),
      training: { completed: 1, failed: 0, hours: '1.5' },
    });
  });

  it('counts a transformer area on its own: its meters, its orders, its loss', async () => {
    const report = await kpisOk(tokens.kpimgr!, { orgUnitId: toGlobalId('OrgUnit', units['TA-KPI-B']!) });
    // SB every day (30 of 30); installed SB and B1, collected SB; B's loss is out of band; B1's
    // alarm is open; no order belongs to the area; its hazard: 10 points; B1 overdue.
    expect(report.unit).toMatchObject({
      collectionSuccess: rate(30, 30, '100'),
      coverage: rate(1, 2, '50'),
      lineLossQualification: rate(0, 1, '0'),
      workOrderTimeliness: rate(0, 0, null),
      abnormalityClosure: rate(0, 1, '0'),
      hazards: { reported: 1, verified: 1, points: 10 },
      metersOverdueVerification: 1,
    });
  });

  it('answers in the same figures for an auditor', async () => {
    const [manager, auditor] = await Promise.all([
      kpisOk(tokens.kpimgr!, { people: true }),
      kpisOk(tokens.auditor!, { people: true }),
    ]);
    expect(auditor.unit).toEqual(manager.unit);
    expect(auditor.people!.map((p) => p.figures)).toEqual(manager.people!.map((p) => p.figures));
  });
});

describe('who may read which figures', () => {
  it('shows field staff their own row only, and not the unit figures', async () => {
    const manager = await kpisOk(tokens.kpimgr!, { people: true });
    const own = await kpisOk(tokens.kpireader1!, { people: true });
    expect(own.unit).toBeNull();
    expect(own.lineLossAreas).toBeNull();
    expect(own.people!.map((p) => p.username)).toEqual(['kpireader1']);
    expect(own.people![0]!.figures).toEqual(manager.people!.find((p) => p.username === 'kpireader1')!.figures);
    // Field staff read no users: the row names the person, its `user` is not theirs to follow.
    expect(own.people![0]!.user).toBeNull();
    expect((await kpisOk(tokens.kpiinsp!)).people).toBeNull();
  });

  it("answers another station's manager as for a unit that does not exist, and refuses customers", async () => {
    const other = onlyError(await kpis(tokens.manager2!, { orgUnitId: station(), from: FROM, to: TO }));
    const ghost = onlyError(
      await kpis(tokens.manager2!, { orgUnitId: toGlobalId('OrgUnit', 2_000_000_000), from: FROM, to: TO }),
    );
    expect(other.extensions?.code).toBe('BAD_USER_INPUT');
    expect(other.extensions?.fields).toEqual([{ path: ['input', 'orgUnitId'], message: expect.any(String) }]);
    expect(other.message).toBe(ghost.message.replace(toGlobalId('OrgUnit', 2_000_000_000), station()));
    const customer = onlyError(await kpis(tokens.customer1!, { orgUnitId: station(), from: FROM, to: TO }));
    expect(customer.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses periods that end before they start or last over a year, at input.to', async () => {
    for (const [from, to] of [
      [FROM, FROM],
      [TO, FROM],
      ['2025-09-01', '2026-09-03'],
    ]) {
      const error = onlyError(await kpis(tokens.kpimgr!, { orgUnitId: station(), from, to }));
      expect(error.extensions?.fields, `${from} ${to}`).toEqual([
        { path: ['input', 'to'], message: expect.any(String) },
      ]);
    }
    // A leap year's 366 days are fine.
    expect(
      (await kpis(tokens.kpimgr!, { orgUnitId: station(), from: '2027-10-01', to: '2028-10-01' })).errors,
    ).toBeUndefined();
  });

  it("inserts this release's rules for installations that have their rules already", async () => {
    const em = server.em();
    const connection = em.getConnection();
    await connection.execute(
      `delete from role_permission where subject = 'Assessment' or (subject = 'TrainingRecord' and scope = 'OWN_ACCOUNT')`,
    );
    const migration = new Migration20261126223000_assessment(em.getDriver(), server.app.db.orm.config);
    await migration.up();
    for (const query of migration.getQueries()) await connection.execute(String(query));
    const rows = await connection.execute<{ role: string; action: string; subject: string; scope: string }[]>(
      `select role, action, subject, scope from role_permission
        where subject = 'Assessment' or (subject = 'TrainingRecord' and scope = 'OWN_ACCOUNT') order by role, subject`,
    );
    const expected = Object.entries(DEFAULT_PERMISSIONS)
      .flatMap(([role, rules]) =>
        rules
          .filter((r) => r.subject === 'Assessment' || (r.subject === 'TrainingRecord' && r.scope === 'OWN_ACCOUNT'))
          .map((r) => ({ role, action: r.action, subject: r.subject, scope: r.scope })),
      )
      .sort((a, b) => a.role.localeCompare(b.role) || a.subject.localeCompare(b.subject));
    expect(rows.map((r) => ({ ...r }))).toEqual(expected);
  });
});

describe('the printable report', () => {
  const download = (path: string, token?: string) =>
    fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const params = () => new URLSearchParams({ orgUnitId: station(), from: FROM, to: TO }).toString();

  it('downloads as CSV: the unit and each person with their working', async () => {
    const res = await download(`/reports/kpis.csv?${params()}`, tokens.kpimgr);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kpis-ST-KPI-${FROM}-${TO}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ''), {
      relax_column_count: true,
    }) as string[][];
    const header = rows[0]!;
    const cell = (row: string[], title: string) => row[header.indexOf(title)];
    const unit = rows.find((r) => r[0] === 'Unit')!;
    expect(unit.slice(1, 3)).toEqual(['ST-KPI', '平安供电所']);
    expect([
      cell(unit, 'Collection success counted'),
      cell(unit, 'Collection success of'),
      cell(unit, 'Collection success %'),
    ]).toEqual(['134', '140', '95.71']);
    expect(cell(unit, 'Work order timeliness %')).toBe('57.14');
    expect(cell(unit, 'Hazard points')).toBe('24');
    const people = rows.filter((r) => r[0] === 'Person');
    expect(people.map((r) => r[1])).toEqual(['kpiinsp', 'kpimgr', 'kpireader1', 'kpireader2']);
    const reader = people.find((r) => r[1] === 'kpireader1')!;
    expect([cell(reader, 'Work order timeliness counted'), cell(reader, 'Work order timeliness of')]).toEqual([
      '3',
      '4',
    ]);
    expect(cell(reader, 'Collection success %')).toBe('');
    expect(rows.find((r) => r[0] === 'TA-KPI-B')).toEqual(['TA-KPI-B', '平安二号台区', 'OK', '20.00', '0', '7', 'no']);
  });

  it('prints as a PDF with the Chinese names of the unit and the staff', async () => {
    const res = await download(`/reports/kpis.pdf?${params()}`, tokens.kpimgr);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kpis-ST-KPI-${FROM}-${TO}.pdf"`);
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    if (server.config.reports.font) {
      const text = pdfText(pdf).join('\n');
      expect(text).toContain('平安供电所');
      expect(text).toContain('张三 (kpireader1)');
      expect(text).toContain('95.71 %');
    }
    const records = await sql<{ actor: string; outcome: string; details: string }>(
      `select actor, outcome, details::text as details from audit_record where action = 'exportKpiReport' order by id`,
    );
    expect(records.map((r) => [r.actor, r.outcome])).toEqual([
      ['kpimgr', 'OK'],
      ['kpimgr', 'OK'],
    ]);
    expect(records[1]!.details).toContain('"format":"pdf"');
    expect(records[1]!.details).toContain('"people":4');
  });

  it('answers refusals as JSON with the API codes', async () => {
    const anonymous = await download(`/reports/kpis.pdf?${params()}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const customer = await download(`/reports/kpis.csv?${params()}`, tokens.customer1);
    expect(customer.status).toBe(403);
    expect(await customer.json()).toMatchObject({ code: 'FORBIDDEN' });
    // Another station's unit is a bad reference, as in the query (and as in the settlement export).
    const other = await download(`/reports/kpis.pdf?${params()}`, tokens.manager2);
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: ['orgUnitId'] }] });
    const badPeople = await download(`/reports/kpis.csv?${params()}&people=maybe`, tokens.kpimgr);
    expect(badPeople.status).toBe(400);
    expect(await badPeople.json()).toMatchObject({ fields: [{ path: ['people'] }] });
    const noDates = await download(`/reports/kpis.csv?orgUnitId=${station()}`, tokens.kpimgr);
    expect(noDates.status).toBe(400);
    // Field staff print their own row.
    const own = await download(`/reports/kpis.csv?${params()}`, tokens.kpireader1);
    expect(own.status).toBe(200);
    const text = await own.text();
    expect(text).not.toContain('Unit,');
    expect(text).toContain('kpireader1');
    expect(text).not.toContain('kpireader2');
  });
});
