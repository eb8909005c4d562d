import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Alarm, AlarmStatus } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { AlarmActionInput, AlarmFilter } from './alarm.type.js';

/** Newest first; keyset on lastAt + id so that paging stays fast at millions of rows. */
export async function listAlarms(ctx: Context, filter: AlarmFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<Alarm>('read', 'Alarm');
  const conditions: FilterQuery<Alarm>[] = [];
  if (filter?.types?.length) conditions.push({ type: { $in: filter.types } });
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.severities?.length) conditions.push({ severity: { $in: filter.severities } });
  if (filter?.meterId) conditions.push({ meter: localId(filter.meterId, 'Meter', ['filter', 'meterId']) });
  if (filter?.from) conditions.push({ lastAt: { $gte: filter.from } });
  if (filter?.to) conditions.push({ lastAt: { $lt: filter.to } });
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  return paginate(
    ctx.em,
    Alarm,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'lastAt', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
    true,
  );
}

const actionSchema = z.object({
  id: z.string(),
  note: z.string().trim().max(255, 'must be at most 255 characters').optional().nullable(),
});

/** Someone has seen it and is on it: OPEN -> ACKNOWLEDGED, with who and when. */
export async function acknowledgeAlarm(ctx: Context, input: AlarmActionInput): Promise<Alarm> {
  ctx.access.assert('update', 'Alarm');
  const data = validate(actionSchema, input);
  const alarm = await loadPermitted(ctx, Alarm, 'Alarm', 'update', data.id);
  if (alarm.status !== AlarmStatus.OPEN)
    throw badField(['input', 'id'], `the alarm is ${alarm.status}, only OPEN alarms can be acknowledged`);
  alarm.status = AlarmStatus.ACKNOWLEDGED;
  alarm.acknowledgedAt = new Date();
  alarm.acknowledgedBy = ctx.access.requireUser();
  if (data.note) alarm.note = data.note;
  await ctx.em.flush();
  return alarm;
}

/** Done with it: OPEN or ACKNOWLEDGED -> CLOSED. A new occurrence opens a new alarm. */
export async function closeAlarm(ctx: Context, input: AlarmActionInput): Promise<Alarm> {
  ctx.access.assert('update', 'Alarm');
  const data = validate(actionSchema, input);
  const alarm = await loadPermitted(ctx, Alarm, 'Alarm', 'update', data.id);
  if (alarm.status === AlarmStatus.CLOSED || alarm.status === AlarmStatus.CLEARED) {
    throw badField(['input', 'id'], `the alarm is already ${alarm.status}`);
  }
  alarm.status = AlarmStatus.CLOSED;
  alarm.closedAt = new Date();
  alarm.closedBy = ctx.access.requireUser();
  if (data.note) alarm.note = data.note;
  await ctx.em.flush();
  return alarm;
}
