import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const IMPORT = `mutation($input: ImportArchiveInput!) {
  importArchive(input: $input) {
    committed succeededRows failedRows
    created { customers meterBoxes meters installations }
    updated { customers meterBoxes meters installations }
    errors { row code message paths }
  }
}`;

type ImportResult = {
  importArchive: {
    committed: boolean;
    succeededRows: number;
    failedRows: number;
    created: Record<string, number>;
    updated: Record<string, number>;
    errors: { row: number; code: string; message: string; paths: string[][] }[];
  };
};

const row = (n: number, extra: Record<string, unknown> = {}) => ({
  orgUnitCode: 'ST-YJ',
  accountNo: `09990000${String(n).padStart(4, '0')}`,
  customerName: `Import Customer ${n}`,
  category: 'RESIDENTIAL',
  address: `Import Street ${n}`,
  contractedCapacity: '8',
  meterBoxBarcode: `IMPBOX${String(Math.ceil(n / 2)).padStart(4, '0')}`,
  meterBoxAreaCode: 'TA-YJ-02',
  latitude: '23.91',
  longitude: '106.61',
  meterAssetNo: `IMP${String(n).padStart(6, '0')}`,
  meterBarcode: `IMPBC${String(n).padStart(8, '0')}`,
  commAddress: `99${String(n).padStart(10, '0')}`,
  protocol: 'DLT645_2007',
  manufacturer: 'Wasion',
  model: 'DDZY102',
  accuracyClass: '2.0',
  installedAt: '2026-03-01T08:00:00+08:00',
  initialReading: '12.5',
  ...extra,
});

const countCustomers = async () =>
  (
    await server.gql<{ customers: { totalCount: number } }>(
      `{ customers(filter: { search: "0999" }) { totalCount } }`,
      {},
      admin,
    )
  ).data!.customers.totalCount;

describe('bulk import of customers, meter boxes and meters', () => {
  it('imports good rows and reports each bad row with its field paths', async () => {
    const rows = [
      row(1),
      row(2),
      row(3, { accountNo: '12AB', commAddress: '123' }),
      row(4, { orgUnitCode: 'NO-SUCH-UNIT' }),
      row(5, { meterAssetNo: 'IMP000001' }),
    ];
    const res = await server.gql<ImportResult>(IMPORT, { input: { rows, allOrNothing: false } }, admin);
    expect(res.errors).toBeUndefined();
    const result = res.data!.importArchive;
    expect(result.committed).toBe(true);
    expect(result.succeededRows).toBe(2);
    expect(result.failedRows).toBe(3);
    expect(result.created).toEqual({ customers: 2, meterBoxes: 1, meters: 2, installations: 2 });
    expect(result.errors.map((e) => [e.row, e.code, e.paths])).toEqual([
      [
        2,
        'BAD_USER_INPUT',
        [
          ['input', 'rows', '2', 'accountNo'],
          ['input', 'rows', '2', 'commAddress'],
        ],
      ],
      [3, 'BAD_USER_INPUT', [['input', 'rows', '3', 'orgUnitCode']]],
      // row 5 reuses row 1's meter, already installed on another customer: rolled back alone
      [4, 'BAD_USER_INPUT', [['input', 'rows', '4', 'meterAssetNo']]],
    ]);
    expect(await countCustomers()).toBe(2);
    // The failed row's changes to the existing meter were rolled back with it.
    const meter = await server.gql<{ meterByBarcode: { assetNo: string } }>(
      `{ meterByBarcode(barcode: "IMPBC00000001") { assetNo } }`,
      {},
      admin,
    );
    expect(meter.data!.meterByBarcode).toEqual({ assetNo: 'IMP000001' });
    const installed = await server.gql<{
      customerByAccountNo: {
        servicePoints: {
          nodes: {
            meterHistory: { initialReading: string; meter: { status: string; meterBox: { barcode: string } } }[];
          }[];
        };
      };
    }>(
      `{ customerByAccountNo(accountNo: "099900000001") { servicePoints { nodes { meterHistory { initialReading meter { status meterBox { barcode } } } } } } }`,
      {},
      admin,
    );
    expect(installed.data!.customerByAccountNo.servicePoints.nodes[0]!.meterHistory).toEqual([
      { initialReading: '12.5', meter: { status: 'INSTALLED', meterBox: { barcode: 'IMPBOX0001' } } },
    ]);
  });

  it('re-running the same file updates instead of duplicating', async () => {
    const res = await server.gql<ImportResult>(
      IMPORT,
      { input: { rows: [row(1, { customerName: 'Renamed Customer' }), row(2)], allOrNothing: true } },
      admin,
    );
    expect(res.data!.importArchive).toMatchObject({
      committed: true,
      failedRows: 0,
      created: { customers: 0, meterBoxes: 0, meters: 0, installations: 0 },
      updated: { customers: 2, meters: 2 },
    });
    expect(await countCustomers()).toBe(2);
  });

  it('all-or-nothing writes nothing when any row is bad, and reports every bad row', async () => {
    const rows = [row(10), row(11, { category: 'SPACESHIP' }), row(12), row(13, { contractedCapacity: '-5' })];
    const res = await server.gql<ImportResult>(
      IMPORT,
      { input: { rows: rows.filter((_, i) => i !== 1), allOrNothing: true } },
      admin,
    );
    const result = res.data!.importArchive;
    expect(result.committed).toBe(false);
    expect(result.created).toEqual({ customers: 0, meterBoxes: 0, meters: 0, installations: 0 });
    expect(result.errors.map((e) => e.paths)).toEqual([[['input', 'rows', '2', 'contractedCapacity']]]);
    expect(await countCustomers()).toBe(2);
    // An enum outside the schema is rejected by GraphQL itself before anything runs.
    const bad = await server.gql(IMPORT, { input: { rows, allOrNothing: true } }, admin);
    expect(onlyError(bad).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses units outside the caller’s subtree and callers without the permission', async () => {
    const manager2 = await server.login('manager2');
    const res = await server.gql<ImportResult>(IMPORT, { input: { rows: [row(20)], allOrNothing: false } }, manager2);
    expect(res.data!.importArchive.errors[0]!.paths).toEqual([['input', 'rows', '0', 'orgUnitCode']]);
    const reader = await server.login('reader1');
    expect(onlyError(await server.gql(IMPORT, { input: { rows: [row(21)] } }, reader)).extensions?.code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('bulk import applies the same rules as the single mutations', () => {
  it('reports overflow, future installation, register width and duplicate barcodes per row', async () => {
    const rows = [
      row(30, { contractedCapacity: '99999999999' }),
      row(31, { installedAt: '2099-01-01T00:00:00Z' }),
      row(32, { initialReading: '123456789.12' }),
      row(33, { meterBarcode: 'IMPBC00000001' }),
      row(34),
    ];
    const res = await server.gql<ImportResult>(IMPORT, { input: { rows, allOrNothing: false } }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.importArchive.errors.map((e) => [e.row, e.code, e.paths[0]!.at(-1)])).toEqual([
      [0, 'BAD_USER_INPUT', 'contractedCapacity'],
      [1, 'BAD_USER_INPUT', 'installedAt'],
      [2, 'BAD_USER_INPUT', 'initialReading'],
      [3, 'CONFLICT', 'meterBarcode'],
    ]);
    expect(res.data!.importArchive.succeededRows).toBe(1);
  });
});
