import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER_ACCOUNT, onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  // 127.0.0.1 is the reverse proxy here: its X-Forwarded-For tells the client's address.
  server = await startTestServer({ demo: true, env: { TRUSTED_PROXIES: '127.0.0.1/32, ::1' } });
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const LOGIN = `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { accessToken refreshToken } }`;
const CUSTOMER_LOGIN = `mutation($a: String!, $p: String!) { customerLogin(input: { accountNo: $a, password: $p }) { accessToken user { username role } } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken } }`;
const SET = `mutation($input: SetLoginPolicyInput!) { setLoginPolicy(input: $input) { loginPolicy { id role user { username } allowedCidrs windows { days start end } maxFailures } } }`;
type Tokens = { accessToken: string; refreshToken: string };
const from = (ip: string) => ({ 'x-forwarded-for': ip });

async function userId(username: string) {
  const res = await server.gql<{ users: { nodes: { id: string }[] } }>(
    `query($s: String!) { users(filter: { search: $s }) { nodes { id } } }`,
    { s: username },
    admin,
  );
  return res.data!.users.nodes[0]!.id;
}

async function setPolicy(input: Record<string, unknown>) {
  const res = await server.gql(SET, { input }, admin);
  expect(res.errors).toBeUndefined();
}

const loginAs = (u: string, p: string, ip = '198.51.100.1') =>
  server.gql<{ login: Tokens }>(LOGIN, { u, p }, undefined, from(ip));

describe('logins per kind of user', () => {
  it('customers log in with their account number into their own account; not at the staff door', async () => {
    const ok = await server.gql<{ customerLogin: { accessToken: string; user: { role: string } } }>(CUSTOMER_LOGIN, {
      a: DEMO_CUSTOMER_ACCOUNT,
      p: 'metergraph-demo',
    });
    expect(ok.data!.customerLogin.user.role).toBe('CUSTOMER');
    const customers = await server.gql<{ customers: { totalCount: number } }>(
      `{ customers { totalCount } }`,
      {},
      ok.data!.customerLogin.accessToken,
    );
    expect(customers.data!.customers.totalCount).toBe(1);
    // The same customer at the staff door, and staff at the customers' door: the generic refusal.
    const staffDoor = onlyError(await loginAs('customer1', 'metergraph-demo', '198.51.100.50'));
    expect(staffDoor.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = onlyError(await server.gql(CUSTOMER_LOGIN, { a: DEMO_CUSTOMER_ACCOUNT, p: 'not-the-password' }));
    expect(wrong.message).toBe(staffDoor.message);
    expect(onlyError(await server.gql(CUSTOMER_LOGIN, { a: '999999999999', p: 'metergraph-demo' })).message).toBe(
      staffDoor.message,
    );
    // The service account has no password door at all.
    expect(onlyError(await loginAs('collector', 'metergraph-demo', '198.51.100.50')).message).toBe(staffDoor.message);
  });
});

describe('lockout after failed logins', () => {
  it('locks the account with growing pauses, the same for unknown names, and logs each lockout', async () => {
    await setPolicy({ userId: await userId('inspector1'), maxFailures: 3, lockoutSeconds: 2, lockoutMaxSeconds: 60 });
    const session = (await loginAs('inspector1', 'metergraph-demo', '198.51.100.5')).data!.login.accessToken;
    for (let i = 0; i < 3; i++)
      expect(onlyError(await loginAs('inspector1', `wrong-password-${i}`, '198.51.100.2')).extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
    // Locked: even the right password is refused, from any address, with when to come back.
    const locked = onlyError(await loginAs('inspector1', 'metergraph-demo', '198.51.100.3'));
    expect(locked.extensions?.code).toBe('RATE_LIMITED');
    expect(locked.extensions?.retryAfter).toBeGreaterThan(0);
    expect(locked.extensions?.retryAfter).toBeLessThanOrEqual(2);
    // The account's sessions are suspended while it is locked.
    expect(onlyError(await server.gql(`{ me { username } }`, {}, session)).extensions?.code).toBe('UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, 2200));
    // One more failure after the pause locks again, for twice as long.
    onlyError(await loginAs('inspector1', 'wrong-password-x', '198.51.100.2'));
    const again = onlyError(await loginAs('inspector1', 'metergraph-demo', '198.51.100.3'));
    expect(again.extensions?.retryAfter).toBeGreaterThan(2);

    // An unknown name locks after the server default (5), with the same answers.
    for (let i = 0; i < 5; i++) onlyError(await loginAs('nobody-here', `wrong-password-${i}`, '198.51.100.4'));
    expect(onlyError(await loginAs('nobody-here', 'anything-at-all', '198.51.100.4')).extensions?.code).toBe(
      'RATE_LIMITED',
    );

    const records = await server.gql<{ auditLog: { nodes: { details: { name: string; locked: string } }[] } }>(
      `{ auditLog(filter: { actions: ["login_locked"] }) { nodes { details } } }`,
      {},
      admin,
    );
    const names = records.data!.auditLog.nodes.map((n) => n.details.name);
    expect(names.filter((n) => n === 'inspector1')).toHaveLength(2);
    expect(names).toContain('nobody-here');

    // The help desk lifts it.
    const cleared = await server.gql<{ clearLoginLockout: { cleared: number } }>(
      `mutation { clearLoginLockout(input: { username: "inspector1" }) { cleared } }`,
      {},
      admin,
    );
    expect(cleared.data!.clearLoginLockout.cleared).toBe(1);
    expect((await loginAs('inspector1', 'metergraph-demo', '198.51.100.3')).data!.login.accessToken).toBeTruthy();
    expect((await server.gql(`{ me { username } }`, {}, session)).errors).toBeUndefined();
  });

  it('locks an address that tries many accounts', async () => {
    const local = await startTestServer({ demo: true, env: { LOGIN_ADDRESS_MAX_FAILURES: '4' } });
    try {
      for (const name of ['a-user', 'b-user', 'c-user', 'd-user'])
        onlyError(await local.gql(LOGIN, { u: name, p: 'some-password' }));
      const res = onlyError(await local.gql(LOGIN, { u: 'manager1', p: 'metergraph-demo' }));
      expect(res.extensions?.code).toBe('RATE_LIMITED');
      // X-Forwarded-For from an untrusted peer changes nothing: the socket address is the client.
      expect(
        onlyError(await local.gql(LOGIN, { u: 'manager1', p: 'metergraph-demo' }, undefined, from('203.0.113.9')))
          .extensions?.code,
      ).toBe('RATE_LIMITED');
    } finally {
      await local.stop();
    }
  });
});

describe('address ranges and time windows', () => {
  it('allows a user only from the given ranges, at login, refresh and on every request', async () => {
    const id = await userId('manager2');
    const inside = await loginAs('manager2', 'metergraph-demo', '10.20.30.40');
    const tokens = inside.data!.login;
    await setPolicy({ userId: id, allowedCidrs: ['10.20.0.0/16'] });
    const outside = onlyError(await loginAs('manager2', 'metergraph-demo', '198.51.100.9'));
    expect(outside).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
      message: 'Login is not allowed from this address',
    });
    expect((await loginAs('manager2', 'metergraph-demo', '10.20.1.1')).data!.login.accessToken).toBeTruthy();
    // A session taken elsewhere stops working there.
    const me = `{ me { username } }`;
    expect((await server.gql(me, {}, tokens.accessToken, from('10.20.30.40'))).errors).toBeUndefined();
    expect(onlyError(await server.gql(me, {}, tokens.accessToken, from('198.51.100.9'))).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(
      onlyError(await server.gql(REFRESH, { t: tokens.refreshToken }, undefined, from('198.51.100.9'))).extensions
        ?.code,
    ).toBe('UNAUTHENTICATED');
    // Ranges are checked when given.
    const bad = onlyError(await server.gql(SET, { input: { userId: id, allowedCidrs: ['10.0.0.0/33', 'x'] } }, admin));
    expect(bad.extensions?.fields?.map((f) => f.path.join('.'))).toEqual([
      'input.allowedCidrs.0',
      'input.allowedCidrs.1',
    ]);
  });

  it('allows logins only inside the time windows, in the org time zone, and ends sessions outside them', async () => {
    const id = await userId('reader1');
    const session = (await loginAs('reader1', 'metergraph-demo')).data!.login;
    const hour = Number(
      new Intl.DateTimeFormat('en', { hour: 'numeric', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(
        new Date(),
      ),
    );
    const closed = `${String((hour + 2) % 24).padStart(2, '0')}:00`;
    const closes = `${String((hour + 3) % 24).padStart(2, '0')}:00`;
    await setPolicy({ userId: id, windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: closed, end: closes }] });
    const refused = onlyError(await loginAs('reader1', 'metergraph-demo'));
    expect(refused).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: 'Login is not allowed at this time' });
    expect(
      onlyError(await server.gql(`{ me { username } }`, {}, session.accessToken, from('198.51.100.1'))).extensions
        ?.code,
    ).toBe('UNAUTHENTICATED');
    // A subscription cannot start either (connection_init is refused).
    const sub = server.subscribe(session.accessToken, `subscription { collectionAlarms { type } }`);
    await sub.done;
    expect(sub.received).toHaveLength(0);
    await sub.client.dispose();
    // Open now: a window around the current hour.
    const open = `${String(hour).padStart(2, '0')}:00`;
    const after = `${String((hour + 1) % 24).padStart(2, '0')}:00`;
    await setPolicy({
      userId: id,
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: open, end: after === '00:00' ? '23:59' : after }],
    });
    expect((await loginAs('reader1', 'metergraph-demo')).data!.login.accessToken).toBeTruthy();
  });

  it('ends the sessions of an expired account and refuses its logins', async () => {
    const id = await userId('auditor');
    const session = (await loginAs('auditor', 'metergraph-demo')).data!.login;
    const res = await server.gql(
      `mutation($id: ID!, $at: DateTime!) { updateUser(input: { id: $id, expiresAt: $at }) { user { expiresAt } } }`,
      { id, at: new Date(Date.now() - 1000).toISOString() },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(onlyError(await server.gql(`{ me { username } }`, {}, session.accessToken)).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(onlyError(await loginAs('auditor', 'metergraph-demo')).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lets only administrators set policies, and auditors read them', async () => {
    const manager = await server.login('manager1');
    expect(
      onlyError(await server.gql(SET, { input: { role: 'METER_READER', maxFailures: 3 } }, manager)).extensions?.code,
    ).toBe('FORBIDDEN');
    // An administrator cannot lock every administrator out of their own address.
    const self = onlyError(await server.gql(SET, { input: { role: 'ADMIN', allowedCidrs: ['10.99.0.0/16'] } }, admin));
    expect(self.extensions?.fields?.[0]?.path).toEqual(['input', 'allowedCidrs']);
    const auditor = await server.login('inspector1');
    expect(onlyError(await server.gql(`{ loginPolicies { id } }`, {}, auditor)).extensions?.code).toBe('FORBIDDEN');
  });
});
