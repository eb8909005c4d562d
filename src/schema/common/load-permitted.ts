import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Action, Subject } from '../../auth/permissions.js';
import { badField, notFound } from '../../shared/errors.js';
import type { Context } from './context.js';
import { localId } from './local-id.js';

/**
 * Loads one row the user may act on, through the same SQL condition as lists. A row outside the
 * user's scope is reported exactly like a missing one, so IDs reveal nothing.
 * With `path`, a missing row is a bad reference in the input (BAD_USER_INPUT); without, NOT_FOUND.
 */
export async function loadPermitted<T extends object>(
  ctx: Context,
  entity: EntityName<T>,
  subject: Subject,
  action: Action,
  globalId: string,
  path?: (string | number)[],
  /** The ID's type when it differs from the permission subject (collection schedules and tasks are governed as Channel). */
  type: string = subject,
): Promise<T> {
  const id = localId(globalId, type, path ?? ['id']);
  const where = ctx.access.where<T>(action, subject);
  const row =
    where === null ? null : await ctx.em.findOne(entity, { $and: [where, { id }] } as unknown as FilterQuery<T>);
  if (!row) {
    if (path) throw badField(path, `${type} not found or not accessible`);
    throw notFound(type, globalId);
  }
  return row;
}
