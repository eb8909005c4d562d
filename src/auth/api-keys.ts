import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../orm/entities/index.js';

/**
 * API keys: `mgk_<prefix>_<secret>`. The prefix finds the key's row and names it in logs and
 * lists; the secret (32 random bytes) is checked against its stored SHA-256 in constant time. A
 * slow hash would add nothing: the secret is random, not chosen by a person.
 */
const PATTERN = /^mgk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export const isApiKey = (token: string) => token.startsWith('mgk_');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(8).toString('hex').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { key: `mgk_${prefix}_${secret}`, prefix, secretHash: sha256(secret) };
}

/** The live key a presented token belongs to (user populated), or null. */
export async function findApiKey(em: EntityManager, token: string, now = new Date()): Promise<ApiKey | null> {
  const match = PATTERN.exec(token);
  if (!match) return null;
  const [, prefix, secret] = match;
  const key = await em.findOne(
    ApiKey,
    { prefix: prefix! },
    { populate: ['secretHash', 'user', 'user.orgUnit', 'user.customer'] },
  );
  // Hash and compare even when no key has this prefix, so both cases take the same time.
  const presented = Buffer.from(sha256(secret!), 'hex');
  const stored = Buffer.from(key?.secretHash ?? sha256(''), 'hex');
  if (!timingSafeEqual(presented, stored) || !key) return null;
  if (key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
  return key;
}

/** Notes when a key was last used; at most once a minute per key, so reads do not all write. */
export async function touchApiKey(em: EntityManager, key: ApiKey, now = new Date()): Promise<void> {
  if (key.lastUsedAt && now.getTime() - key.lastUsedAt.getTime() < 60_000) return;
  await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
}
