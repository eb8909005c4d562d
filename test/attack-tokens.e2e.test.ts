import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/orm/entities/index.js';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { claimsOf, forge, headerOf, hs256, rs256, unsigned, wsHandshake } from './support/tokens.js';

/**
 * Forged, stale and otherwise invalid access tokens: each is refused as UNAUTHENTICATED over HTTP
 * (status 401, no data) and in the WebSocket connection_init (socket closed with 4403).
 */
let server: TestServer;
let admin: string;
let manager: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
  manager = await server.login('manager1');
});
afterAll(async () => server?.stop());

async function expectRefused(token: string) {
  const res = await server.gql(`{ me { username } }`, {}, token);
  expect(res.status).toBe(401);
  expect(res.data ?? null).toBeNull();
  // Nothing but the code: no transport details, nothing about why.
  expect(onlyError(res).extensions).toEqual({ code: 'UNAUTHENTICATED' });
  expect(await wsHandshake(server, token)).toBe(4403);
}

/** The manager's own claims and key id, so that only what a case changes is wrong. */
const real = () => ({ kid: headerOf(manager).kid, claims: claimsOf(manager), key: hs256(server.config.jwt.secret) });

describe('forged access tokens', () => {
  it('accepts the genuine token over both transports (the baseline)', async () => {
    const { kid, claims, key } = real();
    const reSigned = forge({ alg: 'HS256', kid }, claims, key);
    expect((await server.gql(`{ me { username } }`, {}, reSigned)).data).toEqual({ me: { username: 'manager1' } });
    expect(await wsHandshake(server, reSigned)).toBe('connected');
  });

  it('refuses alg "none" in any spelling', async () => {
    const { kid, claims } = real();
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) await expectRefused(forge({ alg, kid }, claims, unsigned));
  });

  it('refuses RS256 signed with a key pair whose public key the token presents itself', async () => {
    const { kid, claims } = real();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    await expectRefused(forge({ alg: 'RS256', kid, jwk }, claims, rs256(privateKey)));
    await expectRefused(forge({ alg: 'RS256', jwk }, claims, rs256(privateKey)));
    // HS/RS confusion the other way: HS256 "signed" with the public key's PEM as the shared secret.
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    await expectRefused(forge({ alg: 'HS256', kid }, claims, hs256(pem)));
    await expectRefused(forge({ alg: 'HS256', kid, jwk }, claims, hs256(pem)));
  });

  it('refuses an expired token, a wrong audience and a wrong issuer, even when correctly signed', async () => {
    const { kid, claims, key } = real();
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(forge({ alg: 'HS256', kid }, { ...claims, iat: now - 1000, exp: now - 10 }, key));
    await expectRefused(forge({ alg: 'HS256', kid }, { ...claims, aud: 'another-api' }, key));
    await expectRefused(forge({ alg: 'HS256', kid }, { ...claims, iss: 'someone-else' }, key));
  });

  it('refuses a wrong signature, a tampered payload, and a missing or unknown kid', async () => {
    const { kid, claims, key } = real();
    await expectRefused(forge({ alg: 'HS256', kid }, claims, hs256(randomBytes(32))));
    // The manager's signature on a payload that claims to be the administrator.
    const [header, , signature] = manager.split('.');
    const adminClaims = claimsOf(admin);
    const payload = Buffer.from(JSON.stringify({ ...claimsOf(manager), sub: adminClaims.sub })).toString('base64url');
    await expectRefused(`${header}.${payload}.${signature}`);
    await expectRefused(forge({ alg: 'HS256' }, claims, key));
    await expectRefused(forge({ alg: 'HS256', kid: '0000000000000000' }, claims, key));
    await expectRefused(forge({ alg: 'HS256', kid: '../../../../dev/null' }, claims, hs256('')));
  });

  it("refuses the token of a deactivated user, a deleted user, and one from before the user's token version changed", async () => {
    const created = await server.gql<{ createUser: { user: { id: string } } }>(
      `mutation { createUser(input: { username: "shortlived", password: "shortlived-password-1", displayName: "Short", role: METER_READER, orgUnitId: "T3JnVW5pdDox" }) { user { id } } }`,
      {},
      admin,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createUser.user.id;
    const update = (input: string) =>
      server.gql(`mutation($id: ID!) { updateUser(input: { id: $id, ${input} }) { user { id } } }`, { id }, admin);

    // Token version: a password change ends every access token issued before it.
    const beforeChange = await server.login('shortlived', 'shortlived-password-1');
    expect((await update('password: "shortlived-password-2"')).errors).toBeUndefined();
    await expectRefused(beforeChange);

    const beforeDeactivation = await server.login('shortlived', 'shortlived-password-2');
    expect((await update('active: false')).errors).toBeUndefined();
    await expectRefused(beforeDeactivation);
    // Re-signing the old claims with the server's own key does not help: the user is inactive.
    const { kid, key } = real();
    await expectRefused(forge({ alg: 'HS256', kid }, claimsOf(beforeDeactivation), key));

    expect((await update('active: true')).errors).toBeUndefined();
    const beforeDeletion = await server.login('shortlived', 'shortlived-password-2');
    expect((await server.gql(`{ me { username } }`, {}, beforeDeletion)).data).toEqual({
      me: { username: 'shortlived' },
    });
    await server.em().nativeDelete(User, { username: 'shortlived' });
    await expectRefused(beforeDeletion);
  });
});
