import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, onlyError, startTestServer, type TestServer } from './harness.js';
import { wsHandshake } from './support/tokens.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

type Pair = { accessToken: string; refreshToken: string };
const LOGIN = `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { accessToken refreshToken } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken } }`;
const REVOKE = `mutation($id: ID!) { revokeSessions(input: { userId: $id }) { user { username } revokedRefreshTokens } }`;

const signIn = async (username: string): Promise<Pair> =>
  (await server.gql<{ login: Pair }>(LOGIN, { u: username, p: DEMO_PASSWORD })).data!.login;

const code = async (query: string, variables: Record<string, unknown>, token?: string) =>
  onlyError(await server.gql(query, variables, token)).extensions?.code;

/** Both halves of a session are dead: the access token over HTTP and WebSocket, and the refresh token. */
async function expectEnded(pair: Pair) {
  expect(await code(`{ me { username } }`, {}, pair.accessToken)).toBe('UNAUTHENTICATED');
  expect(await wsHandshake(server, pair.accessToken)).toBe(4403);
  expect(await code(REFRESH, { t: pair.refreshToken })).toBe('UNAUTHENTICATED');
}

async function userId(username: string): Promise<string> {
  const res = await server.gql<{ users: { nodes: { id: string; username: string }[] } }>(
    `query($s: String!) { users(filter: { search: $s }) { nodes { id username } } }`,
    { s: username },
    admin,
  );
  return res.data!.users.nodes.find((u) => u.username === username)!.id;
}

describe('logoutEverywhere', () => {
  it('ends every session of the signed-in user, this one included', async () => {
    const phone = await signIn('inspector1');
    const laptop = await signIn('inspector1');
    const res = await server.gql<{ logoutEverywhere: { user: { username: string }; revokedRefreshTokens: number } }>(
      `mutation { logoutEverywhere { user { username } revokedRefreshTokens } }`,
      {},
      phone.accessToken,
    );
    expect(res.data).toEqual({ logoutEverywhere: { user: { username: 'inspector1' }, revokedRefreshTokens: 2 } });
    await expectEnded(phone);
    await expectEnded(laptop);
    // A new login is a new session.
    expect((await server.gql(`{ me { username } }`, {}, (await signIn('inspector1')).accessToken)).data).toEqual({
      me: { username: 'inspector1' },
    });
  });

  it('needs a signed-in user', async () => {
    expect(await code(`mutation { logoutEverywhere { revokedRefreshTokens } }`, {})).toBe('UNAUTHENTICATED');
  });
});

describe('revokeSessions', () => {
  it("lets an administrator end another user's sessions, and records it in the audit log", async () => {
    const session = await signIn('manager2');
    const res = await server.gql(REVOKE, { id: await userId('manager2') }, admin);
    expect(res.data).toEqual({ revokeSessions: { user: { username: 'manager2' }, revokedRefreshTokens: 1 } });
    await expectEnded(session);
    const audit = await server.gql<{ auditLog: { nodes: { action: string; actor: string; outcome: string }[] } }>(
      `{ auditLog(first: 1, filter: { actions: ["revokeSessions"] }) { nodes { action actor outcome } } }`,
      {},
      admin,
    );
    expect(audit.data!.auditLog.nodes).toEqual([{ action: 'revokeSessions', actor: 'admin', outcome: 'OK' }]);
  });

  it('is refused to a user without update on users, and reaches only users in scope when granted', async () => {
    const reader = await userId('reader1');
    const manager = await signIn('manager1');
    expect(await code(REVOKE, { id: reader }, manager.accessToken)).toBe('BAD_USER_INPUT');
    expect(await code(REVOKE, { id: reader }, (await signIn('inspector1')).accessToken)).toBe('BAD_USER_INPUT');
    expect(await code(REVOKE, { id: reader })).toBe('UNAUTHENTICATED');

    // Station managers get "update User" in their own subtree.
    const rules = await server.gql<{ rolePermissions: Record<string, unknown>[] }>(
      `{ rolePermissions(role: STATION_MANAGER) { action subject fields inverted scope } }`,
      {},
      admin,
    );
    const granted = await server.gql(
      `mutation($rules: [PermissionRuleInput!]!) { setRolePermissions(input: { role: STATION_MANAGER, rules: $rules }) { role } }`,
      { rules: [...rules.data!.rolePermissions, { action: 'update', subject: 'User', scope: 'ORG_SUBTREE' }] },
      admin,
    );
    expect(granted.errors).toBeUndefined();

    const readerSession = await signIn('reader1');
    const res = await server.gql(REVOKE, { id: reader }, manager.accessToken);
    expect(res.data).toEqual({ revokeSessions: { user: { username: 'reader1' }, revokedRefreshTokens: 1 } });
    await expectEnded(readerSession);
    // Another station's manager and the administrator are out of manager1's reach.
    const outside = onlyError(await server.gql(REVOKE, { id: await userId('manager2') }, manager.accessToken));
    expect(outside.extensions?.code).toBe('BAD_USER_INPUT');
    expect(outside.extensions?.fields?.[0]?.path).toEqual(['input', 'userId']);
    expect(await code(REVOKE, { id: await userId('admin') }, manager.accessToken)).toBe('BAD_USER_INPUT');
    expect(await code(REVOKE, { id: 'not-an-id' }, admin)).toBe('BAD_USER_INPUT');
  });

  it("ends the user's open subscriptions at the session check after the revocation", async () => {
    const session = await signIn('manager1');
    const sub = server.subscribe(session.accessToken, `subscription { readingRecorded { value } }`);
    const meters = await server.gql<{ meters: { nodes: { id: string }[] } }>(
      `{ meters(first: 1, filter: { statuses: [INSTALLED] }) { nodes { id } } }`,
      {},
      session.accessToken,
    );
    const meterId = meters.data!.meters.nodes[0]!.id;
    let minute = 0;
    const record = () =>
      server.gql(
        `mutation($m: ID!, $t: DateTime!, $v: Decimal!) { recordManualReading(input: { meterId: $m, value: $v, measuredAt: $t }) { reading { id } } }`,
        { m: meterId, t: new Date(Date.now() - 3_600_000 + ++minute * 60_000).toISOString(), v: `${90000 + minute}` },
        admin,
      );
    await until(async () => {
      await record();
      return sub.received.length > 0;
    });
    expect(sub.errors).toEqual([]);

    expect((await server.gql(REVOKE, { id: await userId('manager1') }, admin)).errors).toBeUndefined();
    // The subscription re-checks its session at most every 5 s (sessionCheck's TTL); after that
    // the next event closes the connection instead of being delivered.
    const deliveredBefore = sub.received.length;
    await new Promise((r) => setTimeout(r, 5_200));
    await record();
    await Promise.race([sub.done, new Promise((r) => setTimeout(r, 5_000))]);
    expect((sub.errors[0] as { code?: number } | undefined)?.code).toBe(4403);
    expect(sub.received.length).toBe(deliveredBefore);
  }, 30_000);
});

async function until(check: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
