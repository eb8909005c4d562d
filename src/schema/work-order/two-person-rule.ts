import type { EntityManager } from '@mikro-orm/core';
import {
  OrgUnit,
  Role,
  User,
  WorkOrder,
  WorkOrderAssignee,
  type WorkOrderKind,
  WorkOrderKindSetting,
  WorkOrderStatus,
} from '../../orm/entities/index.js';
import { AppError, ErrorCode, badField } from '../../shared/errors.js';
import { type Context, localId } from '../common/index.js';

/** The roles that do field work and may be assigned to a work order. */
export const FIELD_ROLES: readonly Role[] = [Role.METER_READER, Role.INSPECTOR, Role.STATION_MANAGER];

/** The reason code of an assignment refused by the two-person rule (`extensions.reason`). */
export const TWO_PERSON_RULE = 'TWO_PERSON_RULE';

/**
 * Whether work orders of `kind` need two people (paper 3.1: no one reads meters alone). On for
 * every kind unless an admin turned it off (work_order_kind_setting).
 */
export async function twoPersonRuleApplies(em: EntityManager, kind: WorkOrderKind): Promise<boolean> {
  return ruleOf(await em.find(WorkOrderKindSetting, { kind }), kind);
}

/** The rule for `kind` among loaded settings: on unless a setting turns it off. */
export const ruleOf = (settings: readonly WorkOrderKindSetting[], kind: WorkOrderKind): boolean =>
  settings.find((s) => s.kind === kind)?.twoPersonRule ?? true;

/** The refusal when fewer than two different people would do work under the two-person rule. */
export function twoPersonRefusal(path: (string | number)[], kind: WorkOrderKind, people: number): AppError {
  const message = `the two-person rule: ${kind} work needs at least two different people, got ${people}`;
  return new AppError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${path.join('.')}: ${message}`, {
    fields: [{ path, message }],
    reason: TWO_PERSON_RULE,
  });
}

/**
 * Checks the people named for a work order and returns them, in the order given. Every path that
 * assigns people (create, reassign, bulk, rounds) comes through here, so the rule holds for all:
 * - each ID is a user the caller may read, active, not expired, in a field role;
 * - each works where they can see the order (the order's unit is in their subtree);
 * - under the two-person rule, at least two different people (an ID given twice counts once).
 * An empty list is allowed (the order stays or goes back to CREATED).
 */
export async function checkAssignees(
  ctx: Context,
  order: { kind: WorkOrderKind; orgUnit: OrgUnit },
  globalIds: readonly string[],
  path: (string | number)[],
): Promise<User[]> {
  const ids = [...new Set(globalIds.map((id, i) => localId(id, 'User', [...path, i])))];
  if (ids.length === 0) return [];
  if (ids.length < 2 && (await twoPersonRuleApplies(ctx.em, order.kind))) {
    throw twoPersonRefusal(path, order.kind, ids.length);
  }
  const where = ctx.access.where<User>('read', 'User');
  const users =
    where === null ? [] : await ctx.em.find(User, { $and: [where, { id: { $in: ids } }] }, { populate: ['orgUnit'] });
  const byId = new Map(users.map((u) => [u.id, u]));
  const orderPath = (await ctx.em.findOneOrFail(OrgUnit, order.orgUnit.id)).path;
  const now = new Date();
  const seen = new Set<number>();
  const people: User[] = [];
  globalIds.forEach((globalId, i) => {
    const id = localId(globalId, 'User', [...path, i]);
    if (seen.has(id)) return;
    seen.add(id);
    const at = [...path, i];
    const user = byId.get(id);
    if (!user) throw badField(at, 'User not found or not accessible');
    if (!user.active || (user.expiresAt && user.expiresAt <= now)) throw badField(at, `${user.username} cannot log in`);
    if (!FIELD_ROLES.includes(user.role)) throw badField(at, `${user.username} is a ${user.role}, not field staff`);
    if (!orderPath.startsWith(user.orgUnit.path)) {
      throw badField(at, `${user.username} works outside the order's unit and could not see it`);
    }
    people.push(user);
  });
  return people;
}

/**
 * Makes `users` the order's assignees (those no longer named are removed) and returns who was
 * assigned before. Any change of people clears every confirmation: a new pair confirms anew.
 * CREATED -> ASSIGNED when people are given, ASSIGNED -> CREATED when all are taken away.
 */
export async function setAssignees(em: EntityManager, order: WorkOrder, users: readonly User[]): Promise<number[]> {
  const current = await em.find(WorkOrderAssignee, { workOrder: order });
  const before = current.map((a) => a.user.id);
  const wanted = new Set(users.map((u) => u.id));
  const changed = before.length !== wanted.size || before.some((id) => !wanted.has(id));
  if (changed) {
    for (const a of current) {
      if (!wanted.has(a.user.id)) em.remove(a);
      else a.confirmedAt = undefined;
    }
    const kept = new Set(before);
    for (const user of users) {
      if (!kept.has(user.id)) em.persist(em.create(WorkOrderAssignee, { workOrder: order, user }));
    }
  }
  if (users.length && order.status === WorkOrderStatus.CREATED) {
    order.status = WorkOrderStatus.ASSIGNED;
    order.assignedAt = new Date();
  } else if (!users.length && order.status === WorkOrderStatus.ASSIGNED) {
    order.status = WorkOrderStatus.CREATED;
    order.assignedAt = undefined;
  } else if (changed && users.length) {
    order.assignedAt = new Date();
  }
  return before;
}
