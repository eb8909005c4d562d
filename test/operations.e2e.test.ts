import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

describe('production error masking', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      demo: false,
      env: {
        NODE_ENV: 'production',
        AUDIT_KEY: 'a'.repeat(40),
        // The administrator's one-time code is tested in totp.e2e.
        LOGIN_ADMIN_TOTP: 'false',
        ADMIN_USERNAME: 'root',
        ADMIN_PASSWORD: 'root-password-1',
      },
    });
  });
  afterAll(async () => server?.stop());

  it('masks an unexpected failure as INTERNAL with a correlation id and no SQL', async () => {
    const token = await server.login('root', 'root-password-1');
    // Break the database under the server: the next query fails inside the driver.
    await server.em().getConnection().execute('alter table meter rename to meter_gone');
    try {
      const res = await server.gql(`{ meters(first: 1) { totalCount nodes { id } } }`, {}, token);
      const error = onlyError(res);
      expect(error.extensions?.code).toBe('INTERNAL');
      expect(error.message).toMatch(/^Internal server error \(correlation id [0-9a-f-]{36}\)$/);
      expect(JSON.stringify(res)).not.toMatch(/\bselect\b|meter_gone|\brelation\b|stack|\.(ts|js):\d/i);
    } finally {
      await server.em().getConnection().execute('alter table meter_gone rename to meter');
    }
  });

  it('turns introspection off in production', async () => {
    const res = await server.gql(`{ __schema { types { name } } }`);
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
  });
});

describe('health and readiness', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ demo: false });
  });
  afterAll(async () => server?.stop());

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });

  it('refuses a cross-site simple request (CSRF prevention)', async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { username } }')}`);
    expect(res.status).toBe(400);
  });
});
