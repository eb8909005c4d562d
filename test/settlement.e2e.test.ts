import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/shared/decimal.js';
import { fromGlobalId, toGlobalId } from '../src/shared/global-id.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * A month's settlement through the API, as a station manager does it, on the demo (three months of
 * daily frozen readings). The period is last month, so every cycle of it has closed.
 */
let server: TestServer;
let manager1: string;
let yjStation: string;
const PERIOD = DateTime.now().setZone('Asia/Shanghai').minus({ months: 1 }).toFormat('yyyy-MM');

const RUN = `mutation($input: RunSettlementInput!) { runSettlement(input: $input) { run { id status customerCount } } }`;
const RUN_STATE = `query($id: ID!) { settlementRun(id: $id) {
  status customerCount processedCount billedCount unchangedCount failedCount totalAmount
  failures { accountNo code reason } } }`;
const BILLS = `query($filter: BillFilter, $after: String) { bills(first: 100, after: $after, filter: $filter) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id version status totalKwh totalAmount difference reason cycleStart cycleEnd tariffCode
    customer { accountNo }
    lines { kind band tier quantity unitPrice amount }
    determinants { multiplier kwh rolledOver start { value from } end { at value from } } } } }`;

interface Bill {
  id: string;
  version: number;
  status: string;
  totalKwh: string;
  totalAmount: string;
  difference: string | null;
  reason: string | null;
  customer: { accountNo: string };
  lines: { kind: string; quantity: string; unitPrice: string; amount: string }[];
  determinants: { multiplier: string; kwh: string; start: { value: string }; end: { at: string; value: string } }[];
}
interface RunState {
  status: string;
  customerCount: number;
  processedCount: number;
  billedCount: number;
  unchangedCount: number;
  failedCount: number;
  totalAmount: string;
  failures: { accountNo: string; code: string; reason: string }[];
}

async function settle(token: string): Promise<RunState & { id: string }> {
  const started = await server.gql<{ runSettlement: { run: { id: string; status: string } } }>(
    RUN,
    { input: { orgUnitId: yjStation, period: PERIOD } },
    token,
  );
  expect(started.errors).toBeUndefined();
  const id = started.data!.runSettlement.run.id;
  await server.app.settlements.idle();
  const state = await server.gql<{ settlementRun: RunState }>(RUN_STATE, { id }, token);
  return { id, ...state.data!.settlementRun };
}

async function allBills(token: string, filter: Record<string, unknown>): Promise<Bill[]> {
  const out: Bill[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await server.gql<{
      bills: { nodes: Bill[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(BILLS, { filter, after }, token);
    expect(res.errors).toBeUndefined();
    out.push(...res.data!.bills.nodes);
    if (!res.data!.bills.pageInfo.hasNextPage) return out;
    after = res.data!.bills.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  server = await startTestServer({ demo: true, demoDays: 92 });
  manager1 = await server.login('manager1');
  const units = await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
    `{ orgUnits(first: 10, filter: { search: "ST-YJ" }) { nodes { id code } } }`,
    {},
    manager1,
  );
  yjStation = units.data!.orgUnits.nodes.find((u) => u.code === 'ST-YJ')!.id;
}, 120_000);
afterAll(async () => server?.stop());

describe('settlement runs', () => {
  let firstRun: RunState & { id: string };
  let bills: Bill[];

  it('settles every customer of the station and drafts one bill each', async () => {
    firstRun = await settle(manager1);
    expect(firstRun.failures.slice(0, 3)).toEqual([]);
    expect(firstRun).toMatchObject({ status: 'COMPLETED', failedCount: 0, unchangedCount: 0 });
    expect(firstRun.customerCount).toBe(180);
    expect(firstRun.processedCount).toBe(180);
    expect(firstRun.billedCount).toBe(180);
    bills = await allBills(manager1, { runId: firstRun.id });
    expect(bills).toHaveLength(180);
    const sum = bills.reduce((s, b) => s.plus(b.totalAmount), new Dec(0));
    expect(sum.eq(firstRun.totalAmount)).toBe(true);
  });

  it('makes each bill the sum of its lines, and its energy the determinants', async () => {
    for (const bill of bills) {
      expect(bill.status).toBe('DRAFT');
      expect(bill.version).toBe(1);
      const lines = bill.lines.reduce((s, l) => s.plus(l.amount), new Dec(0));
      expect(lines.toFixed(2)).toBe(new Dec(bill.totalAmount).toFixed(2));
      for (const line of bill.lines) {
        // Every amount is its quantity times its price, rounded half up to the fen.
        if (line.kind !== 'FIXED')
          expect(new Dec(line.quantity).times(line.unitPrice).toDecimalPlaces(2).eq(line.amount)).toBe(true);
      }
      const energy = bill.determinants.reduce(
        (s, d) => s.plus(new Dec(d.end.value).minus(d.start.value).times(d.multiplier)),
        new Dec(0),
      );
      expect(energy.eq(bill.totalKwh)).toBe(true);
      expect(new Dec(bill.totalKwh).gt(0)).toBe(true);
    }
  });

  it('runs again without duplicates: drafts recomputed in place', async () => {
    const again = await settle(manager1);
    expect(again).toMatchObject({ status: 'COMPLETED', billedCount: 180, failedCount: 0 });
    const now = await allBills(manager1, { period: PERIOD, orgUnitSubtree: yjStation });
    expect(now.map((b) => b.id).sort()).toEqual(bills.map((b) => b.id).sort());
    expect(now.map((b) => b.totalAmount).sort()).toEqual(bills.map((b) => b.totalAmount).sort());
  });

  it('approves and issues; a customer sees only what was issued to them', async () => {
    const customer = await server.login('customer1');
    const own = bills.find((b) => b.customer.accountNo === '060100000001')!;
    expect((await allBills(customer, {})).length).toBe(0);
    const approved = await server.gql(
      `mutation($input: BillsInput!) { approveBills(input: $input) { bills { status } } }`,
      { input: { billIds: [own.id] } },
      manager1,
    );
    expect(approved.errors).toBeUndefined();
    const issueTwice = await server.gql(
      `mutation($input: BillsInput!) { issueBills(input: $input) { bills { status } } }`,
      { input: { billIds: [own.id, bills[1]!.id] } },
      manager1,
    );
    // The second bill is still a draft: nothing is issued.
    expect(onlyError(issueTwice).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'billIds', 1] }],
    });
    expect((await allBills(customer, {})).length).toBe(0);
    const issued = await server.gql(
      `mutation($input: BillsInput!) { issueBills(input: $input) { bills { status issuedAt } } }`,
      { input: { billIds: [own.id] } },
      manager1,
    );
    expect(issued.errors).toBeUndefined();
    const seen = await allBills(customer, {});
    expect(seen.map((b) => [b.id, b.status])).toEqual([[own.id, 'ISSUED']]);
  });

  it('drafts version 2 with the difference when an issued bill changes, and reports customers it cannot bill', async () => {
    const own = bills.find((b) => b.customer.accountNo === '060100000001')!;
    const other = bills.find((b) => b.customer.accountNo === '060100000002')!;
    const em = server.em();
    // The end value of customer 1's cycle is 10 kWh higher; customer 2 loses its end value.
    const end1 = own.determinants.at(-1)!;
    const meter1 = Number(
      fromGlobalId(
        (
          await server.gql<{ bill: { determinants: { meterId: string }[] } }>(
            `query($id: ID!) { bill(id: $id) { determinants { meterId } } }`,
            { id: own.id },
            manager1,
          )
        ).data!.bill.determinants.at(-1)!.meterId,
      )!.id,
    );
    // The correction goes through VEE, as a station manager makes it: the bill follows.
    const reading = await server.gql<{ readings: { nodes: { id: string; value: string }[] } }>(
      `query($m: ID!, $from: DateTime!, $to: DateTime!) { readings(first: 1, filter: { meterIds: [$m], from: $from, to: $to, registers: [FORWARD_ACTIVE_TOTAL] }) { nodes { id value } } }`,
      {
        m: toGlobalId('Meter', meter1),
        from: end1.end.at,
        to: new Date(new Date(end1.end.at).getTime() + 1000).toISOString(),
      },
      manager1,
    );
    const corrected = reading.data!.readings.nodes[0]!;
    expect(corrected.value).toBe(end1.end.value);
    const edit = await server.gql(
      `mutation($input: EditReadingInput!) { editReading(input: $input) { reading { value source } } }`,
      {
        input: {
          readingId: corrected.id,
          value: new Dec(corrected.value).plus(10).toFixed(),
          reason: 'the automatic value was 10 kWh short of the meter face',
        },
      },
      manager1,
    );
    expect(edit.errors).toBeUndefined();
    await server.app.settlements.idle();
    const afterEdit = await allBills(manager1, { period: PERIOD, orgUnitSubtree: yjStation });
    const edited = afterEdit
      .filter((b) => b.customer.accountNo === '060100000001')
      .sort((a, b) => a.version - b.version);
    expect(edited.map((b) => [b.version, b.status])).toEqual([
      [1, 'ISSUED'],
      [2, 'DRAFT'],
    ]);
    expect(edited[1]!.reason).toMatch(/corrected/);
    const meter2 = (
      await server.gql<{ bill: { determinants: { meterId: string }[] } }>(
        `query($id: ID!) { bill(id: $id) { determinants { meterId } } }`,
        { id: other.id },
        manager1,
      )
    ).data!.bill.determinants.at(-1)!.meterId;
    await em
      .getConnection()
      .execute(`delete from reading where meter_id = ? and value = ?`, [
        Number(fromGlobalId(meter2)!.id),
        other.determinants.at(-1)!.end.value,
      ]);

    const rerun = await settle(manager1);
    expect(rerun.status).toBe('COMPLETED');
    expect(rerun.failures).toEqual([expect.objectContaining({ accountNo: '060100000002', code: 'MISSING_VALUE' })]);
    expect(rerun.failedCount).toBe(1);
    const versions = await allBills(manager1, { customerId: undefined, period: PERIOD, orgUnitSubtree: yjStation });
    const mine = versions.filter((b) => b.customer.accountNo === '060100000001').sort((a, b) => a.version - b.version);
    expect(mine.map((b) => [b.version, b.status])).toEqual([
      [1, 'ISSUED'],
      [2, 'DRAFT'],
    ]);
    expect(new Dec(mine[1]!.totalKwh).minus(mine[0]!.totalKwh).toFixed()).toBe('10');
    expect(new Dec(mine[1]!.totalAmount).minus(mine[0]!.totalAmount).toFixed(2)).toBe(mine[1]!.difference);
    expect(new Dec(mine[1]!.difference!).gt(0)).toBe(true);
    // Issuing version 2 supersedes version 1.
    await server.gql(
      `mutation($input: BillsInput!) { approveBills(input: $input) { bills { id } } }`,
      {
        input: { billIds: [mine[1]!.id] },
      },
      manager1,
    );
    await server.gql(
      `mutation($input: BillsInput!) { issueBills(input: $input) { bills { id } } }`,
      {
        input: { billIds: [mine[1]!.id] },
      },
      manager1,
    );
    const customer = await server.login('customer1');
    const seen = await allBills(customer, {});
    expect(seen.map((b) => [b.version, b.status]).sort()).toEqual([
      [1, 'SUPERSEDED'],
      [2, 'ISSUED'],
    ]);
  });

  it("shows tier progress: the count of the customer's last bill plus the energy since", async () => {
    const customer = await server.login('customer1');
    const today = DateTime.now().setZone('Asia/Shanghai').toISODate()!;
    const res = await server.gql<{
      customers: {
        nodes: {
          tierProgress: {
            basis: string;
            countedFrom: string;
            asOf: string;
            usedKwh: string;
            tiers: { tier: number; usedInTier: string; remainingInTier: string | null }[];
          };
          servicePoints: { nodes: { id: string }[] };
        }[];
      };
      bills: { nodes: { cycleEnd: string; tierUsedAfter: string; version: number }[] };
    }>(
      `{ customers(first: 1) { nodes {
          tierProgress { basis countedFrom asOf usedKwh tiers { tier usedInTier remainingInTier } }
          servicePoints(first: 1) { nodes { id } } } }
         bills(first: 10) { nodes { cycleEnd tierUsedAfter version } } }`,
      {},
      customer,
    );
    expect(res.errors).toBeUndefined();
    const { tierProgress, servicePoints } = res.data!.customers.nodes[0]!;
    const last = res.data!.bills.nodes.sort((a, b) => b.version - a.version)[0]!;
    expect(tierProgress).toMatchObject({ basis: 'ANNUAL', countedFrom: last.cycleEnd, asOf: today });
    const since = await server.gql<{ consumption: { whole: { total: string } } }>(
      `query($sp: ID!, $from: LocalDate!, $to: LocalDate!) { consumption(servicePointId: $sp, from: $from, to: $to, granularity: MONTH) { whole { total } } }`,
      { sp: servicePoints.nodes[0]!.id, from: last.cycleEnd, to: today },
      customer,
    );
    const expected = new Dec(last.tierUsedAfter).plus(since.data!.consumption.whole.total);
    expect(new Dec(tierProgress.usedKwh).eq(expected)).toBe(true);
    const inTiers = tierProgress.tiers.reduce((s, t) => s.plus(t.usedInTier), new Dec(0));
    expect(inTiers.eq(expected)).toBe(true);
    expect(tierProgress.tiers[0]!.remainingInTier).not.toBeNull();
  });

  it('keeps each station to its own customers, and refuses bad input', async () => {
    const manager2 = await server.login('manager2');
    const refused = await server.gql(RUN, { input: { orgUnitId: yjStation, period: PERIOD } }, manager2);
    expect(onlyError(refused).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'orgUnitId'] }],
    });
    expect((await allBills(manager2, { period: PERIOD })).length).toBe(0);
    const reader = await server.login('reader1');
    expect(
      onlyError(await server.gql(RUN, { input: { orgUnitId: yjStation, period: PERIOD } }, reader)).extensions?.code,
    ).toBe('FORBIDDEN');
    const bad = await server.gql(RUN, { input: { orgUnitId: yjStation, period: '2026-13' } }, manager1);
    expect(onlyError(bad).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'period'] }],
    });
  });
});
