import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf, localMidnight } from '../src/billing/local-days.js';
import { Dec } from '../src/shared/decimal.js';
import { fromGlobalId } from '../src/shared/global-id.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;
const ZONE = 'Asia/Shanghai';
const today = localDateOf(new Date(), ZONE);

const CONSUMPTION = `query($sp: ID!, $from: LocalDate!, $to: LocalDate!, $g: ConsumptionGranularity) {
  consumption(servicePointId: $sp, from: $from, to: $to, granularity: $g) {
    timeZone
    whole { total bands { band kwh } estimated }
    periods {
      from to hours total estimated
      bands { band kwh }
      problems { kind message }
      parts { multiplier rolledOver kwh start { value from } end { value from } }
    }
  }
}`;

interface Period {
  from: string;
  to: string;
  hours: number;
  total: string | null;
  bands: { band: string; kwh: string }[] | null;
  problems: { kind: string }[];
  parts: { kwh: string; start: { value: string; from: string }; end: { value: string; from: string } }[];
}
type Series = {
  consumption: { timeZone: string; whole: { total: string; bands: Period['bands'] }; periods: Period[] };
};

async function pointOf(accountNo: string) {
  const res = await server.gql<{
    customers: { nodes: { servicePoints: { nodes: { id: string; meterHistory: { meter: { id: string } }[] }[] } }[] };
  }>(
    `query($s: String!) { customers(first: 1, filter: { search: $s }) { nodes {
      servicePoints(first: 1) { nodes { id meterHistory { meter { id } } } } } } }`,
    { s: accountNo },
    admin,
  );
  const point = res.data!.customers.nodes[0]!.servicePoints.nodes[0]!;
  return { id: point.id, meterId: point.meterHistory.at(-1)!.meter.id };
}

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

describe('consumption from cumulative registers', () => {
  it('gives local days whose sum is the whole range, and bands that sum to the total', async () => {
    const sp = await pointOf('060100000001');
    const res = await server.gql<Series>(CONSUMPTION, { sp: sp.id, from: addDays(today, -3), to: today }, admin);
    expect(res.errors).toBeUndefined();
    const { periods, whole, timeZone } = res.data!.consumption;
    expect(timeZone).toBe(ZONE);
    expect(periods).toHaveLength(3); // the test demo has three days of readings
    expect(periods.filter((p) => p.hours !== 24 || p.total === null || p.problems.length)).toEqual([]);
    const sum = periods.reduce((s, p) => s.plus(p.total!), new Dec(0));
    expect(sum.eq(whole.total)).toBe(true);
    expect(sum.gt(0)).toBe(true);
    for (const p of periods) {
      expect(p.bands!.reduce((s, b) => s.plus(b.kwh), new Dec(0)).eq(p.total!)).toBe(true);
      expect(p.parts[0]!.start.from).toBe('READING');
    }
    const months = await server.gql<Series>(
      CONSUMPTION,
      { sp: sp.id, from: addDays(today, -3), to: today, g: 'MONTH' },
      admin,
    );
    const monthSum = months.data!.consumption.periods.reduce((s, p) => s.plus(p.total!), new Dec(0));
    expect(monthSum.eq(months.data!.consumption.whole.total)).toBe(true);
  });

  it('joins a meter exchange on the service point and reports the day it cannot compute', async () => {
    const sp = await pointOf('060100000002');
    const d0 = addDays(today, -3);
    const d1 = addDays(today, -2);
    const old = await server.gql<{ readings: { nodes: { value: string }[] } }>(
      `query($m: ID!, $from: DateTime!, $to: DateTime!) { readings(first: 1, filter: { meterIds: [$m], from: $from, to: $to, registers: [FORWARD_ACTIVE_TOTAL] }) { nodes { value } } }`,
      {
        m: sp.meterId,
        from: localMidnight(d0, ZONE).toISOString(),
        to: new Date(localMidnight(d0, ZONE).getTime() + 1000).toISOString(),
      },
      admin,
    );
    const start = old.data!.readings.nodes[0]!.value;
    const areas = await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
      `{ orgUnits(first: 20, filter: { search: "TA-YJ-01" }) { nodes { id code } } }`,
      {},
      admin,
    );
    const created = await server.gql<{ createMeter: { meter: { id: string } } }>(
      `mutation($input: CreateMeterInput!) { createMeter(input: $input) { meter { id } } }`,
      {
        input: {
          assetNo: 'EXCH-0001',
          barcode: 'EXCH00000001',
          commAddress: '000000999001',
          protocol: 'MANUAL',
          manufacturer: 'Linyang',
          model: 'DDZY',
          ctRatio: '2',
          ptRatio: '1',
          accuracyClass: '2.0',
          orgUnitId: areas.data!.orgUnits.nodes.find((n) => n.code === 'TA-YJ-01')!.id,
        },
      },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const newMeterId = created.data!.createMeter.meter.id;
    const exchangedAt = new Date(localMidnight(d0, ZONE).getTime() + 10 * 3_600_000).toISOString();
    const exchange = await server.gql(
      `mutation($input: ExchangeMeterInput!) { exchangeMeter(input: $input) { newMeter { id } } }`,
      {
        input: {
          servicePointId: sp.id,
          newMeterId,
          exchangedAt,
          oldFinalReading: new Dec(start).plus('1.5').toFixed(),
          newInitialReading: '0',
        },
      },
      admin,
    );
    expect(exchange.errors).toBeUndefined();
    const manual = await server.gql(
      `mutation($input: RecordManualReadingInput!) { recordManualReading(input: $input) { reading { id } } }`,
      { input: { meterId: newMeterId, measuredAt: localMidnight(d1, ZONE).toISOString(), value: '2.25' } },
      admin,
    );
    expect(manual.errors).toBeUndefined();

    const res = await server.gql<Series>(CONSUMPTION, { sp: sp.id, from: d0, to: addDays(d1, 1) }, admin);
    expect(res.errors).toBeUndefined();
    const [exchangeDay, nextDay] = res.data!.consumption.periods;
    // Old meter: 1.5 kWh to its final value; new meter: (2.25 - 0) x 2 = 4.5 kWh.
    expect(exchangeDay!.total).toBe('6');
    expect(exchangeDay!.parts.map((p) => [p.start.from, p.end.from, p.kwh])).toEqual([
      ['READING', 'REMOVAL', '1.5'],
      ['INSTALLATION', 'READING', '4.5'],
    ]);
    // No band registers across the exchange: no band split rather than an invented one.
    expect(exchangeDay!.bands).toBeNull();
    // The new meter has no value at the next midnight yet: that day is not computed.
    expect(nextDay!.total).toBeNull();
    expect(nextDay!.problems.map((p) => p.kind)).toEqual(['MISSING_VALUE']);
  });

  it('corrects the affected days when a late value arrives out of order', async () => {
    const sp = await pointOf('060100000004');
    const d1 = addDays(today, -2);
    const range = { sp: sp.id, from: addDays(today, -3), to: today };
    const before = (await server.gql<Series>(CONSUMPTION, range, admin)).data!.consumption;
    const missing = await server
      .em()
      .getConnection()
      .execute<{ value: string }[]>(
        `delete from reading where meter_id = ? and measured_at = ? and register = 'FORWARD_ACTIVE_TOTAL' returning value::text as value`,
        [Number(fromGlobalId(sp.meterId)!.id), localMidnight(d1, ZONE)],
      );
    expect(missing).toHaveLength(1);
    const gap = (await server.gql<Series>(CONSUMPTION, range, admin)).data!.consumption;
    // The two days the value bounds have no energy; the range, from its ends, still has it.
    expect(gap.periods.map((p) => p.total === null)).toEqual([true, true, false]);
    expect(gap.whole.total).toBe(before.whole.total);
    const late = await server.gql(
      `mutation($input: RecordManualReadingInput!) { recordManualReading(input: $input) { reading { id } } }`,
      { input: { meterId: sp.meterId, measuredAt: localMidnight(d1, ZONE).toISOString(), value: missing[0]!.value } },
      admin,
    );
    expect(late.errors).toBeUndefined();
    const after = (await server.gql<Series>(CONSUMPTION, range, admin)).data!.consumption;
    expect(after.periods.map((p) => p.total)).toEqual(before.periods.map((p) => p.total));
  });

  it('limits each caller to service points they may read, and refuses bad ranges', async () => {
    const sp = await pointOf('060100000001');
    const range = { from: addDays(today, -2), to: today };
    const customer = await server.login('customer1');
    expect((await server.gql<Series>(CONSUMPTION, { sp: sp.id, ...range }, customer)).errors).toBeUndefined();
    const other = await pointOf('060100000003');
    const refused = await server.gql(CONSUMPTION, { sp: other.id, ...range }, customer);
    expect(onlyError(refused).extensions?.code).toBe('BAD_USER_INPUT');
    const manager2 = await server.login('manager2');
    expect(onlyError(await server.gql(CONSUMPTION, { sp: sp.id, ...range }, manager2)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const backwards = onlyError(await server.gql(CONSUMPTION, { sp: sp.id, from: today, to: today }, admin));
    expect(backwards.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const tooLong = onlyError(
      await server.gql(CONSUMPTION, { sp: sp.id, from: addDays(today, -400), to: today }, admin),
    );
    expect(tooLong.extensions?.code).toBe('BAD_USER_INPUT');
    expect(onlyError(await server.gql(CONSUMPTION, { sp: sp.id, ...range })).extensions?.code).toBe('UNAUTHENTICATED');
  });
});
