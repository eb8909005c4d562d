import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haversineMeters } from '../src/schema/field/route-order.js';
import { toGlobalId } from '../src/shared/global-id.js';
import {
  RecordPositionDocument,
  ReportHazardDocument,
  ScanBarcodeDocument,
  TodayStopsDocument,
} from './generated/graphql.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { idOf, insertStop, insertWorkOrder, JPEG, PDF, sqlOf, uploadPhoto } from './support/field-fixtures.js';

/**
 * The field API as the mini program uses it, over HTTP with real tokens, on the demo: ST-YJ's
 * reader1 and inspector1 work a reading round (a work order with stops at meter boxes) and an
 * order due in three days; ST-TY's manager2 has an order of his own station.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const ids = {} as {
  reader1: number;
  inspector1: number;
  manager1: number;
  manager2: number;
  yjStation: number;
  tyStation: number;
  round: number;
  later: number;
  unassigned: number;
  tyOrder: number;
  closed: number;
  firstStop: number;
  roundBoxes: number[];
  bareBox: number;
};
/** A small limit, so that "too large" is cheap to send. */
const PHOTO_MAX_BYTES = 64 * 1024;
const ZONE = 'Asia/Shanghai';
const STATION_YARD = { latitude: '23.905000', longitude: '106.600000' };

const gql = async <T>(token: string | undefined, query: string, variables: Record<string, unknown> = {}) =>
  server.gql<T>(query, variables, token);
const ok = async <T>(token: string, query: string, variables: Record<string, unknown> = {}) => {
  const res = await gql<T>(token, query, variables);
  if (res.errors) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
  return res.data!;
};
const filesIn = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
    : [];
const photoRows = async () =>
  Number((await sqlOf(server).one<{ n: string }>(`select count(*) as n from field_photo`)).n);

beforeAll(async () => {
  server = await startTestServer({ env: { PHOTO_MAX_BYTES: String(PHOTO_MAX_BYTES) } });
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'inspector1', 'auditor', 'customer1'])
    tokens[user] = await server.login(user);
  for (const user of ['reader1', 'inspector1', 'manager1', 'manager2'] as const)
    ids[user] = await idOf(server, 'app_user', 'username', user);
  ids.yjStation = await idOf(server, 'org_unit', 'code', 'ST-YJ');
  ids.tyStation = await idOf(server, 'org_unit', 'code', 'ST-TY');

  // The round visits twelve boxes of the station's three areas, listed out of place (as an
  // address list would), and a new box nobody has located yet.
  const boxes: number[] = [];
  for (const [area, b] of [
    [3, 9],
    [1, 2],
    [2, 7],
    [1, 9],
    [3, 1],
    [2, 2],
    [1, 5],
    [3, 5],
    [2, 9],
    [1, 1],
    [3, 8],
    [2, 4],
  ] as const)
    boxes.push(await idOf(server, 'meter_box', 'barcode', `MBTAYJ0${area}${String(b).padStart(3, '0')}`));
  ids.roundBoxes = boxes;
  const bare = await ok<{ createMeterBox: { meterBox: { id: string } } }>(
    tokens.manager1!,
    `mutation($i: CreateMeterBoxInput!) { createMeterBox(input: $i) { meterBox { id } } }`,
    {
      i: {
        barcode: 'MBYJNEW0001',
        address: 'Youjiang new estate, gate 3',
        orgUnitId: toGlobalId('OrgUnit', await idOf(server, 'org_unit', 'code', 'TA-YJ-01')),
      },
    },
  );
  ids.bareBox = Number(Buffer.from(bare.createMeterBox.meterBox.id, 'base64url').toString().split(':')[1]);

  const pair = [ids.reader1, ids.inspector1];
  const now = Date.now();
  ids.round = await insertWorkOrder(server, {
    unit: ids.yjStation,
    createdBy: ids.manager1,
    status: 'IN_PROGRESS',
    dueAt: new Date(now - 10 * 60_000),
    title: 'Youjiang periodic check reading round',
    assignees: pair,
  });
  let seq = 1;
  for (const box of boxes) await insertStop(server, ids.round, seq++, { meterBox: box });
  ids.firstStop = Number(
    (
      await sqlOf(server).one<{ id: number }>(`select id from work_order_stop where work_order_id = ? and seq = 1`, [
        ids.round,
      ])
    ).id,
  );
  await insertStop(server, ids.round, seq++, { meterBox: ids.bareBox });
  // Done already today: one visited with a value read, one skipped.
  const visitedBox = await idOf(server, 'meter_box', 'barcode', 'MBTAYJ01010');
  await insertStop(server, ids.round, seq++, {
    meterBox: visitedBox,
    status: 'VISITED',
    visitedBy: ids.reader1,
    visitedAt: new Date(),
    fieldValue: '1234.5000',
  });
  await insertStop(server, ids.round, seq++, {
    meterBox: await idOf(server, 'meter_box', 'barcode', 'MBTAYJ02010'),
    status: 'SKIPPED',
    visitedBy: ids.reader1,
    visitedAt: new Date(),
  });
  // Due at the last second of today (local): on today's route. Due in three days: not yet.
  const endOfToday = DateTime.now().setZone(ZONE).endOf('day').minus({ seconds: 1 }).toJSDate();
  const edge = await insertWorkOrder(server, {
    unit: ids.yjStation,
    createdBy: ids.manager1,
    status: 'ASSIGNED',
    dueAt: endOfToday,
    title: 'Meter exchange due tonight',
    kind: 'METER_EXCHANGE',
    assignees: pair,
  });
  await insertStop(server, edge, 1, { meter: await idOf(server, 'meter', 'barcode', '31200000000005') });
  ids.later = await insertWorkOrder(server, {
    unit: ids.yjStation,
    createdBy: ids.manager1,
    status: 'ASSIGNED',
    dueAt: new Date(now + 3 * 86_400_000),
    title: 'Inspection later this week',
    kind: 'ELECTRICITY_INSPECTION',
    assignees: pair,
  });
  await insertStop(server, ids.later, 1, { meterBox: boxes[0] });
  ids.unassigned = await insertWorkOrder(server, {
    unit: ids.yjStation,
    createdBy: ids.manager1,
    status: 'CREATED',
    dueAt: new Date(now + 86_400_000),
    title: 'Not yet given to anyone',
  });
  ids.closed = await insertWorkOrder(server, {
    unit: ids.yjStation,
    createdBy: ids.manager1,
    status: 'CLOSED',
    dueAt: new Date(now - 86_400_000),
    title: 'Closed inspection of box 1',
    meterBox: boxes[0],
  });
  ids.tyOrder = await insertWorkOrder(server, {
    unit: ids.tyStation,
    createdBy: ids.manager2,
    status: 'IN_PROGRESS',
    dueAt: new Date(now),
    title: 'Tianyang round',
    assignees: [ids.manager2],
  });
}, 180_000);
afterAll(async () => server?.stop());

// ---------------------------------------------------------------------------------------------

const SCAN = `query($code: String!) { scanBarcode(code: $code) {
  kind meter { id barcode } meterBox { id barcode }
  meters { meter { id barcode } customer { accountNo } latestReadings { register value measuredAt } }
  customers { id accountNo }
  openAlarms { id status meter { id } }
  openTasks { id title status } } }`;

interface Scan {
  kind: string;
  meter: { id: string; barcode: string } | null;
  meterBox: { id: string; barcode: string } | null;
  meters: {
    meter: { barcode: string };
    customer: { accountNo: string } | null;
    latestReadings: { register: string }[];
  }[];
  customers: { accountNo: string }[];
  openAlarms: { id: string; status: string; meter: { id: string } }[];
  openTasks: { id: string; title: string; status: string }[];
}

describe('scanBarcode', () => {
  let meterId: number;
  beforeAll(async () => {
    // The first box of the round holds meters 1-6 of TA-YJ-03... whichever: take its first meter.
    const meter = await sqlOf(server).one<{ id: number }>(
      `select id from meter where meter_box_id = ? order by id limit 1`,
      [ids.roundBoxes[0]],
    );
    meterId = Number(meter.id);
    await sqlOf(server).rows(
      `insert into alarm (type, severity, status, meter_id, org_unit_id, message, first_at, last_at, count)
       select t.type, 'MAJOR', t.status, m.id, m.org_unit_id, 'cover opened', now(), now(), 1
         from meter m cross join (values ('METER_COVER_OPEN', 'OPEN'), ('POWER_OFF', 'CLOSED')) as t(type, status)
        where m.id = ?`,
      [meterId],
    );
  });

  const barcodeOf = async (id: number) =>
    await sqlOf(server).one<{ barcode: string; asset_no: string }>(`select barcode, asset_no from meter where id = ?`, [
      id,
    ]);

  it('leads from a meter barcode to the customer, readings, open alarms and open tasks', async () => {
    const { barcode } = await barcodeOf(meterId);
    const { scanBarcode: scan } = await ok<{ scanBarcode: Scan }>(tokens.reader1!, SCAN, { code: barcode });
    expect(scan.kind).toBe('METER');
    expect(scan.meter!.barcode).toBe(barcode);
    expect(scan.meterBox!.id).toBe(toGlobalId('MeterBox', ids.roundBoxes[0]!));
    expect(scan.meters).toHaveLength(1);
    expect(scan.customers).toHaveLength(1);
    expect(scan.meters[0]!.customer!.accountNo).toBe(scan.customers[0]!.accountNo);
    // Every register the demo reads: the total and the four TOU bands.
    expect(scan.meters[0]!.latestReadings.map((r) => r.register).sort()).toEqual([
      'FORWARD_ACTIVE_T1',
      'FORWARD_ACTIVE_T2',
      'FORWARD_ACTIVE_T3',
      'FORWARD_ACTIVE_T4',
      'FORWARD_ACTIVE_TOTAL',
    ]);
    expect(scan.openAlarms.map((a) => a.status)).toEqual(['OPEN']);
    // The round and the later inspection visit its box; the closed order does not count.
    expect(scan.openTasks.map((t) => t.id).sort()).toEqual(
      [toGlobalId('WorkOrder', ids.round), toGlobalId('WorkOrder', ids.later)].sort(),
    );
  });

  it('finds a meter by its asset number too, and a box by its barcode with all its meters', async () => {
    const { asset_no } = await barcodeOf(meterId);
    expect(
      (await ok<{ scanBarcode: Scan }>(tokens.reader1!, SCAN, { code: asset_no })).scanBarcode.meter,
    ).not.toBeNull();
    const { scanBarcode: box } = await ok<{ scanBarcode: Scan }>(tokens.reader1!, SCAN, { code: 'MBTAYJ03009' });
    expect(box.kind).toBe('METER_BOX');
    expect(box.meter).toBeNull();
    expect(box.meters).toHaveLength(6);
    expect(box.customers).toHaveLength(6);
    expect(box.openAlarms).toHaveLength(1);
    expect(box.openTasks.map((t) => t.title).sort()).toEqual([
      'Inspection later this week',
      'Youjiang periodic check reading round',
    ]);
  });

  it("answers another station's code exactly like a code that names nothing", async () => {
    const { barcode } = await barcodeOf(meterId);
    const foreign = onlyError(await gql(tokens.manager2, SCAN, { code: barcode }));
    const unknown = onlyError(await gql(tokens.manager2, SCAN, { code: '3129999999999' }));
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
    expect(foreign).toEqual(unknown);
    expect(JSON.stringify(foreign)).not.toContain(barcode);
    // The customer sees their own meter only.
    expect(onlyError(await gql(tokens.customer1, SCAN, { code: 'MBTAYJ03009' })).extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses an empty code and an anonymous caller', async () => {
    const empty = onlyError(await gql(tokens.reader1, SCAN, { code: '  ' }));
    expect(empty.extensions?.code).toBe('BAD_USER_INPUT');
    expect(empty.extensions?.fields?.map((f) => f.path)).toEqual([['code']]);
    expect(onlyError(await gql(undefined, SCAN, { code: 'MBTAYJ03009' })).extensions?.code).toBe('UNAUTHENTICATED');
  });
});

// ---------------------------------------------------------------------------------------------

const TODAY = `query($from: GeoPointInput!) { todayStops(from: $from) {
  date timeZone totalDistanceMeters truncated
  stops { stop { id seq status } workOrder { id title } meterBox { id barcode } meter { id } dueAt overdue
          latitude longitude distanceFromPreviousMeters cumulativeDistanceMeters } } }`;

interface RouteStop {
  stop: { id: string; seq: number; status: string };
  workOrder: { id: string; title: string };
  meterBox: { id: string; barcode: string } | null;
  latitude: string | null;
  longitude: string | null;
  distanceFromPreviousMeters: number | null;
  cumulativeDistanceMeters: number;
  overdue: boolean;
}
interface Today {
  date: string;
  timeZone: string;
  totalDistanceMeters: number;
  truncated: boolean;
  stops: RouteStop[];
}

describe('todayStops', () => {
  const routeOf = async (token: string, from = STATION_YARD) =>
    (await ok<{ todayStops: Today }>(token, TODAY, { from })).todayStops;

  it("lists the caller's pending stops due today or overdue, nothing done and nothing due later", async () => {
    const route = await routeOf(tokens.reader1!);
    expect(route.timeZone).toBe(ZONE);
    expect(route.date).toBe(DateTime.now().setZone(ZONE).toISODate());
    // Twelve boxes and the box without a position of the round, and the exchange due tonight.
    expect(route.stops).toHaveLength(14);
    expect(route.stops.every((s) => s.stop.status === 'PENDING')).toBe(true);
    expect(new Set(route.stops.map((s) => s.workOrder.title))).toEqual(
      new Set(['Youjiang periodic check reading round', 'Meter exchange due tonight']),
    );
    expect(route.truncated).toBe(false);
    // The other assignee has the same day; a manager who is not assigned has none.
    expect((await routeOf(tokens.inspector1!)).stops.map((s) => s.stop.id)).toEqual(route.stops.map((s) => s.stop.id));
    expect((await routeOf(tokens.manager1!)).stops).toEqual([]);
  });

  it('orders them deterministically, shorter than the order the work order lists them in', async () => {
    const route = await routeOf(tokens.reader1!);
    expect(await routeOf(tokens.reader1!)).toEqual(route);
    const placed = route.stops.filter((s) => s.latitude !== null);
    const at = (s: RouteStop) => ({ latitude: Number(s.latitude), longitude: Number(s.longitude) });
    const yard = { latitude: Number(STATION_YARD.latitude), longitude: Number(STATION_YARD.longitude) };
    const walk = (stops: RouteStop[]) =>
      stops.reduce((acc, s, i) => acc + haversineMeters(i === 0 ? yard : at(stops[i - 1]!), at(s)), 0);
    const listed = [...placed].sort(
      (a, b) => a.workOrder.title.localeCompare(b.workOrder.title) || a.stop.seq - b.stop.seq,
    );
    expect(walk(placed)).toBeLessThan(walk(listed) * 0.75);
    expect(Math.abs(route.totalDistanceMeters - walk(placed))).toBeLessThanOrEqual(1);
    // Each stop: the walk from the previous one, and the walk so far.
    let sum = 0;
    placed.forEach((s, i) => {
      const leg = haversineMeters(i === 0 ? yard : at(placed[i - 1]!), at(s));
      expect(Math.abs(s.distanceFromPreviousMeters! - leg)).toBeLessThanOrEqual(0.5);
      sum += leg;
      expect(Math.abs(s.cumulativeDistanceMeters - sum)).toBeLessThanOrEqual(1);
    });
    // The box nobody located comes last, with no distance.
    const last = route.stops.at(-1)!;
    expect(last.meterBox!.barcode).toBe('MBYJNEW0001');
    expect(last.distanceFromPreviousMeters).toBeNull();
    expect(last.cumulativeDistanceMeters).toBe(route.totalDistanceMeters);
    // The exchange is placed by its meter's box, and overdue stops say so.
    const exchange = route.stops.find((s) => s.workOrder.title === 'Meter exchange due tonight')!;
    expect(exchange.latitude).not.toBeNull();
    expect(exchange.overdue).toBe(false);
    expect(route.stops.find((s) => s.workOrder.title.startsWith('Youjiang'))!.overdue).toBe(true);
  });

  it('starts from where the caller stands: another start, another first stop', async () => {
    const fromYard = await routeOf(tokens.reader1!);
    const fromNorthEast = await routeOf(tokens.reader1!, { latitude: '23.940000', longitude: '106.640000' });
    expect(fromNorthEast.stops[0]!.stop.id).not.toBe(fromYard.stops[0]!.stop.id);
  });

  it('refuses a start off the globe, naming the field', async () => {
    const error = onlyError(await gql(tokens.reader1, TODAY, { from: { latitude: '91', longitude: '106.6' } }));
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['from', 'latitude']]);
  });
});

// ---------------------------------------------------------------------------------------------

const RECORD = `mutation($i: RecordPositionInput!) { recordPosition(input: $i) {
  position { latitude longitude accuracyMeters recordedAt receivedAt } } }`;
const STAFF = `query($subtree: ID, $first: Int) { staffPositions(orgUnitSubtree: $subtree, first: $first) {
  totalCount nodes { user { username } position { latitude longitude recordedAt } } } }`;

interface Staff {
  totalCount: number;
  nodes: { user: { username: string }; position: { latitude: string; longitude: string; recordedAt: string } | null }[];
}

describe('positions', () => {
  it("records the caller's position and gives managers each worker's latest", async () => {
    const earlier = new Date(Date.now() - 30 * 60_000).toISOString();
    const recorded = await ok<{ recordPosition: { position: { latitude: string; accuracyMeters: string } } }>(
      tokens.reader1!,
      RECORD,
      { i: { latitude: '23.91234567', longitude: '106.6012', accuracyMeters: '8.5' } },
    );
    // Phones send more digits than they measure: kept to six decimals.
    expect(recorded.recordPosition.position).toMatchObject({ latitude: '23.912346', accuracyMeters: '8.5' });
    // A position sent late, measured before the first: not the latest.
    await ok(tokens.reader1!, RECORD, { i: { latitude: '23.9', longitude: '106.6', recordedAt: earlier } });
    await ok(tokens.manager2!, RECORD, { i: { latitude: '23.95', longitude: '106.65' } });

    const { staffPositions: mine } = await ok<{ staffPositions: Staff }>(tokens.manager1!, STAFF);
    expect(mine.nodes.map((n) => n.user.username)).toEqual([
      'inspector1',
      'inspector2',
      'manager1',
      'reader1',
      'reader2',
    ]);
    expect(mine.totalCount).toBe(5);
    expect(mine.nodes.find((n) => n.user.username === 'reader1')!.position!.latitude).toBe('23.912346');
    expect(mine.nodes.find((n) => n.user.username === 'inspector1')!.position).toBeNull();
    // Another station's manager sees his own staff only, whatever subtree he names.
    const { staffPositions: theirs } = await ok<{ staffPositions: Staff }>(tokens.manager2!, STAFF);
    expect(theirs.nodes.map((n) => n.user.username)).toEqual(['manager2']);
    const named = await ok<{ staffPositions: Staff }>(tokens.manager2!, STAFF, {
      subtree: toGlobalId('OrgUnit', ids.yjStation),
    });
    expect(named.staffPositions.nodes).toEqual([]);
    // Auditors see everyone's; field staff do not see their colleagues'.
    const all = await ok<{ staffPositions: Staff }>(tokens.auditor!, STAFF, { first: 50 });
    expect(all.staffPositions.nodes.map((n) => n.user.username)).toEqual(
      expect.arrayContaining(['reader1', 'manager2']),
    );
    expect(onlyError(await gql(tokens.reader1, STAFF)).extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses positions off the globe or from the future, naming each field, and records nothing', async () => {
    const before = (await sqlOf(server).one<{ n: string }>(`select count(*) as n from worker_position`)).n;
    const error = onlyError(
      await gql(tokens.reader1, RECORD, {
        i: { latitude: '90.5', longitude: '-180.01', recordedAt: new Date(Date.now() + 3_600_000).toISOString() },
      }),
    );
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.fields?.map((f) => f.path)).toEqual([
      ['input', 'latitude'],
      ['input', 'longitude'],
      ['input', 'recordedAt'],
    ]);
    expect(
      onlyError(await gql(tokens.customer1, RECORD, { i: { latitude: '1', longitude: '1' } })).extensions?.code,
    ).toBe('FORBIDDEN');
    expect((await sqlOf(server).one<{ n: string }>(`select count(*) as n from worker_position`)).n).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('photos', () => {
  const dir = () => server.config.photos.dir;

  it('keeps a JPEG of a stop on disk, with its position, and gives it back to those who may see it', async () => {
    const takenAt = new Date(Date.now() - 60_000).toISOString();
    const res = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: JPEG, name: 'box.jpg' },
      {
        stopId: toGlobalId('WorkOrderStop', ids.firstStop),
        latitude: '23.9202',
        longitude: '106.6081',
        takenAt,
      },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      contentType: 'image/jpeg',
      byteSize: JPEG.length,
      url: `/field/photos/${res.body.id}`,
    });
    const files = filesIn(dir());
    expect(files).toHaveLength(1);
    expect(readFileSync(files[0]!)).toEqual(JPEG);

    const download = await fetch(`${server.url}${res.body.url}`, {
      headers: { authorization: `Bearer ${tokens.manager1}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(JPEG);
    const audited = await fetch(`${server.url}${res.body.url}`, {
      headers: { authorization: `Bearer ${tokens.auditor}` },
    });
    expect(audited.status).toBe(200);

    // The station's manager (who may read its users) sees who took it.
    const { node } = await ok<{ node: Record<string, unknown> }>(
      tokens.manager1!,
      `query($id: ID!) { node(id: $id) { ... on FieldPhoto { id url sha256 latitude longitude takenAt
        uploadedBy { username } workOrder { id } stop { id } hazardReport { id } } } }`,
      { id: res.body.id },
    );
    expect(node).toMatchObject({
      url: res.body.url,
      sha256: res.body.sha256,
      latitude: '23.9202',
      longitude: '106.6081',
      takenAt: new Date(takenAt).toISOString(),
      uploadedBy: { username: 'reader1' },
      workOrder: { id: toGlobalId('WorkOrder', ids.round) },
      stop: { id: toGlobalId('WorkOrderStop', ids.firstStop) },
      hazardReport: null,
    });
  });

  it('answers another station and an unknown photo alike: 404', async () => {
    const [photo] = await sqlOf(server).rows<{ id: number }>(`select id from field_photo order by id limit 1`);
    const get = (id: string, token = tokens.manager2) =>
      fetch(`${server.url}/field/photos/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const foreign = await get(toGlobalId('FieldPhoto', photo!.id));
    const unknown = await get(toGlobalId('FieldPhoto', 2_000_000_000));
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    const [a, b] = [await foreign.json(), await unknown.json()];
    expect(a.code).toBe('NOT_FOUND');
    expect(a.message.replace(/\S+ not found/, '')).toBe(b.message.replace(/\S+ not found/, ''));
    expect((await fetch(`${server.url}/field/photos/${toGlobalId('FieldPhoto', photo!.id)}`)).status).toBe(401);
  });

  it('refuses a file over the limit with 413 at the path of the file, keeping nothing', async () => {
    const [files, rows] = [filesIn(dir()).length, await photoRows()];
    const big = Buffer.concat([JPEG, Buffer.alloc(PHOTO_MAX_BYTES)]);
    const res = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: big },
      { workOrderId: toGlobalId('WorkOrder', ids.round) },
    );
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BAD_USER_INPUT');
    expect(res.body.fields).toEqual([{ path: ['file'], message: `must be at most ${PHOTO_MAX_BYTES} bytes` }]);
    // A body declared far larger than any photo is refused before it is read.
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/field/photos`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.reader1}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(100 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('--x\r\n');
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).fields).toEqual([
      { path: ['file'], message: `must be at most ${PHOTO_MAX_BYTES} bytes` },
    ]);
    // Exactly at the limit is fine.
    const atLimit = Buffer.concat([JPEG, Buffer.alloc(PHOTO_MAX_BYTES - JPEG.length)]);
    expect((await uploadPhoto(server, tokens.reader1, { bytes: atLimit })).status).toBe(201);
    expect([filesIn(dir()).length, await photoRows()]).toEqual([files + 1, rows + 1]);
  });

  it('refuses what is not a photo by its content with 415, whatever its name and declared type', async () => {
    const [files, rows] = [filesIn(dir()).length, await photoRows()];
    for (const bytes of [PDF, Buffer.from('not a photo at all, only text')]) {
      const res = await uploadPhoto(server, tokens.reader1, { bytes, name: 'photo.jpg', type: 'image/jpeg' });
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('BAD_USER_INPUT');
      expect(res.body.fields!.map((f) => f.path)).toEqual([['file']]);
    }
    // Not a form at all.
    const raw = await fetch(`${server.url}/field/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.reader1}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(JPEG),
    });
    expect(raw.status).toBe(415);
    expect([filesIn(dir()).length, await photoRows()]).toEqual([files, rows]);
  });

  it('refuses anonymous callers, foreign and unassigned work orders, bad fields; keeps nothing', async () => {
    const [files, rows] = [filesIn(dir()).length, await photoRows()];
    const anonymous = await uploadPhoto(server, undefined, { bytes: JPEG });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    expect((await uploadPhoto(server, 'not-a-token', { bytes: JPEG })).status).toBe(401);

    const foreign = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: JPEG },
      { workOrderId: toGlobalId('WorkOrder', ids.tyOrder) },
    );
    const missing = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: JPEG },
      { workOrderId: toGlobalId('WorkOrder', 2_000_000) },
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.body.fields!.map((f) => f.path)).toEqual([['workOrderId']]);

    const unassigned = await uploadPhoto(
      server,
      tokens.reader1,
      { bytes: JPEG },
      { workOrderId: toGlobalId('WorkOrder', ids.unassigned) },
    );
    expect(unassigned.status).toBe(403);
    expect(unassigned.body.code).toBe('FORBIDDEN');
    const closed = await uploadPhoto(
      server,
      tokens.manager1,
      { bytes: JPEG },
      { workOrderId: toGlobalId('WorkOrder', ids.closed) },
    );
    expect(closed.status).toBe(400);

    const bad = await uploadPhoto(server, tokens.reader1, { bytes: JPEG }, { latitude: '123', takenAt: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields!.map((f) => f.path)).toEqual([['latitude'], ['takenAt'], ['longitude']]);
    const stray = await uploadPhoto(server, tokens.reader1, { bytes: JPEG }, { comment: 'hello' });
    expect(stray.body.fields!.map((f) => f.path)).toEqual([['comment']]);
    expect([filesIn(dir()).length, await photoRows()]).toEqual([files, rows]);
    // The manager of the order's station may add photos without being assigned.
    expect(
      (
        await uploadPhoto(
          server,
          tokens.manager1,
          { bytes: JPEG },
          { workOrderId: toGlobalId('WorkOrder', ids.unassigned) },
        )
      ).status,
    ).toBe(201);
  });

  it('records uploads, refused ones too, in the audit log', async () => {
    const rows = await sqlOf(server).rows<{ outcome: string }>(
      `select outcome from audit_record where action = 'uploadFieldPhoto'`,
    );
    const outcomes = new Set(rows.map((r) => r.outcome));
    expect(outcomes).toEqual(new Set(['OK', 'BAD_USER_INPUT', 'FORBIDDEN']));
  });
});

// ---------------------------------------------------------------------------------------------

const STATS = `query($date: LocalDate) { fieldStatistics(date: $date) {
  date timeZone stopsVisited stopsSkipped stopsPending readingsRecorded photosUploaded hazardsReported
  hazardsVerified pointsEarned openTasks } }`;

describe('fieldStatistics', () => {
  it("counts the caller's own day", async () => {
    const { fieldStatistics: today } = await ok<{ fieldStatistics: Record<string, unknown> }>(tokens.reader1!, STATS);
    const photos = Number(
      (
        await sqlOf(server).one<{ n: string }>(`select count(*) as n from field_photo where uploaded_by_id = ?`, [
          ids.reader1,
        ])
      ).n,
    );
    expect(today).toEqual({
      date: DateTime.now().setZone(ZONE).toISODate(),
      timeZone: ZONE,
      stopsVisited: 1,
      stopsSkipped: 1,
      // The route's fourteen: the round's and tonight's exchange.
      stopsPending: 14,
      readingsRecorded: 1,
      photosUploaded: photos,
      hazardsReported: 0,
      hazardsVerified: 0,
      pointsEarned: 0,
      // The round, tonight's exchange and the inspection later this week.
      openTasks: 3,
    });
    expect(photos).toBeGreaterThan(0);
    const yesterday = DateTime.now().setZone(ZONE).minus({ days: 1 }).toISODate();
    const { fieldStatistics: before } = await ok<{ fieldStatistics: Record<string, number> }>(tokens.reader1!, STATS, {
      date: yesterday,
    });
    expect([before.stopsVisited, before.photosUploaded]).toEqual([0, 0]);
    // Someone else's day is their own.
    const { fieldStatistics: manager } = await ok<{ fieldStatistics: Record<string, number> }>(tokens.manager1!, STATS);
    expect([manager.stopsVisited, manager.openTasks]).toEqual([0, 0]);
  });

  it('refuses a day in the future', async () => {
    const tomorrow = DateTime.now().setZone(ZONE).plus({ days: 2 }).toISODate();
    const error = onlyError(await gql(tokens.reader1, STATS, { date: tomorrow }));
    expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['date']]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the example operations in examples/operations/field.graphql', () => {
  const run = async <R, V extends Record<string, unknown>>(
    doc: TypedDocumentNode<R, V>,
    variables: V,
    token: string,
  ) => {
    const res = await server.gql<R>(print(doc as DocumentNode), variables, token);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  };

  it('scan, route, position and a hazard with a photo, as a reader runs them', async () => {
    const scan = await run(ScanBarcodeDocument, { code: 'MBTAYJ01005' }, tokens.reader1!);
    expect(scan.scanBarcode.meters).toHaveLength(6);
    const route = await run(TodayStopsDocument, STATION_YARD, tokens.reader1!);
    expect(route.todayStops.stops.length).toBeGreaterThan(0);
    const position = await run(
      RecordPositionDocument,
      { input: { latitude: '23.91', longitude: '106.61' } },
      tokens.reader1!,
    );
    expect(position.recordPosition.position.latitude).toBe('23.91');
    const photo = await uploadPhoto(server, tokens.reader1, { bytes: JPEG });
    const hazard = await run(
      ReportHazardDocument,
      {
        input: {
          category: 'SEAL_BROKEN',
          description: 'Seal of the terminal cover broken',
          meterBoxId: scan.scanBarcode.meterBox!.id,
          photoIds: [photo.body.id!],
        },
      },
      tokens.reader1!,
    );
    expect(hazard.reportHazard.hazardReport).toMatchObject({
      status: 'REPORTED',
      orgUnit: { code: 'TA-YJ-01' },
      photos: [{ id: photo.body.id, url: photo.body.url }],
    });
  });
});
