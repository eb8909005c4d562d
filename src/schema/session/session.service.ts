import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { accessFor } from '../../auth/authenticate.js';
import { dummyHash, verifyPassword } from '../../auth/password.js';
import { type Context, createLoaders } from '../common/index.js';
import { hashRefreshToken, newRefreshToken, signAccessToken } from '../../auth/tokens.js';
import {
  accountKey,
  addressKey,
  clearFailures,
  customerKey,
  defaultRules,
  lockedFor,
  loginRulesFor,
  recordFailure,
  sessionRefusal,
} from '../../auth/login-guard.js';
import { RefreshToken, Role, User } from '../../orm/entities/index.js';
import { AppError, ErrorCode, forbidden, unauthenticated } from '../../shared/errors.js';
import type { CustomerLoginInput, LoginInput } from './session.type.js';
import { actorOf } from '../../auth/audit/trail.js';
import { checkTotp } from '../../auth/totp.js';
import { SealedColumn } from '../../shared/personal-data.js';

// One message for every failure, so that a caller cannot tell a wrong user from a wrong password.
const LOGIN_FAILED = 'Invalid login name or password';

/** From here on the request acts as the signed-in user, so the payload's `user { ... }` resolves. */
async function actAs<T>(ctx: Context, user: User, result: T): Promise<T> {
  ctx.access = await accessFor(ctx.em, user);
  ctx.loaders = createLoaders(ctx.em, ctx.access, ctx.config.defaultTimeZone);
  return result;
}

/**
 * A new token pair. A user whose policy asks for a one-time code but who has none set up yet gets
 * an enrollment-only pair: it reaches nothing but setting one up.
 */
async function issue(ctx: Context, em: EntityManager, user: User, familyId: string) {
  const rules = await loginRulesFor(ctx.em, ctx.config, user);
  const enrollmentOnly = rules.requireTotp && !user.totpEnabledAt;
  const access = signAccessToken(ctx.config, { sub: String(user.id), tv: user.tokenVersion, enr: enrollmentOnly });
  const refresh = newRefreshToken();
  em.create(RefreshToken, {
    id: randomUUID(),
    user,
    familyId,
    tokenHash: refresh.hash,
    expiresAt: new Date(Date.now() + ctx.config.jwt.refreshTtl * 1000),
  });
  await em.flush();
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: refresh.token,
    totpEnrollmentRequired: enrollmentOnly,
    user,
  };
}

/** The kinds of user each login door admits: staff by username, customers by account number. */
const STAFF_ONLY = (user: User) => user.role !== Role.CUSTOMER && user.role !== Role.COLLECTOR_SERVICE;
const CUSTOMERS_ONLY = (user: User) => user.role === Role.CUSTOMER;

interface Attempt {
  /** What the caller typed to name the account (for the counter and the audit record). */
  name: string;
  throttleKey: string;
  find: () => Promise<User | null>;
  admits: (user: User) => boolean;
  password: string;
  totpCode?: string | null;
}

/**
 * One login attempt through either door. Refused at once while the account name or the address is
 * locked out. The password is always verified (against a dummy hash for an unknown name) so that
 * unknown and known names cost the same; every failure counts toward a lockout of the name and of
 * the address, and is answered with the same message. Only after the password is right are the
 * policy's address and time rules checked (they then tell the user why).
 */
async function attempt(ctx: Context, a: Attempt) {
  const keys = [a.throttleKey, addressKey(ctx.ip)];
  await refuseIfLocked(ctx, a, keys);
  const user = await a.find();
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), a.password.slice(0, 256));
  const reason = !user ? 'unknown' : !ok ? 'password' : !a.admits(user) ? 'wrong login for this kind of user' : null;
  const refused = user && !reason ? await sessionRefusal(ctx.em, ctx.config, user, ctx.ip) : null;
  // Locked meanwhile (a concurrent failure): answered as a lockout.
  if (refused === 'locked') await refuseIfLocked(ctx, a, keys);
  if (reason || refused === 'inactive' || refused === 'expired' || refused === 'locked') {
    await failed(ctx, a, user, keys, reason ?? refused!);
    throw unauthenticated(LOGIN_FAILED);
  }
  if (refused) {
    ctx.audit?.record({
      action: 'login_refused',
      outcome: 'FORBIDDEN',
      actor: actorOf(user),
      details: { reason: refused },
    });
    throw forbidden(
      refused === 'address' ? 'Login is not allowed from this address' : 'Login is not allowed at this time',
    );
  }
  // A user with a one-time code set up gives it at every login, whatever the policy.
  if (user!.totpEnabledAt) {
    if (!a.totpCode) {
      ctx.audit?.record({
        action: 'login_failed',
        outcome: 'UNAUTHENTICATED',
        actor: actorOf(user),
        details: { reason: 'one-time code missing' },
      });
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'A one-time code is required', { totpRequired: true });
    }
    const secret = ctx.personalData.open(SealedColumn.USER_TOTP_SECRET, user!.totpSecretSealed!);
    const step = await checkTotp(secret, a.totpCode, user!.totpLastStep);
    if (step === null) {
      await failed(ctx, a, user, keys, 'one-time code');
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid one-time code', { totpRequired: true });
    }
    user!.totpLastStep = step;
  }
  await clearFailures(ctx.em, a.throttleKey);
  user!.lastLoginAt = new Date();
  const result = await ctx.em.transactional((em) => issue(ctx, em, user!, randomUUID()));
  ctx.logger.info({ event: 'login', userId: user!.id, ip: ctx.ip }, 'login');
  ctx.audit?.record({ action: 'login', outcome: 'OK', actor: actorOf(user), details: {} });
  return actAs(ctx, user!, result);
}

/** Refuses the attempt, without looking at the password, while the name or the address is locked out. */
async function refuseIfLocked(ctx: Context, a: Attempt, keys: string[]) {
  const retryAfter = await lockedFor(ctx.em, keys);
  if (retryAfter <= 0) return;
  ctx.audit?.record({
    action: 'login_failed',
    outcome: 'RATE_LIMITED',
    actor: null,
    details: { name: a.name, reason: 'locked' },
  });
  throw new AppError(ErrorCode.RATE_LIMITED, 'Too many failed logins; try again later', { retryAfter });
}

/** Counts a failed login against the name and the address, and records the lockouts it starts. */
async function failed(ctx: Context, a: Attempt, user: User | null, keys: string[], reason: string) {
  const rules = user ? await loginRulesFor(ctx.em, ctx.config, user) : defaultRules(ctx.config);
  const account = await recordFailure(ctx.em, ctx.config, keys[0]!, rules);
  const address = await recordFailure(ctx.em, ctx.config, keys[1]!, {
    ...defaultRules(ctx.config),
    maxFailures: ctx.config.login.addressMaxFailures,
  });
  ctx.logger.warn({ event: 'login_failed', name: a.name, ip: ctx.ip, reason }, 'login failed');
  ctx.audit?.record({
    action: 'login_failed',
    outcome: 'UNAUTHENTICATED',
    actor: null,
    details: { name: a.name, reason },
  });
  for (const [what, counted] of [
    ['account', account],
    ['address', address],
  ] as const) {
    if (!counted.lockSeconds) continue;
    ctx.logger.warn({ event: 'login_locked', what, name: a.name, ip: ctx.ip, ...counted }, 'login locked out');
    ctx.audit?.record({
      action: 'login_locked',
      outcome: 'RATE_LIMITED',
      actor: null,
      details: { locked: what, name: a.name, failures: counted.failures, seconds: counted.lockSeconds },
    });
  }
}

export function login(ctx: Context, input: LoginInput) {
  const name = input.username.slice(0, 64);
  return attempt(ctx, {
    name,
    throttleKey: accountKey(name),
    find: () =>
      ctx.em.findOne(
        User,
        { username: name },
        { populate: ['passwordHash', 'totpSecretSealed', 'orgUnit', 'customer'] },
      ),
    admits: STAFF_ONLY,
    password: input.password,
    totpCode: input.totpCode,
  });
}

/** Customers sign in with their account number into the self-service scope (their own account). */
export function customerLogin(ctx: Context, input: CustomerLoginInput) {
  const accountNo = input.accountNo.slice(0, 64);
  return attempt(ctx, {
    name: accountNo,
    throttleKey: customerKey(accountNo),
    find: () =>
      ctx.em.findOne(
        User,
        { role: Role.CUSTOMER, customer: { accountNo } },
        {
          populate: ['passwordHash', 'totpSecretSealed', 'orgUnit', 'customer'],
          orderBy: { active: 'desc', id: 'asc' },
        },
      ),
    admits: CUSTOMERS_ONLY,
    password: input.password,
    totpCode: input.totpCode,
  });
}

/**
 * Rotates a refresh token. Presenting one that was already used means it leaked: the whole family
 * (every token descended from that login) is revoked.
 */
export async function refresh(ctx: Context, token: string) {
  const row = await ctx.em.findOne(
    RefreshToken,
    { tokenHash: hashRefreshToken(token) },
    { populate: ['user', 'user.orgUnit', 'user.customer'] },
  );
  if (!row || row.expiresAt < new Date()) throw unauthenticated('Invalid or expired refresh token');
  if (row.revokedAt) {
    // Outside any transaction that the error below would roll back.
    await ctx.em.nativeUpdate(RefreshToken, { familyId: row.familyId, revokedAt: null }, { revokedAt: new Date() });
    ctx.logger.warn({ event: 'refresh_reuse', userId: row.user.id, ip: ctx.ip }, 'refresh token reuse: family revoked');
    ctx.audit?.record({
      action: 'refresh_token_reuse',
      outcome: 'UNAUTHENTICATED',
      actor: actorOf(row.user),
      details: { family: row.familyId, revoked: 'family' },
    });
    throw unauthenticated('Invalid or expired refresh token');
  }
  // The login policy holds at refresh as at login: no new tokens for an expired account, from a
  // refused address, outside the time windows, or while the account is locked out.
  const user = row.user;
  const refused = await sessionRefusal(ctx.em, ctx.config, user, ctx.ip);
  if (refused) {
    ctx.audit?.record({
      action: 'refresh_refused',
      outcome: 'UNAUTHENTICATED',
      actor: actorOf(user),
      details: { reason: refused },
    });
    throw unauthenticated('Invalid or expired refresh token');
  }
  const result = await ctx.em.transactional(async (em) => {
    // Conditional update: of two concurrent refreshes with the same token only one wins.
    const won = await em.nativeUpdate(RefreshToken, { id: row.id, revokedAt: null }, { revokedAt: new Date() });
    if (!won) throw unauthenticated('Invalid or expired refresh token');
    return issue(ctx, em, row.user, row.familyId);
  });
  return actAs(ctx, result.user, result);
}

export async function logout(ctx: Context, token: string) {
  const row = await ctx.em.findOne(RefreshToken, { tokenHash: hashRefreshToken(token) }, { populate: ['user'] });
  if (row) {
    await ctx.em.nativeUpdate(RefreshToken, { familyId: row.familyId, revokedAt: null }, { revokedAt: new Date() });
    ctx.audit?.record({ action: 'logout', outcome: 'OK', actor: actorOf(row.user), details: { family: row.familyId } });
  }
  return { ok: true };
}
