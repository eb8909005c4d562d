import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startTestServer, type TestServer } from './harness.js';

/**
 * Apollo's CSRF prevention, as a browser on another site would meet it: a request the browser sends
 * without a preflight (a "simple" request: GET, or POST as text/plain, form-urlencoded or multipart,
 * no custom header) is refused before anything runs. The mutation tried below would end the
 * session of the token it carries, so a token that still works proves it did not run.
 */
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ demo: false, env: { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: DEMO_PASSWORD } });
  token = await server.login('root', DEMO_PASSWORD);
});
afterAll(async () => server?.stop());

const MUTATION = `mutation { logoutEverywhere { revokedRefreshTokens } }`;
const QUERY = `{ me { username } }`;
const CSRF = /Cross-Site Request Forgery/;

const sessionAlive = async () => (await server.gql(QUERY, {}, token)).data !== undefined;

async function answer(res: Response) {
  const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: res.status, body };
}

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, { headers }).then(answer);

describe('CSRF prevention', () => {
  it('refuses a simple-request POST in every content type a form or script can send without preflight', async () => {
    const bodies: [string, string][] = [
      ['text/plain', JSON.stringify({ query: MUTATION })],
      ['text/plain;charset=UTF-8', JSON.stringify({ query: MUTATION })],
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(MUTATION)}`],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${MUTATION}\r\n--x--`,
      ],
    ];
    for (const [type, body] of bodies) {
      // Even with credentials attached (a browser could only attach cookies, which this API ignores).
      const res = await answer(
        await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': type, authorization: `Bearer ${token}` },
          body,
        }),
      );
      expect(res.status, type).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors![0]!.message).toMatch(CSRF);
      expect(res.body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await sessionAlive()).toBe(true);
  });

  it('refuses a mutation over GET, with or without the preflight header', async () => {
    const plain = await get(MUTATION, { authorization: `Bearer ${token}` });
    expect(plain.status).toBe(400);
    expect(plain.body.errors![0]!.message).toMatch(CSRF);
    const preflighted = await get(MUTATION, { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' });
    expect(preflighted.status).toBe(405);
    expect(preflighted.body.errors![0]!.message).toMatch(/GET requests only support query operations/);
    expect(await sessionAlive()).toBe(true);
  });

  it('refuses a GET query without a header that forces a preflight, and answers it with one', async () => {
    const plain = await get(QUERY, { authorization: `Bearer ${token}` });
    expect(plain.status).toBe(400);
    expect(plain.body.errors![0]!.message).toMatch(CSRF);
    expect(plain.body.data).toBeUndefined();
    for (const header of <Record<string, string>[]>[
      { 'apollo-require-preflight': 'true' },
      { 'x-apollo-operation-name': 'Me' },
      // A content type outside the three "simple" ones also needs a preflight.
      { 'content-type': 'application/json' },
    ]) {
      const res = await get(QUERY, { authorization: `Bearer ${token}`, ...header });
      expect(res.status, JSON.stringify(header)).toBe(200);
      expect(res.body.data).toEqual({ me: { username: 'root' } });
    }
  });

  it('answers an ordinary JSON POST', async () => {
    expect((await server.gql(QUERY, {}, token)).data).toEqual({ me: { username: 'root' } });
  });
});
