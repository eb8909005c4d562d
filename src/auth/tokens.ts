import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config/config.js';

export interface AccessClaims {
  /** user id */
  sub: string;
  /** token version: a token from before the user's last revoke is refused */
  tv: number;
  /** expiry, seconds since the epoch (set on verified tokens) */
  exp?: number;
  /**
   * Enrollment only: the user must set up a one-time code (TOTP) before anything else; such a
   * token reaches `me`, `enrollTotp`, `confirmTotp` and `logout` only.
   */
  enr?: boolean;
}

const ALGORITHM = 'HS256' as const;

/**
 * A key's id in the token header (`kid`): the first 16 hex digits of its SHA-256, so that a token
 * names the key that verifies it without revealing anything about the key.
 */
export const keyId = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16);

// The verification keys by id, computed once per configuration.
const keyring = new WeakMap<Config['jwt'], Map<string, string>>();

function verificationKeys(jwtConfig: Config['jwt']): Map<string, string> {
  let keys = keyring.get(jwtConfig);
  if (!keys) {
    // The current key wins over a previous one with the same id (the same key listed twice).
    keys = new Map([...jwtConfig.previousSecrets, jwtConfig.secret].map((secret) => [keyId(secret), secret]));
    keyring.set(jwtConfig, keys);
  }
  return keys;
}

export function signAccessToken(config: Config, claims: AccessClaims): { token: string; expiresAt: Date } {
  const token = jwt.sign({ tv: claims.tv, ...(claims.enr ? { enr: true } : {}) }, config.jwt.secret, {
    algorithm: ALGORITHM,
    keyid: keyId(config.jwt.secret),
    subject: claims.sub,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    expiresIn: config.jwt.accessTtl,
  });
  const { exp } = jwt.decode(token) as { exp: number };
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies signature (algorithm pinned, key chosen by the header's `kid` among the current and
 * previous keys), issuer, audience and expiry. Returns null when invalid, also for a token without
 * `kid` or with an unknown one.
 */
export function verifyAccessToken(config: Config, token: string): AccessClaims | null {
  try {
    const kid = jwt.decode(token, { complete: true })?.header.kid;
    const secret = typeof kid === 'string' ? verificationKeys(config.jwt).get(kid) : undefined;
    if (!secret) return null;
    const payload = jwt.verify(token, secret, {
      algorithms: [ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    }) as jwt.JwtPayload;
    if (typeof payload.sub !== 'string' || typeof payload.tv !== 'number') return null;
    return { sub: payload.sub, tv: payload.tv, exp: payload.exp, ...(payload.enr === true ? { enr: true } : {}) };
  } catch {
    return null;
  }
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');
