import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { accessFor } from '../../auth/authenticate.js';
import { dummyHash, verifyPassword } from '../../auth/password.js';
import { createLoaders } from '../common/loaders.js';
import { hashRefreshToken, newRefreshToken, signAccessToken } from '../../auth/tokens.js';
import { RefreshToken, User } from '../../orm/entities/index.js';
import { unauthenticated } from '../../shared/errors.js';
import type { Context } from '../common/context.js';
import type { LoginInput } from './session.type.js';
import { actorOf } from '../../auth/audit/trail.js';

// One message for every failure, so that a caller cannot tell a wrong user from a wrong password.
const LOGIN_FAILED = 'Invalid username or password';

/** From here on the request acts as the signed-in user, so the payload's `user { ... }` resolves. */
async function actAs<T>(ctx: Context, user: User, result: T): Promise<T> {
  ctx.access = await accessFor(ctx.em, user);
  ctx.loaders = createLoaders(ctx.em, ctx.access, ctx.config.defaultTimeZone);
  return result;
}

async function issue(ctx: Context, em: EntityManager, user: User, familyId: string) {
  const access = signAccessToken(ctx.config, { sub: String(user.id), tv: user.tokenVersion });
  const refresh = newRefreshToken();
  em.create(RefreshToken, {
    id: randomUUID(),
    user,
    familyId,
    tokenHash: refresh.hash,
    expiresAt: new Date(Date.now() + ctx.config.jwt.refreshTtl * 1000),
  });
  await em.flush();
  return { accessToken: access.token, expiresAt: access.expiresAt, refreshToken: refresh.token, user };
}

export async function login(ctx: Context, input: LoginInput) {
  const user = await ctx.em.findOne(
    User,
    { username: input.username },
    { populate: ['passwordHash', 'orgUnit', 'customer'] },
  );
  // Verify against a dummy hash when the user is unknown so both paths cost the same.
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password.slice(0, 256));
  if (!user || !ok || !user.active) {
    ctx.logger.warn({ event: 'login_failed', username: input.username.slice(0, 64), ip: ctx.ip }, 'login failed');
    ctx.audit?.record({
      action: 'login_failed',
      outcome: 'UNAUTHENTICATED',
      actor: null,
      details: {
        username: input.username.slice(0, 64),
        reason: !user ? 'unknown user' : !ok ? 'password' : 'inactive',
      },
    });
    throw unauthenticated(LOGIN_FAILED);
  }
  user.lastLoginAt = new Date();
  const result = await ctx.em.transactional((em) => issue(ctx, em, user, randomUUID()));
  ctx.logger.info({ event: 'login', userId: user.id, ip: ctx.ip }, 'login');
  ctx.audit?.record({ action: 'login', outcome: 'OK', actor: actorOf(user), details: {} });
  return actAs(ctx, user, result);
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
  const result = await ctx.em.transactional(async (em) => {
    // Conditional update: of two concurrent refreshes with the same token only one wins.
    const won = await em.nativeUpdate(RefreshToken, { id: row.id, revokedAt: null }, { revokedAt: new Date() });
    if (!won || !row.user.active) throw unauthenticated('Invalid or expired refresh token');
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
