import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/shared/decimal.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { JPEG, uploadPhoto } from './support/field-fixtures.js';

/**
 * The field day of issue "field operations", as a new user would try it on the demo: the station
 * manager gives an inspector pair today's check-reading round; they start it, find their stops in
 * walking order, scan a meter box, photograph it, read every meter and submit; the manager
 * approves; the assessment (KPIs) shows the round on time and the readings checked.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const ZONE = 'Asia/Shanghai';

async function ok<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const name of ['manager1', 'inspector1', 'inspector2', 'reader1']) tokens[name] = await server.login(name);
  for (const name of ['inspector1', 'inspector2', 'reader1']) {
    const res = await ok(
      `query($s: String!) { users(filter: { search: $s }) { nodes { id username } } }`,
      { s: name },
      tokens.manager1!,
    );
    ids[name] = res.users.nodes.find((u: { username: string }) => u.username === name).id;
  }
  ids.station = (
    await ok(`{ orgUnits(filter: { search: "ST-YJ" }) { nodes { id } } }`, {}, tokens.manager1!)
  ).orgUnits.nodes[0].id;
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('an inspector pair’s round, from assignment to the KPI report', () => {
  let round: {
    id: string;
    stops: { id: string; meter: { id: string } | null; meterBox: { barcode: string } | null }[];
  };

  it('the manager plans routes and gives a round to a pair, never to one person', async () => {
    const routes = (
      await ok(
        `mutation($i: GenerateReadingRoutesInput!) { generateReadingRoutes(input: $i) { readingRoutes { id name boxCount } } }`,
        { i: { orgUnitId: ids.station } },
        tokens.manager1!,
      )
    ).generateReadingRoutes.readingRoutes;
    expect(routes.length).toBeGreaterThan(0);
    const route = routes.reduce((a: { boxCount: number }, b: { boxCount: number }) =>
      b.boxCount > a.boxCount ? b : a,
    );
    const START = `mutation($i: StartReadingRoundInput!) { startReadingRound(input: $i) {
      workOrder { id status title } stops { id meter { id } meterBox { barcode } } } }`;
    // Due at the end of today (local): today's work, in today's stops.
    const dueAt = DateTime.now().setZone(ZONE).endOf('day').minus({ seconds: 1 }).toUTC().toISO();
    const alone = onlyError(
      await server.gql(START, { i: { routeId: route.id, dueAt, assigneeIds: [ids.inspector1] } }, tokens.manager1),
    );
    expect(alone.extensions?.reason).toBe('TWO_PERSON_RULE');
    const started = (
      await ok(
        START,
        { i: { routeId: route.id, dueAt, assigneeIds: [ids.inspector1, ids.inspector2] } },
        tokens.manager1!,
      )
    ).startReadingRound;
    expect(started.workOrder.status).toBe('ASSIGNED');
    expect(started.stops.length).toBeGreaterThan(0);
    round = { id: started.workOrder.id, stops: started.stops };
  });

  it('the pair hears of it, starts it and walks today’s stops in order', async () => {
    const mine = (
      await ok(
        `{ inspections(first: 20, filter: { mine: true, statuses: [ASSIGNED] }) { nodes { id kind } } }`,
        {},
        tokens.inspector2!,
      )
    ).inspections.nodes;
    expect(mine.map((o: { id: string }) => o.id)).toContain(round.id);
    const SUB = `subscription { workOrderChanged { change workOrder { id status } } }`;
    const heard = server.subscribe(tokens.inspector2, SUB);
    await new Promise((r) => setTimeout(r, 1000));
    const started = (
      await ok(
        `mutation($i: WorkOrderActionInput!) { startWorkOrder(input: $i) { workOrder { status } } }`,
        { i: { id: round.id } },
        tokens.inspector1!,
      )
    ).startWorkOrder.workOrder;
    expect(started.status).toBe('IN_PROGRESS');
    for (const end = Date.now() + 5000; heard.received.length === 0 && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20));
    expect(heard.received[0]?.data.workOrderChanged).toEqual({
      change: 'STARTED',
      workOrder: { id: round.id, status: 'IN_PROGRESS' },
    });
    await heard.client.dispose();

    await ok(
      `mutation($i: RecordPositionInput!) { recordPosition(input: $i) { __typename } }`,
      { i: { latitude: '23.9020', longitude: '106.6130' } },
      tokens.inspector1!,
    );
    const today = (
      await ok(
        `query($la: Decimal!, $lo: Decimal!) { todayStops(from: { latitude: $la, longitude: $lo }) {
          totalDistanceMeters stops { stop { id } workOrder { id } cumulativeDistanceMeters } } }`,
        { la: '23.9020', lo: '106.6130' },
        tokens.inspector1!,
      )
    ).todayStops;
    const ours = today.stops.filter((s: { workOrder: { id: string } }) => s.workOrder.id === round.id);
    expect(ours.map((s: { stop: { id: string } }) => s.stop.id).sort()).toEqual(round.stops.map((s) => s.id).sort());
    const walked = ours.map((s: { cumulativeDistanceMeters: number }) => s.cumulativeDistanceMeters);
    expect(walked).toEqual([...walked].sort((a, b) => a - b));
  });

  it('they scan a box, photograph it and read every meter; each reading is checked against the automatic one', async () => {
    const first = round.stops.find((s) => s.meterBox)!;
    const scan = (
      await ok(
        `query($c: String!) { scanBarcode(code: $c) { kind meters { meter { id } customer { accountNo } latestReadings { register value } } openTasks { id } } }`,
        { c: first.meterBox!.barcode },
        tokens.inspector1!,
      )
    ).scanBarcode;
    expect(scan.kind).toBe('METER_BOX');
    expect(scan.openTasks.map((t: { id: string }) => t.id)).toContain(round.id);
    const photo = await uploadPhoto(
      server,
      tokens.inspector1!,
      { bytes: JPEG },
      {
        workOrderId: round.id,
        stopId: first.id,
        latitude: '23.9021',
        longitude: '106.6131',
      },
    );
    expect(photo.status).toBe(201);

    const READ = `mutation($i: RecordStopReadingInput!) { recordStopReading(input: $i) {
      stop { status fieldValue automaticValue difference } } }`;
    for (const [i, stop] of round.stops.entries()) {
      if (!stop.meter) continue;
      const latest = (
        await ok(
          `query($m: ID!) { meter(id: $m) { latestReading { value } } }`,
          { m: stop.meter.id },
          tokens.inspector1!,
        )
      ).meter.latestReading;
      // What the pair reads on the register: the collected value and a little more since.
      const value = new Dec(latest?.value ?? '0').plus('0.05').toFixed(2);
      const by = i % 2 === 0 ? tokens.inspector1! : tokens.inspector2!;
      const read = (await ok(READ, { i: { stopId: stop.id, value, latitude: '23.9021', longitude: '106.6131' } }, by))
        .recordStopReading.stop;
      expect(read.status).toBe('VISITED');
      expect(read.fieldValue).toBeTruthy();
      if (read.automaticValue !== null) {
        expect(new Dec(read.difference).eq(new Dec(read.fieldValue).minus(read.automaticValue))).toBe(true);
      }
    }
    // Nobody else of the station reads on their order.
    const stranger = onlyError(
      await server.gql(READ, { i: { stopId: round.stops[0]!.id, value: '1' } }, tokens.reader1),
    );
    expect(['FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND']).toContain(stranger.extensions?.code);
  });

  it('both confirm, the manager approves, and the KPI report shows the round', async () => {
    const CONFIRM = `mutation($i: ConfirmWorkOrderInput!) { confirmWorkOrder(input: $i) { workOrder { status } } }`;
    expect(
      (await ok(CONFIRM, { i: { id: round.id, result: 'All meters read' } }, tokens.inspector1!)).confirmWorkOrder
        .workOrder.status,
    ).toBe('IN_PROGRESS');
    expect((await ok(CONFIRM, { i: { id: round.id } }, tokens.inspector2!)).confirmWorkOrder.workOrder.status).toBe(
      'SUBMITTED',
    );
    const approved = (
      await ok(
        `mutation($i: WorkOrderActionInput!) { approveWorkOrder(input: $i) { workOrder { status reviewedBy { username } } } }`,
        { i: { id: round.id, note: 'Good' } },
        tokens.manager1!,
      )
    ).approveWorkOrder.workOrder;
    expect(approved).toEqual({ status: 'APPROVED', reviewedBy: { username: 'manager1' } });
    // The manager sees the evidence: the photo on the order and at its stop, with where it was taken.
    const evidence = (
      await ok(
        `query($id: ID!) { workOrder(id: $id) { photos { id latitude contentType } stops { id photos { id } } } }`,
        { id: round.id },
        tokens.manager1!,
      )
    ).workOrder;
    expect(evidence.photos).toHaveLength(1);
    expect(evidence.photos[0]).toMatchObject({ latitude: '23.9021', contentType: 'image/jpeg' });
    expect(evidence.stops.flatMap((s: { photos: unknown[] }) => s.photos)).toHaveLength(1);

    const today = DateTime.now().setZone(ZONE).startOf('day');
    const KPIS = `query($i: KpiInput!) { kpis(input: $i) {
      unit { workOrderTimeliness { numerator denominator rate } checkReadingAccuracy { numerator denominator } }
      people { username figures { workOrderTimeliness { numerator denominator } checkReadingAccuracy { numerator denominator } } } } }`;
    const report = (
      await ok(
        KPIS,
        {
          i: { orgUnitId: ids.station, from: today.toISODate(), to: today.plus({ days: 2 }).toISODate(), people: true },
        },
        tokens.manager1!,
      )
    ).kpis;
    const meters = round.stops.filter((s) => s.meter).length;
    // The round was due today and submitted before its due time.
    expect(report.unit.workOrderTimeliness.numerator).toBeGreaterThanOrEqual(1);
    expect(report.unit.checkReadingAccuracy.denominator).toBeGreaterThanOrEqual(meters);
    const person = (name: string) => report.people.find((p: { username: string }) => p.username === name).figures;
    for (const name of ['inspector1', 'inspector2']) {
      expect(person(name).workOrderTimeliness).toEqual({ numerator: 1, denominator: 1 });
    }
    expect(
      person('inspector1').checkReadingAccuracy.denominator + person('inspector2').checkReadingAccuracy.denominator,
    ).toBe(report.unit.checkReadingAccuracy.denominator);
    // The printed report answers with the same token.
    const pdf = await fetch(
      `${server.url}/reports/kpis.pdf?orgUnitId=${encodeURIComponent(ids.station!)}&from=${today.toISODate()}&to=${today.plus({ days: 1 }).toISODate()}`,
      { headers: { authorization: `Bearer ${tokens.manager1}` } },
    );
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
  });
});
