import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';
import { claimsOf, forge, headerOf, hs256, wsHandshake } from './support/tokens.js';

/**
 * Rotating the signing key without downtime: the server signs with JWT_SECRET and still accepts
 * tokens of the keys in JWT_PREVIOUS_SECRETS, picked by the token's `kid`.
 */
const OLD = 'old-signing-key-'.padEnd(48, 'o');
const NEW = 'new-signing-key-'.padEnd(48, 'n');
const RETIRED = 'retired-signing-key-'.padEnd(48, 'r');
const kid = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);
const ADMIN = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' };

const me = async (server: TestServer, token: string) => {
  const res = await server.gql<{ me: { username: string } }>(`{ me { username } }`, {}, token);
  return res.data?.me.username ?? onlyError(res).extensions?.code;
};

describe('signing-key rotation', () => {
  let rotated: TestServer;
  let token: string;
  beforeAll(async () => {
    rotated = await startTestServer({ demo: false, env: { ...ADMIN, JWT_SECRET: NEW, JWT_PREVIOUS_SECRETS: OLD } });
    token = await rotated.login('root', 'root-password-1');
  });
  afterAll(async () => rotated?.stop());

  it('signs with the current key and names it by fingerprint in kid', async () => {
    expect(headerOf(token)).toMatchObject({ alg: 'HS256', kid: kid(NEW) });
    expect(token).not.toContain(NEW);
    expect(await me(rotated, token)).toBe('root');
    expect(await wsHandshake(rotated, token)).toBe('connected');
  });

  it('still accepts a token signed with the previous key before the rotation', async () => {
    // What a process still on the old key issued: same claims, old key, old kid.
    const before = forge({ alg: 'HS256', kid: kid(OLD) }, claimsOf(token), hs256(OLD));
    expect(await me(rotated, before)).toBe('root');
    expect(await wsHandshake(rotated, before)).toBe('connected');
  });

  it('refuses a key that is no longer listed, a missing kid and a kid that names another key', async () => {
    const claims = claimsOf(token);
    const refused = [
      forge({ alg: 'HS256', kid: kid(RETIRED) }, claims, hs256(RETIRED)),
      forge({ alg: 'HS256' }, claims, hs256(NEW)),
      forge({ alg: 'HS256', kid: kid(NEW) }, claims, hs256(OLD)),
      forge({ alg: 'HS256', kid: NEW }, claims, hs256(NEW)),
    ];
    for (const forged of refused) {
      expect(await me(rotated, forged)).toBe('UNAUTHENTICATED');
      expect(await wsHandshake(rotated, forged)).toBe(4403);
    }
  });

  it('refuses the old key once it is removed from JWT_PREVIOUS_SECRETS', async () => {
    const after = await startTestServer({ demo: false, env: { ...ADMIN, JWT_SECRET: NEW } });
    try {
      const current = await after.login('root', 'root-password-1');
      const claims = claimsOf(current);
      expect(await me(after, forge({ alg: 'HS256', kid: kid(NEW) }, claims, hs256(NEW)))).toBe('root');
      const old = forge({ alg: 'HS256', kid: kid(OLD) }, claims, hs256(OLD));
      expect(await me(after, old)).toBe('UNAUTHENTICATED');
      expect(await wsHandshake(after, old)).toBe(4403);
    } finally {
      await after.stop();
    }
  });
});
