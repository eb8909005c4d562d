import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { buildAbility } from '../../auth/ability.js';
import { invalidateRules } from '../../auth/authenticate.js';
import { hashPassword } from '../../auth/password.js';
import { ACTIONS, SUBJECTS, type Subject } from '../../auth/permissions.js';
import {
  Customer,
  OrgUnit,
  PermissionScope,
  RefreshToken,
  Role,
  RolePermission,
  User,
} from '../../orm/entities/index.js';
import { badField, badInput, forbidden, type FieldIssue } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
} from '../common/index.js';
import type {
  CreateUserInput,
  RevokeSessionsInput,
  SetRolePermissionsInput,
  UpdateUserInput,
  UserFilter,
} from './user.type.js';

export function listUsers(ctx: Context, filter: UserFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<User>('read', 'User');
  const conditions: FilterQuery<User>[] = [];
  if (filter?.roles?.length) conditions.push({ role: { $in: filter.roles } });
  if (filter?.search) conditions.push({ username: { $like: `${escapeLike(filter.search)}%` } });
  return paginate(
    ctx.em,
    User,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

const createSchema = z.object({
  username: formats.username,
  password: formats.password,
  displayName: formats.name,
  role: z.enum(Role),
  orgUnitId: z.string(),
  customerId: z.string().optional().nullable(),
  expiresAt: z.date().optional().nullable(),
});

/** The unit a user is placed in must be one where the caller may create (or update) users. */
async function userUnit(ctx: Context, action: 'create' | 'update', globalId: string): Promise<OrgUnit> {
  const where = ctx.access.whereOn<OrgUnit>(action, 'User', 'OrgUnit');
  const id = localId(globalId, 'OrgUnit', ['input', 'orgUnitId']);
  const unit = where === null ? null : await ctx.em.findOne(OrgUnit, { $and: [where, { id }] });
  if (!unit) throw badField(['input', 'orgUnitId'], 'OrgUnit not found or not accessible');
  return unit;
}

/** Only those who may manage everything may hand out the ADMIN role. */
export function checkGrant(ctx: Context, role: Role): void {
  if (role === Role.ADMIN && !ctx.access.ability?.can('manage', 'all'))
    throw forbidden('Only administrators may grant ADMIN');
}

export async function createUser(ctx: Context, input: CreateUserInput): Promise<User> {
  ctx.access.assert('create', 'User');
  const data = validate(createSchema, input);
  checkGrant(ctx, data.role);
  const orgUnit = await userUnit(ctx, 'create', data.orgUnitId);
  let customer: Customer | undefined;
  if (data.role === Role.CUSTOMER) {
    if (!data.customerId) throw badField(['input', 'customerId'], 'is required for the CUSTOMER role');
    customer = await loadPermitted(ctx, Customer, 'Customer', 'read', data.customerId, ['input', 'customerId']);
  } else if (data.customerId) {
    throw badField(['input', 'customerId'], 'only CUSTOMER users have a customer account');
  }
  const user = ctx.em.create(User, {
    username: data.username,
    passwordHash: await hashPassword(data.password),
    displayName: data.displayName,
    role: data.role,
    orgUnit,
    customer,
    expiresAt: data.expiresAt ?? undefined,
  });
  await ctx.em.flush();
  return user;
}

const updateSchema = z.object({
  id: z.string(),
  displayName: formats.name.optional().nullable(),
  role: z.enum(Role).optional().nullable(),
  orgUnitId: z.string().optional().nullable(),
  active: z.boolean().optional().nullable(),
  password: formats.password.optional().nullable(),
  expiresAt: z.date().optional().nullable(),
  clearExpiry: z.boolean().optional().nullable(),
});

export async function updateUser(ctx: Context, input: UpdateUserInput): Promise<User> {
  const data = validate(updateSchema, input);
  const user = await loadPermitted(ctx, User, 'User', 'update', data.id);
  checkGrant(ctx, user.role); // an administrator's account is changed by administrators only
  let endSessions = false;
  if (data.displayName) user.displayName = data.displayName;
  if (data.role && data.role !== user.role) {
    if (data.role === Role.CUSTOMER || user.role === Role.CUSTOMER) {
      throw badField(['input', 'role'], 'customer logins are created for an account and cannot change role');
    }
    checkGrant(ctx, data.role);
    user.role = data.role;
    endSessions = true;
  }
  if (data.orgUnitId) {
    user.orgUnit = await userUnit(ctx, 'update', data.orgUnitId);
    endSessions = true;
  }
  if (data.active !== undefined && data.active !== null && data.active !== user.active) {
    if (!data.active && user.id === ctx.access.user?.id)
      throw badField(['input', 'active'], 'you cannot deactivate yourself');
    user.active = data.active;
    endSessions ||= !data.active;
  }
  if (data.password) {
    user.passwordHash = await hashPassword(data.password);
    endSessions = true;
  }
  if (data.clearExpiry) user.expiresAt = undefined;
  else if (data.expiresAt) user.expiresAt = data.expiresAt;
  await ctx.em.transactional(async (em) => {
    if (endSessions) await endAllSessions(em, user);
    await em.flush();
  });
  return user;
}

/**
 * Ends every session of a user: access tokens stop at once (token version; open WebSocket
 * subscriptions close at their next session check), refresh tokens are revoked. Returns how many
 * refresh tokens were still valid. The caller flushes the token version.
 */
export async function endAllSessions(em: EntityManager, user: User): Promise<number> {
  user.tokenVersion += 1;
  return em.nativeUpdate(RefreshToken, { user, revokedAt: null }, { revokedAt: new Date() });
}

async function revokeAll(ctx: Context, user: User) {
  const revokedRefreshTokens = await ctx.em.transactional(async (em) => {
    const revoked = await endAllSessions(em, user);
    await em.flush();
    return revoked;
  });
  return { user, revokedRefreshTokens };
}

/** Another user's sessions: for whoever may update that user (an administrator's: administrators only). */
export async function revokeSessions(ctx: Context, input: RevokeSessionsInput) {
  const user = await loadPermitted(ctx, User, 'User', 'update', input.userId, ['input', 'userId']);
  checkGrant(ctx, user.role);
  return revokeAll(ctx, user);
}

/** The signed-in user's own sessions, on every device, this one included. */
export function logoutEverywhere(ctx: Context) {
  return revokeAll(ctx, ctx.access.requireUser());
}

const ruleSchema = z
  .object({
    action: z.enum(ACTIONS),
    subject: z.enum(SUBJECTS),
    fields: z
      .array(z.string().regex(/^[a-zA-Z]{1,64}$/, 'must be a field name'))
      .max(50)
      .optional()
      .nullable(),
    inverted: z.boolean(),
    scope: z.enum(PermissionScope),
  })
  .refine((r) => !r.fields?.length || r.subject !== 'all', {
    message: 'field rules need a concrete subject',
    path: ['fields'],
  });

const setSchema = z.object({ role: z.enum(Role), rules: z.array(ruleSchema).max(200) });

export async function listRolePermissions(ctx: Context, role?: Role) {
  ctx.access.assert('read', 'RolePermission');
  return ctx.em.find(RolePermission, role ? { role } : {}, { orderBy: { role: 'asc', id: 'asc' } });
}

/** Replaces a role's rules in one transaction. Takes effect on each user's next request. */
export async function setRolePermissions(
  ctx: Context,
  input: SetRolePermissionsInput,
  /** The fields a rule may name for a subject (its value fields as the API shows them). */
  fieldsOf: (subject: Subject) => string[],
) {
  ctx.access.assert('manage', 'RolePermission');
  const data = validate(setSchema, input);
  // An inverted rule next to "manage all" (manage RolePermission, or manage all) would take the
  // right back: the new rules themselves must still allow what this mutation asks for.
  if (
    data.role === Role.ADMIN &&
    (!data.rules.some((r) => r.action === 'manage' && r.subject === 'all' && !r.inverted) ||
      !buildAbility(
        data.rules.map((r) => ({ ...r, fields: r.fields ?? undefined })),
        { orgPath: '/' },
      ).can('manage', 'RolePermission'))
  ) {
    throw badField(
      ['input', 'rules'],
      'the ADMIN role must keep "manage all", with no exception for RolePermission, or nobody could repair the rules',
    );
  }
  const unknownFields: FieldIssue[] = data.rules.flatMap((r, i) => {
    if (!r.fields?.length || r.subject === 'all') return [];
    const known = new Set(fieldsOf(r.subject));
    return r.fields
      .map((field, j) => ({ field, j }))
      .filter(({ field }) => !known.has(field))
      .map(({ field, j }) => ({
        path: ['input', 'rules', i, 'fields', j],
        message: `${r.subject} has no field ${field}`,
      }));
  });
  if (unknownFields.length) throw badInput(unknownFields);
  const rules = await ctx.em.transactional(async (em) => {
    // The rules it replaces, for the audit record (the delete below is not seen by the unit of work).
    const before = await em.find(RolePermission, { role: data.role }, { orderBy: { id: 'asc' } });
    ctx.audit?.note(
      'rulesBefore',
      before.map(({ action, subject, fields, inverted, scope }) => ({ action, subject, fields, inverted, scope })),
    );
    await em.nativeDelete(RolePermission, { role: data.role });
    const created = data.rules.map((r) =>
      em.create(RolePermission, {
        role: data.role,
        action: r.action,
        subject: r.subject,
        fields: r.fields ?? undefined,
        inverted: r.inverted,
        scope: r.scope,
      }),
    );
    await em.flush();
    return created;
  });
  invalidateRules(ctx.em);
  return { role: data.role, rules };
}
