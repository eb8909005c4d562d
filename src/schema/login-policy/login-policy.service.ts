import { z } from 'zod';
import { addressKey, accountKey, customerKey, invalidateLoginPolicies } from '../../auth/login-guard.js';
import { LoginPolicy, Role, User } from '../../orm/entities/index.js';
import { inRanges, parseCidr } from '../../shared/cidr.js';
import { badField, badInput } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { pgArray } from '../../shared/pg-array.js';
import { type Context, loadPermitted } from '../common/index.js';
import type { ClearLoginLockoutInput, LoginPolicyTargetInput, SetLoginPolicyInput } from './login-policy.type.js';

const target = {
  role: z.enum(Role).optional().nullable(),
  userId: z.string().optional().nullable(),
};
const oneTarget = (t: { role?: Role | null; userId?: string | null }) => !t.role !== !t.userId;
const targetMessage = { message: 'give either role or userId', path: ['role'] };

const windowSchema = z
  .object({
    days: z
      .array(z.number().int().min(1, 'must be 1 (Monday) to 7 (Sunday)').max(7, 'must be 1 (Monday) to 7 (Sunday)'))
      .min(1, 'must name at least one day')
      .max(7),
    start: formats.localTime,
    end: formats.localTime,
  })
  .refine((w) => w.start !== w.end, { message: 'must differ from start', path: ['end'] });

const setSchema = z
  .object({
    ...target,
    allowedCidrs: z
      .array(
        z
          .string()
          .max(64)
          .refine((c) => parseCidr(c) !== null, 'must be an address or CIDR range'),
      )
      .min(1, 'give at least one range, or leave it out to allow any address')
      .max(100)
      .optional()
      .nullable(),
    windows: z.array(windowSchema).min(1).max(28).optional().nullable(),
    requireTotp: z.boolean().optional().nullable(),
    maxFailures: z.number().int().min(1).max(100).optional().nullable(),
    lockoutSeconds: z.number().int().min(1).max(86_400).optional().nullable(),
    lockoutMaxSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .optional()
      .nullable(),
  })
  .refine(oneTarget, targetMessage)
  .refine((p) => !p.lockoutSeconds || !p.lockoutMaxSeconds || p.lockoutSeconds <= p.lockoutMaxSeconds, {
    message: 'must not be below lockoutSeconds',
    path: ['lockoutMaxSeconds'],
  });

export function listLoginPolicies(ctx: Context) {
  ctx.access.assert('read', 'LoginPolicy');
  return ctx.em.find(LoginPolicy, {}, { orderBy: { role: 'asc', id: 'asc' }, populate: ['user'] });
}

async function targetOf(ctx: Context, data: { role?: Role | null; userId?: string | null }) {
  if (data.role) return { role: data.role };
  const user = await loadPermitted(ctx, User, 'User', 'read', data.userId!, ['input', 'userId']);
  return { user };
}

/** Creates or replaces the policy of a role or user (administrators). */
export async function setLoginPolicy(ctx: Context, input: SetLoginPolicyInput) {
  ctx.access.assert('manage', 'LoginPolicy');
  const data = validate(setSchema, input);
  const where = await targetOf(ctx, data);
  // An administrator must not lock every administrator out by a range that excludes themselves.
  if (data.allowedCidrs && (where.role === Role.ADMIN || where.user?.id === ctx.access.user?.id)) {
    if (!inRanges(ctx.ip, data.allowedCidrs))
      throw badField(['input', 'allowedCidrs'], 'would lock you out: your own address is not in these ranges');
  }
  const policy =
    (await ctx.em.findOne(LoginPolicy, where.role ? { role: where.role } : { user: where.user!.id })) ??
    ctx.em.create(LoginPolicy, { ...where, maxFailures: 0, lockoutSeconds: 0, lockoutMaxSeconds: 0 });
  policy.allowedCidrs = data.allowedCidrs ?? undefined;
  policy.windows = data.windows ?? undefined;
  policy.requireTotp = data.requireTotp ?? false;
  policy.maxFailures = data.maxFailures ?? ctx.config.login.maxFailures;
  policy.lockoutSeconds = data.lockoutSeconds ?? ctx.config.login.lockoutSeconds;
  policy.lockoutMaxSeconds = Math.max(
    data.lockoutMaxSeconds ?? ctx.config.login.lockoutMaxSeconds,
    policy.lockoutSeconds,
  );
  await ctx.em.flush();
  invalidateLoginPolicies(ctx.em);
  return { loginPolicy: policy };
}

export async function deleteLoginPolicy(ctx: Context, input: LoginPolicyTargetInput) {
  ctx.access.assert('manage', 'LoginPolicy');
  const data = validate(z.object(target).refine(oneTarget, targetMessage), input);
  const where = await targetOf(ctx, data);
  const policy = await ctx.em.findOne(LoginPolicy, where.role ? { role: where.role } : { user: where.user!.id });
  if (policy) {
    ctx.em.remove(policy);
    await ctx.em.flush();
    invalidateLoginPolicies(ctx.em);
  }
  return { loginPolicy: null };
}

/** Lifts a lockout early (the user called the help desk) by clearing its failure counters. */
export async function clearLoginLockout(ctx: Context, input: ClearLoginLockoutInput) {
  ctx.access.assert('manage', 'LoginPolicy');
  const keys = [
    input.username ? accountKey(input.username) : undefined,
    input.accountNo ? customerKey(input.accountNo) : undefined,
    input.address ? addressKey(input.address) : undefined,
  ].filter((k): k is string => k !== undefined);
  if (!keys.length) throw badInput([{ path: ['input'], message: 'give a username, an account number or an address' }]);
  // Counted from the rows returned: the embedded driver does not always report affected rows.
  const removed: unknown[] = await ctx.em
    .getConnection()
    .execute(`delete from login_throttle where key = any(?::text[]) returning key`, [pgArray(keys)]);
  return { cleared: removed.length };
}
