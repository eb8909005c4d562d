import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const idOf = async (query: string, path: (d: any) => string, token = admin) =>
  path((await server.gql<any>(query, {}, token)).data);
const unitId = (code: string) =>
  idOf(`{ orgUnits(first: 1, filter: { search: "${code}" }) { nodes { id } } }`, (d) => d.orgUnits.nodes[0].id);

describe('archive integrity across scopes', () => {
  it('moves an org unit with its subtree (one transaction, no second connection)', async () => {
    const area = await unitId('TA-YJ-03');
    const tianyang = await unitId('ST-TY');
    const moved = await server.gql(
      `mutation($id: ID!, $p: ID!) { updateOrgUnit(input: { id: $id, parentId: $p }) { orgUnit { parent { code } } } }`,
      { id: area, p: tianyang },
      admin,
    );
    expect(moved.errors).toBeUndefined();
    const subtree = await server.gql<any>(
      `query($s: ID!) { meters(filter: { orgUnitSubtree: $s }) { totalCount } }`,
      { s: tianyang },
      admin,
    );
    expect(subtree.data.meters.totalCount).toBe(122 + 61);
    const back = await unitId('ST-YJ');
    await server.gql(
      `mutation($id: ID!, $p: ID!) { updateOrgUnit(input: { id: $id, parentId: $p }) { orgUnit { id } } }`,
      { id: area, p: back },
      admin,
    );
    const under = await server.gql(
      `mutation($id: ID!, $p: ID!) { updateOrgUnit(input: { id: $id, parentId: $p }) { orgUnit { id } } }`,
      { id: back, p: area },
      admin,
    );
    expect(onlyError(under).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('changes nothing of an org unit when a move is refused', async () => {
    const area = await unitId('TA-YJ-02');
    const res = await server.gql(
      `mutation($id: ID!, $p: ID!) { updateOrgUnit(input: { id: $id, name: "Renamed", timeZone: "UTC", parentId: $p }) { orgUnit { id } } }`,
      { id: area, p: await unitId('TA-YJ-01') },
      admin,
    );
    expect(onlyError(res).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.parentId']);
    const unit = await server.gql<any>(`query($id: ID!) { orgUnit(id: $id) { name timeZone } }`, { id: area }, admin);
    expect(unit.data.orgUnit.name).not.toBe('Renamed');
    expect(unit.data.orgUnit.timeZone).not.toBe('UTC');
  });

  it('gives back the verification date of a meter read from the database', async () => {
    const meter = await idOf(`{ meters(first: 1) { nodes { id } } }`, (d) => d.meters.nodes[0].id);
    const set = await server.gql<any>(
      `mutation($id: ID!) { updateMeter(input: { id: $id, nextVerificationDate: "2031-05-17" }) { meter { nextVerificationDate } } }`,
      { id: meter },
      admin,
    );
    expect(set.data.updateMeter.meter.nextVerificationDate).toBe('2031-05-17');
    // A new request loads the meter from the database (PGlite once turned the date into a Date).
    const read = await server.gql<any>(
      `query($id: ID!) { meter(id: $id) { nextVerificationDate } }`,
      { id: meter },
      admin,
    );
    expect(read).toEqual({ status: 200, data: { meter: { nextVerificationDate: '2031-05-17' } } });
  });

  it('refuses to move a customer away from the area where its meter is installed', async () => {
    const customer = await idOf(
      `{ customerByAccountNo(accountNo: "060100000001") { id } }`,
      (d) => d.customerByAccountNo.id,
    );
    const res = await server.gql(
      `mutation($c: ID!, $u: ID!) { moveCustomer(input: { customerId: $c, orgUnitId: $u }) { customer { id } } }`,
      { c: customer, u: await unitId('ST-TY') },
      admin,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/installed in Youjiang No.1 Transformer/);
  });

  it('refuses to change the multiplier or register of an installed meter', async () => {
    const meter = await idOf(
      `{ meters(first: 1, filter: { statuses: [INSTALLED] }) { nodes { id } } }`,
      (d) => d.meters.nodes[0].id,
    );
    const res = await server.gql(
      `mutation($id: ID!) { updateMeter(input: { id: $id, ctRatio: "80", ptRatio: "2", model: "DDZY-2" }) { meter { model } } }`,
      { id: meter },
      admin,
    );
    expect(onlyError(res).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.ctRatio', 'input.ptRatio']);
    const model = await server.gql<any>(`query($id: ID!) { meter(id: $id) { model ctRatio } }`, { id: meter }, admin);
    expect(model.data.meter).toEqual({ model: 'DTZ341', ctRatio: '40' }); // the area's supply meter, unchanged
  });

  it('rejects values that would be rounded or overflow instead of storing them', async () => {
    const area = await unitId('TA-YJ-01');
    const res = await server.gql(
      `mutation($u: ID!) { createMeter(input: { assetNo: "RND-1", barcode: "RND0000001", commAddress: "000000555001", protocol: MODBUS, manufacturer: "x", model: "y", ctRatio: "0.00001", accuracyClass: "1.0", orgUnitId: $u }) { meter { id } } }`,
      { u: area },
      admin,
    );
    expect(onlyError(res).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.ctRatio']);
  });

  it('answers null or BAD_USER_INPUT, never INTERNAL, for ids and cursors out of range', async () => {
    const huge = Buffer.from('Meter:99999999999').toString('base64url');
    expect((await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: huge }, admin)).data).toEqual({
      node: null,
    });
    expect(
      onlyError(await server.gql(`query($id: ID!) { meter(id: $id) { id } }`, { id: huge }, admin)).extensions?.code,
    ).toBe('BAD_USER_INPUT');
    for (const cursor of [
      ['abc', 'x'],
      ['not a date', 5],
    ]) {
      const after = Buffer.from(JSON.stringify(cursor)).toString('base64url');
      const res = await server.gql(
        `query($a: String) { customers(after: $a, orderBy: { field: CREATED_AT, direction: ASC }) { totalCount } }`,
        { a: after },
        admin,
      );
      expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('checks the create-reading rule on the meter, not the read rule', async () => {
    const reader = await server.login('manager1');
    const rules = (
      await server.gql<any>(
        `{ rolePermissions(role: STATION_MANAGER) { action subject fields inverted scope } }`,
        {},
        admin,
      )
    ).data.rolePermissions;
    const onlyOwn = rules.map((r: any) =>
      r.action === 'create' && r.subject === 'Reading' ? { ...r, scope: 'OWN_ACCOUNT' } : r,
    );
    await server.gql(
      `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: STATION_MANAGER, rules: $r }) { role } }`,
      { r: onlyOwn },
      admin,
    );
    const meter = await idOf(
      `{ meters(first: 1, filter: { statuses: [INSTALLED] }) { nodes { id } } }`,
      (d) => d.meters.nodes[0].id,
      reader,
    );
    const res = await server.gql(
      `mutation($m: ID!, $t: DateTime!) { recordManualReading(input: { meterId: $m, value: "1", measuredAt: $t }) { reading { id } } }`,
      { m: meter, t: new Date().toISOString() },
      reader,
    );
    expect(onlyError(res).extensions!.fields![0]!.path).toEqual(['input', 'meterId']);
    await server.gql(
      `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: STATION_MANAGER, rules: $r }) { role } }`,
      { r: rules },
      admin,
    );
  });

  it('lets only administrators grant or change ADMIN accounts', async () => {
    const rules = (
      await server.gql<any>(
        `{ rolePermissions(role: STATION_MANAGER) { action subject fields inverted scope } }`,
        {},
        admin,
      )
    ).data.rolePermissions;
    const withUsers = [
      ...rules,
      { action: 'create', subject: 'User', inverted: false, scope: 'ORG_SUBTREE' },
      { action: 'update', subject: 'User', inverted: false, scope: 'ORG_SUBTREE' },
    ];
    await server.gql(
      `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: STATION_MANAGER, rules: $r }) { role } }`,
      { r: withUsers },
      admin,
    );
    const manager = await server.login('manager1');
    const station = await unitId('ST-YJ');
    const make = (role: string, unit: string) =>
      server.gql(
        `mutation($u: ID!) { createUser(input: { username: "u${role}${unit.length}", password: "long-enough-pw", displayName: "x", role: ${role}, orgUnitId: $u }) { user { role } } }`,
        { u: unit },
        manager,
      );
    expect(onlyError(await make('ADMIN', station)).extensions?.code).toBe('FORBIDDEN');
    expect((await make('METER_READER', station)).errors).toBeUndefined();
    const elsewhere = await make('METER_READER', await unitId('ST-TY'));
    expect(onlyError(elsewhere).extensions!.fields![0]!.path).toEqual(['input', 'orgUnitId']);
    await server.gql(
      `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: STATION_MANAGER, rules: $r }) { role } }`,
      { r: rules },
      admin,
    );
  });

  it('refuses ADMIN rules that would take back the right to repair the rules', async () => {
    const SET = `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: ADMIN, rules: $r }) { role } }`;
    const manageAll = { action: 'manage', subject: 'all', scope: 'ALL' };
    for (const exception of [
      { action: 'manage', subject: 'RolePermission', scope: 'ALL', inverted: true },
      { action: 'manage', subject: 'all', scope: 'ALL', inverted: true },
    ]) {
      const res = await server.gql(SET, { r: [manageAll, exception] }, admin);
      expect(onlyError(res).extensions!.fields!.map((f) => f.path.join('.'))).toEqual(['input.rules']);
    }
    // A field rule is no such exception; and the admin can still change the rules afterwards.
    const masked = { action: 'read', subject: 'Customer', fields: ['idNumber'], scope: 'ALL', inverted: true };
    expect((await server.gql(SET, { r: [manageAll, masked] }, admin)).errors).toBeUndefined();
    expect((await server.gql(SET, { r: [manageAll] }, admin)).errors).toBeUndefined();
  });

  it('stops a subscription when its user is deactivated', async () => {
    const token = await server.login('reader1');
    const { received, errors, client } = server.subscribe(token, `subscription { readingRecorded { value } }`);
    await new Promise((r) => setTimeout(r, 300));
    const users = await server.gql<any>(`{ users(filter: { search: "reader1" }) { nodes { id } } }`, {}, admin);
    await server.gql(
      `mutation($id: ID!) { updateUser(input: { id: $id, active: false }) { user { active } } }`,
      { id: users.data.users.nodes[0].id },
      admin,
    );
    const meter = await idOf(
      `{ meters(first: 1, filter: { statuses: [INSTALLED], protocols: [SIMULATED] }) { nodes { id } } }`,
      (d) => d.meters.nodes[0].id,
    );
    await server.gql(
      `mutation($m: ID!, $t: DateTime!) { recordManualReading(input: { meterId: $m, value: "99999.9", measuredAt: $t }) { reading { id } } }`,
      { m: meter, t: new Date().toISOString() },
      admin,
    );
    await new Promise((r) => setTimeout(r, 800));
    expect(received).toEqual([]);
    expect((errors[0] as { code?: number } | undefined)?.code).toBe(4403);
    await client.dispose();
  });
});
