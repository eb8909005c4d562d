import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/shared/decimal.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { DEMO_CUSTOMER_ACCOUNT, onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * The settlement report through the API and its downloads, as a station manager uses them, on the
 * demo with three months of readings: last month is settled, then reported, exported and charted.
 */
let server: TestServer;
let manager1: string;
let manager2: string;
let customer: string;
let yjStation: string;
const PERIOD = DateTime.now().setZone('Asia/Shanghai').minus({ months: 1 }).toFormat('yyyy-MM');

const REPORT = `query($id: ID!, $period: String!) { settlementReport(orgUnitId: $id, period: $period) {
  orgUnit { code } period generatedAt
  totals { customers bills kwh amount }
  statusCounts { status count }
  byCategory { category customers bills kwh amount }
  byTier { tier kwh amount }
  byBand { band kwh amount }
  byLineKind { kind quantity amount }
  stations { station { code } customers bills kwh amount }
  areas { area { code kind } customers bills kwh amount
          lineLoss { status lossRate qualified supplyKwh customersKwh band { min max } } }
  latestRun { id status failedCount }
  failures { accountNo code reason } } }`;

interface Totals {
  customers: number;
  bills: number;
  kwh: string;
  amount: string;
}
interface Report {
  totals: Totals;
  statusCounts: { status: string; count: number }[];
  byCategory: (Totals & { category: string })[];
  byTier: { tier: number; kwh: string; amount: string }[];
  byBand: { band: string; kwh: string; amount: string }[];
  byLineKind: { kind: string; quantity: string; amount: string }[];
  stations: (Totals & { station: { code: string } | null })[];
  areas: (Totals & {
    area: { code: string; kind: string } | null;
    lineLoss: { status: string; lossRate: string | null; qualified: boolean } | null;
  })[];
  latestRun: { id: string; status: string; failedCount: number } | null;
  failures: { accountNo: string }[];
}

const sum = (xs: { amount: string }[]) => xs.reduce((s, x) => s.plus(x.amount), new Dec(0));
const kwhOf = (xs: { kwh: string }[]) => xs.reduce((s, x) => s.plus(x.kwh), new Dec(0));

async function download(path: string, token?: string) {
  return fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}
const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

beforeAll(async () => {
  server = await startTestServer({ demo: true, demoDays: 92 });
  manager1 = await server.login('manager1');
  manager2 = await server.login('manager2');
  const units = await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
    `{ orgUnits(first: 10, filter: { search: "ST-YJ" }) { nodes { id code } } }`,
    {},
    manager1,
  );
  yjStation = units.data!.orgUnits.nodes.find((u) => u.code === 'ST-YJ')!.id;
  customer = await server.login('customer1');
  const started = await server.gql<{ runSettlement: { run: { id: string } } }>(
    `mutation($input: RunSettlementInput!) { runSettlement(input: $input) { run { id } } }`,
    { input: { orgUnitId: yjStation, period: PERIOD } },
    manager1,
  );
  expect(started.errors).toBeUndefined();
  await server.app.settlements.idle();
}, 180_000);
afterAll(async () => server?.stop());

describe('settlementReport', () => {
  let report: Report;
  let billTotal: Dec;
  let billCount: number;

  it('sums the current bills of the station exactly, by category, band, tier, kind, station and area', async () => {
    const res = await server.gql<{ settlementReport: Report }>(REPORT, { id: yjStation, period: PERIOD }, manager1);
    expect(res.errors).toBeUndefined();
    report = res.data!.settlementReport;
    // The bills themselves, through `bills`.
    const bills = await server
      .em()
      .getConnection()
      .execute<{ n: number; total: string }[]>(
        `select count(*)::int as n, sum(b.total_amount)::text as total from bill b
         join customer c on c.id = b.customer_id join org_unit o on o.id = c.org_unit_id
        where b.period = ? and o.code = 'ST-YJ' and b.status <> 'SUPERSEDED'`,
        [PERIOD],
      );
    billCount = Number(bills[0]!.n);
    billTotal = new Dec(bills[0]!.total);
    expect(billCount).toBe(180);
    expect(report.totals.bills).toBe(billCount);
    expect(report.totals.customers).toBe(billCount);
    expect(new Dec(report.totals.amount).eq(billTotal)).toBe(true);
    expect(report.statusCounts).toEqual([
      { status: 'DRAFT', count: 180 },
      { status: 'APPROVED', count: 0 },
      { status: 'ISSUED', count: 0 },
      { status: 'SUPERSEDED', count: 0 },
    ]);
    for (const groups of [report.byCategory, report.stations, report.areas]) {
      expect(sum(groups).eq(report.totals.amount)).toBe(true);
      expect(kwhOf(groups).eq(report.totals.kwh)).toBe(true);
    }
    expect(report.byCategory.length).toBeGreaterThan(1);
    expect(sum(report.byLineKind).eq(report.totals.amount)).toBe(true);
    expect(kwhOf(report.byBand).eq(report.totals.kwh)).toBe(true);
    expect(kwhOf(report.byTier).eq(report.totals.kwh)).toBe(true);
    expect(report.stations.map((s) => s.station?.code)).toEqual(['ST-YJ']);
    expect(report.latestRun).toMatchObject({ status: 'COMPLETED', failedCount: 0 });
    expect(report.failures).toEqual([]);
  });

  it("gives every transformer area its month's line loss, qualified", () => {
    const areas = report.areas.filter((a) => a.area);
    expect(areas.length).toBeGreaterThan(0);
    expect(report.areas.every((a) => a.area?.kind === 'TRANSFORMER_AREA')).toBe(true);
    for (const a of areas) {
      expect(a.lineLoss).toMatchObject({ status: 'OK', qualified: true });
      // The demo's areas lose about 4.76 % (supply = customers x 1.05).
      expect(Math.abs(Number(a.lineLoss!.lossRate) - 4.76)).toBeLessThan(0.5);
    }
  });

  it("reports a transformer area's customers: those whose meter is in it", async () => {
    const [area] = await server
      .em()
      .getConnection()
      .execute<{ id: number }[]>(`select id from org_unit where code = 'TA-YJ-01'`);
    const res = await server.gql<{ settlementReport: Report }>(
      REPORT,
      { id: toGlobalId('OrgUnit', String(area!.id)), period: PERIOD },
      manager1,
    );
    expect(res.errors).toBeUndefined();
    const row = report.areas.find((a) => a.area?.code === 'TA-YJ-01')!;
    const { totals, areas } = res.data!.settlementReport;
    expect(totals).toEqual({ customers: row.customers, bills: row.bills, kwh: row.kwh, amount: row.amount });
    expect(totals.bills).toBeGreaterThan(0);
    expect(areas.map((a) => a.area?.code)).toEqual(['TA-YJ-01']);
  });

  it('refuses a station of another manager as a bad reference, and customers altogether', async () => {
    const other = await server.gql(REPORT, { id: yjStation, period: PERIOD }, manager2);
    expect(onlyError(other).extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(onlyError(other).extensions)).toContain('orgUnitId');
    const own = await server.gql(REPORT, { id: yjStation, period: PERIOD }, customer);
    expect(onlyError(own).extensions?.code).toBe('FORBIDDEN');
    const bad = await server.gql(REPORT, { id: yjStation, period: '2026-13' }, manager1);
    expect(onlyError(bad).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('downloads as CSV with a row per bill and the same totals', async () => {
    const res = await download(`/reports/settlement.csv?${query({ orgUnitId: yjStation, period: PERIOD })}`, manager1);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="settlement-ST-YJ-${PERIOD}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ''), {
      relax_column_count: true,
      skip_empty_lines: false,
    }) as string[][];
    const blank = rows.findIndex((r) => r.length === 1 && r[0] === '');
    const header = rows[0]!;
    const bills = rows.slice(1, blank);
    expect(bills).toHaveLength(billCount);
    const amount = header.indexOf('Amount (CNY)');
    const kwh = header.indexOf('kWh');
    expect(bills.reduce((s, r) => s.plus(r[amount]!), new Dec(0)).eq(billTotal)).toBe(true);
    expect(bills.reduce((s, r) => s.plus(r[kwh]!), new Dec(0)).eq(report.totals.kwh)).toBe(true);
    const total = rows.find((r) => r[0] === 'Total')!;
    expect(total.slice(2, 6)).toEqual([String(billCount), String(billCount), report.totals.kwh, report.totals.amount]);
    expect(rows.filter((r) => r[0] === 'Category')).toHaveLength(report.byCategory.length);
  });

  it('downloads as a PDF and records every export in the audit log', async () => {
    const res = await download(`/reports/settlement.pdf?${query({ orgUnitId: yjStation, period: PERIOD })}`, manager1);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="settlement-ST-YJ-${PERIOD}.pdf"`);
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = Number(/\/Type \/Pages\s*\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1]);
    expect(pages).toBeGreaterThanOrEqual(2);
    const records = await server
      .em()
      .getConnection()
      .execute<{ actor: string; outcome: string; details: string }[]>(
        `select actor, outcome, details::text as details from audit_record where action = 'exportSettlementReport' order by id`,
      );
    expect(records.map((r) => [r.actor, r.outcome])).toEqual([
      ['manager1', 'OK'],
      ['manager1', 'OK'],
    ]);
    expect(records[1]!.details).toContain('"format":"pdf"');
  });

  it('answers refusals as JSON with the API codes', async () => {
    const params = query({ orgUnitId: yjStation, period: PERIOD });
    const anonymous = await download(`/reports/settlement.csv?${params}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const badToken = await download(`/reports/settlement.pdf?${params}`, 'not-a-token');
    expect(badToken.status).toBe(401);
    expect(await badToken.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const byCustomer = await download(`/reports/settlement.csv?${params}`, customer);
    expect(byCustomer.status).toBe(403);
    expect(await byCustomer.json()).toMatchObject({ code: 'FORBIDDEN' });
    const otherStation = await download(`/reports/settlement.pdf?${params}`, manager2);
    expect(otherStation.status).toBe(400);
    expect(await otherStation.json()).toMatchObject({ code: 'BAD_USER_INPUT' });
    const noPeriod = await download(`/reports/settlement.csv?${query({ orgUnitId: yjStation })}`, manager1);
    expect(noPeriod.status).toBe(400);
    const [{ customerUsername }] = await server
      .em()
      .getConnection()
      .execute<{ customerUsername: string }[]>(
        `select u.username as "customerUsername" from app_user u join customer c on c.id = u.customer_id where c.account_no = ?`,
        [DEMO_CUSTOMER_ACCOUNT],
      );
    const refused = await server
      .em()
      .getConnection()
      .execute<{ actor: string; outcome: string }[]>(
        `select actor, outcome from audit_record where action = 'exportSettlementReport' and outcome <> 'OK' order by id`,
      );
    expect(refused).toEqual([
      { actor: customerUsername, outcome: 'FORBIDDEN' },
      { actor: 'manager2', outcome: 'BAD_USER_INPUT' },
      { actor: 'manager1', outcome: 'BAD_USER_INPUT' },
    ]);
  });
});

describe('billingStatistics', () => {
  const STATS = `query($sub: ID, $from: String!, $to: String!) { billingStatistics(orgUnitSubtree: $sub, from: $from, to: $to) {
    period customers bills kwh amount failedCount
    byCategory { category customers bills kwh amount } statusCounts { status count } } }`;

  it('matches the report for the settled month, and is empty before it', async () => {
    const before = DateTime.fromISO(`${PERIOD}-01`).minus({ months: 2 }).toFormat('yyyy-MM');
    const res = await server.gql<{
      billingStatistics: (Totals & {
        period: string;
        failedCount: number;
        byCategory: (Totals & { category: string })[];
        statusCounts: { status: string; count: number }[];
      })[];
    }>(STATS, { sub: yjStation, from: before, to: PERIOD }, manager1);
    expect(res.errors).toBeUndefined();
    const stats = res.data!.billingStatistics;
    expect(stats.map((s) => s.period)).toHaveLength(3);
    expect(stats[0]).toMatchObject({ customers: 0, bills: 0, kwh: '0', byCategory: [] });
    expect(new Dec(stats[0]!.amount).isZero()).toBe(true);
    const month = stats[2]!;
    const report = (await server.gql<{ settlementReport: Report }>(REPORT, { id: yjStation, period: PERIOD }, manager1))
      .data!.settlementReport;
    expect(month).toMatchObject({ period: PERIOD, ...report.totals, failedCount: 0 });
    expect(month.byCategory).toEqual(report.byCategory);
    expect(month.statusCounts).toEqual(report.statusCounts);
    // manager2 sees nothing of ST-YJ: the same months, empty.
    const other = await server.gql<{ billingStatistics: Totals[] }>(
      STATS,
      { sub: yjStation, from: PERIOD, to: PERIOD },
      manager2,
    );
    expect(other.data!.billingStatistics[0]).toMatchObject({ bills: 0, kwh: '0' });
  });

  it('takes at most 24 months, in order', async () => {
    const long = await server.gql(STATS, { from: '2020-01', to: '2022-01' }, manager1);
    expect(onlyError(long).extensions?.code).toBe('BAD_USER_INPUT');
    const backwards = await server.gql(STATS, { from: '2022-02', to: '2022-01' }, manager1);
    expect(onlyError(backwards).extensions?.code).toBe('BAD_USER_INPUT');
    const byCustomer = await server.gql(STATS, { from: PERIOD, to: PERIOD }, customer);
    expect(onlyError(byCustomer).extensions?.code).toBe('FORBIDDEN');
  });
});
