import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/config.js';
import { keyId, signAccessToken, verifyAccessToken } from './tokens.js';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);
const config = (secret: string, previous = ''): Config =>
  loadConfig({ NODE_ENV: 'test', JWT_SECRET: secret, JWT_PREVIOUS_SECRETS: previous, AUDIT_KEY: 'a'.repeat(40) });
const claims = { sub: '7', tv: 2 };

describe('access tokens and signing keys', () => {
  it('names the signing key in the header by a fingerprint, never the key itself', () => {
    const { token } = signAccessToken(config(NEW), claims);
    const header = jwt.decode(token, { complete: true })!.header;
    expect(header).toMatchObject({ alg: 'HS256', kid: keyId(NEW) });
    expect(keyId(NEW)).toBe(createHash('sha256').update(NEW).digest('hex').slice(0, 16));
    expect(token).not.toContain(NEW);
    expect(verifyAccessToken(config(NEW), token)).toMatchObject(claims);
  });

  it('accepts tokens of a previous key until it is removed', () => {
    const before = signAccessToken(config(OLD), claims).token;
    const rotated = config(NEW, ` ${OLD} , `);
    expect(rotated.jwt.previousSecrets).toEqual([OLD]);
    expect(verifyAccessToken(rotated, before)).toMatchObject(claims);
    // New tokens are signed with the new key only.
    const after = signAccessToken(rotated, claims).token;
    expect(jwt.decode(after, { complete: true })!.header.kid).toBe(keyId(NEW));
    expect(verifyAccessToken(config(OLD), after)).toBeNull();
    expect(verifyAccessToken(config(NEW), before)).toBeNull();
  });

  it('refuses a token without kid, with an unknown kid, or with the kid of another key', () => {
    const options = { algorithm: 'HS256' as const, issuer: 'metergraph', audience: 'metergraph-api', subject: '7' };
    const noKid = jwt.sign({ tv: 2 }, NEW, options);
    expect(verifyAccessToken(config(NEW), noKid)).toBeNull();
    const unknown = jwt.sign({ tv: 2 }, NEW, { ...options, keyid: 'ffffffffffffffff' });
    expect(verifyAccessToken(config(NEW), unknown)).toBeNull();
    // Signed with the old key but naming the current one: the signature does not match.
    const mislabelled = jwt.sign({ tv: 2 }, OLD, { ...options, keyid: keyId(NEW) });
    expect(verifyAccessToken(config(NEW, OLD), mislabelled)).toBeNull();
    expect(verifyAccessToken(config(NEW), jwt.sign({ tv: 2 }, NEW, { ...options, keyid: keyId(NEW) }))).toMatchObject(
      claims,
    );
  });

  it('checks every previous key for length', () => {
    expect(() => config(NEW, `${OLD},short`)).toThrow(/JWT_PREVIOUS_SECRETS.1: every key must be at least 32/);
  });
});
