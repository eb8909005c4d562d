import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;
let area: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
  area = (await server.gql<any>(`{ orgUnits(filter: { search: "TA-YJ-01" }) { nodes { id } } }`, {}, admin)).data
    .orgUnits.nodes[0].id;
});
afterAll(async () => server?.stop());

const CREATE_BOX = `mutation($i: CreateMeterBoxInput!) { createMeterBox(input: $i) { meterBox { id } } }`;
const boxes = async () =>
  (await server.gql<any>(`{ meterBoxes { totalCount } }`, {}, admin)).data.meterBoxes.totalCount as number;

describe('values of a request the database could not take', () => {
  it('refuses a NUL character in a variable with the field path, before anything is written', async () => {
    const before = await boxes();
    const res = await server.gql(
      CREATE_BOX,
      { i: { barcode: 'NUL0001', address: 'Lane 1\u0000', orgUnitId: area } },
      admin,
    );
    expect(res.status).toBe(400);
    expect(onlyError(res).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['i', 'address'], message: expect.stringMatching(/NUL character/) }],
    });
    expect(await boxes()).toBe(before);
  });

  it('refuses an unpaired surrogate (it would be stored as U+FFFD)', async () => {
    const res = await server.gql(
      CREATE_BOX,
      { i: { barcode: 'SUR0001', address: 'Lane \ud800', orgUnitId: area } },
      admin,
    );
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a NUL character in a string literal, in queries too', async () => {
    const res = await server.gql(`{ customers(filter: { search: "0601\\u0000" }) { totalCount } }`, {}, admin);
    expect(onlyError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('refuses a NUL character in the login name instead of failing in the database', async () => {
    const res = await server.gql(
      `mutation($u: String!) { login(input: { username: $u, password: "metergraph-admin" }) { accessToken } }`,
      { u: 'admin\u0000' },
    );
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses JSON nested deeper than any code should walk, quickly', async () => {
    const depth = 100_000;
    const query = `mutation($s: JSONObject!, $u: ID!) { createChannel(input: { name: "Deep", pluginId: "simulator", orgUnitId: $u, settings: $s }) { channel { id } } }`;
    const body = `{"query":${JSON.stringify(query)},"variables":{"u":${JSON.stringify(area)},"s":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    const start = Date.now();
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body,
    });
    const json = (await res.json()) as any;
    expect(Date.now() - start).toBeLessThan(5000);
    expect(res.status).toBe(400);
    expect(json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(json.errors[0].extensions.fields[0].message).toMatch(/nested more than 64 levels/);
  });

  it('answers a body over the size limit or not JSON with a JSON error, not an HTML page', async () => {
    const send = (body: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, connection: 'close' },
        body,
      });
    const large = await send(JSON.stringify({ query: '{ me { id } }', variables: { x: 'x'.repeat(6_000_000) } }));
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({
      errors: [
        {
          message: 'The request body is larger than 5mb',
          extensions: { code: 'BAD_USER_INPUT', reason: 'entity.too.large' },
        },
      ],
    });
    const malformed = await send('{"query": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'entity.parse.failed',
    });
  });

  it('applies the same rules over WebSocket', async () => {
    const sub = server.subscribe(admin, `query($s: String) { customers(filter: { search: $s }) { totalCount } }`, {
      s: 'x\u0000',
    });
    await sub.done;
    expect(sub.received).toEqual([]);
    expect(sub.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })],
    ]);
    await sub.client.dispose();
  });

  it('answers BAD_USER_INPUT, not INTERNAL, when GraphQL gives up after too many bad variables', async () => {
    const rows = Array.from({ length: 60 }, () => ({ category: 'NOT_A_CATEGORY' }));
    const res = await server.gql(
      `mutation($i: ImportArchiveInput!) { importArchive(input: $i) { created { customers } } }`,
      { i: { rows } },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.errors!.length).toBeGreaterThan(50);
    expect(res.errors!.every((e) => e.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
  });
});
