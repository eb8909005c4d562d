import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../src/shared/decimal.js';
import {
  ApproveBillsDocument,
  AreaLineLossDocument,
  BillsDocument,
  EditReadingDocument,
  IssueBillsDocument,
  RunSettlementDocument,
  SettlementRunStateDocument,
} from './generated/graphql.js';
import { startTestServer, type TestServer } from './harness.js';

/**
 * The issue's "done when", as a new station manager tries it on the demo with the example
 * operations of examples/operations/billing.graphql: run the month's settlement, see the bills and
 * each transformer area's line loss, correct a bad reading, get version 2 of the affected bill
 * with the difference.
 */
let server: TestServer;
let token: string;
const ZONE = 'Asia/Shanghai';
const PERIOD = DateTime.now().setZone(ZONE).minus({ months: 1 }).toFormat('yyyy-MM');

async function run<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V) {
  const res = await server.gql<R>(print(doc as DocumentNode), variables, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

beforeAll(async () => {
  server = await startTestServer({ demo: true, demoDays: 92 });
  token = await server.login('manager1');
}, 120_000);
afterAll(async () => server?.stop());

describe("a station manager's month, on the demo", () => {
  it('settles, reads the line loss, corrects a reading and gets version 2 with the difference', async () => {
    const station = (
      await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
        `{ orgUnits(first: 5, filter: { search: "ST-YJ" }) { nodes { id code } } }`,
        {},
        token,
      )
    ).data!.orgUnits.nodes.find((u) => u.code === 'ST-YJ')!.id;

    // 1. The month's settlement.
    const started = await run(RunSettlementDocument, { orgUnitId: station, period: PERIOD });
    await server.app.settlements.idle();
    const state = await run(SettlementRunStateDocument, { id: started.runSettlement.run.id });
    expect(state.settlementRun).toMatchObject({ status: 'COMPLETED', failedCount: 0, billedCount: 180 });

    // 2. The bills, with lines that sum to each total.
    const page = await run(BillsDocument, { filter: { runId: started.runSettlement.run.id }, first: 100 });
    expect(page.bills.totalCount).toBe(180);
    const bill = page.bills.nodes.find((b) => b.customer?.accountNo === '060100000007')!;
    expect(bill.lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).eq(bill.totalAmount)).toBe(true);
    await run(ApproveBillsDocument, { billIds: [bill.id] });
    await run(IssueBillsDocument, { billIds: [bill.id] });

    // 3. Each transformer area's line loss over the calendar month.
    const month = DateTime.fromISO(`${PERIOD}-01`);
    const loss = await run(AreaLineLossDocument, {
      orgUnitSubtree: station,
      from: month.toISODate()!,
      to: month.plus({ months: 1 }).toISODate()!,
    });
    expect(loss.lineLoss.totalCount).toBe(3);
    for (const area of loss.lineLoss.nodes) {
      expect(area.status).toBe('OK');
      expect(area.qualified).toBe(true);
      expect(Number(area.lossRate)).toBeGreaterThan(4);
      expect(Number(area.lossRate)).toBeLessThan(6);
    }

    const reportAmount = async () =>
      (
        await server.gql<{ settlementReport: { totals: { amount: string } } }>(
          `query($id: ID!, $p: String!) { settlementReport(orgUnitId: $id, period: $p) { totals { amount } } }`,
          { id: station, p: PERIOD },
          token,
        )
      ).data!.settlementReport.totals.amount;
    const amountBefore = await reportAmount();

    // 4. A bad reading: the cycle's end value was 12.5 kWh short. Corrected with a reason.
    const end = bill.determinants.at(-1)!;
    const readings = await server.gql<{ readings: { nodes: { id: string; value: string }[] } }>(
      `query($m: ID!, $from: DateTime!, $to: DateTime!) { readings(first: 1, filter: { meterIds: [$m], from: $from, to: $to, registers: [FORWARD_ACTIVE_TOTAL] }) { nodes { id value } } }`,
      { m: end.meterId, from: end.end.at, to: new Date(new Date(end.end.at).getTime() + 1000).toISOString() },
      token,
    );
    const reading = readings.data!.readings.nodes[0]!;
    const edited = await run(EditReadingDocument, {
      readingId: reading.id,
      value: new Dec(reading.value).plus('12.5').toFixed(),
      reason: 'check reading on site: the automatic value was 12.5 kWh short',
    });
    expect(edited.editReading.reading.versions.map((v) => v.value)).toContain(reading.value);
    await server.app.settlements.idle();

    // 5. Version 2 of the affected bill, carrying the difference; version 1 stays as issued.
    const versions = await run(BillsDocument, {
      filter: { period: PERIOD, customerId: (await customerId('060100000007'))! },
    });
    const [v1, v2] = versions.bills.nodes.sort((a, b) => a.version - b.version);
    expect([v1!.status, v2!.status]).toEqual(['ISSUED', 'DRAFT']);
    expect(new Dec(v2!.totalKwh).minus(v1!.totalKwh).toFixed()).toBe(new Dec('12.5').times(end.multiplier).toFixed());
    expect(new Dec(v2!.difference!).eq(new Dec(v2!.totalAmount).minus(v1!.totalAmount))).toBe(true);
    expect(new Dec(v2!.difference!).gt(0)).toBe(true);
    expect(v2!.reason).toMatch(/corrected/);

    // 6. The printed report counts version 2, in the totals and in the downloaded bill list.
    expect(new Dec(await reportAmount()).minus(amountBefore).eq(v2!.difference!)).toBe(true);
    const csv = await fetch(
      `${server.url}/reports/settlement.csv?${new URLSearchParams({ orgUnitId: station, period: PERIOD })}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(csv.status).toBe(200);
    const row = (await csv.text()).split('\r\n').find((line) => line.startsWith('060100000007,'))!;
    const cells = row.split(',');
    expect([cells[7], cells[8]]).toEqual(['2', 'DRAFT']);
    expect(new Dec(cells.at(-1)!).eq(v2!.totalAmount)).toBe(true);
  });
});

async function customerId(accountNo: string): Promise<string | undefined> {
  const res = await server.gql<{ customers: { nodes: { id: string }[] } }>(
    `query($s: String!) { customers(first: 1, filter: { search: $s }) { nodes { id } } }`,
    { s: accountNo },
    token,
  );
  return res.data!.customers.nodes[0]?.id;
}
