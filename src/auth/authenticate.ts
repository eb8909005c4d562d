import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.js';
import { MeterAssignment, Role, RolePermission, User } from '../orm/entities/index.js';
import { unauthenticated } from '../shared/errors.js';
import { buildAbility, type Principal } from './ability.js';
import { Access } from './access.js';
import type { PermissionRule } from './permissions.js';
import { sessionRefusal } from './login-guard.js';
import { verifyAccessToken } from './tokens.js';

/** Reads "Bearer <token>" (case-insensitive scheme); anything else is treated as no token. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

// Rules change rarely and are read on every request: kept per database for RULES_TTL_MS, and
// dropped at once in this process when an admin changes them (other processes follow within the TTL).
const RULES_TTL_MS = 10_000;
const rulesCache = new WeakMap<object, Map<Role, { rules: PermissionRule[]; at: number }>>();

export function invalidateRules(em: EntityManager): void {
  rulesCache.delete(em.getDriver());
}

export async function loadRules(em: EntityManager, role: Role): Promise<PermissionRule[]> {
  const perDb = rulesCache.get(em.getDriver()) ?? new Map();
  rulesCache.set(em.getDriver(), perDb);
  const hit = perDb.get(role);
  if (hit && Date.now() - hit.at < RULES_TTL_MS) return hit.rules;
  const rules = await readRules(em, role);
  perDb.set(role, { rules, at: Date.now() });
  return rules;
}

async function readRules(em: EntityManager, role: Role): Promise<PermissionRule[]> {
  const rows = await em.find(RolePermission, { role }, { orderBy: { id: 'asc' } });
  return rows.map((r) => ({
    action: r.action as PermissionRule['action'],
    subject: r.subject as PermissionRule['subject'],
    fields: r.fields ?? undefined,
    inverted: r.inverted,
    scope: r.scope,
  }));
}

export async function accessFor(em: EntityManager, user: User): Promise<Access> {
  const who: Principal = { orgPath: user.orgUnit.path };
  if (user.role === Role.CUSTOMER && user.customer) {
    who.customerId = user.customer.id;
    const assignments = await em.find(
      MeterAssignment,
      { servicePoint: { customer: user.customer.id } },
      { fields: ['meter'] },
    );
    who.customerMeterIds = [...new Set(assignments.map((a) => a.meter.id))];
  }
  return new Access(user, buildAbility(await loadRules(em, user.role), who), who);
}

/**
 * Resolves the Authorization header to an Access. No header: anonymous (public fields such as
 * `login` still work). A header with a bad, expired or revoked token: UNAUTHENTICATED, so that a
 * client notices instead of silently seeing less.
 */
/**
 * For long-lived connections (WebSocket): a check that the session behind a token is still valid
 * (not expired, user active, not revoked). The database is asked at most every `ttlMs`.
 */
export function sessionCheck(
  em: EntityManager,
  config: Config,
  header: unknown,
  ip: string | undefined,
  ttlMs = 5000,
): () => Promise<boolean> {
  const claims = verifyAccessToken(config, bearerToken(header) ?? '');
  let checkedAt = 0;
  let valid = claims !== null;
  return async () => {
    if (!claims || (claims.exp !== undefined && claims.exp * 1000 <= Date.now())) return false;
    if (Date.now() - checkedAt >= ttlMs) {
      const fork = em.fork();
      const user = await fork.findOne(User, { id: Number(claims.sub) }, { populate: ['orgUnit'] });
      valid = !!user && user.tokenVersion === claims.tv && (await sessionRefusal(fork, config, user, ip)) === null;
      checkedAt = Date.now();
    }
    return valid;
  };
}

export async function authenticate(
  em: EntityManager,
  config: Config,
  header: unknown,
  ip: string | undefined,
): Promise<Access> {
  const token = bearerToken(header);
  if (!token) {
    if (header !== undefined && header !== null && header !== '')
      throw unauthenticated('Malformed Authorization header');
    return Access.anonymous();
  }
  const claims = verifyAccessToken(config, token);
  if (!claims) throw unauthenticated('Invalid or expired access token');
  const user = await em.findOne(User, { id: Number(claims.sub) }, { populate: ['orgUnit', 'customer'] });
  if (!user || user.tokenVersion !== claims.tv) throw unauthenticated('Session is no longer valid');
  // The login policy holds for the whole session: an expired account, an address outside the
  // allowed ranges or a closed time window ends it.
  const refused = await sessionRefusal(em, config, user, ip);
  if (refused)
    throw unauthenticated(refused === 'inactive' ? 'Session is no longer valid' : `Session refused (${refused})`);
  return accessFor(em, user);
}
