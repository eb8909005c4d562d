import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { ADMIN_USERNAME: 'firstadmin', ADMIN_PASSWORD: 'first-admin-password' } });
});
afterAll(async () => server?.stop());

type Tokens = {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { username: string; role: string };
};
const LOGIN = `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { accessToken refreshToken expiresAt user { username role orgUnit { name } } } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken refreshToken user { username } } }`;

describe('login, refresh, logout', () => {
  it('the first admin comes from ADMIN_USERNAME/ADMIN_PASSWORD', async () => {
    const res = await server.gql<{ login: Tokens }>(LOGIN, { u: 'firstadmin', p: 'first-admin-password' });
    expect(res.data!.login.user).toMatchObject({ username: 'firstadmin', role: 'ADMIN' });
  });

  it('logs in with the same generic error for unknown users and wrong passwords', async () => {
    const unknown = onlyError(await server.gql(LOGIN, { u: 'nobody', p: 'whatever-password' }));
    const wrong = onlyError(await server.gql(LOGIN, { u: 'manager1', p: 'wrong-password!' }));
    expect(unknown.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.message).toBe(wrong.message);
  });

  it('rotates refresh tokens and revokes the family when a used one is replayed', async () => {
    const login = (await server.gql<{ login: Tokens }>(LOGIN, { u: 'manager1', p: 'metergraph-demo' })).data!.login;
    expect(login.user).toMatchObject({ username: 'manager1', role: 'STATION_MANAGER' });
    expect(Date.parse(login.expiresAt)).toBeGreaterThan(Date.now());
    const first = (await server.gql<{ refreshToken: Tokens }>(REFRESH, { t: login.refreshToken })).data!.refreshToken;
    expect(first.user.username).toBe('manager1');
    const me = await server.gql<{ me: { username: string } }>(`{ me { username } }`, {}, first.accessToken);
    expect(me.data!.me.username).toBe('manager1');
    // Replaying the used token: refused, and the newer token of the same family dies with it.
    expect(onlyError(await server.gql(REFRESH, { t: login.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
    expect(onlyError(await server.gql(REFRESH, { t: first.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('logout ends the refresh token', async () => {
    const login = (await server.gql<{ login: Tokens }>(LOGIN, { u: 'reader1', p: 'metergraph-demo' })).data!.login;
    expect(
      (
        await server.gql(`mutation($t: String!) { logout(input: { refreshToken: $t }) { ok } }`, {
          t: login.refreshToken,
        })
      ).data,
    ).toEqual({ logout: { ok: true } });
    expect(onlyError(await server.gql(REFRESH, { t: login.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('changing a password or deactivating a user ends their sessions at once', async () => {
    const admin = await server.login('admin');
    const inspector = (
      await server.gql<{ login: Tokens & { user: { id?: string } } }>(LOGIN, { u: 'inspector1', p: 'metergraph-demo' })
    ).data!.login;
    const users = await server.gql<{ users: { nodes: { id: string }[] } }>(
      `{ users(filter: { search: "inspector1" }) { nodes { id } } }`,
      {},
      admin,
    );
    const id = users.data!.users.nodes[0]!.id;
    const changed = await server.gql(
      `mutation($id: ID!) { updateUser(input: { id: $id, password: "a-new-password-123" }) { user { username } } }`,
      { id },
      admin,
    );
    expect(changed.errors).toBeUndefined();
    expect(onlyError(await server.gql(`{ me { username } }`, {}, inspector.accessToken)).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(onlyError(await server.gql(REFRESH, { t: inspector.refreshToken })).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(
      (await server.gql<{ login: Tokens }>(LOGIN, { u: 'inspector1', p: 'a-new-password-123' })).data!.login.user
        .username,
    ).toBe('inspector1');
    await server.gql(
      `mutation($id: ID!) { updateUser(input: { id: $id, active: false }) { user { active } } }`,
      { id },
      admin,
    );
    expect(onlyError(await server.gql(LOGIN, { u: 'inspector1', p: 'a-new-password-123' })).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('validates user input with field paths', async () => {
    const admin = await server.login('admin');
    const res = await server.gql(
      `mutation { createUser(input: { username: "x", password: "short", displayName: "", role: METER_READER, orgUnitId: "T3JnVW5pdDox" }) { user { id } } }`,
      {},
      admin,
    );
    const error = onlyError(res);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions!.fields!.map((f) => f.path.join('.')).sort()).toEqual([
      'input.displayName',
      'input.password',
      'input.username',
    ]);
  });
});
