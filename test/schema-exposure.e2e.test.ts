import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type GqlError, type TestServer } from './harness.js';

/**
 * With introspection off, graphql-js's "Did you mean ...?" would still map the schema for anyone
 * who types badly on purpose. In production both are off, over HTTP and WebSocket alike.
 */
const ADMIN = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' };

/** Typos that graphql-js answers with a suggestion drawn from the schema. */
const TYPOS: { name: string; query: string; variables?: Record<string, unknown>; message: RegExp }[] = [
  { name: 'a field', query: `{ mee { username } }`, message: /^Cannot query field "mee" on type "Query"\./ },
  { name: 'an argument', query: `{ users(frist: 1) { totalCount } }`, message: /^Unknown argument "frist"/ },
  {
    name: 'an input field',
    query: `{ users(filter: { serch: "a" }) { totalCount } }`,
    message: /Field "serch" is not defined by type "UserFilter"\./,
  },
  {
    name: 'an enum value',
    query: `{ users(filter: { roles: [ADMN] }) { totalCount } }`,
    message: /Value "ADMN" does not exist in "Role" enum\./,
  },
  {
    name: 'an enum value in a variable',
    query: `query($r: [Role!]) { users(filter: { roles: $r }) { totalCount } }`,
    variables: { r: ['ADMN'] },
    message: /^Variable "\$r" got invalid value "ADMN"/,
  },
  {
    name: 'a type',
    query: `query($f: UserFiltr) { users(filter: $f) { totalCount } }`,
    message: /Unknown type "UserFiltr"\./,
  },
  {
    name: 'a field of an interface',
    query: `{ node(id: "VXNlcjox") { username } }`,
    message: /^Cannot query field "username" on type "Node"\./,
  },
];
const INTROSPECTION = [`{ __schema { types { name } } }`, `{ __type(name: "User") { fields { name } } }`];

/** Every error a query over WebSocket produced, whether sent as an error message or in a result. */
async function overWebSocket(server: TestServer, token: string, query: string, variables?: Record<string, unknown>) {
  const sub = server.subscribe(token, query, variables);
  await sub.done;
  await sub.client.dispose();
  return [
    ...sub.received.flatMap((r: { errors?: GqlError[] }) => r.errors ?? []),
    ...sub.errors.flatMap((e) => (Array.isArray(e) ? (e as GqlError[]) : [])),
  ];
}

describe('in production', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({
      demo: false,
      // The administrator's one-time code is tested in totp.e2e; here the schema's exposure is.
      env: { NODE_ENV: 'production', AUDIT_KEY: 'a'.repeat(40), LOGIN_ADMIN_TOTP: 'false', ...ADMIN },
    });
    token = await server.login('root', 'root-password-1');
  });
  afterAll(async () => server?.stop());

  for (const typo of TYPOS) {
    it(`names no suggestion for a typo in ${typo.name}, over HTTP and WebSocket`, async () => {
      const http = (await server.gql(typo.query, typo.variables, token)).errors ?? [];
      const ws = await overWebSocket(server, token, typo.query, typo.variables);
      for (const errors of [http, ws]) {
        expect(errors).toHaveLength(1);
        expect(errors[0]!.message).toMatch(typo.message);
        expect(errors[0]!.message).not.toMatch(/did you mean/i);
        expect(errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  }

  it('refuses introspection over HTTP and WebSocket, and still answers __typename', async () => {
    for (const query of INTROSPECTION) {
      const http = (await server.gql(query, {}, token)).errors ?? [];
      const ws = await overWebSocket(server, token, query);
      for (const errors of [http, ws]) {
        expect(errors.length).toBeGreaterThanOrEqual(1);
        expect(errors[0]!.message).toMatch(/introspection/i);
        expect(errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
      }
    }
    expect((await server.gql(`{ __typename }`, {}, token)).data).toEqual({ __typename: 'Query' });
    const sub = server.subscribe(token, `{ __typename }`);
    await sub.done;
    expect(sub.received).toEqual([{ data: { __typename: 'Query' } }]);
    await sub.client.dispose();
  });
});

describe('in development', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ demo: false, env: { NODE_ENV: 'development', ...ADMIN } });
    token = await server.login('root', 'root-password-1');
  });
  afterAll(async () => server?.stop());

  it('keeps the suggestions and introspection, over HTTP and WebSocket', async () => {
    for (const typo of TYPOS) {
      const http = (await server.gql(typo.query, typo.variables, token)).errors ?? [];
      const ws = await overWebSocket(server, token, typo.query, typo.variables);
      for (const errors of [http, ws]) {
        expect(errors).toHaveLength(1);
        expect(errors[0]!.message).toMatch(/Did you mean .+\?$/);
      }
    }
    const sub = server.subscribe(token, `{ __type(name: "User") { name } }`);
    await sub.done;
    expect(sub.received).toEqual([{ data: { __type: { name: 'User' } } }]);
    await sub.client.dispose();
    expect((await server.gql(`{ __type(name: "User") { name } }`, {}, token)).data).toEqual({
      __type: { name: 'User' },
    });
  });
});
