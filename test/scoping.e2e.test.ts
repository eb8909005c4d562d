import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'auditor', 'customer1'])
    tokens[user] = await server.login(user);
});
afterAll(async () => server?.stop());

type Counts = {
  orgUnits: { totalCount: number };
  meters: { totalCount: number };
  customers: { totalCount: number };
  meterBoxes: { totalCount: number };
};
const COUNTS = `{ orgUnits { totalCount } meters { totalCount } customers { totalCount } meterBoxes { totalCount } }`;

describe('row scoping by org subtree, in SQL', () => {
  it('admin sees the whole archive', async () => {
    const res = await server.gql<Counts>(COUNTS, {}, tokens.admin);
    // root + bureau + 2 stations + 5 areas; 5 x (60 customer meters + 1 supply meter); 300 customers; 50 boxes
    expect(res.data).toEqual({
      orgUnits: { totalCount: 9 },
      meters: { totalCount: 305 },
      customers: { totalCount: 300 },
      meterBoxes: { totalCount: 50 },
    });
  });

  it('a station manager sees only their station, totals included', async () => {
    const one = await server.gql<Counts>(COUNTS, {}, tokens.manager1);
    expect(one.data).toEqual({
      orgUnits: { totalCount: 4 },
      meters: { totalCount: 183 },
      customers: { totalCount: 180 },
      meterBoxes: { totalCount: 30 },
    });
    const two = await server.gql<Counts>(COUNTS, {}, tokens.manager2);
    expect(two.data).toEqual({
      orgUnits: { totalCount: 3 },
      meters: { totalCount: 122 },
      customers: { totalCount: 120 },
      meterBoxes: { totalCount: 20 },
    });
  });

  it("pages are full and never contain another station's rows", async () => {
    const res = await server.gql<{ meters: { nodes: { orgUnit: { code: string } }[] } }>(
      `{ meters(first: 100) { nodes { orgUnit { code } } } }`,
      {},
      tokens.manager2,
    );
    const codes = res.data!.meters.nodes.map((n) => n.orgUnit.code);
    expect(codes).toHaveLength(100);
    expect(codes.every((c) => c.startsWith('TA-TY'))).toBe(true);
  });

  it("another station's objects are invisible by id, node, barcode and account number", async () => {
    const other = await server.gql<{
      customers: { nodes: { id: string; accountNo: string }[] };
      meters: { nodes: { id: string; barcode: string }[] };
    }>(
      `{ customers(first: 1, filter: { search: "Tianyang" }) { nodes { id accountNo } } meters(first: 1, filter: { orgUnitSubtree: null }) { nodes { id barcode } } }`,
      {},
      tokens.manager2,
    );
    const tyMeter = (
      await server.gql<{ meters: { nodes: { id: string; barcode: string }[] } }>(
        `{ meters(first: 1) { nodes { id barcode } } }`,
        {},
        tokens.manager2,
      )
    ).data!.meters.nodes[0]!;
    const tyCustomer = (
      await server.gql<{ customers: { nodes: { id: string; accountNo: string }[] } }>(
        `{ customers(first: 1) { nodes { id accountNo } } }`,
        {},
        tokens.manager2,
      )
    ).data!.customers.nodes[0]!;
    expect(other.errors).toBeUndefined();
    const asManager1 = (q: string, v: Record<string, unknown>) => server.gql(q, v, tokens.manager1);
    expect(
      onlyError(await asManager1(`query($id: ID!) { meter(id: $id) { id } }`, { id: tyMeter.id })).extensions?.code,
    ).toBe('NOT_FOUND');
    expect(
      onlyError(await asManager1(`query($id: ID!) { customer(id: $id) { id } }`, { id: tyCustomer.id })).extensions
        ?.code,
    ).toBe('NOT_FOUND');
    expect((await asManager1(`query($id: ID!) { node(id: $id) { id } }`, { id: tyMeter.id })).data).toEqual({
      node: null,
    });
    expect(
      (await asManager1(`query($b: String!) { meterByBarcode(barcode: $b) { id } }`, { b: tyMeter.barcode })).data,
    ).toEqual({ meterByBarcode: null });
    expect(
      (
        await asManager1(`query($a: String!) { customerByAccountNo(accountNo: $a) { id } }`, {
          a: tyCustomer.accountNo,
        })
      ).data,
    ).toEqual({ customerByAccountNo: null });
    const update = await asManager1(
      `mutation($id: ID!) { updateCustomer(input: { id: $id, name: "Hijacked" }) { customer { name } } }`,
      { id: tyCustomer.id },
    );
    expect(onlyError(update).extensions?.code).toBe('NOT_FOUND');
  });

  it("readings follow the meter's scope", async () => {
    const range = `from: "2000-01-01T00:00:00Z", to: "2000-03-01T00:00:00Z"`;
    expect(
      (await server.gql(`{ readings(filter: { ${range} }) { totalCount } }`, {}, tokens.manager1)).errors,
    ).toBeUndefined();
    const now = new Date();
    const from = new Date(now.getTime() - 10 * 86_400_000).toISOString();
    const all = await server.gql<{ readings: { totalCount: number } }>(
      `query($f: DateTime!, $t: DateTime!) { readings(filter: { from: $f, to: $t }) { totalCount } }`,
      { f: from, t: now.toISOString() },
      tokens.admin,
    );
    const one = await server.gql<{ readings: { totalCount: number } }>(
      `query($f: DateTime!, $t: DateTime!) { readings(filter: { from: $f, to: $t }) { totalCount } }`,
      { f: from, t: now.toISOString() },
      tokens.manager1,
    );
    const two = await server.gql<{ readings: { totalCount: number } }>(
      `query($f: DateTime!, $t: DateTime!) { readings(filter: { from: $f, to: $t }) { totalCount } }`,
      { f: from, t: now.toISOString() },
      tokens.manager2,
    );
    expect(one.data!.readings.totalCount).toBeGreaterThan(0);
    expect(one.data!.readings.totalCount + two.data!.readings.totalCount).toBe(all.data!.readings.totalCount);
  });

  it('a customer sees only their own account, meter and readings', async () => {
    const res = await server.gql<Counts & { me: { customer: { accountNo: string } } }>(
      `{ me { customer { accountNo } } customers { totalCount } meters { totalCount } }`,
      {},
      tokens.customer1,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.me.customer.accountNo).toBe('060100000001');
    expect(res.data!.customers.totalCount).toBe(1);
    expect(res.data!.meters.totalCount).toBe(1);
    const units = await server.gql<{ orgUnits: { totalCount: number } }>(
      `{ orgUnits { totalCount } }`,
      {},
      tokens.customer1,
    );
    expect(units.data!.orgUnits.totalCount).toBe(0);
    const write = await server.gql(
      `mutation { createMeterBox(input: { barcode: "XX0001", address: "x", orgUnitId: "T3JnVW5pdDox" }) { meterBox { id } } }`,
      {},
      tokens.customer1,
    );
    expect(onlyError(write).extensions?.code).toBe('FORBIDDEN');
  });

  it('hides personal data from roles without the field permission', async () => {
    const q = `{ customers(first: 1, filter: { search: "060100000001" }) { nodes { phone idNumber } } }`;
    const full = (
      await server.gql<{ customers: { nodes: { phone: string; idNumber: string }[] } }>(q, {}, tokens.manager1)
    ).data!.customers.nodes[0]!;
    const masked = (
      await server.gql<{ customers: { nodes: { phone: string; idNumber: string }[] } }>(q, {}, tokens.reader1)
    ).data!.customers.nodes[0]!;
    expect(full.phone).toMatch(/^1\d{10}$/);
    expect(full.idNumber).toMatch(/^\d{17}[\dX]$/);
    expect(masked.phone).toBe(`${full.phone.slice(0, 3)}****${full.phone.slice(-4)}`);
    expect(masked.idNumber).toBe(`${full.idNumber.slice(0, 3)}*************${full.idNumber.slice(-2)}`);
  });

  it('an auditor reads everything and changes nothing', async () => {
    const res = await server.gql<Counts>(COUNTS, {}, tokens.auditor);
    expect(res.data!.customers.totalCount).toBe(300);
    const write = await server.gql(
      `mutation { updateOrgUnit(input: { id: "T3JnVW5pdDox", name: "Renamed" }) { orgUnit { name } } }`,
      {},
      tokens.auditor,
    );
    expect(onlyError(write).extensions?.code).toMatch(/FORBIDDEN|NOT_FOUND/);
  });

  it('admins manage role permissions through the API and they take effect', async () => {
    const rules = await server.gql<{ rolePermissions: { action: string; subject: string }[] }>(
      `{ rolePermissions(role: INSPECTOR) { action subject scope } }`,
      {},
      tokens.admin,
    );
    expect(rules.data!.rolePermissions.length).toBeGreaterThan(0);
    // Take readings away from meter readers.
    const current = await server.gql<{
      rolePermissions: { action: string; subject: string; fields: string[] | null; inverted: boolean; scope: string }[];
    }>(`{ rolePermissions(role: METER_READER) { action subject fields inverted scope } }`, {}, tokens.admin);
    const kept = current.data!.rolePermissions.filter((r) => r.subject !== 'Meter');
    const set = await server.gql(
      `mutation($rules: [PermissionRuleInput!]!) { setRolePermissions(input: { role: METER_READER, rules: $rules }) { rules { subject } } }`,
      { rules: kept },
      tokens.admin,
    );
    expect(set.errors).toBeUndefined();
    const after = await server.gql<{ meters: { totalCount: number } }>(`{ meters { totalCount } }`, {}, tokens.reader1);
    expect(after.data!.meters.totalCount).toBe(0);
    const bad = await server.gql(
      `mutation { setRolePermissions(input: { role: METER_READER, rules: [{ action: "fly", subject: "Meter" }] }) { role } }`,
      {},
      tokens.admin,
    );
    expect(onlyError(bad).extensions?.fields).toEqual([
      expect.objectContaining({ path: ['input', 'rules', 0, 'action'] }),
    ]);
    const denied = await server.gql(
      `mutation { setRolePermissions(input: { role: METER_READER, rules: [] }) { role } }`,
      {},
      tokens.manager1,
    );
    expect(onlyError(denied).extensions?.code).toBe('FORBIDDEN');
    await server.gql(
      `mutation($rules: [PermissionRuleInput!]!) { setRolePermissions(input: { role: METER_READER, rules: $rules }) { role } }`,
      { rules: current.data!.rolePermissions },
      tokens.admin,
    );
    const restored = await server.gql<{ meters: { totalCount: number } }>(
      `{ meters { totalCount } }`,
      {},
      tokens.reader1,
    );
    expect(restored.data!.meters.totalCount).toBe(183);
  });
});
