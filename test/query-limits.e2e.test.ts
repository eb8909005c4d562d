import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, statementsOf, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const LOGIN = (alias = '') => `${alias}login(input: { username: "admin", password: "wrong-password" }) { accessToken }`;

describe('limits on the shape of an operation', () => {
  it('refuses a query nested deeper than the schema needs, before running it', async () => {
    const deep = `{ orgUnits(first: 1) { nodes { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } } }`;
    const statements = await statementsOf(server, async () => {
      const error = onlyError(await server.gql(deep, {}, admin));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/depth/i);
    });
    expect(statements).toBeLessThanOrEqual(2); // authentication only, no resolver ran
    const fine = `{ orgUnits(first: 1) { nodes { ${'parent { '.repeat(4)}id${' }'.repeat(4)} } } }`;
    expect((await server.gql(fine, {}, admin)).errors).toBeUndefined();
  });

  it('refuses many aliases and a query too costly to run', async () => {
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `m${i}: me { username }`).join(' ')} }`;
    expect(onlyError(await server.gql(aliases, {}, admin)).message).toMatch(/aliases/i);
    // Within the depth and alias limits, but together too costly (deep selections under every alias).
    const branch = `orgUnits(first: 10) { nodes { meters(first: 10) { nodes { customer { orgUnit { parent { parent { parent { parent { parent { id name code kind timeZone } } } } } } } } } } }`;
    const wide = `{ ${Array.from({ length: 15 }, (_, i) => `u${i}: ${branch}`).join(' ')} }`;
    const error = onlyError(await server.gql(wide, {}, admin));
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^Query Cost limit of 20000 exceeded/i);
  });

  it('refuses a document of more tokens than any real operation has, before building it, over HTTP and WebSocket', async () => {
    // Thousands of __typename: shallow, cheap, no aliases, but a parser's work.
    const huge = `{ ${Array.from({ length: 2500 }, () => '__typename').join(' ')} }`;
    const http = onlyError(await server.gql(huge, {}, admin));
    expect(http.extensions?.code).toBe('BAD_USER_INPUT');
    expect(http.message).toMatch(/contains more th\w+ 2000 tokens/);
    const sub = server.subscribe(admin, `subscription { readingRecorded { value ${'__typename '.repeat(2500)} } }`);
    await sub.done;
    expect(JSON.stringify(sub.errors)).toMatch(/contains more th\w+ 2000 tokens/);
    await sub.client.dispose();
  });

  it('counts page sizes passed in variables: the same refusal as with literals, over HTTP and WebSocket', async () => {
    // Two nested lists of 100: ten thousand meters with their customers, far above the limit.
    const nested = (first: string, inner: string) =>
      `{ orgUnits(first: ${first}) { nodes { id meters(first: ${inner}) { nodes { id barcode customer { name } } } } } }`;
    const withVariables = `query($outer: Int, $inner: Int) ${nested('$outer', '$inner')}`;
    let viaVariables: Awaited<ReturnType<typeof server.gql>> | undefined;
    const statements = await statementsOf(server, async () => {
      viaVariables = await server.gql(withVariables, { outer: 100, inner: 100 }, admin);
    });
    const error = onlyError(viaVariables!);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^Query Cost limit of 20000 exceeded, found \d+/);
    expect(viaVariables!.data).toBeUndefined();
    expect(statements).toBeLessThanOrEqual(2); // authentication only, no resolver ran
    const viaLiterals = await server.gql(nested('100', '100'), {}, admin);
    expect(viaLiterals).toEqual(viaVariables);
    // A normal page with variables runs.
    const fine = await server.gql<{ orgUnits: { nodes: unknown[] } }>(withVariables, { outer: 2, inner: 2 }, admin);
    expect(fine.errors).toBeUndefined();
    expect(fine.data!.orgUnits.nodes).toHaveLength(2);
    // Over WebSocket, queries and subscriptions alike.
    for (const query of [
      withVariables,
      `subscription($n: Int) { collectionAlarms { meter { orgUnit { meters(first: $n) { nodes { id orgUnit { meters(first: $n) { nodes { id } } } } } } } } }`,
    ]) {
      const sub = server.subscribe(admin, query, { outer: 100, inner: 100, n: 100 });
      await sub.done;
      expect(JSON.stringify([...sub.received, ...sub.errors])).toMatch(/Query Cost limit of 20000 exceeded, found \d+/);
      await sub.client.dispose();
    }
  });

  it('checks one password per request: login cannot be aliased or repeated', async () => {
    const aliased = await server.gql(`mutation { ${LOGIN('a: ')} }`);
    expect(onlyError(aliased).message).toBe('login may be asked once per request and without an alias');
    const twice = await server.gql(`mutation { ${LOGIN('')} again: ${LOGIN('')} }`);
    expect(twice.errors?.length).toBeGreaterThanOrEqual(1);
    expect(twice.data).toBeUndefined();
    // Batched HTTP requests are refused as a whole.
    const batch = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: `mutation { ${LOGIN()} }` }, { query: `mutation { ${LOGIN()} }` }]),
    });
    expect(batch.status).toBe(400);
    // One plain login still works.
    expect(await server.login('admin')).toBeTruthy();
  });

  it('applies the same limits to subscriptions over WebSocket', async () => {
    const deep = `subscription { collectionAlarms { orgUnit { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } } }`;
    const sub = server.subscribe(admin, deep);
    await sub.done;
    expect(sub.received).toEqual([]);
    expect(JSON.stringify(sub.errors)).toMatch(/depth/i);
    await sub.client.dispose();
  });
});
