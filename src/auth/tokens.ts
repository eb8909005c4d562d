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
}

const ALGORITHM = 'HS256' as const;

export function signAccessToken(config: Config, claims: AccessClaims): { token: string; expiresAt: Date } {
  const token = jwt.sign({ tv: claims.tv }, config.jwt.secret, {
    algorithm: ALGORITHM,
    subject: claims.sub,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    expiresIn: config.jwt.accessTtl,
  });
  const { exp } = jwt.decode(token) as { exp: number };
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Verifies signature (algorithm pinned), issuer, audience and expiry. Returns null when invalid. */
export function verifyAccessToken(config: Config, token: string): AccessClaims | null {
  try {
    const payload = jwt.verify(token, config.jwt.secret, {
      algorithms: [ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    }) as jwt.JwtPayload;
    if (typeof payload.sub !== 'string' || typeof payload.tv !== 'number') return null;
    return { sub: payload.sub, tv: payload.tv, exp: payload.exp };
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
