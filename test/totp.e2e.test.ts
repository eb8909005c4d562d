import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;

beforeAll(async () => {
  // As in production: administrators without a policy of their own need a one-time code.
  server = await startTestServer({ demo: true, env: { LOGIN_ADMIN_TOTP: 'true' } });
});
afterAll(async () => server?.stop());

const LOGIN = `mutation($u: String!, $p: String!, $c: String) { login(input: { username: $u, password: $p, totpCode: $c }) { accessToken refreshToken totpEnrollmentRequired } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken totpEnrollmentRequired } }`;
type Tokens = { accessToken: string; refreshToken: string; totpEnrollmentRequired: boolean };
const login = (u: string, p: string, c?: string) => server.gql<{ login: Tokens }>(LOGIN, { u, p, c });
/** The code of the step after the one a code was last used in (a fresh code, not a replay). */
const nextCode = async (secret: string) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

describe('one-time codes for administrators', () => {
  let secret: string;
  let adminToken: string;

  it('an administrator without one gets a session that can only set one up', async () => {
    const first = (await login('admin', 'metergraph-admin')).data!.login;
    expect(first.totpEnrollmentRequired).toBe(true);
    expect((await server.gql<any>(`{ me { username } }`, {}, first.accessToken)).data.me.username).toBe('admin');
    const gated = await server.gql(`{ meters { totalCount } }`, {}, first.accessToken);
    expect(gated.status).toBe(403);
    expect(onlyError(gated).extensions).toEqual({ code: 'FORBIDDEN', totpEnrollmentRequired: true });
    expect(
      onlyError(await server.gql(`{ me { username } meters { totalCount } }`, {}, first.accessToken)).extensions?.code,
    ).toBe('FORBIDDEN');
    // Refreshing does not lift it, nor does a WebSocket connection get opened.
    expect((await server.gql<any>(REFRESH, { t: first.refreshToken })).data.refreshToken.totpEnrollmentRequired).toBe(
      true,
    );
    const client = server.ws(first.accessToken);
    const closed = new Promise<number>((resolve) => client.on('closed', (e) => resolve((e as { code: number }).code)));
    client.subscribe({ query: `subscription { collectionAlarms { type } }` }, { next() {}, error() {}, complete() {} });
    expect(await closed).toBe(4403);
    await client.dispose();

    const enrolled = await server.gql<{ enrollTotp: { secret: string; otpauthUri: string } }>(
      `mutation { enrollTotp { secret otpauthUri } }`,
      {},
      first.accessToken,
    );
    secret = enrolled.data!.enrollTotp.secret;
    expect(enrolled.data!.enrollTotp.otpauthUri).toContain(`secret=${secret}`);
    const wrong = onlyError(
      await server.gql(
        `mutation { confirmTotp(input: { code: "000000" }) { user { totpEnabledAt } } }`,
        {},
        first.accessToken,
      ),
    );
    expect(wrong.extensions?.fields?.[0]?.path).toEqual(['input', 'code']);
    const confirmed = await server.gql<any>(
      `mutation($c: String!) { confirmTotp(input: { code: $c }) { user { totpEnabledAt } } }`,
      { c: await generate({ secret }) },
      first.accessToken,
    );
    expect(confirmed.data.confirmTotp.user.totpEnabledAt).not.toBeNull();
    // The enrollment session has ended; the secret is sealed in the database and absent from the audit log.
    expect(onlyError(await server.gql(`{ me { username } }`, {}, first.accessToken)).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    const [row] = await server
      .em()
      .execute<{ totp_secret: string }[]>(`select totp_secret from app_user where username = 'admin'`);
    expect(row!.totp_secret).toMatch(/^v1:/);
    expect(row!.totp_secret).not.toContain(secret);
    const audit = await server.em().execute<{ details: string }[]>(`select details from audit_record`);
    expect(audit.map((r) => r.details).join('\n')).not.toContain(secret);
  });

  it('then asks for the code at every login, refuses a wrong or replayed one, and counts failures', async () => {
    const missing = onlyError(await login('admin', 'metergraph-admin'));
    expect(missing).toMatchObject({
      message: 'A one-time code is required',
      extensions: { code: 'UNAUTHENTICATED', totpRequired: true },
    });
    const wrong = onlyError(await login('admin', 'metergraph-admin', '123456'));
    expect(wrong.extensions?.code).toBe('UNAUTHENTICATED');
    const code = await nextCode(secret);
    const ok = (await login('admin', 'metergraph-admin', code)).data!.login;
    expect(ok.totpEnrollmentRequired).toBe(false);
    expect(
      (await server.gql<any>(`{ meters { totalCount } }`, {}, ok.accessToken)).data.meters.totalCount,
    ).toBeGreaterThan(0);
    // The same code again: refused, though the password is right.
    expect(onlyError(await login('admin', 'metergraph-admin', code)).extensions?.code).toBe('UNAUTHENTICATED');
    const failures = await server
      .em()
      .execute<{ failures: number }[]>(`select failures from login_throttle where key = 'account:admin'`);
    // The wrong code counted, the login cleared it, the replay counted again.
    expect(failures).toEqual([{ failures: 1 }]);
    adminToken = ok.accessToken;
  });

  it('a user may set one up without being asked; an administrator resets it when the phone is lost', async () => {
    const manager = await server.login('manager1');
    const { secret: own } = (await server.gql<any>(`mutation { enrollTotp { secret } }`, {}, manager)).data.enrollTotp;
    await server.gql(
      `mutation($c: String!) { confirmTotp(input: { code: $c }) { user { id } } }`,
      { c: await generate({ secret: own }) },
      manager,
    );
    expect(onlyError(await login('manager1', 'metergraph-demo')).extensions?.totpRequired).toBe(true);
    const admin = adminToken;
    const users = await server.gql<any>(`{ users(filter: { search: "manager1" }) { nodes { id } } }`, {}, admin);
    const reset = await server.gql<any>(
      `mutation($u: ID!) { resetTotp(input: { userId: $u }) { user { totpEnabledAt } } }`,
      { u: users.data.users.nodes[0].id },
      admin,
    );
    expect(reset.data.resetTotp.user.totpEnabledAt).toBeNull();
    expect((await login('manager1', 'metergraph-demo')).data!.login.accessToken).toBeTruthy();
  });
});
