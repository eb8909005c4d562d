import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { createLogger } from '../src/shared/logger.js';
import { RevokeSharingGrantDocument, ShareSubtreeDocument, SharingGrantsDocument } from './generated/graphql.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let sql: SqlExecutor;
const tokens: Record<string, string> = {};
const units: Record<string, string> = {};
/** An installed meter of Youjiang, with its customer (personal data filled in by the demo). */
let yj: { meter: string; barcode: string; customer: string; accountNo: string; name: string };

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

beforeAll(async () => {
  server = await startTestServer();
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'auditor', 'collector'])
    tokens[user] = await server.login(user);
  const all = await server.gql<any>(`{ orgUnits(first: 20) { nodes { id code } } }`, {}, tokens.admin);
  for (const unit of all.data.orgUnits.nodes) units[unit.code] = unit.id;
  const meter = (
    await server.gql<any>(
      `query($s: ID!) { meters(first: 5, filter: { orgUnitSubtree: $s, statuses: [INSTALLED] }) { nodes { id barcode customer { id accountNo name } } } }`,
      { s: units['ST-YJ'] },
      tokens.admin,
    )
  ).data.meters.nodes.find((m: any) => m.customer);
  yj = {
    meter: meter.id,
    barcode: meter.barcode,
    customer: meter.customer.id,
    accountNo: meter.customer.accountNo,
    name: meter.customer.name,
  };
});
afterAll(async () => server?.stop());

const CREATE = `mutation($input: CreateSharingGrantInput!) {
  createSharingGrant(input: $input) {
    sharingGrant { id active purpose expiresAt shares { subject fields } sourceUnit { code } granteeUnit { code } granteeUser { username } createdBy { username } }
  }
}`;
const REVOKE = `mutation($id: ID!) { revokeSharingGrant(input: { id: $id, reason: "job done" }) { sharingGrant { active revokedAt revokeReason revokedBy { username } } } }`;

async function grant(input: Record<string, unknown>, token = tokens.admin): Promise<string> {
  const res = await server.gql<any>(CREATE, { input: { purpose: 'test', expiresAt: inDays(7), ...input } }, token);
  expect(res.errors).toBeUndefined();
  return res.data.createSharingGrant.sharingGrant.id;
}
/** Runs a typed example document and expects no errors. */
async function run<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V, token: string) {
  const res = await server.gql<R>(print(doc as DocumentNode), variables, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}
const localId = (globalId: string) => Number(Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]);
const meterCount = async (token: string) =>
  (await server.gql<any>(`{ meters { totalCount } }`, {}, token)).data.meters.totalCount as number;
const meterById = (token: string) =>
  server.gql<any>(`query($id: ID!) { meter(id: $id) { id } }`, { id: yj.meter }, token);

describe('sharing grants', () => {
  let grantId: string;

  it("leaves a station manager blind to another station's subtree without one", async () => {
    expect(await meterCount(tokens.manager2)).toBe(122);
    expect(onlyError(await meterById(tokens.manager2)).extensions?.code).toBe('NOT_FOUND');
  });

  it('are created by an admin, with who, what, until when and why', async () => {
    const res = await server.gql<any>(
      CREATE,
      {
        input: {
          sourceUnitId: units['ST-YJ'],
          granteeUnitId: units['ST-TY'],
          shares: [
            { subject: 'Meter' },
            { subject: 'Reading' },
            { subject: 'Customer', fields: ['name', 'accountNo'] },
          ],
          purpose: 'joint meter verification campaign',
          expiresAt: inDays(30),
        },
      },
      tokens.admin,
    );
    expect(res.errors).toBeUndefined();
    const created = res.data.createSharingGrant.sharingGrant;
    expect(created).toMatchObject({
      active: true,
      purpose: 'joint meter verification campaign',
      shares: [
        { subject: 'Meter', fields: null },
        { subject: 'Reading', fields: null },
        { subject: 'Customer', fields: ['name', 'accountNo'] },
      ],
      sourceUnit: { code: 'ST-YJ' },
      granteeUnit: { code: 'ST-TY' },
      granteeUser: null,
      createdBy: { username: 'admin' },
    });
    grantId = created.id;
  });

  it('let the grantee read the shared subtree through lists, by id, node and barcode', async () => {
    const m2 = tokens.manager2;
    expect(await meterCount(m2)).toBe(122 + 183);
    const shared = await server.gql<any>(
      `query($s: ID!) { meters(filter: { orgUnitSubtree: $s }) { totalCount } }`,
      { s: units['ST-YJ'] },
      m2,
    );
    expect(shared.data.meters.totalCount).toBe(183);
    expect((await meterById(m2)).data).toEqual({ meter: { id: yj.meter } });
    expect((await server.gql<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: yj.meter }, m2)).data.node).toEqual(
      { id: yj.meter },
    );
    expect(
      (await server.gql<any>(`query($b: String!) { meterByBarcode(barcode: $b) { id } }`, { b: yj.barcode }, m2)).data
        .meterByBarcode,
    ).toEqual({ id: yj.meter });

    // Readings: the grantee now counts every reading the admin counts.
    const range = { f: new Date(Date.now() - 10 * DAY).toISOString(), t: new Date().toISOString() };
    const READINGS = `query($f: DateTime!, $t: DateTime!) { readings(filter: { from: $f, to: $t }) { totalCount } }`;
    const all = (await server.gql<any>(READINGS, range, tokens.admin)).data.readings.totalCount;
    expect(all).toBeGreaterThan(0);
    expect((await server.gql<any>(READINGS, range, m2)).data.readings.totalCount).toBe(all);
    const latest = await server.gql<any>(
      `query($id: ID!) { meter(id: $id) { latestReading { value meter { id } } } }`,
      { id: yj.meter },
      m2,
    );
    expect(latest.data.meter.latestReading).toMatchObject({ value: expect.any(String), meter: { id: yj.meter } });
  });

  it('shares only the listed fields: name and account number, no personal data', async () => {
    const CUSTOMER = `query($id: ID!) { customer(id: $id) { name accountNo phone idNumber } }`;
    const seen = await server.gql<any>(CUSTOMER, { id: yj.customer }, tokens.manager2);
    expect(seen.errors).toBeUndefined();
    expect(seen.data.customer).toEqual({ name: yj.name, accountNo: yj.accountNo, phone: null, idNumber: null });
    // A meter leads to its customer through its installation (service point, assignment), which
    // this grant does not share: the link stays hidden, like any relation out of reach.
    const viaMeter = await server.gql<any>(
      `query($id: ID!) { meter(id: $id) { customer { accountNo } } }`,
      { id: yj.meter },
      tokens.manager2,
    );
    expect(viaMeter.data.meter.customer).toBeNull();
    const listed = await server.gql<any>(
      `query($a: String!) { customers(filter: { search: $a }) { nodes { accountNo phone idNumber } } }`,
      { a: yj.accountNo },
      tokens.manager2,
    );
    expect(listed.data.customers.nodes).toEqual([{ accountNo: yj.accountNo, phone: null, idNumber: null }]);
    // A field that cannot be null and is not shared fails at its own path.
    const address = await server.gql<any>(
      `query($id: ID!) { customer(id: $id) { address } }`,
      { id: yj.customer },
      tokens.manager2,
    );
    expect(onlyError(address)).toMatchObject({ path: ['customer', 'address'], extensions: { code: 'FORBIDDEN' } });
    // The manager's own customers keep every field, personal data included.
    const own = await server.gql<any>(
      `query($s: ID!) { customers(first: 1, filter: { orgUnitSubtree: $s }) { nodes { address phone idNumber } } }`,
      { s: units['ST-TY'] },
      tokens.manager2,
    );
    expect(own.errors).toBeUndefined();
    expect(own.data.customers.nodes[0].phone).toMatch(/^1\d{10}$/);
    expect(own.data.customers.nodes[0].idNumber).toMatch(/^\d{17}[\dX]$/);
    // Org units were not shared: the meter's unit stays hidden.
    const unit = await server.gql<any>(
      `query($id: ID!) { meter(id: $id) { orgUnit { code } } }`,
      { id: yj.meter },
      tokens.manager2,
    );
    expect(unit.data.meter.orgUnit).toBeNull();
  });

  it('apply field lists to any shared subject, wherever its rows appear', async () => {
    // Readings of the collector's choice only: value and time, not quality or source.
    const collector = (
      await server.gql<any>(`{ users(filter: { search: "collector" }) { nodes { id } } }`, {}, tokens.admin)
    ).data.users.nodes[0].id;
    const id = await grant({
      sourceUnitId: units['TA-YJ-01'],
      granteeUserId: collector,
      shares: [{ subject: 'Reading', fields: ['value', 'measuredAt'] }],
    });
    const range = { f: new Date(Date.now() - 10 * DAY).toISOString(), t: new Date().toISOString() };
    const readings = await server.gql<any>(
      `query($f: DateTime!, $t: DateTime!) { readings(first: 2, filter: { from: $f, to: $t }) { totalCount nodes { value measuredAt meter { assetNo } } } }`,
      range,
      tokens.collector,
    );
    expect(readings.errors).toBeUndefined();
    expect(readings.data.readings.totalCount).toBeGreaterThan(0);
    // The collector service reads every meter by its role; the readings come from the grant.
    expect(readings.data.readings.nodes[0]).toEqual({
      value: expect.any(String),
      measuredAt: expect.any(String),
      meter: { assetNo: expect.any(String) },
    });
    const quality = await server.gql<any>(
      `query($f: DateTime!, $t: DateTime!) { readings(first: 1, filter: { from: $f, to: $t }) { nodes { quality } } }`,
      range,
      tokens.collector,
    );
    expect(quality.errors?.[0]).toMatchObject({
      path: ['readings', 'nodes', 0, 'quality'],
      extensions: { code: 'FORBIDDEN' },
    });
    expect((await server.gql(REVOKE, { id }, tokens.admin)).errors).toBeUndefined();
  });

  it('are read-only: a shared meter cannot be changed', async () => {
    const update = await server.gql<any>(
      `mutation($id: ID!) { updateMeter(input: { id: $id, manufacturer: "Hijacked" }) { meter { manufacturer } } }`,
      { id: yj.meter },
      tokens.manager2,
    );
    expect(onlyError(update).extensions?.code).toBe('NOT_FOUND');
    const scrap = await server.gql<any>(
      `mutation($id: ID!) { scrapMeter(input: { meterId: $id }) { meter { status } } }`,
      { id: yj.meter },
      tokens.manager2,
    );
    expect(onlyError(scrap).extensions?.fields?.[0]?.path).toEqual(['input', 'meterId']);
  });

  it('reach the users below the grantee unit, not those above or beside it', async () => {
    // Given to a transformer area under Tianyang: the station's manager sits above it.
    const below = await grant({
      sourceUnitId: units['ST-YJ'],
      granteeUnitId: units['TA-TY-01'],
      shares: [{ subject: 'Alarm' }],
    });
    // Given to the collector's account: nobody else.
    const toUser = await grant({
      sourceUnitId: units['ST-YJ'],
      granteeUserId: (
        await server.gql<any>(`{ users(filter: { search: "collector" }) { nodes { id } } }`, {}, tokens.admin)
      ).data.users.nodes[0].id,
      shares: [{ subject: 'Alarm' }],
    });
    const meterId = localId(yj.meter);
    await new AlarmRaiser(sql, server.app.events, createLogger('silent')).raise({
      meterId,
      type: AlarmType.CLOCK_DEVIATION,
      message: 'clock off by 7 minutes',
      at: new Date(),
    });
    const ALARMS = `{ alarms(filter: { types: [CLOCK_DEVIATION] }) { totalCount } }`;
    expect((await server.gql<any>(ALARMS, {}, tokens.manager2)).data.alarms.totalCount).toBe(0);
    expect((await server.gql<any>(ALARMS, {}, tokens.manager1)).data.alarms.totalCount).toBe(1);
    // The vendor account sees the shared alarms, and nothing it was not given.
    expect((await server.gql<any>(ALARMS, {}, tokens.collector)).data.alarms.totalCount).toBe(1);
    const readings = await server.gql<any>(
      `query($f: DateTime!, $t: DateTime!) { readings(filter: { from: $f, to: $t }) { totalCount } }`,
      { f: new Date(Date.now() - 10 * DAY).toISOString(), t: new Date().toISOString() },
      tokens.collector,
    );
    expect(readings.data.readings.totalCount).toBe(0);
    for (const id of [below, toUser]) expect((await server.gql(REVOKE, { id }, tokens.admin)).errors).toBeUndefined();
    expect((await server.gql<any>(ALARMS, {}, tokens.collector)).data.alarms.totalCount).toBe(0);
  });

  it('end on revocation: gone on the next request', async () => {
    const revoked = await server.gql<any>(REVOKE, { id: grantId }, tokens.admin);
    expect(revoked.data.revokeSharingGrant.sharingGrant).toMatchObject({
      active: false,
      revokedAt: expect.any(String),
      revokeReason: 'job done',
      revokedBy: { username: 'admin' },
    });
    expect(await meterCount(tokens.manager2)).toBe(122);
    expect(onlyError(await meterById(tokens.manager2)).extensions?.code).toBe('NOT_FOUND');
    expect(onlyError(await server.gql(REVOKE, { id: grantId }, tokens.admin)).extensions?.fields?.[0]?.path).toEqual([
      'input',
      'id',
    ]);
  });

  it('end at their expiry, without a restart', async () => {
    const id = await grant({
      sourceUnitId: units['ST-YJ'],
      granteeUnitId: units['ST-TY'],
      shares: [{ subject: 'Meter' }],
    });
    expect(await meterCount(tokens.manager2)).toBe(305);
    await sql.execute(`update sharing_grant set expires_at = now() - interval '1 second' where id = ?`, [localId(id)]);
    expect(await meterCount(tokens.manager2)).toBe(122);
    const listed = await server.gql<any>(`query($id: ID!) { sharingGrant(id: $id) { active } }`, { id }, tokens.admin);
    expect(listed.data.sharingGrant.active).toBe(false);
  });

  it('never let a shared row be the target of a write, nor be passed on', async () => {
    const id = await grant({
      sourceUnitId: units['ST-YJ'],
      granteeUnitId: units['ST-TY'],
      shares: [{ subject: 'OrgUnit' }, { subject: 'Alarm' }],
    });
    const m2 = tokens.manager2;
    const seen = await server.gql<any>(
      `query($s: ID!) { orgUnits(filter: { subtreeOf: $s }) { totalCount } }`,
      { s: units['ST-YJ'] },
      m2,
    );
    expect(seen.errors).toBeUndefined();
    expect(seen.data.orgUnits.totalCount).toBeGreaterThan(1);
    const newMeter = await server.gql<any>(
      `mutation($u: ID!) { createMeter(input: { assetNo: "SHARE-1", barcode: "SHARE0001", commAddress: "000000009901", protocol: DLT645_2007, manufacturer: "x", model: "y", accuracyClass: "1.0", orgUnitId: $u }) { meter { id } } }`,
      { u: units['TA-YJ-01'] },
      m2,
    );
    expect(onlyError(newMeter).extensions?.fields?.[0]?.path).toEqual(['input', 'orgUnitId']);
    const alarm = (
      await server.gql<any>(`{ alarms(first: 1, filter: { types: [CLOCK_DEVIATION] }) { nodes { id } } }`, {}, m2)
    ).data.alarms.nodes[0];
    expect(alarm).toBeDefined();
    const ack = await server.gql<any>(
      `mutation($id: ID!) { acknowledgeAlarm(input: { id: $id }) { alarm { status } } }`,
      { id: alarm.id },
      m2,
    );
    expect(onlyError(ack).extensions?.code).toBe('NOT_FOUND');
    const reshare = await server.gql<any>(
      CREATE,
      {
        input: {
          sourceUnitId: units['TA-YJ-01'],
          granteeUnitId: units['ST-TY'],
          shares: [{ subject: 'Alarm' }],
          purpose: 'x',
          expiresAt: inDays(1),
        },
      },
      m2,
    );
    expect(onlyError(reshare).extensions?.fields?.[0]?.path).toEqual(['input', 'sourceUnitId']);
    expect((await server.gql(REVOKE, { id }, tokens.admin)).errors).toBeUndefined();
  });

  it('reach running alarm subscriptions while active, and stop when revoked', async () => {
    const id = await grant({
      sourceUnitId: units['ST-YJ'],
      granteeUnitId: units['ST-TY'],
      shares: [{ subject: 'Alarm' }, { subject: 'OrgUnit' }],
    });
    const live = server.subscribe(tokens.manager2, `subscription { collectionAlarms { type orgUnit { code } } }`);
    await new Promise((r) => setTimeout(r, 300));
    const raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
    await raiser.raise({
      meterId: localId(yj.meter),
      type: AlarmType.METER_COVER_OPEN,
      message: 'cover',
      at: new Date(),
    });
    const until = Date.now() + 5000;
    while (live.received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(live.received).toEqual([
      { data: { collectionAlarms: { type: 'METER_COVER_OPEN', orgUnit: { code: expect.stringMatching(/^TA-YJ-/) } } } },
    ]);
    expect((await server.gql(REVOKE, { id }, tokens.admin)).errors).toBeUndefined();
    // A running subscription rebuilds its permissions every SESSION_RECHECK_MS (5 s).
    await new Promise((r) => setTimeout(r, 5200));
    await raiser.raise({ meterId: localId(yj.meter), type: AlarmType.POWER_OFF, message: 'power off', at: new Date() });
    await new Promise((r) => setTimeout(r, 500));
    expect(live.received).toHaveLength(1);
    await live.client.dispose();
  }, 15_000);

  it('stop deliveries to a running subscription at expiry', async () => {
    const expiresAt = new Date(Date.now() + 2500).toISOString();
    const res = await server.gql<any>(
      CREATE,
      {
        input: {
          sourceUnitId: units['ST-YJ'],
          granteeUnitId: units['ST-TY'],
          shares: [{ subject: 'Alarm' }],
          purpose: 'short',
          expiresAt,
        },
      },
      tokens.admin,
    );
    expect(res.errors).toBeUndefined();
    const live = server.subscribe(tokens.manager2, `subscription { collectionAlarms { type } }`);
    await new Promise((r) => setTimeout(r, 300));
    const raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
    await raiser.raise({ meterId: localId(yj.meter), type: AlarmType.VOLTAGE_LOSS, message: 'v', at: new Date() });
    const until = Date.now() + 2000;
    while (live.received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(live.received).toHaveLength(1);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 100));
    await raiser.raise({ meterId: localId(yj.meter), type: AlarmType.CURRENT_LOSS, message: 'c', at: new Date() });
    await new Promise((r) => setTimeout(r, 500));
    expect(live.received).toHaveLength(1);
    await live.client.dispose();
  }, 15_000);
});

describe('who may share', () => {
  it("lets a station manager share their own subtree, not another station's", async () => {
    const input = {
      granteeUnitId: units['ST-TY'],
      shares: [{ subject: 'Meter' }],
      purpose: 'outage cover',
      expiresAt: inDays(3),
    };
    const other = await server.gql(CREATE, { input: { ...input, sourceUnitId: units['ST-TY'] } }, tokens.manager1);
    expect(onlyError(other).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'sourceUnitId'], message: expect.any(String) }],
    });
    // The example operations (examples/operations/sharing.graphql), typed by codegen.
    const own = await run(ShareSubtreeDocument, { ...input, sourceUnitId: units['TA-YJ-02']! }, tokens.manager1);
    const id = own.createSharingGrant.sharingGrant.id;
    expect(own.createSharingGrant.sharingGrant).toMatchObject({
      active: true,
      sourceUnit: { code: 'TA-YJ-02' },
      granteeUnit: { code: 'ST-TY' },
    });
    expect(await meterCount(tokens.manager2)).toBe(122 + 61);
    // The grantee sees what reaches them (also by node); the other station's manager cannot revoke it.
    const received = await run(SharingGrantsDocument, { filter: { received: true } }, tokens.manager2);
    expect(received.sharingGrants.totalCount).toBe(1);
    expect(received.sharingGrants.nodes[0]).toMatchObject({
      id,
      purpose: 'outage cover',
      sourceUnit: { code: 'TA-YJ-02' },
      createdBy: null, // manager1's account lies outside manager2's scope
    });
    const node = await server.gql<any>(
      `query($id: ID!) { node(id: $id) { ... on SharingGrant { purpose } } }`,
      { id },
      tokens.manager2,
    );
    expect(node.data.node).toEqual({ purpose: 'outage cover' });
    expect(onlyError(await server.gql(REVOKE, { id }, tokens.manager2)).extensions?.code).toBe('NOT_FOUND');
    const revoked = await run(RevokeSharingGrantDocument, { id, reason: 'power is back' }, tokens.manager1);
    expect(revoked.revokeSharingGrant.sharingGrant.active).toBe(false);
    expect(await meterCount(tokens.manager2)).toBe(122);
    expect(
      (await run(SharingGrantsDocument, { filter: { received: true } }, tokens.manager2)).sharingGrants.totalCount,
    ).toBe(0);
    const given = await run(SharingGrantsDocument, { filter: { active: false } }, tokens.manager1);
    // The station's manager sees every grant of their subtree, whoever gave it; newest first.
    expect(given.sharingGrants.nodes[0]!.id).toBe(id);
    expect(given.sharingGrants.nodes.every((g) => /YJ/.test(g.sourceUnit!.code))).toBe(true);
  });

  it('lets auditors read every grant and change none; others may not share at all', async () => {
    const listed = await server.gql<any>(
      `{ sharingGrants { totalCount nodes { active createdBy { username } } } }`,
      {},
      tokens.auditor,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data.sharingGrants.totalCount).toBeGreaterThanOrEqual(7);
    const input = {
      sourceUnitId: units['ST-YJ'],
      granteeUnitId: units['ST-TY'],
      shares: [{ subject: 'Meter' }],
      purpose: 'x',
      expiresAt: inDays(1),
    };
    expect(onlyError(await server.gql(CREATE, { input }, tokens.auditor)).extensions?.code).toBe('FORBIDDEN');
    expect(onlyError(await server.gql(CREATE, { input }, tokens.reader1)).extensions?.code).toBe('FORBIDDEN');
    expect(
      (await server.gql<any>(`{ sharingGrants { totalCount } }`, {}, tokens.reader1)).data.sharingGrants.totalCount,
    ).toBe(0);
  });

  it('rejects bad grants, naming every offending field', async () => {
    const res = await server.gql(
      CREATE,
      {
        input: {
          sourceUnitId: units['ST-YJ'],
          granteeUnitId: units['ST-TY'],
          shares: [{ subject: 'Customer', fields: ['name', 'shoeSize'] }, { subject: 'Password' }],
          purpose: 'x',
          expiresAt: new Date(Date.now() - DAY).toISOString(),
        },
      },
      tokens.admin,
    );
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
    expect(onlyError(res).extensions?.fields?.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        ['input', 'shares', 1, 'subject'],
        ['input', 'expiresAt'],
        ['input', 'shares', 0, 'fields', 1],
      ]),
    );
    const tooLong = await server.gql(
      CREATE,
      {
        input: {
          sourceUnitId: units['ST-YJ'],
          granteeUnitId: units['ST-TY'],
          granteeUserId: units['ST-TY'],
          shares: [{ subject: 'Meter' }],
          purpose: 'x',
          expiresAt: inDays(400),
        },
      },
      tokens.admin,
    );
    expect(onlyError(tooLong).extensions?.fields?.map((f) => f.path)).toEqual([
      ['input', 'expiresAt'],
      ['input', 'granteeUnitId'],
    ]);
  });

  it('lets nobody share what they may not read there themselves', async () => {
    // A reader's role with the right to share: personal data it cannot read cannot be shared.
    const rules = (
      await server.gql<any>(
        `{ rolePermissions(role: METER_READER) { action subject fields inverted scope } }`,
        {},
        tokens.admin,
      )
    ).data.rolePermissions;
    const SET = `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: METER_READER, rules: $r }) { role } }`;
    const sharing = [...rules, { action: 'create', subject: 'SharingGrant', inverted: false, scope: 'ORG_SUBTREE' }];
    expect((await server.gql(SET, { r: sharing }, tokens.admin)).errors).toBeUndefined();
    const reader = await server.login('reader1');
    const base = { sourceUnitId: units['ST-YJ'], granteeUnitId: units['ST-TY'], purpose: 'x', expiresAt: inDays(1) };
    const all = await server.gql(CREATE, { input: { ...base, shares: [{ subject: 'Customer' }] } }, reader);
    expect(onlyError(all).extensions?.fields).toEqual([
      { path: ['input', 'shares', 0, 'fields'], message: expect.stringMatching(/Customer\.idNumber, Customer\.phone/) },
    ]);
    const named = await server.gql(
      CREATE,
      { input: { ...base, shares: [{ subject: 'Customer', fields: ['name', 'phone'] }] } },
      reader,
    );
    expect(onlyError(named).extensions?.fields?.[0]?.path).toEqual(['input', 'shares', 0, 'fields']);
    const users = await server.gql(CREATE, { input: { ...base, shares: [{ subject: 'User' }] } }, reader);
    expect(onlyError(users).extensions?.fields?.[0]?.path).toEqual(['input', 'shares', 0, 'subject']);
    expect((await server.gql(SET, { r: rules }, tokens.admin)).errors).toBeUndefined();
  });

  it('checks field names of stored rules against the real fields too', async () => {
    const res = await server.gql(
      `mutation { setRolePermissions(input: { role: INSPECTOR, rules: [{ action: "read", subject: "Meter", fields: ["assetNo", "colour"] }] }) { role } }`,
      {},
      tokens.admin,
    );
    expect(onlyError(res).extensions?.fields).toEqual([
      { path: ['input', 'rules', 0, 'fields', 1], message: 'Meter has no field colour' },
    ]);
  });
});
