import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../src/billing/local-days.js';
import type { WorkOrderChangedEvent } from '../src/shared/events.js';
import { Dec } from '../src/shared/decimal.js';
import { ReadingFlag } from '../src/shared/reading-flags.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { readingWindowEnd } from '../src/schema/reading-round/round-due.js';
import { VerificationSweep } from '../src/jobs/index.js';
import { createLogger } from '../src/shared/logger.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * Reading rounds through the API, on the demo (two stations; ST-YJ with manager1, reader1 and
 * inspector1, ST-TY with manager2): routes generated from the customers' billing days and reading
 * windows, a check-reading round started under the two-person rule, readings taken at its stops
 * by its people (stored MANUAL through the checks of collected values and compared with the
 * automatic value), stops skipped with a reason, and periodic verification planned once.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const users: Record<string, string> = {};
const units: Record<string, { id: number; gid: string; path: string }> = {};
const ZONE = 'Asia/Shanghai';
const HOUR = 3_600_000;
const changes: WorkOrderChangedEvent[] = [];

const ROUTE = `id name readingDay windowStart windowEnd active generated boxCount meterCount
  orgUnit { code } boxes { seq meterCount meterBox { id barcode } }`;
const GENERATE = `mutation($i: GenerateReadingRoutesInput!) { generateReadingRoutes(input: $i) {
  readingRoutes { ${ROUTE} } deactivated { id } } }`;
const ROUTES = `query($f: ReadingRouteFilter) { readingRoutes(first: 100, filter: $f) { totalCount nodes { ${ROUTE} } } }`;
const CREATE_ROUTE = `mutation($i: CreateReadingRouteInput!) { createReadingRoute(input: $i) { readingRoute { ${ROUTE} } } }`;
const UPDATE_ROUTE = `mutation($i: UpdateReadingRouteInput!) { updateReadingRoute(input: $i) { readingRoute { ${ROUTE} } } }`;
const STOP = `id seq status visitedAt latitude longitude fieldValue automaticValue difference note`;
const START = `mutation($i: StartReadingRoundInput!) { startReadingRound(input: $i) {
  workOrder { id kind status title dueAt } stops { ${STOP} } } }`;
const RECORD = `mutation($i: RecordStopReadingInput!) { recordStopReading(input: $i) {
  stop { ${STOP} } reading { id value source quality measuredAt meter { id } } } }`;
const SKIP = `mutation($i: SkipStopInput!) { skipStop(input: $i) { stop { ${STOP} } } }`;
const DUE = `query($f: MetersDueForVerificationFilter) { metersDueForVerification(first: 100, filter: $f) {
  totalCount nodes { id barcode nextVerificationDate } } }`;
const PLAN = `mutation($i: PlanVerificationWorkOrdersInput!) { planVerificationWorkOrders(input: $i) {
  meters workOrders { id kind status title dueAt } } }`;

interface Route {
  id: string;
  name: string;
  readingDay: number;
  windowStart: string;
  windowEnd: string;
  active: boolean;
  generated: boolean;
  boxCount: number;
  meterCount: number;
  orgUnit: { code: string };
  boxes: { seq: number; meterCount: number; meterBox: { id: string; barcode: string } }[];
}
interface Stop {
  id: string;
  seq: number;
  status: string;
  visitedAt: string | null;
  latitude: string | null;
  longitude: string | null;
  fieldValue: string | null;
  automaticValue: string | null;
  difference: string | null;
  note: string | null;
}

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  server.em().getConnection().execute<T[]>(text, params);
const one = async <T>(text: string, params: unknown[] = []) => (await sql<T>(text, params))[0]!;
/** Decimals as the API gives them: exact, without trailing zeros. */
const canonical = (value: string | Dec) => new Dec(value).toFixed();
const localOf = (gid: string) => Number(Buffer.from(gid, 'base64url').toString('utf8').split(':')[1]);

async function ok<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  expect(res.errors, query).toBeUndefined();
  return res.data!;
}

/** Rows of the work-order tables, to show that a refusal wrote nothing. */
const workOrderState = () =>
  one<{ orders: string; stops: string; assignees: string; readings: string }>(
    `select (select count(*) from work_order)::text as orders,
            (select md5(coalesce(string_agg(s::text, ',' order by s.id), '')) from work_order_stop s) as stops,
            (select count(*) from work_order_assignee)::text as assignees,
            (select count(*) from reading)::text as readings`,
  );

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'inspector1', 'customer1', 'auditor'])
    tokens[user] = await server.login(user);
  for (const code of ['ST-YJ', 'ST-TY', 'TA-YJ-01', 'TA-TY-01']) {
    const u = await one<{ id: number; path: string }>(`select id, path from org_unit where code = ?`, [code]);
    units[code] = { id: Number(u.id), gid: toGlobalId('OrgUnit', u.id), path: u.path };
  }
  // A second meter reader of ST-YJ (not on the round), and one of ST-TY so that it can have two people.
  for (const [username, station] of [
    ['reader7', 'ST-YJ'],
    ['reader8', 'ST-TY'],
  ] as const) {
    await ok(
      `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`,
      {
        i: {
          username,
          password: 'a-long-enough-password',
          displayName: username,
          role: 'METER_READER',
          orgUnitId: units[station]!.gid,
        },
      },
      tokens.admin!,
    );
    tokens[username] = await server.login(username, 'a-long-enough-password');
  }
  for (const u of await sql<{ id: number; username: string }>(`select id, username from app_user`))
    users[u.username] = toGlobalId('User', u.id);
  // Every change of a work order, as subscribers would hear of it.
  void (async () => {
    for await (const event of server.app.events.subscribe('WORK_ORDER_CHANGED')) changes.push(event);
  })();
}, 120_000);
afterAll(async () => server?.stop());

let yjRoutes: Route[] = [];

describe('reading routes', () => {
  it('are generated per billing day and reading window, each box on its customers’ majority terms, idempotently', async () => {
    const res = await ok<{ generateReadingRoutes: { readingRoutes: Route[]; deactivated: unknown[] } }>(
      GENERATE,
      { i: { orgUnitId: units['ST-YJ']!.gid } },
      tokens.manager1!,
    );
    yjRoutes = res.generateReadingRoutes.readingRoutes;
    expect(res.generateReadingRoutes.deactivated).toEqual([]);
    // The demo's billing days are 1, 8, 15 and 22; every window is 00:00-06:00. Routes come by day.
    const days = yjRoutes.map((r) => r.readingDay);
    expect(days).toEqual([...new Set(days)].sort((a, b) => a - b));
    expect(days.every((d) => [1, 8, 15, 22].includes(d))).toBe(true);
    expect(days.length).toBeGreaterThanOrEqual(2);
    for (const r of yjRoutes)
      expect(r).toMatchObject({
        windowStart: '00:00',
        windowEnd: '06:00',
        orgUnit: { code: 'ST-YJ' },
        generated: true,
      });
    // Every ST-YJ box with a customer's meter is on exactly one route, with all 180 meters.
    const boxes = yjRoutes.flatMap((r) => r.boxes.map((b) => b.meterBox.barcode));
    expect(new Set(boxes).size).toBe(boxes.length);
    expect(boxes.length).toBe(30);
    expect(yjRoutes.reduce((n, r) => n + r.meterCount, 0)).toBe(180);
    for (const r of yjRoutes) {
      expect(r.boxes.map((b) => b.seq)).toEqual(r.boxes.map((_, i) => i + 1));
      expect(r.boxCount).toBe(r.boxes.length);
    }
    // Each box is on the day most of its customers are billed on (a tie: the earlier day).
    const votes = await sql<{ barcode: string; billing_day: number; n: string }>(
      `select b.barcode, c.billing_day, count(*)::text as n from meter m
         join meter_box b on b.id = m.meter_box_id join meter_assignment a on a.meter_id = m.id and a.removed_at is null
         join service_point sp on sp.id = a.service_point_id join customer c on c.id = sp.customer_id
         join org_unit o on o.id = b.org_unit_id where o.path like ? group by b.barcode, c.billing_day`,
      [`${units['ST-YJ']!.path}%`],
    );
    const expected = new Map<string, { day: number; n: number }>();
    for (const v of votes) {
      const best = expected.get(v.barcode);
      const n = Number(v.n);
      if (!best || n > best.n || (n === best.n && v.billing_day < best.day))
        expected.set(v.barcode, { day: Number(v.billing_day), n });
    }
    for (const r of yjRoutes) for (const b of r.boxes) expect(expected.get(b.meterBox.barcode)?.day).toBe(r.readingDay);

    // Again: the same routes, the same walk, nothing deactivated.
    const again = await ok<{ generateReadingRoutes: { readingRoutes: Route[]; deactivated: unknown[] } }>(
      GENERATE,
      { i: { orgUnitId: units['ST-YJ']!.gid } },
      tokens.manager1!,
    );
    expect(again.generateReadingRoutes.readingRoutes).toEqual(yjRoutes);
    expect(again.generateReadingRoutes.deactivated).toEqual([]);
  });

  it('walks each route nearest box next, from the box with the first barcode', async () => {
    const route = yjRoutes.find((r) => r.boxes.length >= 3)!;
    const positions = await sql<{ barcode: string; lat: string; lon: string }>(
      `select barcode, latitude::text as lat, longitude::text as lon from meter_box where barcode = any(?::text[])`,
      [`{${route.boxes.map((b) => b.meterBox.barcode).join(',')}}`],
    );
    const at = new Map(positions.map((p) => [p.barcode, p]));
    const walk = route.boxes.map((b) => b.meterBox.barcode);
    expect(walk[0]).toBe([...walk].sort()[0]);
    const distance = (a: string, b: string) => {
      const [p, q] = [at.get(a)!, at.get(b)!];
      const scale = Math.cos((Number(p.lat) * Math.PI) / 180);
      return ((Number(q.lon) - Number(p.lon)) * scale) ** 2 + (Number(q.lat) - Number(p.lat)) ** 2;
    };
    // From every box, the next one is the nearest of those not yet walked.
    for (let i = 0; i < walk.length - 2; i++) {
      const next = distance(walk[i]!, walk[i + 1]!);
      for (const later of walk.slice(i + 2)) expect(next).toBeLessThanOrEqual(distance(walk[i]!, later));
    }
  });

  it('are read by the station’s staff and auditors, and by no one of another station', async () => {
    const ids = (r: { readingRoutes: { nodes: Route[] } }) => r.readingRoutes.nodes.map((n) => n.id).sort();
    const mine = yjRoutes.map((r) => r.id).sort();
    for (const who of ['manager1', 'reader1', 'inspector1', 'auditor', 'admin'])
      expect(ids(await ok(ROUTES, { f: { orgUnitSubtree: units['ST-YJ']!.gid } }, tokens[who]!)), who).toEqual(mine);
    expect(ids(await ok(ROUTES, {}, tokens.manager2!))).toEqual([]);
    expect(ids(await ok(ROUTES, {}, tokens.customer1!))).toEqual([]);
    const byDay = await ok<{ readingRoutes: { nodes: Route[] } }>(
      ROUTES,
      { f: { readingDay: yjRoutes[0]!.readingDay } },
      tokens.manager1!,
    );
    expect(ids(byDay)).toEqual([yjRoutes[0]!.id]);
    const node = await ok<{ node: { id: string } | null }>(
      `query($id: ID!) { node(id: $id) { id ... on ReadingRoute { name } } }`,
      { id: yjRoutes[0]!.id },
      tokens.reader1!,
    );
    expect(node.node).toEqual({ id: yjRoutes[0]!.id, name: yjRoutes[0]!.name });
    for (const token of [tokens.manager2!, tokens.customer1!]) {
      const hidden = await server.gql<{ node: unknown }>(
        `query($id: ID!) { node(id: $id) { id } }`,
        { id: yjRoutes[0]!.id },
        token,
      );
      expect(hidden.data?.node).toBeNull();
      expect(
        onlyError(await server.gql(`query($id: ID!) { readingRoute(id: $id) { id } }`, { id: yjRoutes[0]!.id }, token))
          .extensions?.code,
      ).toBe('NOT_FOUND');
    }
    // Generating another station's routes, or as a reader, is refused.
    const foreign = onlyError(await server.gql(GENERATE, { i: { orgUnitId: units['ST-YJ']!.gid } }, tokens.manager2!));
    expect(foreign.extensions?.fields?.[0]?.path).toEqual(['input', 'orgUnitId']);
    expect(
      onlyError(await server.gql(GENERATE, { i: { orgUnitId: units['ST-YJ']!.gid } }, tokens.reader1!)).extensions
        ?.code,
    ).toBe('FORBIDDEN');
    // Routes belong to stations.
    const area = onlyError(await server.gql(GENERATE, { i: { orgUnitId: units['TA-YJ-01']!.gid } }, tokens.manager1!));
    expect(area.extensions?.fields?.[0]).toMatchObject({
      path: ['input', 'orgUnitId'],
      message: expect.stringContaining('SUPPLY_STATION'),
    });
  });

  it('are drawn and changed by hand; generation leaves those alone and never puts a box on two active routes', async () => {
    const [first, second] = yjRoutes as [Route, Route];
    const boxOf = (r: Route, i: number) => r.boxes[i]!.meterBox.id;
    // A box already on an active route is a conflict, named by its place in the list.
    const taken = onlyError(
      await server.gql(
        CREATE_ROUTE,
        {
          i: {
            orgUnitId: units['ST-YJ']!.gid,
            name: 'Market street',
            readingDay: 5,
            windowStart: '08:00',
            windowEnd: '12:00',
            meterBoxIds: [boxOf(first, 0)],
          },
        },
        tokens.manager1!,
      ),
    );
    expect(taken.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'meterBoxIds', 0] }] });
    // Another station's box, a box twice, an empty window: refused with their paths.
    const tyBox = await one<{ id: number }>(
      `select b.id from meter_box b join org_unit o on o.id = b.org_unit_id where o.path like ? order by b.id limit 1`,
      [`${units['ST-TY']!.path}%`],
    );
    const bad = async (patch: Record<string, unknown>) =>
      onlyError(
        await server.gql(
          CREATE_ROUTE,
          {
            i: {
              orgUnitId: units['ST-YJ']!.gid,
              name: 'Bad route',
              readingDay: 5,
              windowStart: '08:00',
              windowEnd: '12:00',
              meterBoxIds: [],
              ...patch,
            },
          },
          tokens.manager1!,
        ),
      ).extensions?.fields?.map((f) => f.path);
    const before = await one(`select count(*)::text as n from reading_route`);
    expect(await bad({ meterBoxIds: [toGlobalId('MeterBox', tyBox.id)] })).toEqual([['input', 'meterBoxIds', 0]]);
    expect(await bad({ windowEnd: '08:00', meterBoxIds: [boxOf(first, 0)] })).toEqual([['input', 'windowEnd']]);
    expect(await bad({ readingDay: 29, meterBoxIds: [boxOf(first, 0)] })).toEqual([['input', 'readingDay']]);
    expect(await bad({ meterBoxIds: [] })).toEqual([['input', 'meterBoxIds']]);
    expect(await one(`select count(*)::text as n from reading_route`)).toEqual(before);

    // The second route, changed by hand: its last box taken off, its first two swapped. It is
    // no longer generated, and its boxes no longer the generator's.
    const kept = second.boxes.slice(0, -1).map((b) => b.meterBox.id);
    const changed = await ok<{ updateReadingRoute: { readingRoute: Route } }>(
      UPDATE_ROUTE,
      { i: { id: second.id, name: 'Riverside by hand', meterBoxIds: [kept[1], kept[0], ...kept.slice(2)] } },
      tokens.manager1!,
    );
    const hand = changed.updateReadingRoute.readingRoute;
    expect(hand).toMatchObject({ name: 'Riverside by hand', generated: false, boxCount: kept.length });
    expect(hand.boxes.map((b) => b.meterBox.id)).toEqual([kept[1], kept[0], ...kept.slice(2)]);
    // The box it let go is free: a hand-made route may take it.
    const freed = second.boxes.at(-1)!.meterBox.id;
    const created = await ok<{ createReadingRoute: { readingRoute: Route } }>(
      CREATE_ROUTE,
      {
        i: {
          orgUnitId: units['ST-YJ']!.gid,
          name: 'Market street',
          readingDay: 5,
          windowStart: '22:00',
          windowEnd: '02:00',
          meterBoxIds: [freed],
        },
      },
      tokens.manager1!,
    );
    expect(created.createReadingRoute.readingRoute).toMatchObject({ generated: false, readingDay: 5, boxCount: 1 });

    // Generating again: hand-made routes and their boxes stay as they are; every other box is
    // on one generated route.
    const regen = await ok<{ generateReadingRoutes: { readingRoutes: Route[]; deactivated: { id: string }[] } }>(
      GENERATE,
      { i: { orgUnitId: units['ST-YJ']!.gid } },
      tokens.manager1!,
    );
    const generatedBoxes = regen.generateReadingRoutes.readingRoutes.flatMap((r) => r.boxes.map((b) => b.meterBox.id));
    expect(generatedBoxes.filter((b) => kept.includes(b) || b === freed)).toEqual([]);
    expect(generatedBoxes.length + kept.length + 1).toBe(30);
    const all = await ok<{ readingRoutes: { nodes: Route[] } }>(ROUTES, { f: { active: true } }, tokens.manager1!);
    const onActive = all.readingRoutes.nodes.flatMap((r) => r.boxes.map((b) => b.meterBox.id));
    expect(new Set(onActive).size).toBe(onActive.length);
    expect(all.readingRoutes.nodes.find((r) => r.id === hand.id)?.boxes.map((b) => b.meterBox.id)).toEqual(
      hand.boxes.map((b) => b.meterBox.id),
    );
    // Deactivating the hand-made route frees its boxes; taking it back is refused once they are elsewhere.
    await ok(UPDATE_ROUTE, { i: { id: created.createReadingRoute.readingRoute.id, active: false } }, tokens.manager1!);
    const regen2 = await ok<{ generateReadingRoutes: { readingRoutes: Route[] } }>(
      GENERATE,
      { i: { orgUnitId: units['ST-YJ']!.gid } },
      tokens.manager1!,
    );
    expect(regen2.generateReadingRoutes.readingRoutes.flatMap((r) => r.boxes.map((b) => b.meterBox.id))).toContain(
      freed,
    );
    const back = onlyError(
      await server.gql(
        UPDATE_ROUTE,
        { i: { id: created.createReadingRoute.readingRoute.id, active: true } },
        tokens.manager1!,
      ),
    );
    expect(back.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'active'] }] });
    // Another station's manager changes nothing of them.
    const foreign = onlyError(await server.gql(UPDATE_ROUTE, { i: { id: hand.id, name: 'Taken' } }, tokens.manager2!));
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
    yjRoutes = regen2.generateReadingRoutes.readingRoutes;
  });
});

let round: { id: string; stops: Stop[]; route: Route };

describe('a check-reading round', () => {
  it('is refused with one person, the same person twice or a customer, and writes nothing', async () => {
    const route = yjRoutes[0]!;
    const before = await workOrderState();
    const start = (assigneeIds: string[], token = tokens.manager1!) =>
      server.gql(START, { i: { routeId: route.id, assigneeIds } }, token);
    for (const people of [[users.reader1!], [users.reader1!, users.reader1!]]) {
      const error = onlyError(await start(people));
      expect(error.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'TWO_PERSON_RULE',
        fields: [{ path: ['input', 'assigneeIds'] }],
      });
    }
    const customer = onlyError(await start([users.reader1!, users.customer1!]));
    expect(customer.extensions?.fields).toEqual([
      { path: ['input', 'assigneeIds', 1], message: expect.stringContaining('not field staff') },
    ]);
    const foreign = onlyError(await start([users.reader1!, users.reader8!]));
    expect(foreign.extensions?.fields?.[0]?.path).toEqual(['input', 'assigneeIds', 1]);
    expect(onlyError(await start([])).extensions?.fields?.[0]?.path).toEqual(['input', 'assigneeIds']);
    // A reader may not start rounds; another station's manager does not find the route.
    expect(onlyError(await start([users.reader1!, users.inspector1!], tokens.reader1!)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    const other = onlyError(await start([users.manager2!, users.reader8!], tokens.manager2!));
    expect(other.extensions?.fields?.[0]).toMatchObject({
      path: ['input', 'routeId'],
      message: 'ReadingRoute not found or not accessible',
    });
    expect(onlyError(await start([users.reader1!, users.inspector1!], tokens.customer1!)).extensions?.code).not.toBe(
      'INTERNAL',
    );
    expect(await workOrderState()).toEqual(before);
  });

  it('gives two people one stop per installed meter of the route, in walking order, due at the end of the next window', async () => {
    const route = yjRoutes[0]!;
    const res = await ok<{ startReadingRound: { workOrder: Record<string, string>; stops: Stop[] } }>(
      START,
      { i: { routeId: route.id, assigneeIds: [users.reader1, users.inspector1] } },
      tokens.manager1!,
    );
    const { workOrder, stops } = res.startReadingRound;
    expect(workOrder).toMatchObject({ kind: 'PERIODIC_CHECK_READING', status: 'ASSIGNED' });
    expect(workOrder.title).toContain(route.name);
    const expectedDue = readingWindowEnd(new Date(), ZONE, route.readingDay, route.windowStart, route.windowEnd);
    expect(new Date(workOrder.dueAt!).toISOString()).toBe(expectedDue.toISOString());
    expect(stops.length).toBe(route.meterCount);
    expect(stops.map((s) => s.seq)).toEqual(stops.map((_, i) => i + 1));
    expect(stops.every((s) => s.status === 'PENDING')).toBe(true);
    // Stop by stop: the route's boxes in order, each box's installed meters with their customers.
    const rows = await sql<{ box: string; meter_status: string; customer_id: number | null; seq: number }>(
      `select b.barcode as box, m.status as meter_status, s.customer_id, s.seq from work_order_stop s
         join meter m on m.id = s.meter_id join meter_box b on b.id = s.meter_box_id
        where s.work_order_id = ? order by s.seq`,
      [localOf(workOrder.id!)],
    );
    const boxOrder = route.boxes.map((b) => b.meterBox.barcode);
    expect([...new Set(rows.map((r) => r.box))]).toEqual(boxOrder);
    expect(rows.every((r) => r.meter_status === 'INSTALLED' && r.customer_id !== null)).toBe(true);
    const assignees = await sql<{ username: string }>(
      `select u.username from work_order_assignee a join app_user u on u.id = a.user_id where a.work_order_id = ? order by u.username`,
      [localOf(workOrder.id!)],
    );
    expect(assignees.map((a) => a.username)).toEqual(['inspector1', 'reader1']);
    // Created with its people: subscribers hear it as ASSIGNED.
    await until(() => changes.some((c) => c.workOrderId === localOf(workOrder.id!) && c.change === 'ASSIGNED'));
    expect(changes.find((c) => c.workOrderId === localOf(workOrder.id!))).toMatchObject({
      change: 'ASSIGNED',
      orgPath: units['ST-YJ']!.path,
    });
    round = { id: workOrder.id!, stops, route };
    // The order and its stops are nodes of the station.
    const node = await ok<{ node: { id: string } | null }>(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: stops[0]!.id },
      tokens.inspector1!,
    );
    expect(node.node).toEqual({ id: stops[0]!.id });
    const hidden = await ok<{ node: unknown }>(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: round.id },
      tokens.manager2!,
    );
    expect(hidden.node).toBeNull();
  });
});

const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await new Promise((r) => setTimeout(r, 25));
};

describe('field readings at the stops', () => {
  const meterOf = async (stop: Stop) =>
    Number(
      (await one<{ meter_id: number }>(`select meter_id from work_order_stop where id = ?`, [localOf(stop.id)]))
        .meter_id,
    );
  const record = (input: Record<string, unknown>, token: string) =>
    server.gql<{ recordStopReading: { stop: Stop; reading: any } }>(RECORD, { i: input }, token);

  it('are taken only while the round is under way', async () => {
    const res = onlyError(await record({ stopId: round.stops[0]!.id, value: '1' }, tokens.reader1!));
    expect(res.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'stopId'] }] });
    // Its people start it (the work-order module's own mutation); here, as that one would.
    await sql(`update work_order set status = 'IN_PROGRESS', started_at = now() where id = ?`, [localOf(round.id)]);
  });

  let firstReading: { id: string; value: string };
  let base: Dec;
  let meter: number;
  let visit: Date;

  it('are stored MANUAL through the checks of collected values, with the difference from the interpolated automatic value', async () => {
    const stop = round.stops[0]!;
    meter = await meterOf(stop);
    const latest = await one<{ value: string; at: Date | string }>(
      `select value::text as value, measured_at as at from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' order by measured_at desc limit 1`,
      [meter],
    );
    base = new Dec(latest.value);
    // Half a day before the last daily value (the demo collects at local midnights), collected
    // values 2 h before and 1 h after the visit: 2/3 of the way from +1.0 to +1.3 is +1.2.
    visit = new Date(new Date(latest.at).getTime() - 12 * HOUR);
    for (const [offset, plus] of [
      [-2 * HOUR, '1.0'],
      [HOUR, '1.3'],
    ] as const)
      await sql(
        `insert into reading (meter_id, register, value, measured_at, source, quality) values (?, 'FORWARD_ACTIVE_TOTAL', ?, ?, 'AUTOMATIC', 'GOOD')`,
        [meter, base.plus(plus).toFixed(4), new Date(visit.getTime() + offset)],
      );
    const field = base.plus('1.25').toFixed(2);
    const res = await record(
      {
        stopId: stop.id,
        value: field,
        measuredAt: visit.toISOString(),
        latitude: '23.901234',
        longitude: '106.601234',
        note: 'seal intact',
      },
      tokens.inspector1!,
    );
    expect(res.errors).toBeUndefined();
    const { stop: visited, reading } = res.data!.recordStopReading;
    expect(reading).toMatchObject({ source: 'MANUAL', quality: 'GOOD', meter: { id: toGlobalId('Meter', meter) } });
    expect(new Dec(reading.value).eq(field)).toBe(true);
    expect(visited).toMatchObject({
      status: 'VISITED',
      visitedAt: visit.toISOString(),
      latitude: '23.901234',
      longitude: '106.601234',
      fieldValue: canonical(field),
      automaticValue: canonical(base.plus('1.2')),
      difference: '0.05',
      note: 'seal intact',
    });
    const row = await one<{ visited_by: string; reading_id: string }>(
      `select u.username as visited_by, s.reading_id::text as reading_id from work_order_stop s join app_user u on u.id = s.visited_by_id where s.id = ?`,
      [localOf(stop.id)],
    );
    expect(row).toEqual({ visited_by: 'inspector1', reading_id: String(localOf(reading.id)) });
    firstReading = { id: reading.id, value: field };
    await until(() => changes.some((c) => c.workOrderId === localOf(round.id) && c.change === 'STOP_VISITED'));
    expect(changes.filter((c) => c.workOrderId === localOf(round.id)).map((c) => c.change)).toContain('STOP_VISITED');
  });

  it('never duplicate a reading at the same time; again at a new time they replace the stop’s figures', async () => {
    const stop = round.stops[0]!;
    const manualCount = async () =>
      (
        await one<{ n: string }>(`select count(*)::text as n from reading where meter_id = ? and source = 'MANUAL'`, [
          meter,
        ])
      ).n;
    const before = await workOrderState();
    const replay = onlyError(
      await record({ stopId: stop.id, value: '1', measuredAt: visit.toISOString() }, tokens.reader1!),
    );
    expect(replay.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'measuredAt'] }] });
    expect(await workOrderState()).toEqual(before);
    expect(await manualCount()).toBe('1');
    // Half an hour later, by the other assignee: 2.5/3 of the way from +1.0 to +1.3 is +1.25.
    const later = new Date(visit.getTime() + HOUR / 2);
    const value = base.plus('1.4').toFixed(4);
    const res = await record({ stopId: stop.id, value, measuredAt: later.toISOString() }, tokens.reader1!);
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordStopReading.stop).toMatchObject({
      status: 'VISITED',
      visitedAt: later.toISOString(),
      fieldValue: canonical(value),
      automaticValue: canonical(base.plus('1.25')),
      difference: '0.15',
      latitude: null,
      longitude: null,
      note: null,
    });
    expect(res.data!.recordStopReading.reading.id).not.toBe(firstReading.id);
    expect(await manualCount()).toBe('2');
  });

  it('are refused to anyone not assigned, and to other stations and customers like a stop that does not exist', async () => {
    const stop = round.stops[1]!;
    const before = await workOrderState();
    for (const who of ['reader7', 'manager1']) {
      const error = onlyError(await record({ stopId: stop.id, value: '1' }, tokens[who]!));
      expect(error.extensions?.code, who).toBe('FORBIDDEN');
    }
    const ghost = toGlobalId('WorkOrderStop', 2_000_000_000);
    for (const who of ['manager2', 'reader8', 'customer1']) {
      const real = onlyError(await record({ stopId: stop.id, value: '1' }, tokens[who]!));
      const none = onlyError(await record({ stopId: ghost, value: '1' }, tokens[who]!));
      expect(real.extensions, who).toEqual(none.extensions);
      expect(real.message.replace(stop.id, '<id>')).toBe(none.message.replace(ghost, '<id>'));
    }
    expect(await workOrderState()).toEqual(before);
  });

  it('flag a decrease as ingestion does, and refuse what ingestion drops, with the field', async () => {
    const stop = round.stops[1]!;
    const m2 = await meterOf(stop);
    const latest = await one<{ value: string }>(
      `select value::text as value from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' order by measured_at desc limit 1`,
      [m2],
    );
    const before = await workOrderState();
    // Wider than the 6-digit register, or in the future: refused, nothing written.
    const wide = onlyError(await record({ stopId: stop.id, value: '1000000' }, tokens.reader1!));
    expect(wide.extensions?.fields).toEqual([
      { path: ['input', 'value'], message: 'does not fit the 6-digit register' },
    ]);
    const future = onlyError(
      await record(
        { stopId: stop.id, value: latest.value, measuredAt: new Date(Date.now() + HOUR).toISOString() },
        tokens.reader1!,
      ),
    );
    expect(future.extensions?.fields).toEqual([{ path: ['input', 'measuredAt'], message: 'measured in the future' }]);
    const half = onlyError(await record({ stopId: stop.id, value: '5', latitude: '23.9' }, tokens.reader1!));
    expect(half.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'longitude']]);
    expect(await workOrderState()).toEqual(before);
    // Lower than the last collected value: kept, SUSPECT with the register-decrease flag, and alarmed.
    const lower = new Dec(latest.value).minus(5).toFixed(4);
    const res = await record({ stopId: stop.id, value: lower }, tokens.reader1!);
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordStopReading.reading).toMatchObject({ source: 'MANUAL', quality: 'SUSPECT' });
    expect(res.data!.recordStopReading.stop.difference).toBe('-5');
    const stored = await one<{ flags: number }>(`select flags from reading where id = ?`, [
      localOf(res.data!.recordStopReading.reading.id),
    ]);
    expect(stored.flags).toBe(ReadingFlag.REGISTER_DECREASE);
    const alarm = await one<{ n: string }>(
      `select count(*)::text as n from alarm where meter_id = ? and type = 'REGISTER_DECREASE' and status = 'OPEN'`,
      [m2],
    );
    expect(alarm.n).toBe('1');
  });

  it('skip a stop only with a reason, and never one already read', async () => {
    const stop = round.stops[2]!;
    const before = await workOrderState();
    for (const reason of ['', '   ']) {
      const error = onlyError(await server.gql(SKIP, { i: { stopId: stop.id, reason } }, tokens.reader1!));
      expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'reason']]);
    }
    expect(
      onlyError(await server.gql(SKIP, { i: { stopId: stop.id, reason: 'x' } }, tokens.reader7!)).extensions?.code,
    ).toBe('FORBIDDEN');
    const read = onlyError(
      await server.gql(SKIP, { i: { stopId: round.stops[0]!.id, reason: 'no access' } }, tokens.reader1!),
    );
    expect(read.extensions?.code).toBe('CONFLICT');
    expect(await workOrderState()).toEqual(before);
    const skipped = await ok<{ skipStop: { stop: Stop } }>(
      SKIP,
      { i: { stopId: stop.id, reason: ' gate locked ' } },
      tokens.reader1!,
    );
    expect(skipped.skipStop.stop).toMatchObject({ status: 'SKIPPED', note: 'gate locked', fieldValue: null });
    await until(() => changes.some((c) => c.workOrderId === localOf(round.id) && c.change === 'STOP_SKIPPED'));
    expect(changes.some((c) => c.change === 'STOP_SKIPPED' && c.assigneeIds.length === 2)).toBe(true);
  });
});

describe('periodic verification', () => {
  let today: string;
  const dueIds = (r: { metersDueForVerification: { nodes: { id: string }[] } }) =>
    r.metersDueForVerification.nodes.map((n) => localOf(n.id)).sort((a, b) => a - b);
  let boxMeters: number[];
  let supply: number;
  let tyMeter: number;

  beforeAll(async () => {
    today = localDateOf(new Date(), ZONE);
    // Nothing due but what the test makes due: a box of TA-YJ-01 in 5 days, its supply meter
    // (no box) overdue, one ST-TY meter in 3 days.
    await sql(`update meter set next_verification_date = ?::date`, [addDays(today, 400)]);
    const box = await one<{ id: number }>(
      `select meter_box_id as id from meter where org_unit_id = ? and meter_box_id is not null order by id limit 1`,
      [units['TA-YJ-01']!.id],
    );
    boxMeters = (await sql<{ id: number }>(`select id from meter where meter_box_id = ? order by id`, [box.id])).map(
      (m) => Number(m.id),
    );
    await sql(`update meter set next_verification_date = ?::date where meter_box_id = ?`, [addDays(today, 5), box.id]);
    supply = Number(
      (await one<{ id: number }>(`select supply_meter_id as id from org_unit where id = ?`, [units['TA-YJ-01']!.id]))
        .id,
    );
    await sql(`update meter set next_verification_date = ?::date where id = ?`, [addDays(today, -2), supply]);
    tyMeter = Number(
      (
        await one<{ id: number }>(
          `select id from meter where org_unit_id = ? and meter_box_id is not null order by id limit 1`,
          [units['TA-TY-01']!.id],
        )
      ).id,
    );
    await sql(`update meter set next_verification_date = ?::date where id = ?`, [addDays(today, 3), tyMeter]);
  });

  it('finds the meters due within some days, local days, earliest first; each station its own', async () => {
    const mine = await ok<{
      metersDueForVerification: { totalCount: number; nodes: { id: string; nextVerificationDate: string }[] };
    }>(DUE, {}, tokens.manager1!);
    expect(dueIds(mine)).toEqual([...boxMeters, supply].sort((a, b) => a - b));
    expect(mine.metersDueForVerification.nodes[0]!.nextVerificationDate).toBe(addDays(today, -2));
    expect(mine.metersDueForVerification.totalCount).toBe(boxMeters.length + 1);
    expect(dueIds(await ok(DUE, { f: { overdueOnly: true } }, tokens.manager1!))).toEqual([supply]);
    expect(dueIds(await ok(DUE, { f: { withinDays: 4 } }, tokens.manager1!))).toEqual([supply]);
    expect(dueIds(await ok(DUE, { f: { withinDays: 5 } }, tokens.manager1!))).toHaveLength(boxMeters.length + 1);
    expect(dueIds(await ok(DUE, {}, tokens.manager2!))).toEqual([tyMeter]);
    expect(dueIds(await ok(DUE, { f: { orgUnitSubtree: units['ST-YJ']!.gid } }, tokens.manager2!))).toEqual([]);
    // customer1 sees their own meter, which hangs in the due box.
    const own = (
      await sql<{ id: number }>(
        `select a.meter_id as id from meter_assignment a join service_point sp on sp.id = a.service_point_id
           join app_user u on u.customer_id = sp.customer_id where u.username = 'customer1' and a.removed_at is null`,
      )
    ).map((r) => Number(r.id));
    expect(dueIds(await ok(DUE, {}, tokens.customer1!))).toEqual(boxMeters.filter((m) => own.includes(m)));
    const bad = onlyError(await server.gql(DUE, { f: { withinDays: -1 } }, tokens.manager1!));
    expect(bad.extensions?.fields?.map((f) => f.path)).toEqual([['filter', 'withinDays']]);
  });

  it('plans one work order per meter box of the due meters, under the two-person rule, once', async () => {
    const before = await workOrderState();
    const alone = onlyError(
      await server.gql(PLAN, { i: { orgUnitId: units['ST-YJ']!.gid, assigneeIds: [users.reader1] } }, tokens.manager1!),
    );
    expect(alone.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TWO_PERSON_RULE' });
    const foreign = onlyError(await server.gql(PLAN, { i: { orgUnitId: units['ST-YJ']!.gid } }, tokens.manager2!));
    expect(foreign.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'orgUnitId']]);
    expect(
      onlyError(await server.gql(PLAN, { i: { orgUnitId: units['ST-YJ']!.gid } }, tokens.reader1!)).extensions?.code,
    ).toBe('FORBIDDEN');
    expect(await workOrderState()).toEqual(before);

    const plan = await ok<{
      planVerificationWorkOrders: {
        meters: number;
        workOrders: { id: string; status: string; kind: string; title: string; dueAt: string }[];
      };
    }>(
      PLAN,
      { i: { orgUnitId: units['ST-YJ']!.gid, assigneeIds: [users.reader1, users.inspector1] } },
      tokens.manager1!,
    );
    const { workOrders, meters } = plan.planVerificationWorkOrders;
    expect(meters).toBe(boxMeters.length + 1);
    expect(workOrders).toHaveLength(2);
    expect(workOrders.every((o) => o.kind === 'PERIODIC_VERIFICATION' && o.status === 'ASSIGNED')).toBe(true);
    const stops = await sql<{ order_id: number; meter_id: number; meter_box_id: number | null; unit: string }>(
      `select s.work_order_id as order_id, s.meter_id, s.meter_box_id, o.code as unit from work_order_stop s
         join work_order w on w.id = s.work_order_id join org_unit o on o.id = w.org_unit_id
        where s.work_order_id = any(?::int[]) order by s.work_order_id, s.seq`,
      [`{${workOrders.map((o) => localOf(o.id)).join(',')}}`],
    );
    const byOrder = new Map<number, number[]>();
    for (const s of stops)
      byOrder.set(Number(s.order_id), [...(byOrder.get(Number(s.order_id)) ?? []), Number(s.meter_id)]);
    expect([...byOrder.values()].map((m) => [...m].sort((a, b) => a - b))).toEqual(
      expect.arrayContaining([[...boxMeters].sort((a, b) => a - b), [supply]]),
    );
    expect(new Set(stops.map((s) => s.unit))).toEqual(new Set(['TA-YJ-01']));
    // Due at the end of the first due day (today for the overdue supply meter), local time.
    const supplyOrder = workOrders.find((o) => byOrder.get(localOf(o.id))?.[0] === supply)!;
    expect(localDateOf(new Date(new Date(supplyOrder.dueAt).getTime() - 1), ZONE)).toBe(today);

    // Again, and twice at once: nothing new.
    const again = await ok<{ planVerificationWorkOrders: { meters: number; workOrders: unknown[] } }>(
      PLAN,
      { i: { orgUnitId: units['ST-YJ']!.gid } },
      tokens.manager1!,
    );
    expect(again.planVerificationWorkOrders).toEqual({ meters: 0, workOrders: [] });
    // One more meter due, planned by two requests at the same time: one order in all.
    const extra = Number(
      (
        await one<{ id: number }>(
          `select id from meter where org_unit_id = ? and meter_box_id is not null and id <> all(?::int[]) order by id desc limit 1`,
          [units['TA-YJ-01']!.id, `{${boxMeters.join(',')}}`],
        )
      ).id,
    );
    await sql(`update meter set next_verification_date = ?::date where id = ?`, [addDays(today, 1), extra]);
    const both = await Promise.all(
      [0, 1].map(() =>
        server.gql<{ planVerificationWorkOrders: { meters: number } }>(
          PLAN,
          { i: { orgUnitId: units['TA-YJ-01']!.gid } },
          tokens.manager1!,
        ),
      ),
    );
    expect(both.map((r) => r.errors)).toEqual([undefined, undefined]);
    expect(both.map((r) => r.data!.planVerificationWorkOrders.meters).sort()).toEqual([0, 1]);
    const planned = await one<{ n: string }>(
      `select count(*)::text as n from work_order_stop s join work_order w on w.id = s.work_order_id
        where w.kind = 'PERIODIC_VERIFICATION' and s.meter_id = ?`,
      [extra],
    );
    expect(planned.n).toBe('1');
    // Another station's manager sees none of it.
    for (const order of workOrders) {
      const hidden = await ok<{ node: unknown }>(
        `query($id: ID!) { node(id: $id) { id } }`,
        { id: order.id },
        tokens.manager2!,
      );
      expect(hidden.node).toBeNull();
    }
  });

  it('is swept daily for every station when turned on: unassigned orders for what is not planned yet', async () => {
    expect(server.config.verificationSweepHours).toBe(0);
    expect(server.app.verificationSweep.enabled).toBe(false);
    const created = async () =>
      sql<{ code: string; status: string; assignees: string; by: string }>(
        `select o.code, w.status, (select count(*) from work_order_assignee a where a.work_order_id = w.id)::text as assignees,
                u.username as by
           from work_order w join org_unit o on o.id = w.org_unit_id join app_user u on u.id = w.created_by_id
          where w.kind = 'PERIODIC_VERIFICATION' and w.created_by_id = (select min(id) from app_user where role = 'ADMIN')`,
      );
    expect(await created()).toEqual([]);
    // On, as VERIFICATION_SWEEP_HOURS would turn it on: a sweep at start, then every hour.
    const sweep = new VerificationSweep({
      em: server.em(),
      events: server.app.events,
      logger: createLogger('silent'),
      defaultTimeZone: 'Asia/Shanghai',
      everyHours: 1,
    });
    sweep.start();
    await sweep.idle();
    await sweep.stop();
    // ST-TY's meter only: ST-YJ's due meters are in orders already.
    expect(await created()).toEqual([{ code: 'TA-TY-01', status: 'CREATED', assignees: '0', by: 'admin' }]);
    expect(await server.app.verificationSweep.runOnce()).toBe(0);
    expect(dueIds(await ok(DUE, {}, tokens.manager2!))).toEqual([tyMeter]);
  });
});
