import { z } from 'zod';
import { checkTotp, newTotpSecret, totpUri } from '../../auth/totp.js';
import { User } from '../../orm/entities/index.js';
import { badField, conflict } from '../../shared/errors.js';
import { SealedColumn } from '../../shared/personal-data.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted } from '../common/index.js';
import { checkGrant, endAllSessions } from './user.service.js';

const ISSUER = 'Metergraph';

async function signedInWithSecret(ctx: Context): Promise<User> {
  const id = ctx.access.requireUser().id;
  return ctx.em.findOneOrFail(User, { id }, { populate: ['totpSecretSealed'] });
}

/**
 * Starts setting up a one-time code for the signed-in user: a new secret, returned once as text and
 * as an otpauth:// URI (for a QR code). Nothing changes at login until confirmTotp.
 */
export async function enrollTotp(ctx: Context) {
  const user = await signedInWithSecret(ctx);
  if (user.totpEnabledAt)
    throw conflict('A one-time code is already set up; an administrator can reset it (resetTotp)');
  const secret = newTotpSecret();
  user.totpSecretSealed = ctx.personalData.seal(SealedColumn.USER_TOTP_SECRET, secret);
  await ctx.em.flush();
  return { secret, otpauthUri: totpUri(ISSUER, user.username, secret) };
}

/**
 * Confirms the authenticator with a code it shows. From then on every login asks for a code; every
 * session of the user ends (an enrollment-only one included), so the next login is with the code.
 */
export async function confirmTotp(ctx: Context, input: { code: string }) {
  const code = validate(
    z.object({ code: z.string().regex(/^\d{6}$/, 'must be the 6 digits the app shows') }),
    input,
  ).code;
  const user = await signedInWithSecret(ctx);
  if (user.totpEnabledAt) throw conflict('A one-time code is already set up');
  if (!user.totpSecretSealed) throw badField(['input', 'code'], 'call enrollTotp first');
  const secret = ctx.personalData.open(SealedColumn.USER_TOTP_SECRET, user.totpSecretSealed);
  const step = await checkTotp(secret, code);
  if (step === null) throw badField(['input', 'code'], 'is not the current code of this secret');
  user.totpEnabledAt = new Date();
  user.totpLastStep = step;
  await ctx.em.transactional(async (em) => {
    await endAllSessions(em, user);
    await em.flush();
  });
  return { user };
}

/** Removes a user's one-time code (a lost phone): they set one up again at their next login if asked. */
export async function resetTotp(ctx: Context, input: { userId: string }) {
  const user = await loadPermitted(ctx, User, 'User', 'update', input.userId, ['input', 'userId']);
  checkGrant(ctx, user.role);
  user.totpSecretSealed = undefined;
  user.totpEnabledAt = undefined;
  user.totpLastStep = undefined;
  await ctx.em.transactional(async (em) => {
    await endAllSessions(em, user);
    await em.flush();
  });
  return { user };
}
