import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const CREATE_METER = `mutation($input: CreateMeterInput!) { createMeter(input: $input) { meter { id assetNo status multiplier } } }`;

async function areaId(code: string): Promise<string> {
  const res = await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
    `query($s: String!) { orgUnits(first: 5, filter: { search: $s }) { nodes { id code } } }`,
    { s: code },
    admin,
  );
  return res.data!.orgUnits.nodes.find((n) => n.code === code)!.id;
}

describe(`archive through the API`, () => {
  it('answers UNAUTHENTICATED without a token and for a forged one', async () => {
    const anonymous = await server.gql('{ meters(first: 1) { totalCount } }');
    expect(onlyError(anonymous).extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await server.gql('{ me { username } }', {}, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwidHYiOjB9.');
    expect(onlyError(forged).extensions?.code).toBe('UNAUTHENTICATED');
    expect(forged.status).toBe(401);
  });

  it('creates a meter, reads it back by id, node and barcode', async () => {
    const orgUnitId = await areaId('TA-YJ-01');
    const created = await server.gql<{ createMeter: { meter: { id: string; status: string; multiplier: string } } }>(
      CREATE_METER,
      {
        input: {
          assetNo: 'E2E-0001',
          barcode: 'E2E0000000001',
          commAddress: '000000123456',
          protocol: 'DLT645_2007',
          manufacturer: 'Linyang',
          model: 'DTZY',
          ctRatio: '50',
          ptRatio: '1',
          accuracyClass: '0.5S',
          nextVerificationDate: '2027-03-31',
          orgUnitId,
        },
      },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const meter = created.data!.createMeter.meter;
    expect(meter.status).toBe('IN_STOCK');
    expect(meter.multiplier).toBe('50');
    // Read back from the database: a date column is a LocalDate string on both databases.
    const byNode = await server.gql<{ node: { __typename: string; assetNo: string } }>(
      `query($id: ID!) { node(id: $id) { __typename ... on Meter { assetNo nextVerificationDate } } }`,
      { id: meter.id },
      admin,
    );
    expect(byNode.errors).toBeUndefined();
    expect(byNode.data!.node).toEqual({ __typename: 'Meter', assetNo: 'E2E-0001', nextVerificationDate: '2027-03-31' });
    const byBarcode = await server.gql<{ meterByBarcode: { id: string } }>(
      `{ meterByBarcode(barcode: "E2E0000000001") { id } }`,
      {},
      admin,
    );
    expect(byBarcode.data!.meterByBarcode.id).toBe(meter.id);
  });

  it('rejects bad input with BAD_USER_INPUT, every field path at once, and writes nothing', async () => {
    const orgUnitId = await areaId('TA-YJ-01');
    const before = await server.gql<{ meters: { totalCount: number } }>('{ meters { totalCount } }', {}, admin);
    const res = await server.gql(
      CREATE_METER,
      {
        input: {
          assetNo: 'E2E-0002',
          barcode: 'E2E0000000002',
          commAddress: '12345',
          protocol: 'DLT645_2007',
          manufacturer: 'Linyang',
          model: 'DTZY',
          ctRatio: '-1',
          accuracyClass: '7',
          orgUnitId,
        },
      },
      admin,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    const paths = error.extensions!.fields!.map((f) => f.path.join('.')).sort();
    expect(paths).toEqual(['input.accuracyClass', 'input.commAddress', 'input.ctRatio']);
    const after = await server.gql<{ meters: { totalCount: number } }>('{ meters { totalCount } }', {}, admin);
    expect(after.data!.meters.totalCount).toBe(before.data!.meters.totalCount);
  });

  it('reports a duplicate as CONFLICT with the field, without SQL in the message', async () => {
    const orgUnitId = await areaId('TA-YJ-01');
    const res = await server.gql(
      CREATE_METER,
      {
        input: {
          assetNo: 'AS00000001',
          barcode: 'E2E0000000003',
          commAddress: '000000123457',
          protocol: 'DLT645_2007',
          manufacturer: 'Linyang',
          model: 'DTZY',
          accuracyClass: '1.0',
          orgUnitId,
        },
      },
      admin,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.extensions!.fields![0]!.path).toEqual(['input', 'assetNo']);
    expect(JSON.stringify(res)).not.toMatch(/insert|duplicate key|constraint/i);
  });

  it('rejects a Decimal sent as a JSON number', async () => {
    const orgUnitId = await areaId('TA-YJ-01');
    const res = await server.gql(
      CREATE_METER,
      {
        input: {
          assetNo: 'E2E-9',
          barcode: 'E2E0000000009',
          commAddress: '000000123459',
          protocol: 'MODBUS',
          manufacturer: 'x',
          model: 'y',
          ctRatio: 0.1,
          accuracyClass: '1.0',
          orgUnitId,
        },
      },
      admin,
    );
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('installs, exchanges and removes meters keeping both readings', async () => {
    const orgUnitId = await areaId('TA-YJ-01');
    const mk = async (n: string) =>
      (
        await server.gql<{ createMeter: { meter: { id: string } } }>(
          CREATE_METER,
          {
            input: {
              assetNo: `EX-${n}`,
              barcode: `EX00000000${n}`,
              commAddress: `0000000000${n}`,
              protocol: 'DLT645_2007',
              manufacturer: 'Holley',
              model: 'DDZY',
              accuracyClass: '2.0',
              orgUnitId,
            },
          },
          admin,
        )
      ).data!.createMeter.meter.id;
    const oldMeter = await mk('11');
    const newMeter = await mk('12');
    const customers = await server.gql<{ customers: { nodes: { id: string }[] } }>(
      `{ customers(first: 1, filter: { search: "060100000002" }) { nodes { id } } }`,
      {},
      admin,
    );
    const customerId = customers.data!.customers.nodes[0]!.id;
    const sp = await server.gql<{ createServicePoint: { servicePoint: { id: string } } }>(
      `mutation($c: ID!) { createServicePoint(input: { code: "SP-E2E-1", customerId: $c }) { servicePoint { id } } }`,
      { c: customerId },
      admin,
    );
    const spId = sp.data!.createServicePoint.servicePoint.id;
    const installed = await server.gql<{ installMeter: { meter: { status: string } } }>(
      `mutation($m: ID!, $s: ID!) { installMeter(input: { meterId: $m, servicePointId: $s, installedAt: "2026-01-01T00:00:00+08:00", initialReading: "100.5" }) { meter { status } assignment { initialReading } } }`,
      { m: oldMeter, s: spId },
      admin,
    );
    expect(installed.errors).toBeUndefined();
    expect(installed.data!.installMeter.meter.status).toBe('INSTALLED');

    const twice = await server.gql(
      `mutation($m: ID!, $s: ID!) { installMeter(input: { meterId: $m, servicePointId: $s, installedAt: "2026-01-02T00:00:00+08:00", initialReading: "0" }) { meter { status } } }`,
      { m: newMeter, s: spId },
      admin,
    );
    expect(onlyError(twice).extensions?.code).toBe('BAD_USER_INPUT');

    const exchanged = await server.gql<{
      exchangeMeter: {
        oldMeter: { status: string };
        newMeter: { status: string };
        closedAssignment: { finalReading: string };
        openedAssignment: { initialReading: string };
      };
    }>(
      `mutation($n: ID!, $s: ID!) { exchangeMeter(input: { servicePointId: $s, newMeterId: $n, exchangedAt: "2026-06-01T10:00:00+08:00", oldFinalReading: "1234.56", newInitialReading: "0.02" }) {
        oldMeter { status } newMeter { status } closedAssignment { finalReading } openedAssignment { initialReading } } }`,
      { n: newMeter, s: spId },
      admin,
    );
    expect(exchanged.errors).toBeUndefined();
    expect(exchanged.data!.exchangeMeter).toEqual({
      oldMeter: { status: 'REMOVED' },
      newMeter: { status: 'INSTALLED' },
      closedAssignment: { finalReading: '1234.56' },
      openedAssignment: { initialReading: '0.02' },
    });
    const history = await server.gql<{
      servicePoint: { meterHistory: { meter: { assetNo: string }; finalReading: string | null }[] };
    }>(
      `query($s: ID!) { servicePoint(id: $s) { meterHistory { meter { assetNo } finalReading } } }`,
      { s: spId },
      admin,
    );
    expect(history.data!.servicePoint.meterHistory).toEqual([
      { meter: { assetNo: 'EX-11' }, finalReading: '1234.56' },
      { meter: { assetNo: 'EX-12' }, finalReading: null },
    ]);
  });

  it('requires a bounded time range for readings', async () => {
    const res = await server.gql(
      `{ readings(filter: { from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { totalCount } }`,
      {},
      admin,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions!.fields![0]!.path).toEqual(['filter', 'to']);
  });

  it('caps the page size', async () => {
    const res = await server.gql(`{ customers(first: 5000) { totalCount } }`, {}, admin);
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages through customers with cursors without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res: {
        data?: { customers: { nodes: { accountNo: string }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } };
      } = await server.gql(
        `query($after: String) { customers(first: 7, after: $after, orderBy: { field: ACCOUNT_NO, direction: DESC }) { nodes { accountNo } pageInfo { endCursor hasNextPage } } }`,
        { after },
        admin,
      );
      seen.push(...res.data!.customers.nodes.map((n) => n.accountNo));
      after = res.data!.customers.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(28);
    expect(new Set(seen).size).toBe(28);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
