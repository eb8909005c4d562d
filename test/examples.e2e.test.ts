import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AreaMetersDocument,
  AuditTrailDocument,
  CustomerLoginDocument,
  IssueApiKeyDocument,
  LoginWithCodeDocument,
  RestrictReadersDocument,
  CollectionTasksDocument,
  CreateScheduleDocument,
  CustomersDocument,
  ImportArchiveDocument,
  LoginDocument,
  MeDocument,
  MeterReadingsDocument,
  RefreshDocument,
  ScanMeterDocument,
} from './generated/graphql.js';
import { DEMO_CUSTOMER_ACCOUNT, startTestServer, type TestServer } from './harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

/** Runs a generated typed document: the result type comes from examples/operations via codegen. */
async function run<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V, token?: string) {
  const res = await server.gql<R>(print(doc as DocumentNode), variables, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

describe('the example operations in examples/operations run as documented', () => {
  it('session, archive, field scan, readings and import', async () => {
    const login = await run(LoginDocument, { username: 'manager1', password: 'metergraph-demo' });
    const token = login.login.accessToken;
    expect(login.login.user.role).toBe('STATION_MANAGER');
    expect(
      (await run(RefreshDocument, { refreshToken: login.login.refreshToken })).refreshToken.accessToken,
    ).toBeTruthy();
    expect((await run(MeDocument, {}, token)).me.username).toBe('manager1');

    const areas = await run(AreaMetersDocument, { first: 3, meters: 2 }, token);
    expect(areas.orgUnits.totalCount).toBe(3);
    const meter = areas.orgUnits.nodes[0]!.meters.nodes.find((m) => m.customer)!;
    expect(meter.latestReading?.value).toMatch(/^\d+(\.\d+)?$/);

    const customers = await run(CustomersDocument, { search: '0601' }, token);
    expect(customers.customers.totalCount).toBe(180);

    const box = areas.orgUnits.nodes[0]!.meters.nodes.find((m) => m.meterBox)!;
    const scanned = await run(ScanMeterDocument, { barcode: await serverMeterBarcode(box.id, token) }, token);
    expect(scanned.meterByBarcode?.assetNo).toBe(box.assetNo);

    const to = new Date();
    const from = new Date(to.getTime() - 7 * 86_400_000);
    const readings = await run(
      MeterReadingsDocument,
      { meterId: meter.id, from: from.toISOString(), to: to.toISOString() },
      token,
    );
    expect(readings.readings.totalCount).toBeGreaterThan(0);

    const imported = await run(
      ImportArchiveDocument,
      {
        rows: [
          {
            orgUnitCode: 'ST-YJ',
            accountNo: '0888000000001',
            customerName: 'Example',
            category: 'RESIDENTIAL',
            address: 'Example Road 1',
            contractedCapacity: '6',
          },
        ],
      },
      token,
    );
    expect(imported.importArchive).toMatchObject({ committed: true, succeededRows: 1, failedRows: 0 });
  });

  it('collection schedules and tasks', async () => {
    const token = (await run(LoginDocument, { username: 'manager1', password: 'metergraph-demo' })).login.accessToken;
    const station = (await run(AreaMetersDocument, { first: 1, meters: 0 }, token)).orgUnits.nodes[0]!.id;
    const created = await run(
      CreateScheduleDocument,
      {
        input: {
          name: 'Frozen at dawn',
          kind: 'DAILY_FROZEN',
          orgUnitId: station,
          windowStart: '01:00',
          windowEnd: '05:00',
        },
      },
      token,
    );
    expect(created.createCollectionSchedule.schedule).toMatchObject({
      kind: 'DAILY_FROZEN',
      windowStart: '01:00',
      windowEnd: '05:00',
      maxAttempts: 4,
    });
    const tasks = await run(CollectionTasksDocument, { statuses: ['INCOMPLETE'] }, token);
    expect(tasks.collectionTasks.nodes.every((t) => t.status === 'INCOMPLETE')).toBe(true);
  });

  it('customer login, login policies, API keys and the audit trail', async () => {
    const customer = await run(CustomerLoginDocument, {
      accountNo: DEMO_CUSTOMER_ACCOUNT,
      password: 'metergraph-demo',
    });
    expect(customer.customerLogin.user.role).toBe('CUSTOMER');
    const admin = await run(LoginWithCodeDocument, { username: 'admin', password: 'metergraph-admin' });
    expect(admin.login.totpEnrollmentRequired).toBe(false);
    const token = admin.login.accessToken;
    const policy = await run(RestrictReadersDocument, { ranges: ['10.0.0.0/8', '127.0.0.1'] }, token);
    expect(policy.setLoginPolicy.loginPolicy!.windows![0]).toEqual({
      days: [1, 2, 3, 4, 5],
      start: '07:00',
      end: '19:00',
    });
    const collector = await server.gql<{ users: { nodes: { id: string }[] } }>(
      `{ users(filter: { search: "collector" }) { nodes { id } } }`,
      {},
      token,
    );
    const key = await run(IssueApiKeyDocument, { userId: collector.data!.users.nodes[0]!.id }, token);
    expect(key.createApiKey.key.startsWith(`mgk_${key.createApiKey.apiKey.prefix}_`)).toBe(true);
    const trail = await run(AuditTrailDocument, { actions: ['setLoginPolicy', 'createApiKey'], first: 10 }, token);
    expect(trail.auditLog.nodes.map((n) => n.action)).toEqual(['createApiKey', 'setLoginPolicy']);
    expect(trail.verifyAuditLog).toMatchObject({ ok: true, firstBrokenId: null });
  });
});

async function serverMeterBarcode(meterId: string, token: string): Promise<string> {
  const res = await server.gql<{ meter: { barcode: string } }>(
    `query($id: ID!) { meter(id: $id) { barcode } }`,
    { id: meterId },
    token,
  );
  return res.data!.meter.barcode;
}
