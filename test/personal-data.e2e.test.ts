import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.js';
import { openDatabase } from '../src/orm/orm.js';
import { personalDataCensus, resealCustomers } from '../src/orm/personal-data.js';
import { rotatePersonalData } from '../src/orm/personal-data-rotation.js';
import { createLogger } from '../src/shared/logger.js';
import { pgArray } from '../src/shared/pg-array.js';
import {
  maskIdNumber,
  maskPhone,
  normalisePhone,
  PersonalDataCipher,
  SealedColumn,
  type PersonalDataKey,
} from '../src/shared/personal-data.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';

const newKey = (id: string): PersonalDataKey => ({ id, key: randomBytes(32) });
const keysEnv = (...keys: PersonalDataKey[]) => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

interface Row {
  id: number;
  account_no: string;
  phone: string | null;
  phone_hash: string | null;
  id_number: string | null;
  id_number_hash: string | null;
}
const rows = async (server: TestServer): Promise<Row[]> =>
  server
    .em()
    .getConnection()
    .execute('select id, account_no, phone, phone_hash, id_number, id_number_hash from customer order by id');

type Person = { accountNo: string; phone: string | null; idNumber: string | null };
type Customers = { customers: { totalCount: number; nodes: Person[] } };
const CUSTOMERS = `query($filter: CustomerFilter) {
  customers(first: 100, filter: $filter) { totalCount nodes { accountNo phone idNumber } }
}`;
const BY_ACCOUNT = `query($a: String!) { customerByAccountNo(accountNo: $a) { accountNo phone idNumber } }`;

/** Every customer's clear values, opened from the database with the server's keys. */
async function clearValues(server: TestServer): Promise<Map<string, { phone: string; idNumber: string }>> {
  const cipher = server.app.personalData;
  return new Map(
    (await rows(server)).map((r) => [
      r.account_no,
      {
        phone: cipher.open(SealedColumn.CUSTOMER_PHONE, r.phone!),
        idNumber: cipher.open(SealedColumn.CUSTOMER_ID_NUMBER, r.id_number!),
      },
    ]),
  );
}

describe('personal data at rest and in answers', () => {
  const k1 = newKey('k1');
  let server: TestServer;
  const tokens: Record<string, string> = {};
  let first: Person;

  beforeAll(async () => {
    server = await startTestServer({ env: { PERSONAL_DATA_KEYS: keysEnv(k1) } });
    for (const user of ['admin', 'manager1', 'manager2', 'reader1', 'customer1'])
      tokens[user] = await server.login(user);
    first = (await server.gql<{ customerByAccountNo: Person }>(BY_ACCOUNT, { a: '060100000001' }, tokens.admin)).data!
      .customerByAccountNo;
  });
  afterAll(async () => server?.stop());

  it('stores sealed values under the configured key and keyed hashes, never the clear values', async () => {
    const all = await rows(server);
    expect(all).toHaveLength(300);
    for (const row of all) {
      expect(row.phone).toMatch(/^v1:k1:[A-Za-z0-9_-]{40,}$/);
      expect(row.id_number).toMatch(/^v1:k1:[A-Za-z0-9_-]{40,}$/);
      expect(row.phone_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id_number_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(first.phone).toMatch(/^1\d{10}$/);
    expect(first.idNumber).toMatch(/^\d{17}[\dX]$/);
    const raw = JSON.stringify(all.find((r) => r.account_no === '060100000001'));
    expect(raw).not.toContain(first.phone);
    expect(raw).not.toContain(first.idNumber);
    const [clear] = await server
      .em()
      .getConnection()
      .execute(`select count(*)::int as n from customer where phone ~ '^[+0-9-]+$' or id_number ~ '^[0-9]{17}'`);
    expect(clear.n).toBe(0);
  });

  it('shows clear values to readers allowed by the field rule and masked ones to the others', async () => {
    const filter = { search: '06010000000' };
    const answers = Object.fromEntries(
      await Promise.all(
        ['admin', 'manager1', 'reader1'].map(
          async (user) => [user, await server.gql<Customers>(CUSTOMERS, { filter }, tokens[user])] as const,
        ),
      ),
    );
    const full = answers.admin!.data!.customers.nodes;
    expect(full).toHaveLength(9);
    expect(answers.manager1!.data!.customers.nodes).toEqual(full);
    expect(answers.reader1!.data!.customers.nodes).toEqual(
      full.map((c) => ({ ...c, phone: maskPhone(c.phone!), idNumber: maskIdNumber(c.idNumber!) })),
    );
    expect(answers.reader1!.data!.customers.nodes[0]!.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    expect(answers.reader1!.data!.customers.nodes[0]!.idNumber).toMatch(/^\d{3}\*{13}[\dX]{2}$/);
    // A customer reads their own account in the clear.
    const own = await server.gql<{ customerByAccountNo: Person }>(BY_ACCOUNT, { a: '060100000001' }, tokens.customer1);
    expect(own.data!.customerByAccountNo).toEqual(first);
    for (const answer of [...Object.values(answers), own]) expect(JSON.stringify(answer)).not.toMatch(/v1:/);
  });

  it('finds customers by exact phone or ID number through the hashes, within the caller’s rows', async () => {
    const dashed = `${first.phone!.slice(0, 3)}-${first.phone!.slice(3, 7)}-${first.phone!.slice(7)}`;
    for (const phone of [first.phone, dashed]) {
      const res = await server.gql<Customers>(CUSTOMERS, { filter: { phone } }, tokens.admin);
      expect(res.data!.customers).toEqual({ totalCount: 1, nodes: [first] });
    }
    const byId = await server.gql<Customers>(
      CUSTOMERS,
      { filter: { idNumber: first.idNumber!.toLowerCase() } },
      tokens.manager1,
    );
    expect(byId.data!.customers.nodes.map((c) => c.accountNo)).toEqual(['060100000001']);
    // Another station's manager may read phones, but not this customer.
    const other = await server.gql<Customers>(CUSTOMERS, { filter: { phone: first.phone } }, tokens.manager2);
    expect(other.data!.customers.totalCount).toBe(0);
    const none = await server.gql<Customers>(CUSTOMERS, { filter: { phone: '19900000000' } }, tokens.admin);
    expect(none.data!.customers.totalCount).toBe(0);
    const bad = await server.gql<Customers>(CUSTOMERS, { filter: { idNumber: '123' } }, tokens.admin);
    expect(onlyError(bad).extensions?.fields?.[0]?.path).toEqual(['filter', 'idNumber']);
  });

  it('refuses the search to a role that sees the values masked', async () => {
    for (const filter of [{ phone: first.phone }, { idNumber: first.idNumber }]) {
      const res = await server.gql<Customers>(CUSTOMERS, { filter }, tokens.reader1);
      expect(onlyError(res).extensions?.code).toBe('FORBIDDEN');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('seals what createCustomer, updateCustomer and importArchive write', async () => {
    const created = await server.gql<{ createCustomer: { customer: Person & { id: string } } }>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id accountNo phone idNumber } } }`,
      {
        input: {
          accountNo: '0988000000001',
          name: 'Sealed Customer',
          category: 'RESIDENTIAL',
          phone: '+86-138-0000-1111',
          idNumber: '45100219800101123x',
          address: 'Somewhere 1',
          contractedCapacity: '8',
          orgUnitId: (
            await server.gql<{ orgUnits: { nodes: { id: string }[] } }>(
              `{ orgUnits(filter: { search: "ST-YJ" }) { nodes { id } } }`,
              {},
              tokens.admin,
            )
          ).data!.orgUnits.nodes[0]!.id,
        },
      },
      tokens.admin,
    );
    const customer = created.data!.createCustomer.customer;
    expect(customer).toMatchObject({ phone: '+86-138-0000-1111', idNumber: '45100219800101123X' });
    const find = async (filter: Record<string, string>) =>
      (await server.gql<Customers>(CUSTOMERS, { filter }, tokens.admin)).data!.customers.nodes.map((c) => c.accountNo);
    expect(await find({ phone: '8613800001111' })).toEqual(['0988000000001']);
    expect(await find({ idNumber: '45100219800101123X' })).toEqual(['0988000000001']);

    const updated = await server.gql<{ updateCustomer: { customer: Person } }>(
      `mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { phone idNumber } } }`,
      { input: { id: customer.id, phone: '13900002222', name: 'Renamed' } },
      tokens.manager1,
    );
    expect(updated.data!.updateCustomer.customer).toEqual({ phone: '13900002222', idNumber: '45100219800101123X' });
    expect(await find({ phone: '8613800001111' })).toEqual([]);
    expect(await find({ phone: '13900002222' })).toEqual(['0988000000001']);

    const imported = await server.gql<{ importArchive: { committed: boolean } }>(
      `mutation($input: ImportArchiveInput!) { importArchive(input: $input) { committed errors { message } } }`,
      {
        input: {
          rows: [
            {
              orgUnitCode: 'ST-YJ',
              accountNo: '0988000000002',
              customerName: 'Imported Customer',
              category: 'RESIDENTIAL',
              phone: '13700003333',
              idNumber: '451002198001011234',
              address: 'Import Street 1',
              contractedCapacity: '8',
            },
          ],
        },
      },
      tokens.manager1,
    );
    expect(imported.data!.importArchive.committed).toBe(true);
    expect(await find({ phone: '13700003333' })).toEqual(['0988000000002']);

    const written = (await rows(server)).filter((r) => r.account_no.startsWith('0988'));
    expect(written).toHaveLength(2);
    for (const row of written) {
      expect(row.phone).toMatch(/^v1:k1:/);
      expect(row.id_number).toMatch(/^v1:k1:/);
    }
    expect(JSON.stringify(written)).not.toMatch(/13900002222|13700003333|45100219800101123|451002198001011234/);
  });

  it('does not open a value copied into another column, and the error carries no ciphertext', async () => {
    const em = server.em();
    const [saved] = await em
      .getConnection()
      .execute(`select phone, id_number from customer where account_no = '060100000002'`);
    await em.getConnection().execute(`update customer set id_number = phone where account_no = '060100000002'`);
    try {
      const res = await server.gql<{ customerByAccountNo: Person }>(BY_ACCOUNT, { a: '060100000002' }, tokens.admin);
      expect(res.data!.customerByAccountNo.phone).toMatch(/^1\d{10}$/);
      expect(res.data!.customerByAccountNo.idNumber).toBeNull();
      const error = onlyError(res);
      expect(error.extensions?.code).toBe('INTERNAL');
      expect(error.path).toEqual(['customerByAccountNo', 'idNumber']);
      expect(JSON.stringify(res)).not.toContain(saved.phone.split(':')[2]);
      expect(JSON.stringify(res)).not.toMatch(/v1:k1:[A-Za-z0-9_-]{8}/);
    } finally {
      await em
        .getConnection()
        .execute(`update customer set id_number = ? where account_no = '060100000002'`, [saved.id_number]);
    }
  });
});

describe('legacy clear text and key rotation', () => {
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  let server: TestServer;
  let admin: string;
  let before: Map<string, { phone: string; idNumber: string }>;

  /** What admin reads for every customer, by account number. */
  const readAll = async () => {
    const seen = new Map<string, { phone: string | null; idNumber: string | null }>();
    let after: string | null = null;
    for (;;) {
      const res: { data?: { customers: { nodes: Person[]; pageInfo: { endCursor: string; hasNextPage: boolean } } } } =
        await server.gql(
          `query($after: String) { customers(first: 100, after: $after) { nodes { accountNo phone idNumber } pageInfo { endCursor hasNextPage } } }`,
          { after },
          admin,
        );
      for (const c of res.data!.customers.nodes) seen.set(c.accountNo, { phone: c.phone, idNumber: c.idNumber });
      if (!res.data!.customers.pageInfo.hasNextPage) return seen;
      after = res.data!.customers.pageInfo.endCursor;
    }
  };
  const findByPhone = async (phone: string) =>
    (await server.gql<Customers>(CUSTOMERS, { filter: { phone } }, admin)).data!.customers.nodes.map(
      (c) => c.accountNo,
    );

  beforeAll(async () => {
    server = await startTestServer({ persistent: true, env: { PERSONAL_DATA_KEYS: keysEnv(k1) } });
    before = await clearValues(server);
  });
  afterAll(async () => server?.stop());

  it('seals clear values left by a version before sealing when it starts', async () => {
    await server.restart({
      whileStopped: async () => {
        // The database as the previous release left it: without hash columns, values in the clear.
        const db = await openDatabase(server.config);
        try {
          await db.orm.getMigrator().down();
          const accounts = [...before.keys()];
          await db.orm.em.getConnection().execute(
            `update customer c set phone = v.phone, id_number = v.id_number
             from unnest(?::text[], ?::text[], ?::text[]) as v(account_no, phone, id_number)
             where c.account_no = v.account_no`,
            [
              pgArray(accounts),
              pgArray(accounts.map((a) => before.get(a)!.phone)),
              // One ID number as an older release could have stored it: lower-case check character.
              pgArray(accounts.map((a, i) => (i === 2 ? '45100219800101123x' : before.get(a)!.idNumber))),
            ],
          );
          const [left] = await db.orm.em
            .getConnection()
            .execute(`select count(*)::int as n from customer where phone !~ '^v1:' and id_number !~ '^v1:'`);
          expect(left.n).toBe(300);
        } finally {
          await db.close();
        }
      },
    });
    before.get('060100000003')!.idNumber = '45100219800101123X';
    admin = await server.login('admin');
    for (const row of await rows(server)) {
      expect(row.phone).toMatch(/^v1:k1:/);
      expect(row.id_number).toMatch(/^v1:k1:/);
      expect(row.phone_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id_number_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await readAll()).toEqual(before);
    expect(await findByPhone(before.get('060100000007')!.phone)).toEqual(['060100000007']);
    const byId = await server.gql<Customers>(CUSTOMERS, { filter: { idNumber: '45100219800101123x' } }, admin);
    expect(byId.data!.customers.nodes.map((c) => c.accountNo)).toEqual(['060100000003']);
  });

  it('rotates: a new key seals new values, the command reseals the rest, resumably, and the old key can go', async () => {
    await server.restart({ env: { PERSONAL_DATA_KEYS: keysEnv(k2, k1) } });
    admin = await server.login('admin');
    // Values under k1 still read and are still found (their hashes are under k1).
    expect(await readAll()).toEqual(before);
    expect(await findByPhone(before.get('060100000010')!.phone)).toEqual(['060100000010']);

    // A run that stops after two batches keeps what it committed.
    const cipher = server.app.personalData;
    await expect(
      resealCustomers(server.em(), cipher, {
        batchSize: 50,
        onBatch: (p) => {
          if (p.rows >= 100) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const midway = await personalDataCensus(server.em());
    expect(midway.byKey.get('k2')).toBe(200);
    expect(midway.byKey.get('k1')).toBe(400);
    // Searches find rows on both sides of the rotation.
    expect(await findByPhone(before.get('060100000001')!.phone)).toEqual(['060100000001']);
    expect(await findByPhone(before.get('060100000300')!.phone)).toEqual(['060100000300']);

    const output: string[] = [];
    await server.restart({
      env: { PERSONAL_DATA_KEYS: keysEnv(k2, k1) },
      whileStopped: async () => {
        expect(await rotatePersonalData(server.config, (l) => output.push(l), { batchSize: 64 })).toBe(0);
        // Idempotent: a second run has nothing left to do.
        expect(await rotatePersonalData(server.config, (l) => output.push(l))).toBe(0);
      },
    });
    expect(output).toContain('current key k2; values by key before: k1: 400, k2: 200');
    expect(output).toContain('done: 400 values in 200 customers sealed again; by key now: k2: 600');
    expect(output).toContain('done: 0 values in 0 customers sealed again; by key now: k2: 600');
    expect(output).toContain('nothing is under k1 any more: they can be removed from PERSONAL_DATA_KEYS');
    expect(output.join('\n')).not.toMatch(/v1:k|\d{11}/);

    const onlyK2 = new PersonalDataCipher([k2]);
    for (const row of await rows(server)) {
      expect(row.phone).toMatch(/^v1:k2:/);
      const phone = onlyK2.open(SealedColumn.CUSTOMER_PHONE, row.phone!);
      expect(phone).toBe(before.get(row.account_no)!.phone);
      expect(row.phone_hash).toBe(onlyK2.hash(SealedColumn.CUSTOMER_PHONE, normalisePhone(phone)));
      expect(onlyK2.open(SealedColumn.CUSTOMER_ID_NUMBER, row.id_number!)).toBe(before.get(row.account_no)!.idNumber);
    }

    // The old key dropped: everything still reads and is found.
    await server.restart({
      env: { PERSONAL_DATA_KEYS: keysEnv(k2) },
      whileStopped: async () => {
        // Dropping the current key instead is refused at start, naming the key.
        const logger = createLogger('silent');
        await expect(
          startApp({ ...server.config, personalData: { keys: [k1] } }, logger, { inMemory: false }),
        ).rejects.toThrow(/not list: k2 \(600 values\)/);
        expect(await rotatePersonalData({ ...server.config, personalData: { keys: [k1] } }, () => {})).toBe(1);
      },
    });
    admin = await server.login('admin');
    expect(await readAll()).toEqual(before);
    expect(await findByPhone(before.get('060100000150')!.phone)).toEqual(['060100000150']);
  });
});
