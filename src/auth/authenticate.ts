import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.js';
import type { ApiKey } from '../orm/entities/index.js';
import {
  MeterAssignment,
  MeterCollection,
  PermissionScope,
  Role,
  RolePermission,
  SharingGrant,
  User,
} from '../orm/entities/index.js';
import { unauthenticated } from '../shared/errors.js';
import { buildAbility, type GrantScope, type Principal } from './ability.js';
import { Access } from './access.js';
import type { PermissionRule, ShareableSubject } from './permissions.js';
import { findApiKey, isApiKey, touchApiKey } from './api-keys.js';
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

/** A rule set that reads every row of every subject already: a grant could add nothing to it. */
const readsEverything = (rules: PermissionRule[]) =>
  rules.some(
    (r) =>
      (r.action === 'manage' || r.action === 'read') &&
      r.subject === 'all' &&
      r.scope === PermissionScope.ALL &&
      !r.inverted &&
      !r.fields?.length,
  );

/**
 * The sharing grants that reach a user now: not revoked, not expired, given to their unit or an
 * ancestor of it (the ids are in the user's own path), or to the user. One query on the partial
 * indexes, on every request: a grant revoked or expired is gone on the user's next request, in
 * every process. Customers receive no grants (they see their own account only).
 */
async function activeGrants(em: EntityManager, user: User): Promise<GrantScope[]> {
  if (user.role === Role.CUSTOMER) return [];
  const units = user.orgUnit.path.split('/').filter(Boolean).map(Number);
  const rows = await em.find(
    SharingGrant,
    {
      revokedAt: null,
      expiresAt: { $gt: new Date() },
      $or: [{ granteeUnit: { $in: units } }, { granteeUser: user.id }],
    },
    { populate: ['sourceUnit'], strategy: 'joined', orderBy: { id: 'asc' } },
  );
  return rows.map((g) => ({
    id: g.id,
    path: g.sourceUnit.path,
    shares: g.shares.map((s) => ({ subject: s.subject as ShareableSubject, fields: s.fields })),
    expiresAt: g.expiresAt,
  }));
}

/**
 * The permissions of a user: their role's rules in their scope, the sharing grants that reach them
 * and, for an API key limited to some channels, only those channels' meters.
 */
export async function accessFor(em: EntityManager, user: User, channelIds?: number[]): Promise<Access> {
  const who: Principal = { orgPath: user.orgUnit.path, userId: user.id };
  if (channelIds) {
    const meters = channelIds.length
      ? await em.find(MeterCollection, { channel: { $in: channelIds } }, { fields: ['meter'] })
      : [];
    who.channels = { ids: channelIds, meterIds: meters.map((m) => m.meter.id) };
  }
  if (user.role === Role.CUSTOMER && user.customer) {
    who.customerId = user.customer.id;
    const assignments = await em.find(
      MeterAssignment,
      { servicePoint: { customer: user.customer.id } },
      { fields: ['meter'] },
    );
    who.customerMeterIds = [...new Set(assignments.map((a) => a.meter.id))];
  }
  const rules = await loadRules(em, user.role);
  if (!readsEverything(rules)) who.grants = await activeGrants(em, user);
  return new Access(user, buildAbility(rules, who), who);
}

/** How often a running subscription rebuilds its permissions (and re-checks its session). */
export const SESSION_RECHECK_MS = 5000;

/**
 * For long-lived operations (subscriptions): the caller's Access, rebuilt from the database at
 * most every `ttlMs`, so that a grant revoked (or given) since the subscription started, and
 * changed role rules, apply to it within that bound. An expired grant needs no rebuild: its rules
 * stop matching at `expiresAt` (see `allowsEvent`).
 */
export function accessRenewal(em: EntityManager, access: Access, ttlMs = SESSION_RECHECK_MS): () => Promise<Access> {
  let current = access;
  let builtAt = Date.now();
  return async () => {
    const user = current.user;
    if (user && Date.now() - builtAt >= ttlMs) {
      builtAt = Date.now();
      current = await accessFor(em.fork(), user, current.channelIds);
    }
    return current;
  };
}

/**
 * For long-lived connections (WebSocket): a check that the session behind a token (or API key) is
 * still valid: not expired, not revoked, the user active, the login policy still met. The database
 * is asked at most every `ttlMs`.
 */
export function sessionCheck(
  em: EntityManager,
  config: Config,
  header: unknown,
  ip: string | undefined,
  ttlMs = SESSION_RECHECK_MS,
): () => Promise<boolean> {
  const token = bearerToken(header) ?? '';
  const claims = isApiKey(token) ? undefined : verifyAccessToken(config, token);
  let checkedAt = 0;
  let valid = claims !== null;
  return async () => {
    if (claims === null || (claims?.exp !== undefined && claims.exp * 1000 <= Date.now())) return false;
    if (Date.now() - checkedAt >= ttlMs) {
      valid = await principalOf(em.fork(), config, token, ip).then(
        () => true,
        () => false,
      );
      checkedAt = Date.now();
    }
    return valid;
  };
}

/**
 * Who a token stands for: the signed-in user (access token), or an API key's service account with
 * the key's channels. Throws UNAUTHENTICATED for a bad, expired or revoked token or key, and for a
 * session the login policy no longer allows (an expired account, an address outside the allowed
 * ranges, a closed time window).
 */
async function principalOf(
  em: EntityManager,
  config: Config,
  token: string,
  ip: string | undefined,
): Promise<{ user: User; channelIds?: number[]; apiKey?: ApiKey; enrollmentOnly?: boolean }> {
  let found: { user: User; channelIds?: number[]; apiKey?: ApiKey; enrollmentOnly?: boolean };
  if (isApiKey(token)) {
    const apiKey = await findApiKey(em, token);
    if (!apiKey) throw unauthenticated('Invalid, expired or revoked API key');
    found = { user: apiKey.user, channelIds: apiKey.channelIds ?? undefined, apiKey };
  } else {
    const claims = verifyAccessToken(config, token);
    if (!claims) throw unauthenticated('Invalid or expired access token');
    const user = await em.findOne(User, { id: Number(claims.sub) }, { populate: ['orgUnit', 'customer'] });
    if (!user || user.tokenVersion !== claims.tv) throw unauthenticated('Session is no longer valid');
    found = { user, enrollmentOnly: claims.enr };
  }
  const refused = await sessionRefusal(em, config, found.user, ip);
  if (refused)
    throw unauthenticated(refused === 'inactive' ? 'Session is no longer valid' : `Session refused (${refused})`);
  return found;
}

/**
 * Resolves the Authorization header to an Access. No header: anonymous (public fields such as
 * `login` still work). A header with a bad, expired or revoked token, or a session the login policy
 * no longer allows: UNAUTHENTICATED, so that a client notices instead of silently seeing less.
 */
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
  const { user, channelIds, apiKey, enrollmentOnly } = await principalOf(em, config, token, ip);
  if (apiKey) await touchApiKey(em, apiKey);
  const access = await accessFor(em, user, channelIds);
  access.enrollmentOnly = enrollmentOnly === true;
  return access;
}
