import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { fromGlobalId } from '../src/shared/global-id.js';
import { createLogger } from '../src/shared/logger.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * Work orders through the API on the demo: the status flow, the two-person rule on every path that
 * assigns people, who sees which orders, and who hears of their changes.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

const FIELDS = `id kind status title dueAt assignedAt startedAt submittedAt reviewedAt closedAt rejections cancelReason
  twoPersonRule assignees { user { username } confirmedAt } stops { seq status meter { assetNo } meterBox { barcode } customer { accountNo } }
  orgUnit { code } meter { assetNo } meterBox { barcode } customer { accountNo }`;
const CREATE = `mutation($input: CreateWorkOrderInput!) { createWorkOrder(input: $input) { workOrder { ${FIELDS} } } }`;
const ASSIGN = `mutation($input: AssignWorkOrderInput!) { assignWorkOrder(input: $input) { workOrder { ${FIELDS} } } }`;
const BULK = `mutation($input: BulkAssignWorkOrdersInput!) { bulkAssignWorkOrders(input: $input) { workOrders { id status assignees { user { username } } } } }`;
const action = (name: string, input = 'WorkOrderActionInput') =>
  `mutation($input: ${input}!) { ${name}(input: $input) { workOrder { ${FIELDS} } } }`;
const START = action('startWorkOrder');
const CONFIRM = action('confirmWorkOrder', 'ConfirmWorkOrderInput');
const APPROVE = action('approveWorkOrder');
const REJECT = action('rejectWorkOrder');
const CLOSE = action('closeWorkOrder', 'CloseWorkOrderInput');
const GET = `query($id: ID!) { workOrder(id: $id) { ${FIELDS} } }`;
const LIST = `query($f: WorkOrderFilter) { inspections(first: 100, filter: $f) { totalCount nodes { id kind status title } } }`;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function ok<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function count(token = tokens.admin!) {
  return (await ok(LIST, {}, token)).inspections.totalCount as number;
}

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const name of ['admin', 'manager1', 'manager2', 'reader1', 'reader2', 'inspector1', 'inspector2', 'auditor']) {
    tokens[name] = await server.login(name);
  }
  for (const name of [
    'manager1',
    'reader1',
    'reader2',
    'inspector1',
    'inspector2',
    'manager2',
    'customer1',
    'collector',
  ]) {
    const res = await ok(
      `query($s: String!) { users(filter: { search: $s }) { nodes { id username } } }`,
      { s: name },
      tokens.admin!,
    );
    ids[name] = res.users.nodes.find((u: { username: string }) => u.username === name).id;
  }
  const units = await ok(`{ orgUnits(first: 50) { nodes { id code } } }`, {}, tokens.admin!);
  for (const u of units.orgUnits.nodes) ids[u.code] = u.id;
  const meters = await ok(
    `query($id: ID!) { orgUnit(id: $id) { meters(first: 10) { nodes { id assetNo meterBox { id barcode } } } } }`,
    { id: ids['TA-YJ-01'] },
    tokens.admin!,
  );
  // A customer's meter in a box (the area's supply meter has none).
  const boxed = meters.orgUnit.meters.nodes.find((m: { meterBox: unknown }) => m.meterBox);
  ids.meter = boxed.id;
  ids.box = boxed.meterBox.id;
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('the two-person rule', () => {
  it('refuses one person, or one person named twice, when an order is created, and writes nothing', async () => {
    const before = await count();
    for (const assigneeIds of [[ids.reader1], [ids.reader1, ids.reader1]]) {
      const error = onlyError(
        await server.gql(
          CREATE,
          {
            input: {
              kind: 'PERIODIC_CHECK_READING',
              title: 'Check reading',
              orgUnitId: ids['ST-YJ'],
              dueAt: inDays(3),
              meterId: ids.meter,
              assigneeIds,
            },
          },
          tokens.manager1,
        ),
      );
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.reason).toBe('TWO_PERSON_RULE');
      expect(error.extensions?.fields?.[0]?.path).toEqual(['input', 'assigneeIds']);
    }
    expect(await count()).toBe(before);
  });

  it('refuses a one-person reassignment and a one-person bulk assignment, leaving every order as it was', async () => {
    const created = [];
    for (const title of ['Inspection A', 'Inspection B']) {
      created.push(
        (
          await ok(
            CREATE,
            {
              input: {
                kind: 'ELECTRICITY_INSPECTION',
                title,
                orgUnitId: ids['ST-YJ'],
                dueAt: inDays(5),
                meterBoxId: ids.box,
                assigneeIds: [ids.inspector1, ids.inspector2],
              },
            },
            tokens.manager1!,
          )
        ).createWorkOrder.workOrder,
      );
    }
    expect(created[0].status).toBe('ASSIGNED');
    expect(created[0].stops.length).toBeGreaterThan(0);
    const reassign = onlyError(
      await server.gql(ASSIGN, { input: { id: created[0].id, assigneeIds: [ids.reader1] } }, tokens.manager1),
    );
    expect(reassign.extensions?.reason).toBe('TWO_PERSON_RULE');
    const bulk = onlyError(
      await server.gql(
        BULK,
        { input: { ids: created.map((o) => o.id), assigneeIds: [ids.inspector2, ids.inspector2] } },
        tokens.manager1,
      ),
    );
    expect(bulk.extensions?.reason).toBe('TWO_PERSON_RULE');
    for (const order of created) {
      const now = (await ok(GET, { id: order.id }, tokens.manager1!)).workOrder;
      expect(now.assignees.map((a: { user: { username: string } }) => a.user.username).sort()).toEqual([
        'inspector1',
        'inspector2',
      ]);
    }
    // A pair is fine in bulk too, and replaces the people on every order at once.
    const res = await ok(
      BULK,
      { input: { ids: created.map((o) => o.id), assigneeIds: [ids.reader1, ids.reader2] } },
      tokens.manager1!,
    );
    for (const order of res.bulkAssignWorkOrders.workOrders) {
      expect(order.assignees.map((a: { user: { username: string } }) => a.user.username).sort()).toEqual([
        'reader1',
        'reader2',
      ]);
    }
  });

  it('refuses people who are not field staff, cannot log in, or work elsewhere', async () => {
    const base = {
      kind: 'METER_INSTALLATION',
      title: 'Install',
      orgUnitId: ids['ST-YJ'],
      dueAt: inDays(2),
    };
    for (const [other, message] of [
      ['customer1', /not field staff/],
      ['collector', /not found or not accessible/],
      ['manager2', /not found or not accessible|works outside/],
    ] as const) {
      const error = onlyError(
        await server.gql(CREATE, { input: { ...base, assigneeIds: [ids.reader1, ids[other]] } }, tokens.manager1),
      );
      expect(error.extensions?.code, other).toBe('BAD_USER_INPUT');
      expect(error.message, other).toMatch(message);
    }
    // The admin may read manager2, who works in another station and could not see the order.
    const error = onlyError(
      await server.gql(CREATE, { input: { ...base, assigneeIds: [ids.reader1, ids.manager2] } }, tokens.admin),
    );
    expect(error.message).toMatch(/works outside/);
  });

  it('can be turned off per kind by an admin only, and is on by default', async () => {
    const SET = `mutation($input: SetWorkOrderKindSettingInput!) { setWorkOrderKindSetting(input: $input) { setting { kind twoPersonRule } } }`;
    const settings = await ok(`{ workOrderKindSettings { kind twoPersonRule } }`, {}, tokens.manager1!);
    expect(settings.workOrderKindSettings.every((s: { twoPersonRule: boolean }) => s.twoPersonRule)).toBe(true);
    const refused = onlyError(
      await server.gql(SET, { input: { kind: 'ALARM_FOLLOW_UP', twoPersonRule: false } }, tokens.manager1),
    );
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    await ok(SET, { input: { kind: 'METER_REMOVAL', twoPersonRule: false } }, tokens.admin!);
    try {
      const single = await ok(
        CREATE,
        {
          input: {
            kind: 'METER_REMOVAL',
            title: 'Remove',
            orgUnitId: ids['ST-YJ'],
            dueAt: inDays(2),
            assigneeIds: [ids.reader1],
          },
        },
        tokens.manager1!,
      );
      expect(single.createWorkOrder.workOrder.twoPersonRule).toBe(false);
      expect(single.createWorkOrder.workOrder.status).toBe('ASSIGNED');
    } finally {
      await ok(SET, { input: { kind: 'METER_REMOVAL', twoPersonRule: true } }, tokens.admin!);
    }
  });
});

describe('the status flow', () => {
  it('goes from created to closed: both assignees confirm, someone else approves', async () => {
    const created = (
      await ok(
        CREATE,
        {
          input: {
            kind: 'PERIODIC_CHECK_READING',
            title: 'Check reading of one meter',
            orgUnitId: ids['ST-YJ'],
            dueAt: inDays(1),
            meterId: ids.meter,
          },
        },
        tokens.manager1!,
      )
    ).createWorkOrder.workOrder;
    expect(created.status).toBe('CREATED');
    expect(created.stops).toHaveLength(1);
    expect(created.meterBox.barcode).toBeTruthy();
    const id = created.id;
    // Nobody assigned cannot start it; the reader is not assigned yet.
    expect(onlyError(await server.gql(START, { input: { id } }, tokens.reader1)).extensions?.code).toBe('FORBIDDEN');
    await ok(ASSIGN, { input: { id, assigneeIds: [ids.manager1, ids.inspector1] } }, tokens.manager1!);
    // Readers of the station see it but cannot act on it; the assignee can.
    expect(onlyError(await server.gql(START, { input: { id } }, tokens.reader1)).extensions?.code).toBe('FORBIDDEN');
    const started = (await ok(START, { input: { id } }, tokens.inspector1!)).startWorkOrder.workOrder;
    expect(started.status).toBe('IN_PROGRESS');
    // Work under way keeps people: taking everyone off is refused.
    expect(
      onlyError(await server.gql(ASSIGN, { input: { id, assigneeIds: [] } }, tokens.manager1)).extensions?.fields?.[0]
        ?.path,
    ).toEqual(['input', 'assigneeIds']);
    // Approval before submission is refused.
    expect(onlyError(await server.gql(APPROVE, { input: { id } }, tokens.admin)).extensions?.fields?.[0]?.path).toEqual(
      ['input', 'id'],
    );
    const one = (await ok(CONFIRM, { input: { id, result: 'Read 1234.5, matches' } }, tokens.inspector1!))
      .confirmWorkOrder.workOrder;
    expect(one.status).toBe('IN_PROGRESS');
    const twice = onlyError(await server.gql(CONFIRM, { input: { id } }, tokens.inspector1));
    expect(twice.extensions?.code).toBe('CONFLICT');
    const both = (await ok(CONFIRM, { input: { id } }, tokens.manager1!)).confirmWorkOrder.workOrder;
    expect(both.status).toBe('SUBMITTED');
    expect(both.submittedAt).toBeTruthy();
    // manager1 did the work: someone else reviews it.
    expect(onlyError(await server.gql(APPROVE, { input: { id } }, tokens.manager1)).extensions?.code).toBe('FORBIDDEN');
    // A rejection needs a note, and sends it back with the confirmations cleared.
    expect(onlyError(await server.gql(REJECT, { input: { id } }, tokens.admin)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const rejected = (await ok(REJECT, { input: { id, note: 'Photo missing' } }, tokens.admin!)).rejectWorkOrder
      .workOrder;
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.rejections).toBe(1);
    expect(rejected.assignees.every((a: { confirmedAt: string | null }) => a.confirmedAt === null)).toBe(true);
    await ok(START, { input: { id } }, tokens.manager1!);
    await ok(CONFIRM, { input: { id } }, tokens.manager1!);
    await ok(CONFIRM, { input: { id } }, tokens.inspector1!);
    const approved = (await ok(APPROVE, { input: { id, note: 'Fine' } }, tokens.admin!)).approveWorkOrder.workOrder;
    expect(approved.status).toBe('APPROVED');
    const closed = (await ok(CLOSE, { input: { id } }, tokens.manager1!)).closeWorkOrder.workOrder;
    expect(closed.status).toBe('CLOSED');
    expect(closed.cancelReason).toBeNull();
    expect(
      onlyError(await server.gql(ASSIGN, { input: { id, assigneeIds: [] } }, tokens.manager1)).extensions?.code,
    ).toBe('BAD_USER_INPUT');
  });

  it('closes the alarm an approved ALARM_FOLLOW_UP order followed', async () => {
    const sql: SqlExecutor = { execute: (text, params) => server.em().getConnection().execute(text, params) };
    const raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
    const meterId = Number(fromGlobalId(ids.meter!)!.id);
    await raiser.raise({ meterId, type: AlarmType.METER_COVER_OPEN, message: 'cover opened', at: new Date() });
    const alarm = (
      await ok(
        `query($m: ID!) { alarms(first: 1, filter: { meterId: $m, types: [METER_COVER_OPEN] }) { nodes { id status } } }`,
        { m: ids.meter },
        tokens.manager1!,
      )
    ).alarms.nodes[0];
    expect(alarm.status).toBe('OPEN');
    // Without the alarm, a follow-up is refused.
    const base = { kind: 'ALARM_FOLLOW_UP', title: 'Cover open', orgUnitId: ids['ST-YJ'], dueAt: inDays(1) };
    expect(
      onlyError(await server.gql(CREATE, { input: { ...base, assigneeIds: [] } }, tokens.manager1)).extensions
        ?.fields?.[0]?.path,
    ).toEqual(['input', 'alarmId']);
    const id = (
      await ok(
        CREATE,
        { input: { ...base, alarmId: alarm.id, meterId: ids.meter, assigneeIds: [ids.reader1, ids.reader2] } },
        tokens.manager1!,
      )
    ).createWorkOrder.workOrder.id;
    await ok(START, { input: { id } }, tokens.reader2!);
    await ok(CONFIRM, { input: { id, result: 'Cover resealed' } }, tokens.reader1!);
    await ok(CONFIRM, { input: { id } }, tokens.reader2!);
    await ok(APPROVE, { input: { id } }, tokens.manager1!);
    const after = await ok(
      `query($id: ID!) { alarm(id: $id) { status closedBy { username } } }`,
      { id: alarm.id },
      tokens.manager1!,
    );
    expect(after.alarm).toEqual({ status: 'CLOSED', closedBy: { username: 'manager1' } });
  });

  it('sends a rectification order for a verified hazard, once', async () => {
    const hazard = (
      await ok(
        `mutation($i: ReportHazardInput!) { reportHazard(input: $i) { hazardReport { id status } } }`,
        { i: { category: 'SEAL_BROKEN', description: 'Seal of the box cut', meterBoxId: ids.box } },
        tokens.reader1!,
      )
    ).reportHazard.hazardReport;
    const base = {
      kind: 'HAZARD_RECTIFICATION',
      title: 'Reseal the box',
      orgUnitId: ids['ST-YJ'],
      dueAt: inDays(2),
      meterBoxId: ids.box,
      hazardReportId: hazard.id,
    };
    // Not before it is verified.
    const early = onlyError(await server.gql(CREATE, { input: base }, tokens.manager1));
    expect(early.extensions?.fields?.[0]?.path).toEqual(['input', 'hazardReportId']);
    await ok(
      `mutation($i: VerifyHazardInput!) { verifyHazard(input: $i) { hazardReport { status points } } }`,
      { i: { id: hazard.id } },
      tokens.manager1!,
    );
    const wrongKind = onlyError(
      await server.gql(CREATE, { input: { ...base, kind: 'ELECTRICITY_INSPECTION' } }, tokens.manager1),
    );
    expect(wrongKind.extensions?.fields?.[0]?.path).toEqual(['input', 'hazardReportId']);
    const order = (await ok(CREATE, { input: base }, tokens.manager1!)).createWorkOrder.workOrder;
    const linked = await ok(
      `query($id: ID!) { hazardReport(id: $id) { rectification { id kind } } }`,
      { id: hazard.id },
      tokens.manager1!,
    );
    expect(linked.hazardReport.rectification).toEqual({ id: order.id, kind: 'HAZARD_RECTIFICATION' });
    const again = onlyError(await server.gql(CREATE, { input: base }, tokens.manager1));
    expect(again.message).toMatch(/already has its rectification/);
  });

  it('cancels an order never approved only with a reason', async () => {
    const id = (
      await ok(
        CREATE,
        { input: { kind: 'METER_EXCHANGE', title: 'Exchange', orgUnitId: ids['ST-YJ'], dueAt: inDays(4) } },
        tokens.manager1!,
      )
    ).createWorkOrder.workOrder.id;
    const error = onlyError(await server.gql(CLOSE, { input: { id } }, tokens.manager1));
    expect(error.extensions?.fields?.[0]?.path).toEqual(['input', 'cancelReason']);
    const closed = (await ok(CLOSE, { input: { id, cancelReason: 'Customer moved out' } }, tokens.manager1!))
      .closeWorkOrder.workOrder;
    expect(closed).toMatchObject({ status: 'CLOSED', cancelReason: 'Customer moved out' });
  });
});

describe('who sees what', () => {
  it('shows field staff their station’s orders, filters their own, and shows other stations nothing', async () => {
    const all = (await ok(LIST, {}, tokens.reader1!)).inspections;
    expect(all.totalCount).toBeGreaterThan(0);
    expect(all.totalCount).toBe((await ok(LIST, {}, tokens.manager1!)).inspections.totalCount);
    const mine = (await ok(LIST, { f: { mine: true } }, tokens.reader1!)).inspections;
    expect(mine.totalCount).toBeGreaterThan(0);
    expect(mine.totalCount).toBeLessThan(all.totalCount);
    expect((await ok(LIST, { f: { assigneeId: ids.reader1 } }, tokens.manager1!)).inspections.totalCount).toBe(
      mine.totalCount,
    );
    expect((await ok(LIST, {}, tokens.manager2!)).inspections.totalCount).toBe(0);
    const one = all.nodes[0].id;
    expect(onlyError(await server.gql(GET, { id: one }, tokens.manager2)).extensions?.code).toBe('NOT_FOUND');
    expect((await ok(`query($id: ID!) { node(id: $id) { id } }`, { id: one }, tokens.manager2!)).node).toBeNull();
    expect((await ok(LIST, {}, tokens.auditor!)).inspections.totalCount).toBe(all.totalCount);
    // Managers of another station cannot create orders here, nor change these.
    const refused = onlyError(
      await server.gql(
        CREATE,
        { input: { kind: 'ELECTRICITY_INSPECTION', title: 'x', orgUnitId: ids['ST-YJ'], dueAt: inDays(1) } },
        tokens.manager2,
      ),
    );
    expect(refused.extensions?.fields?.[0]?.path).toEqual(['input', 'orgUnitId']);
    expect(
      onlyError(await server.gql(CLOSE, { input: { id: one, cancelReason: 'x' } }, tokens.manager2)).extensions?.code,
    ).toBe('NOT_FOUND');
    // Filters: kind, status, due window, overdue.
    const inspections = (await ok(LIST, { f: { kinds: ['ELECTRICITY_INSPECTION'] } }, tokens.manager1!)).inspections;
    expect(inspections.nodes.every((o: { kind: string }) => o.kind === 'ELECTRICITY_INSPECTION')).toBe(true);
    const soon = (await ok(LIST, { f: { dueTo: inDays(1.5) } }, tokens.manager1!)).inspections;
    expect(soon.totalCount).toBeLessThan(all.totalCount);
    expect((await ok(LIST, { f: { overdue: true } }, tokens.manager1!)).inspections.totalCount).toBe(0);
  });
});

describe('subscriptions', () => {
  it('tell the people assigned and the managers, and nobody else', async () => {
    const SUB = `subscription { workOrderChanged { change workOrder { id title status } } }`;
    const inspector = server.subscribe(tokens.inspector2, SUB);
    const reader = server.subscribe(tokens.reader2, SUB);
    const manager = server.subscribe(tokens.manager1, SUB);
    const other = server.subscribe(tokens.manager2, SUB);
    await new Promise((r) => setTimeout(r, 1000));
    const order = (
      await ok(
        CREATE,
        {
          input: {
            kind: 'HAZARD_RECTIFICATION',
            title: 'Fix the box door',
            orgUnitId: ids['ST-YJ'],
            dueAt: inDays(2),
            meterBoxId: ids.box,
            assigneeIds: [ids.inspector1, ids.inspector2],
          },
        },
        tokens.manager1!,
      )
    ).createWorkOrder.workOrder;
    await ok(ASSIGN, { input: { id: order.id, assigneeIds: [ids.inspector1, ids.reader1] } }, tokens.manager1!);
    const started = Date.now();
    while ((inspector.received.length < 2 || manager.received.length < 2) && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    const changes = (s: typeof inspector) =>
      s.received
        .filter((e) => e.data.workOrderChanged.workOrder.id === order.id)
        .map((e) => e.data.workOrderChanged.change);
    // inspector2 hears of the assignment and of being taken off it.
    expect(changes(inspector)).toEqual(['ASSIGNED', 'ASSIGNED']);
    expect(changes(manager)).toEqual(['ASSIGNED', 'ASSIGNED']);
    expect(changes(reader)).toEqual([]);
    expect(other.received).toEqual([]);
    for (const s of [inspector, reader, manager, other]) await s.client.dispose();
  });
});
