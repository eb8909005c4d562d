import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const SUBSCRIPTION = `subscription { readingRecorded { value meter { assetNo orgUnit { code } } } }`;

const collect = (token: string | undefined) => server.subscribe(token, SUBSCRIPTION);

async function installedMeter(station: string) {
  const res = await server.gql<{ meters: { nodes: { id: string; assetNo: string }[] } }>(
    `{ meters(first: 1, filter: { statuses: [INSTALLED], protocols: [SIMULATED] }, orderBy: { field: ASSET_NO, direction: ASC }) { nodes { id assetNo orgUnit { code } } } }`,
    {},
    await server.login(station === 'YJ' ? 'manager1' : 'manager2'),
  );
  return res.data!.meters.nodes[0]!;
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
};

describe('live readings over graphql-ws', () => {
  it('delivers an event to a subscriber in scope and not to one scoped to another station', async () => {
    const yj = collect(await server.login('manager1'));
    const ty = collect(await server.login('manager2'));
    await new Promise((r) => setTimeout(r, 300)); // let both subscriptions register
    const meter = await installedMeter('YJ');
    const res = await server.gql(
      `mutation($m: ID!, $t: DateTime!) { recordManualReading(input: { meterId: $m, register: FORWARD_ACTIVE_TOTAL, value: "99999.5", measuredAt: $t }) { reading { value } } }`,
      { m: meter.id, t: new Date().toISOString() },
      admin,
    );
    expect(res.errors).toBeUndefined();
    await until(() => yj.received.length > 0);
    expect(yj.received).toEqual([
      {
        data: {
          readingRecorded: { value: '99999.5', meter: { assetNo: meter.assetNo, orgUnit: { code: 'TA-YJ-01' } } },
        },
      },
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(ty.received).toEqual([]);
    await yj.client.dispose();
    await ty.client.dispose();
  });

  it('refuses a connection without a valid token in connection_init', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const sub = collect(token);
      await sub.done;
      expect(sub.received).toEqual([]);
      expect(sub.errors).toHaveLength(1);
      expect((sub.errors[0] as { code?: number }).code).toBe(4403);
      await sub.client.dispose();
    }
  });

  it('rejects a replayed manual reading as CONFLICT, storing one row', async () => {
    const meter = await installedMeter('YJ');
    const at = new Date(Date.now() - 60_000).toISOString();
    const record = () =>
      server.gql(
        `mutation($m: ID!, $t: DateTime!) { recordManualReading(input: { meterId: $m, value: "99999.7", measuredAt: $t }) { reading { id } } }`,
        { m: meter.id, t: at },
        admin,
      );
    expect((await record()).errors).toBeUndefined();
    const again = await record();
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const rows = await server.gql<{ readings: { totalCount: number } }>(
      `query($m: ID!, $f: DateTime!, $t: DateTime!) { readings(filter: { meterIds: [$m], from: $f, to: $t, sources: [MANUAL] }) { totalCount } }`,
      { m: meter.id, f: at, t: new Date(Date.parse(at) + 1).toISOString() },
      admin,
    );
    expect(rows.data!.readings.totalCount).toBe(1);
  });
});
