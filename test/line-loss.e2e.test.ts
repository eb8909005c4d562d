import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf, localMidnight } from '../src/billing/local-days.js';
import { Dec } from '../src/shared/decimal.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { lineLossOfAreas } from '../src/schema/line-loss/index.js';
import { onlyError, startTestServer, statementsOf, type TestServer } from './harness.js';

/**
 * Line loss per transformer area on the demo: every supply meter (CT 40) sees its customers'
 * energy x 1.05, so each area loses about 1 - 1/1.05 = 4.76 % (register values have 2 decimals,
 * so a little either way). The tests seed 3 days of daily frozen readings.
 */
let server: TestServer;
const tokens: Record<string, string> = {};
const ZONE = 'Asia/Shanghai';
const today = localDateOf(new Date(), ZONE);
const from = addDays(today, -3);

const LINE_LOSS = `query($f: LineLossFilter!, $g: LineLossGranularity, $first: Int) {
  lineLoss(filter: $f, granularity: $g, first: $first) {
    totalCount
    totals { areaCount computedCount qualifiedCount supplyKwh customersKwh lossKwh lossRate }
    nodes {
      area { id code }
      timeZone from to hours status statusDetail
      supplyKwh customersKwh lossKwh lossRate qualified
      band { min max isDefault }
      meterCount includedCount estimatedCount
      excluded { meterId reason detail meter { id assetNo } customer { accountNo } }
      suspects { meterId kind score detail customer { accountNo } }
      days { date hours status supplyKwh customersKwh lossKwh lossRate qualified includedCount excludedCount }
    }
  }
}`;

interface Area {
  area: { id: string; code: string };
  hours: number;
  status: string;
  supplyKwh: string | null;
  customersKwh: string;
  lossKwh: string | null;
  lossRate: string | null;
  qualified: boolean;
  band: { min: string; max: string; isDefault: boolean };
  meterCount: number;
  includedCount: number;
  excluded: { meterId: string; reason: string; meter: { id: string } | null; customer: { accountNo: string } | null }[];
  suspects: { meterId: string; kind: string; score: string; customer: { accountNo: string } | null }[];
  days: { date: string; hours: number; lossKwh: string; supplyKwh: string; includedCount: number }[] | null;
}
type Result = {
  lineLoss: {
    totalCount: number;
    totals: { areaCount: number; computedCount: number; qualifiedCount: number; lossRate: string };
    nodes: Area[];
  };
};

const lineLoss = async (token: string, filter: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  server.gql<Result>(LINE_LOSS, { f: { from, to: today, ...filter }, ...extra }, token);

const ok = async (token: string, filter: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
  const res = await lineLoss(token, filter, extra);
  expect(res.errors).toBeUndefined();
  return res.data!.lineLoss;
};

const unitId = async (code: string) =>
  toGlobalId(
    'OrgUnit',
    (await server.em().getConnection().execute<{ id: number }[]>(`select id from org_unit where code = ?`, [code]))[0]!
      .id,
  );

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'customer1']) tokens[user] = await server.login(user);
});
afterAll(async () => server?.stop());

describe('line loss per transformer area', () => {
  it('shows manager1 the three areas of ST-YJ, each losing about 4.76 % and qualified', async () => {
    const page = await ok(tokens.manager1!);
    expect(page.nodes.map((n) => n.area.code)).toEqual(['TA-YJ-01', 'TA-YJ-02', 'TA-YJ-03']);
    expect(page.totalCount).toBe(3);
    for (const n of page.nodes) {
      expect(n).toMatchObject({
        status: 'OK',
        hours: 72,
        qualified: true,
        band: { min: '0', max: '7', isDefault: true },
        meterCount: 60,
        includedCount: 60,
        excluded: [],
        days: null,
      });
      expect(Math.abs(Number(n.lossRate) - 4.76)).toBeLessThanOrEqual(0.05);
      // Exact kWh: supply - customers, to the last digit.
      expect(new Dec(n.supplyKwh!).minus(n.customersKwh).toFixed()).toBe(n.lossKwh);
    }
    expect(page.totals).toMatchObject({ areaCount: 3, computedCount: 3, qualifiedCount: 3 });
    expect(Math.abs(Number(page.totals.lossRate) - 4.76)).toBeLessThanOrEqual(0.05);
  });

  it('narrows to a subtree, and shows nothing of another station', async () => {
    const [yj, ty, area] = await Promise.all(['ST-YJ', 'ST-TY', 'TA-YJ-02'].map(unitId));
    expect((await ok(tokens.admin!, { orgUnitSubtree: yj })).nodes.map((n) => n.area.code)).toEqual([
      'TA-YJ-01',
      'TA-YJ-02',
      'TA-YJ-03',
    ]);
    expect((await ok(tokens.admin!, { orgUnitSubtree: area })).nodes.map((n) => n.area.code)).toEqual(['TA-YJ-02']);
    expect((await ok(tokens.manager1!, { orgUnitSubtree: ty })).nodes).toEqual([]);
    const manager2 = await ok(tokens.manager2!);
    expect(manager2.nodes.map((n) => n.area.code)).toEqual(['TA-TY-01', 'TA-TY-02']);
    const asked = await ok(tokens.manager2!, { orgUnitSubtree: yj });
    expect(asked).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it("shows a meter reader the areas of the reader's station only", async () => {
    expect((await ok(tokens.reader1!)).nodes.map((n) => n.area.code)).toEqual(['TA-YJ-01', 'TA-YJ-02', 'TA-YJ-03']);
  });

  it('refuses customers', async () => {
    expect(onlyError(await lineLoss(tokens.customer1!)).extensions?.code).toBe('FORBIDDEN');
  });

  it('answers bad ranges with BAD_USER_INPUT at filter.to', async () => {
    for (const [filter, g] of [
      [{ to: from }, 'PERIOD'],
      [{ to: addDays(from, -1) }, 'PERIOD'],
      [{ from: addDays(today, -367) }, 'PERIOD'],
      [{ from: addDays(today, -93) }, 'DAY'],
    ] as const) {
      const error = onlyError(await lineLoss(tokens.admin!, filter, { g }));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.fields).toEqual([{ path: ['filter', 'to'], message: expect.any(String) }]);
    }
  });

  it('gives a daily series whose days add up to the period', async () => {
    const page = await ok(tokens.manager1!, {}, { g: 'DAY' });
    for (const n of page.nodes) {
      expect(n.days!.map((d) => d.date)).toEqual([from, addDays(from, 1), addDays(from, 2)]);
      expect(n.days!.every((d) => d.hours === 24 && d.includedCount === 60)).toBe(true);
      const sum = n.days!.reduce((s, d) => s.plus(d.lossKwh), new Dec(0));
      expect(sum.toFixed()).toBe(n.lossKwh);
    }
  });

  it('excludes and lists a meter whose reading at a boundary is gone, and ranks it a suspect', async () => {
    const em = server.em();
    const [meter] = await em.getConnection().execute<{ id: number; account_no: string }[]>(
      `select m.id, c.account_no from meter m
         join org_unit u on u.id = m.org_unit_id
         join meter_assignment a on a.meter_id = m.id
         join service_point s on s.id = a.service_point_id
         join customer c on c.id = s.customer_id
        where u.code = 'TA-YJ-01' order by m.id limit 1`,
    );
    const before = (await ok(tokens.manager1!)).nodes[0]!;
    await em
      .getConnection()
      .execute(`delete from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?`, [
        meter!.id,
        localMidnight(today, ZONE).toISOString(),
      ]);
    const after = (await ok(tokens.manager1!)).nodes[0]!;
    const meterId = toGlobalId('Meter', meter!.id);
    expect(after.area.code).toBe('TA-YJ-01');
    expect(after.includedCount).toBe(59);
    expect(after.excluded).toEqual([
      {
        meterId,
        reason: 'MISSING_VALUE',
        detail: expect.stringContaining(`meter ${meter!.id}`),
        meter: { id: meterId, assetNo: expect.any(String) },
        customer: { accountNo: meter!.account_no },
      },
    ]);
    expect(after.suspects[0]).toMatchObject({
      meterId,
      kind: 'MISSING_DATA',
      customer: { accountNo: meter!.account_no },
    });
    expect(new Dec(after.suspects[0]!.score).gt(0)).toBe(true);
    // The meter's energy is now missing from the sold side: more loss than before.
    expect(new Dec(after.lossKwh!).gt(before.lossKwh!)).toBe(true);
  });

  it('qualifies against the band set on the area, and validates the band', async () => {
    const area = await unitId('TA-YJ-02');
    const SET = `mutation($i: SetLineLossBandInput!) { setLineLossBand(input: $i) { orgUnit { code lineLossBand { min max isDefault } } band { min max isDefault } } }`;
    const set = await server.gql<{ setLineLossBand: { band: Area['band'] } }>(
      SET,
      { i: { orgUnitId: area, min: '0', max: '4.5' } },
      tokens.admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setLineLossBand.band).toEqual({ min: '0', max: '4.5', isDefault: false });
    const yj02 = (await ok(tokens.manager1!, { orgUnitSubtree: area })).nodes[0]!;
    expect(yj02).toMatchObject({ qualified: false, band: { min: '0', max: '4.5', isDefault: false } });

    const bad = async (input: Record<string, unknown>, token = tokens.admin!) => {
      const error = onlyError(await server.gql(SET, { i: { orgUnitId: area, ...input } }, token));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      return (error.extensions?.fields as { path: string[] }[]).map((f) => f.path.join('.'));
    };
    expect(await bad({ min: '5', max: '4' })).toEqual(['input.max']);
    expect(await bad({ min: '-1', max: '101' })).toEqual(['input.min', 'input.max']);
    expect(await bad({ min: '1.234', max: '5' })).toEqual(['input.min']);
    expect(await bad({ min: '1' })).toEqual(['input.max']);
    expect(await bad({ orgUnitId: await unitId('ST-YJ'), min: '1', max: '5' })).toEqual(['input.orgUnitId']);
    // Targets are the company's: a station manager does not set his own.
    expect(await bad({ min: '0', max: '10' }, tokens.manager1)).toEqual(['input.orgUnitId']);

    const cleared = await server.gql<{ setLineLossBand: { band: Area['band'] } }>(
      SET,
      { i: { orgUnitId: area, min: null, max: null } },
      tokens.admin,
    );
    expect(cleared.data!.setLineLossBand.band).toEqual({ min: '0', max: '7', isDefault: true });
    expect((await ok(tokens.manager1!, { orgUnitSubtree: area })).nodes[0]!.qualified).toBe(true);
  });

  it('serves reports the same figures through lineLossOfAreas', async () => {
    const page = await ok(tokens.admin!);
    const ids = page.nodes.map((n) => Number(Buffer.from(n.area.id, 'base64url').toString('utf8').split(':')[1]));
    // A station's id is not an area's: left out.
    const station = Number(
      Buffer.from(await unitId('ST-YJ'), 'base64url')
        .toString('utf8')
        .split(':')[1],
    );
    const byArea = await lineLossOfAreas(server.em(), [...ids, station], from, today, ZONE);
    expect([...byArea.keys()]).toEqual(ids);
    for (const n of page.nodes) {
      const r = byArea.get(ids[page.nodes.indexOf(n)]!)!;
      // The API writes decimals without trailing zeros.
      const text = (v: string | null) => (v === null ? null : new Dec(v).toFixed());
      expect([r.area.code, text(r.supplyKwh), r.customersKwh, text(r.lossKwh), text(r.lossRate), r.qualified]).toEqual([
        n.area.code,
        n.supplyKwh,
        n.customersKwh,
        n.lossKwh,
        n.lossRate,
        n.qualified,
      ]);
    }
  });

  it('reads a page of areas in the same number of statements whatever its size', async () => {
    const statements = (first: number, g: string, token = tokens.admin!) =>
      statementsOf(server, async () => {
        const res = await lineLoss(token, {}, { first, g });
        expect(res.errors).toBeUndefined();
        expect(res.data!.lineLoss.nodes).toHaveLength(first);
      });
    const one = await statements(1, 'PERIOD');
    expect(await statements(5, 'PERIOD')).toBe(one);
    expect(await statements(5, 'DAY')).toBe(one);
    // A scoped user's conditions join the org tree: still a constant.
    expect(await statements(3, 'DAY', tokens.manager1)).toBe(await statements(1, 'PERIOD', tokens.manager1));
    if (process.env.SHOW_SQL) console.log(server.queries.log.join('\n'));
  });

  it('ranks a meter that stopped while its area had load', async () => {
    const conn = server.em().getConnection();
    const [meter] = await conn.execute<{ id: number }[]>(
      `select m.id from meter m join org_unit u on u.id = m.org_unit_id
        where u.code = 'TA-YJ-03' and m.protocol = 'SIMULATED' order by m.id limit 1`,
    );
    // Its register stands still over the period: the value at the end is the one at the start.
    await conn.execute(
      `update reading set value = (select value from reading s where s.meter_id = reading.meter_id
          and s.register = reading.register and s.measured_at = ?)
        where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?`,
      [localMidnight(from, ZONE).toISOString(), meter!.id, localMidnight(today, ZONE).toISOString()],
    );
    const area = (await ok(tokens.manager1!)).nodes.find((n) => n.area.code === 'TA-YJ-03')!;
    expect(area.includedCount).toBe(60);
    expect(area.suspects[0]).toMatchObject({ meterId: toGlobalId('Meter', meter!.id), kind: 'STOPPED' });
    expect(area.suspects[0]!.customer?.accountNo).toMatch(/^0601/);
  });
});
