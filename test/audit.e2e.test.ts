import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

type Record = {
  id: string;
  actor: string | null;
  actorRole: string | null;
  action: string;
  outcome: string;
  ip: string | null;
  details: { input?: any; changes?: any[]; notes?: any; name?: string; reason?: string };
};
const LOG = `query($actions: [String!]) { auditLog(first: 20, filter: { actions: $actions }) {
  totalCount nodes { id actor actorRole action outcome ip details hash prevHash } } }`;
const log = async (actions: string[], token = admin) =>
  (await server.gql<{ auditLog: { totalCount: number; nodes: Record[] } }>(LOG, { actions }, token)).data!.auditLog
    .nodes;
const VERIFY = `{ verifyAuditLog { ok checked firstBrokenId lastId lastHash } }`;
type Verification = { ok: boolean; checked: number; firstBrokenId: string | null; lastId: string | null };
const verify = async () => (await server.gql<{ verifyAuditLog: Verification }>(VERIFY, {}, admin)).data!.verifyAuditLog;

const unitId = async (code: string) =>
  (
    await server.gql<{ orgUnits: { nodes: { id: string; code: string }[] } }>(
      `{ orgUnits(first: 50) { nodes { id code } } }`,
      {},
      admin,
    )
  ).data!.orgUnits.nodes.find((u) => u.code === code)!.id;

describe('audit log', () => {
  it('records a mutation with who, from where, the input and the values before and after', async () => {
    const id = await unitId('ST-YJ');
    const before = (
      await server.gql<{ node: { name: string } }>(
        `query($id: ID!) { node(id: $id) { ... on OrgUnit { name } } }`,
        { id },
        admin,
      )
    ).data!.node.name;
    const res = await server.gql(
      `mutation($id: ID!) { updateOrgUnit(input: { id: $id, name: "Yuejin Station (renamed)" }) { orgUnit { name } } }`,
      { id },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const [record] = await log(['updateOrgUnit']);
    expect(record).toMatchObject({ actor: 'admin', actorRole: 'ADMIN', action: 'updateOrgUnit', outcome: 'OK' });
    expect(record!.ip).toMatch(/127\.0\.0\.1/);
    expect(record!.details.input.input).toMatchObject({ id, name: 'Yuejin Station (renamed)' });
    expect(record!.details.changes).toContainEqual(
      expect.objectContaining({
        entity: 'OrgUnit',
        op: 'update',
        before: expect.objectContaining({ name: before }),
        after: expect.objectContaining({ name: 'Yuejin Station (renamed)' }),
      }),
    );
  });

  it('records refused mutations with their error code and no changes', async () => {
    const manager = await server.login('manager1');
    const id = await unitId('ST-TY');
    const res = await server.gql(
      `mutation($id: ID!) { updateOrgUnit(input: { id: $id, name: "Not mine" }) { orgUnit { name } } }`,
      { id },
      manager,
    );
    const code = onlyError(res).extensions?.code;
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(code);
    const [record] = await log(['updateOrgUnit']);
    expect(record).toMatchObject({ actor: 'manager1', outcome: code });
    expect(record!.details.changes).toBeUndefined();
  });

  it('records logins, failed logins and logouts, and never a secret', async () => {
    await server.gql(`mutation { login(input: { username: "reader1", password: "wrong-password!" }) { accessToken } }`);
    const ok = await server.gql<{ login: { refreshToken: string } }>(
      `mutation { login(input: { username: "reader1", password: "metergraph-demo" }) { refreshToken } }`,
    );
    await server.gql(`mutation($t: String!) { logout(input: { refreshToken: $t }) { ok } }`, {
      t: ok.data!.login.refreshToken,
    });
    const created = await server.gql(
      `mutation($unit: ID!) { createUser(input: { username: "reader9", password: "a-secret-password-9", displayName: "Reader Nine", role: METER_READER, orgUnitId: $unit }) { user { id } } }`,
      { unit: await unitId('ST-YJ') },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const records = await log(['login', 'login_failed', 'logout', 'createUser']);
    const actions = records.map((r) => `${r.action}:${r.actor ?? r.details.name}`);
    expect(actions.slice(0, 4)).toEqual([
      'createUser:admin',
      'logout:reader1',
      'login:reader1',
      'login_failed:reader1',
    ]);
    expect(records.find((r) => r.action === 'login_failed')!.details.reason).toBe('password');
    const text = JSON.stringify(records);
    expect(text).not.toContain('a-secret-password-9');
    expect(text).not.toContain('metergraph-demo');
    expect(text).not.toContain('wrong-password!');
    expect(text).not.toMatch(/\$argon2/);
    expect(text).not.toContain(ok.data!.login.refreshToken);
  });

  it('keeps the rules a permission change replaced', async () => {
    const current = (
      await server.gql<{ rolePermissions: any[] }>(
        `{ rolePermissions(role: INSPECTOR) { action subject fields inverted scope } }`,
        {},
        admin,
      )
    ).data!.rolePermissions;
    const res = await server.gql(
      `mutation($rules: [PermissionRuleInput!]!) { setRolePermissions(input: { role: INSPECTOR, rules: $rules }) { role } }`,
      { rules: current.slice(1) },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const [record] = await log(['setRolePermissions']);
    expect(record!.details.notes.rulesBefore).toHaveLength(current.length);
    expect(record!.details.input.input.rules).toHaveLength(current.length - 1);
  });

  it('is read by auditors and admins only, and changed by nobody', async () => {
    const auditor = await server.login('auditor');
    expect((await log(['login'], auditor)).length).toBeGreaterThan(0);
    const manager = await server.login('manager1');
    expect(onlyError(await server.gql(LOG, { actions: ['login'] }, manager)).extensions?.code).toBe('FORBIDDEN');
    expect(onlyError(await server.gql(VERIFY, {}, manager)).extensions?.code).toBe('FORBIDDEN');
    // No mutation changes a record; the database refuses it too.
    const em = server.em();
    await expect(em.execute(`update audit_record set outcome = 'OK' where id = 1`)).rejects.toThrow(/append-only/);
    await expect(em.execute(`delete from audit_record where id = 1`)).rejects.toThrow(/append-only/);
  });

  it('does not take mutations over WebSocket, where they would go unrecorded', async () => {
    const sub = server.subscribe(admin, `mutation { logout(input: { refreshToken: "x" }) { ok } }`);
    await sub.done;
    expect(JSON.stringify(sub.errors)).toMatch(/over HTTP/);
    await sub.client.dispose();
  });

  it('verifies the chain, and finds a record edited or removed in the database', async () => {
    const intact = await verify();
    expect(intact).toMatchObject({ ok: true, firstBrokenId: null });
    expect(intact.checked).toBe(Number(intact.lastId));
    expect(intact.checked).toBeGreaterThan(8);

    // Someone with database access goes around the trigger and makes a refusal look like a success.
    const em = server.em();
    const [refused] = await em.execute<{ id: string; outcome: string }[]>(
      `select id::text as id, outcome from audit_record where outcome <> 'OK' order by id limit 1`,
    );
    await em.execute(`alter table audit_record disable trigger audit_record_no_change`);
    try {
      await em.execute(`update audit_record set outcome = 'OK' where id = ${refused!.id}`);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: refused!.id, checked: Number(refused!.id) });
      // Put back as it was, the chain checks out again.
      await em.execute(`update audit_record set outcome = '${refused!.outcome}' where id = ${refused!.id}`);
      expect((await verify()).ok).toBe(true);
      // A record removed: the one after it no longer follows.
      await em.execute(`delete from audit_record where id = 3`);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: '4', checked: 3 });
    } finally {
      await em.execute(`alter table audit_record enable trigger audit_record_no_change`);
    }
  });
});
