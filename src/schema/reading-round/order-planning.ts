import type { EntityManager } from '@mikro-orm/postgresql';
import { OrgUnit, User } from '../../orm/entities/index.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import { badField, forbidden } from '../../shared/errors.js';
import type { Context } from '../common/index.js';

// What planning work orders in a unit takes, for reading rounds and verification alike.

/**
 * Checks that the caller may create work orders for `unit` (the create rule on WorkOrder, as a
 * condition on the unit), answering like a unit that does not exist when not.
 */
export async function assertMayCreateWorkOrdersIn(
  ctx: Context,
  unit: OrgUnit,
  path: (string | number)[],
): Promise<void> {
  ctx.access.assert('create', 'WorkOrder');
  const where = ctx.access.whereOn<OrgUnit>('create', 'WorkOrder', 'OrgUnit');
  const found = where === null ? null : await ctx.em.findOne(OrgUnit, { $and: [where, { id: unit.id }] });
  if (!found) throw badField(path, 'OrgUnit not found or not accessible');
}

/** The time zone local days of `unit` are counted in (its own, an ancestor's, or the server's). */
export async function zoneOf(em: EntityManager, unit: OrgUnit, fallback: string): Promise<string> {
  const [zone] = await effectiveTimeZones(em, [unit.path], fallback);
  return zone!;
}

/** A due time given in the input must lie ahead. */
export function futureDue(dueAt: Date | undefined, path: (string | number)[], now = new Date()): Date | undefined {
  if (dueAt === undefined || dueAt === null) return undefined;
  if (Number.isNaN(dueAt.getTime()) || dueAt <= now) throw badField(path, 'must be in the future');
  return dueAt;
}

/** The signed-in person, as a row of this request's EntityManager. */
export async function caller(ctx: Context): Promise<User> {
  const user = ctx.access.requireUser();
  const row = await ctx.em.findOne(User, user.id);
  if (!row) throw forbidden();
  return row;
}
