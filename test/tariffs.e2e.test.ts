import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration20261126210000_tariffs } from '../migrations/Migration20261126210000_tariffs.js';
import { DEFAULT_PERMISSIONS } from '../src/auth/permissions.js';
import { priceCycle } from '../src/billing/tariff-engine.js';
import { Customer } from '../src/orm/entities/index.js';
import { tariffFor } from '../src/schema/tariff/tariff.service.js';
import { DEMO_CUSTOMER_ACCOUNT, onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'auditor', 'collector', 'customer1'])
    tokens[user] = await server.login(user);
});
afterAll(async () => server?.stop());

const TARIFF_FIELDS = `id code name customerCategory isDefault tierBasis
  versions { effectiveFrom effectiveTo flatPrice bandPrices { band price } tiers { tier upToKwh adder } fixedCharges { name amount } surcharges { name perKwh } }`;
const CREATE = `mutation($i: CreateTariffInput!) { createTariff(input: $i) { tariff { id code isDefault } } }`;
const ADD = `mutation($i: AddTariffVersionInput!) { addTariffVersion(input: $i) { tariff { code } version { effectiveFrom effectiveTo flatPrice tiers { tier upToKwh adder } } } }`;
const SET_CUSTOMER = `mutation($i: SetCustomerTariffInput!) { setCustomerTariff(input: $i) { customer { tariff { code } } } }`;

async function ok<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

const count = async (table: string) =>
  Number((await server.em().getConnection().execute(`select count(*) as n from ${table}`))[0].n);

async function tariffId(code: string): Promise<string> {
  const data = await ok<{ tariffs: { nodes: { id: string }[] } }>(
    `query($c: String!) { tariffs(filter: { code: $c }) { nodes { id } } }`,
    { c: code },
    tokens.admin!,
  );
  return data.tariffs.nodes[0]!.id;
}

async function customerOne() {
  const data = await ok<{ customers: { nodes: { id: string; tariff: { code: string } | null }[] } }>(
    `query($a: String!) { customers(filter: { search: $a }, first: 1) { nodes { id tariff { code } } } }`,
    { a: DEMO_CUSTOMER_ACCOUNT },
    tokens.admin!,
  );
  return data.customers.nodes[0]!;
}

describe('tariffs', () => {
  it('serves the demo tariffs with their versions to every role but the collector service', async () => {
    for (const user of ['admin', 'manager1', 'reader1', 'auditor', 'customer1']) {
      const data = await ok<{ tariffs: { totalCount: number; nodes: { code: string }[] } }>(
        `{ tariffs { totalCount nodes { code } } }`,
        {},
        tokens[user]!,
      );
      expect(
        data.tariffs.nodes.map((t) => t.code),
        user,
      ).toEqual(['AGR-FLAT', 'COM-TOU', 'RES-TIERED-TOU']);
    }
    const collector = await ok<{ tariffs: { totalCount: number } }>(
      `{ tariffs { totalCount } }`,
      {},
      tokens.collector!,
    );
    expect(collector.tariffs.totalCount).toBe(0);
    const id = await tariffId('RES-TIERED-TOU');
    expect(
      onlyError(await server.gql(`query($id: ID!) { tariff(id: $id) { code } }`, { id }, tokens.collector)).extensions
        ?.code,
    ).toBe('NOT_FOUND');

    const data = await ok<{ tariff: Record<string, unknown> & { versions: unknown[] }; node: { code: string } }>(
      `query($id: ID!) { tariff(id: $id) { ${TARIFF_FIELDS} july: currentVersion(on: "2026-07-01") { effectiveFrom bandPrices { band price } }
          june: currentVersion(on: "2026-06-30") { effectiveFrom } before: currentVersion(on: "2025-12-31") { effectiveFrom } }
        node(id: $id) { ... on Tariff { code } } }`,
      { id },
      tokens.customer1!,
    );
    expect(data.node.code).toBe('RES-TIERED-TOU');
    expect(data.tariff).toMatchObject({
      code: 'RES-TIERED-TOU',
      customerCategory: 'RESIDENTIAL',
      isDefault: true,
      tierBasis: 'ANNUAL',
      july: { effectiveFrom: '2026-07-01', bandPrices: expect.arrayContaining([{ band: 'T4', price: '0.298' }]) },
      june: { effectiveFrom: '2026-01-01' },
      before: null,
    });
    expect(data.tariff.versions[0]).toEqual({
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-07-01',
      flatPrice: '0.538',
      bandPrices: [
        { band: 'T1', price: '0.568' },
        { band: 'T2', price: '0.568' },
        { band: 'T3', price: '0.568' },
        { band: 'T4', price: '0.288' },
      ],
      tiers: [
        { tier: 1, upToKwh: '2760', adder: '0' },
        { tier: 2, upToKwh: '4800', adder: '0.05' },
        { tier: 3, upToKwh: null, adder: '0.3' },
      ],
      fixedCharges: [],
      surcharges: [],
    });
    expect((data.tariff.versions[1] as { effectiveTo: unknown }).effectiveTo).toBeNull();
  });

  it('lets an administrator create a tariff and add versions; filters by category', async () => {
    const created = await ok<{ createTariff: { tariff: { id: string; code: string; isDefault: boolean } } }>(
      CREATE,
      {
        i: {
          code: 'IND-TIERED',
          name: 'Industrial monthly tiers',
          customerCategory: 'INDUSTRIAL',
          tierBasis: 'MONTHLY',
        },
      },
      tokens.admin!,
    );
    expect(created.createTariff.tariff).toMatchObject({ code: 'IND-TIERED', isDefault: false });
    const tariffIdOf = created.createTariff.tariff.id;
    const terms = {
      flatPrice: '0.65',
      tiers: [
        { upToKwh: '1000', adder: '0' },
        { upToKwh: null, adder: '0.1' },
      ],
      fixedCharges: [{ name: 'Meter rent', amount: '2.50' }],
      surcharges: [{ name: 'Government funds', perKwh: '0.02913' }],
    };
    const added = await ok<{ addTariffVersion: { version: Record<string, unknown> } }>(
      ADD,
      { i: { tariffId: tariffIdOf, effectiveFrom: '2026-03-01', ...terms } },
      tokens.admin!,
    );
    expect(added.addTariffVersion.version).toEqual({
      effectiveFrom: '2026-03-01',
      effectiveTo: null,
      flatPrice: '0.65',
      tiers: [
        { tier: 1, upToKwh: '1000', adder: '0' },
        { tier: 2, upToKwh: null, adder: '0.1' },
      ],
    });
    // A version added later may take effect earlier: it ends where the next one begins.
    const earlier = await ok<{ addTariffVersion: { version: { effectiveTo: string } } }>(
      ADD,
      { i: { tariffId: tariffIdOf, effectiveFrom: '2026-01-01', ...terms, flatPrice: '0.60' } },
      tokens.admin!,
    );
    expect(earlier.addTariffVersion.version.effectiveTo).toBe('2026-03-01');
    const listed = await ok<{ tariffs: { nodes: { code: string; versions: { effectiveFrom: string }[] }[] } }>(
      `{ tariffs(filter: { customerCategory: INDUSTRIAL }) { nodes { code versions { effectiveFrom } } } }`,
      {},
      tokens.manager1!,
    );
    expect(listed.tariffs.nodes).toEqual([
      { code: 'IND-TIERED', versions: [{ effectiveFrom: '2026-01-01' }, { effectiveFrom: '2026-03-01' }] },
    ]);

    // A second version on the same date: CONFLICT; a duplicate code: CONFLICT.
    const again = onlyError(
      await server.gql(ADD, { i: { tariffId: tariffIdOf, effectiveFrom: '2026-03-01', ...terms } }, tokens.admin),
    );
    expect(again.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'effectiveFrom'] }] });
    const dup = onlyError(
      await server.gql(
        CREATE,
        { i: { code: 'IND-TIERED', name: 'x', customerCategory: 'INDUSTRIAL', tierBasis: 'ANNUAL' } },
        tokens.admin,
      ),
    );
    expect(dup.extensions).toMatchObject({ code: 'CONFLICT', fields: [{ path: ['input', 'code'] }] });
    // MONTHLY versions keep their number of tiers (thresholds are prorated tier by tier).
    const fewer = onlyError(
      await server.gql(
        ADD,
        { i: { tariffId: tariffIdOf, effectiveFrom: '2026-05-01', ...terms, tiers: [{ adder: '0' }] } },
        tokens.admin,
      ),
    );
    expect(fewer.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: ['input', 'tiers'] }] });
  });

  it('refuses invalid terms with every offending path, and writes nothing', async () => {
    const id = await tariffId('RES-TIERED-TOU');
    const before = await count('tariff_version');
    const bad = onlyError(
      await server.gql(
        ADD,
        {
          i: {
            tariffId: id,
            effectiveFrom: '2026-09-01',
            bandPrices: [
              { band: 'T2', price: '0.5' },
              { band: 'T4', price: '0.3' },
              { band: 'T2', price: '0.6' },
            ],
            tiers: [
              { upToKwh: '2760', adder: '0' },
              { upToKwh: '2000', adder: '0.05' },
              { upToKwh: '4800', adder: '0.3' },
            ],
            fixedCharges: [
              { name: 'Meter rent', amount: '1' },
              { name: 'Meter rent', amount: '2' },
            ],
          },
        },
        tokens.admin,
      ),
    );
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.extensions?.fields?.map((f) => f.path)).toEqual([
      ['input', 'bandPrices', 2, 'band'],
      ['input', 'tiers', 1, 'upToKwh'],
      ['input', 'tiers', 2, 'upToKwh'],
      ['input', 'fixedCharges', 1, 'name'],
    ]);
    // Format problems (zod) come with their paths too, and no price at all is named.
    const malformed = onlyError(
      await server.gql(
        ADD,
        {
          i: { tariffId: id, effectiveFrom: '2026-09-01', tiers: [{ upToKwh: '0', adder: '0' }, { adder: '99999.5' }] },
        },
        tokens.admin,
      ),
    );
    expect(malformed.extensions?.fields?.map((f) => f.path)).toEqual([
      ['input', 'tiers', 0, 'upToKwh'],
      ['input', 'tiers', 1, 'adder'],
    ]);
    const noPrice = onlyError(
      await server.gql(
        ADD,
        { i: { tariffId: id, effectiveFrom: '2026-09-01', tiers: [{ adder: '0' }] } },
        tokens.admin,
      ),
    );
    expect(noPrice.extensions?.fields?.map((f) => f.path)).toEqual([['input', 'flatPrice']]);
    expect(await count('tariff_version')).toBe(before);
  });

  it('lets station managers read but not create or change tariffs', async () => {
    const id = await tariffId('RES-TIERED-TOU');
    const create = onlyError(
      await server.gql(
        CREATE,
        { i: { code: 'X1', name: 'x', customerCategory: 'RESIDENTIAL', tierBasis: 'ANNUAL' } },
        tokens.manager1,
      ),
    );
    expect(create.extensions?.code).toBe('FORBIDDEN');
    const add = onlyError(
      await server.gql(
        ADD,
        { i: { tariffId: id, effectiveFrom: '2026-10-01', flatPrice: '1', tiers: [{ adder: '0' }] } },
        tokens.manager1,
      ),
    );
    expect(add.extensions?.code).toBe('FORBIDDEN');
    const update = onlyError(
      await server.gql(
        `mutation($i: UpdateTariffInput!) { updateTariff(input: $i) { tariff { id } } }`,
        { i: { id, name: 'x' } },
        tokens.manager1,
      ),
    );
    expect(update.extensions?.code).toBe('FORBIDDEN');
    const customerCreate = onlyError(
      await server.gql(
        CREATE,
        { i: { code: 'X2', name: 'x', customerCategory: 'RESIDENTIAL', tierBasis: 'ANNUAL' } },
        tokens.customer1,
      ),
    );
    expect(customerCreate.extensions?.code).toBe('FORBIDDEN');
  });

  it('moves the default of a category, and gives customers their own tariff of their category', async () => {
    expect((await customerOne()).tariff).toEqual({ code: 'RES-TIERED-TOU' });
    await ok(
      CREATE,
      {
        i: {
          code: 'RES-FLAT',
          name: 'Residential flat',
          customerCategory: 'RESIDENTIAL',
          tierBasis: 'ANNUAL',
          isDefault: true,
        },
      },
      tokens.admin!,
    );
    const defaults = await ok<{ tariffs: { nodes: { code: string; isDefault: boolean }[] } }>(
      `{ tariffs(filter: { customerCategory: RESIDENTIAL }) { nodes { code isDefault } } }`,
      {},
      tokens.admin!,
    );
    expect(defaults.tariffs.nodes).toEqual([
      { code: 'RES-FLAT', isDefault: true },
      { code: 'RES-TIERED-TOU', isDefault: false },
    ]);
    const customer = await customerOne();
    expect(customer.tariff).toEqual({ code: 'RES-FLAT' });

    // Someone else's station's customer is not there for manager2; a commercial tariff does not fit.
    const tiered = await tariffId('RES-TIERED-TOU');
    const foreign = onlyError(
      await server.gql(SET_CUSTOMER, { i: { customerId: customer.id, tariffId: tiered } }, tokens.manager2),
    );
    expect(foreign.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: ['input', 'customerId'] }] });
    const misfit = onlyError(
      await server.gql(
        SET_CUSTOMER,
        { i: { customerId: customer.id, tariffId: await tariffId('COM-TOU') } },
        tokens.manager1,
      ),
    );
    expect(misfit.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: ['input', 'tariffId'] }] });

    const set = await ok<{ setCustomerTariff: { customer: { tariff: { code: string } } } }>(
      SET_CUSTOMER,
      { i: { customerId: customer.id, tariffId: tiered } },
      tokens.manager1!,
    );
    expect(set.setCustomerTariff.customer.tariff).toEqual({ code: 'RES-TIERED-TOU' });
    const own = await ok<{ customers: { nodes: { tariff: { code: string } }[] } }>(
      `{ customers { nodes { tariff { code } } } }`,
      {},
      tokens.customer1!,
    );
    expect(own.customers.nodes).toEqual([{ tariff: { code: 'RES-TIERED-TOU' } }]);

    // The settlements' entry point: the customer's tariff versions, priced by the engine.
    const em = server.em();
    const row = await em.findOneOrFail(Customer, { accountNo: DEMO_CUSTOMER_ACCOUNT });
    const versions = await tariffFor(em, row, '2026-06-15');
    expect(versions.map((v) => [v.effectiveFrom, v.tierBasis])).toEqual([
      ['2026-01-01', 'ANNUAL'],
      ['2026-07-01', 'ANNUAL'],
    ]);
    const priced = priceCycle({
      cycleStart: '2026-06-15',
      cycleEnd: '2026-07-15',
      versions,
      segments: [
        { start: '2026-06-15', end: '2026-07-01', total: '100', bands: { T2: '60', T4: '40' } },
        { start: '2026-07-01', end: '2026-07-15', total: '100', bands: { T2: '60', T4: '40' } },
      ],
      tierUsedBefore: '0',
    });
    // 60 x 0.568 = 34.08, 40 x 0.288 = 11.52; 60 x 0.568 = 34.08, 40 x 0.298 = 11.92
    expect(priced.total).toBe('91.60');

    // Back to the category default; then, with no default at all, settlement is told why.
    await ok(SET_CUSTOMER, { i: { customerId: customer.id, tariffId: null } }, tokens.admin!);
    await ok(
      `mutation($i: UpdateTariffInput!) { updateTariff(input: $i) { tariff { id } } }`,
      { i: { id: await tariffId('RES-FLAT'), isDefault: false } },
      tokens.admin!,
    );
    expect((await customerOne()).tariff).toBeNull();
    const fresh = server.em();
    const reloaded = await fresh.findOneOrFail(Customer, { accountNo: DEMO_CUSTOMER_ACCOUNT });
    await expect(tariffFor(fresh, reloaded, '2026-06-15')).rejects.toThrow(/no default tariff/);
  });

  it("inserts this release's read rules for installations that have their rules already", async () => {
    const em = server.em();
    const connection = em.getConnection();
    await connection.execute(`delete from role_permission where subject = 'Tariff'`);
    const migration = new Migration20261126210000_tariffs(em.getDriver(), server.app.db.orm.config);
    await migration.up();
    const insert = migration.getQueries().find((q) => String(q).includes('insert into "role_permission"'));
    await connection.execute(String(insert));
    const rows = await connection.execute<{ role: string; action: string; scope: string }[]>(
      `select role, action, scope from role_permission where subject = 'Tariff' order by role`,
    );
    const expected = Object.entries(DEFAULT_PERMISSIONS)
      .flatMap(([role, rules]) =>
        rules.filter((r) => r.subject === 'Tariff').map((r) => ({ role, action: r.action, scope: r.scope })),
      )
      .sort((a, b) => a.role.localeCompare(b.role));
    expect(rows.map((r) => ({ ...r }))).toEqual(expected);
  });
});
