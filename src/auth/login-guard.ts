import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.js';
import { LoginPolicy, Role, type User } from '../orm/entities/index.js';
import { effectiveTimeZones } from '../orm/org-time-zone.js';
import { lockoutSeconds, refusal, type LoginRules } from './login-policy.js';

/**
 * Applies login policies: which rules hold for a user, whether a session may open or go on, and
 * the failed-login counters behind lockouts.
 */

// Policies are read on every request: kept per database for POLICY_TTL_MS, dropped at once in this
// process when an admin changes one (other processes follow within the TTL).
const POLICY_TTL_MS = 10_000;
const policyCache = new WeakMap<object, Map<string, { policy: LoginPolicy | null; at: number }>>();

export function invalidateLoginPolicies(em: EntityManager): void {
  policyCache.delete(em.getDriver());
}

async function storedPolicy(em: EntityManager, key: string, where: { user: number } | { role: Role }) {
  const perDb = policyCache.get(em.getDriver()) ?? new Map();
  policyCache.set(em.getDriver(), perDb);
  const hit = perDb.get(key);
  if (hit && Date.now() - hit.at < POLICY_TTL_MS) return hit.policy;
  const policy = await em.fork().findOne(LoginPolicy, where);
  perDb.set(key, { policy, at: Date.now() });
  return policy;
}

/** The rules of a role (or a name not known) without a policy: LOGIN_* settings. */
export function defaultRules(config: Config, role?: Role): LoginRules {
  return {
    allowedCidrs: null,
    windows: null,
    requireTotp: role === Role.ADMIN && config.login.adminTotp,
    maxFailures: config.login.maxFailures,
    lockoutSeconds: config.login.lockoutSeconds,
    lockoutMaxSeconds: config.login.lockoutMaxSeconds,
  };
}

export const rulesOf = (p: LoginPolicy): LoginRules => ({
  allowedCidrs: p.allowedCidrs?.length ? p.allowedCidrs : null,
  windows: p.windows?.length ? p.windows : null,
  requireTotp: p.requireTotp,
  maxFailures: p.maxFailures,
  lockoutSeconds: p.lockoutSeconds,
  lockoutMaxSeconds: p.lockoutMaxSeconds,
});

/** The user's own policy, else their role's, else the server defaults. */
export async function loginRulesFor(em: EntityManager, config: Config, user: Pick<User, 'id' | 'role'>) {
  const policy =
    (await storedPolicy(em, `user:${user.id}`, { user: user.id })) ??
    (await storedPolicy(em, `role:${user.role}`, { role: user.role }));
  return policy ? rulesOf(policy) : defaultRules(config, user.role);
}

type SessionUser = Pick<User, 'id' | 'role' | 'active' | 'expiresAt' | 'orgUnit' | 'username' | 'customer'>;

/**
 * Why this user may not have a session from this address now ('inactive', 'expired', 'locked',
 * 'address', 'time'); null when they may. Checked at login, refresh, WebSocket connection_init and
 * on every request, so that a session ends when the account expires, is locked out by failed
 * logins, or its window closes.
 */
export async function sessionRefusal(
  em: EntityManager,
  config: Config,
  user: SessionUser,
  ip: string | undefined,
  now = new Date(),
): Promise<string | null> {
  if (!user.active) return 'inactive';
  if (user.expiresAt && user.expiresAt <= now) return 'expired';
  if ((await lockedFor(em, [throttleKeyOf(user)], now)) > 0) return 'locked';
  const rules = await loginRulesFor(em, config, user);
  if (!rules.allowedCidrs && !rules.windows) return null;
  const [zone] = rules.windows
    ? await effectiveTimeZones(em, [user.orgUnit.path], config.defaultTimeZone)
    : [config.defaultTimeZone];
  return refusal(rules, ip, now, zone!);
}

// Failed-login counters. Keys are what the caller typed (or their address), known account or not.
export const accountKey = (username: string) => `account:${username.toLowerCase().slice(0, 150)}`;
export const customerKey = (accountNo: string) => `customer:${accountNo.slice(0, 150)}`;
export const addressKey = (ip: string | undefined) => `address:${ip ?? 'unknown'}`;

/** The failed-login counter a user's logins go to (the name they type at their door). */
export const throttleKeyOf = (user: Pick<User, 'role' | 'username' | 'customer'>) =>
  user.role === Role.CUSTOMER && user.customer ? customerKey(user.customer.accountNo) : accountKey(user.username);

/** Seconds until every one of the keys is unlocked; 0 when none is locked. */
export async function lockedFor(em: EntityManager, keys: string[], now = new Date()): Promise<number> {
  const rows = await em.execute<{ locked_until: Date | string }[]>(
    `select locked_until from login_throttle where key in (${keys.map(() => '?').join(', ')}) and locked_until > ?`,
    [...keys, now],
  );
  const until = Math.max(0, ...rows.map((r) => new Date(r.locked_until).getTime()));
  return until ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

/**
 * Counts a failure on a key; locks it once the rules say so. Counters restart after
 * LOGIN_FAILURE_MEMORY_SECONDS without a failure. Returns the lockout just set (seconds, 0 if none)
 * and the count.
 */
export async function recordFailure(
  em: EntityManager,
  config: Config,
  key: string,
  rules: Pick<LoginRules, 'maxFailures' | 'lockoutSeconds' | 'lockoutMaxSeconds'>,
  now = new Date(),
): Promise<{ failures: number; lockSeconds: number }> {
  const forgetBefore = new Date(now.getTime() - config.login.failureMemorySeconds * 1000);
  // One statement, so that concurrent failures each count.
  const [row] = await em.execute<{ failures: number }[]>(
    `insert into login_throttle (key, failures, last_failure_at) values (?, 1, ?)
     on conflict (key) do update set
       failures = case when login_throttle.last_failure_at < ? then 1 else login_throttle.failures + 1 end,
       last_failure_at = excluded.last_failure_at
     returning failures`,
    [key, now, forgetBefore],
  );
  const failures = Number(row!.failures);
  const lockSeconds = lockoutSeconds(failures, rules);
  if (lockSeconds > 0) {
    await em.execute(`update login_throttle set locked_until = ? where key = ?`, [
      new Date(now.getTime() + lockSeconds * 1000),
      key,
    ]);
  }
  return { failures, lockSeconds };
}

/** A successful login clears its account's counter (an address's counter runs on). */
export async function clearFailures(em: EntityManager, key: string): Promise<void> {
  await em.execute(`delete from login_throttle where key = ?`, [key]);
}
