import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import {
  Channel,
  CollectionRetry,
  CollectionSchedule,
  CollectionTask,
  OrgUnit,
  ScheduleKind,
} from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
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
import type {
  CollectionTaskFilter,
  CreateCollectionScheduleInput,
  UpdateCollectionScheduleInput,
} from './schedule.type.js';

// Schedules and tasks are part of collection set-up and operation: the Channel permissions govern them.

export function listSchedules(ctx: Context, page: PageArgs) {
  return paginate(
    ctx.em,
    CollectionSchedule,
    ctx.access.where<CollectionSchedule>('read', 'Channel'),
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

const intervalMinutes = z
  .number()
  .int()
  .min(1, 'must be 1 to 1440 minutes')
  .max(1440, 'must be 1 to 1440 minutes')
  .refine(
    (m) => 1440 % m === 0,
    'must divide a day (1, 5, 15, 30, 60 ...), so that slots fall on the same times daily',
  );
const maxAttempts = z.number().int().min(1, 'must be 1 to 20').max(20, 'must be 1 to 20');

/** Both window ends or neither. */
function windowOf(data: { windowStart?: string | null; windowEnd?: string | null }, path: string[]) {
  if (!data.windowStart !== !data.windowEnd)
    throw badField([...path, data.windowStart ? 'windowEnd' : 'windowStart'], 'give both ends of the window');
  return data.windowStart ? { windowStart: data.windowStart, windowEnd: data.windowEnd! } : undefined;
}

export async function createSchedule(ctx: Context, input: CreateCollectionScheduleInput) {
  ctx.access.assert('create', 'Channel');
  const data = validate(
    z.object({
      name: formats.name,
      kind: z.nativeEnum(ScheduleKind),
      orgUnitId: z.string(),
      channelId: z.string().nullish(),
      intervalMinutes,
      windowStart: formats.localTime.nullish(),
      windowEnd: formats.localTime.nullish(),
      maxAttempts,
      readEvents: z.boolean().nullish(),
      enabled: z.boolean(),
    }),
    input,
  );
  const window = windowOf(data, ['input']);
  const orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const channel = data.channelId
    ? await loadPermitted(ctx, Channel, 'Channel', 'update', data.channelId, ['input', 'channelId'])
    : undefined;
  const schedule = ctx.em.create(CollectionSchedule, {
    name: data.name,
    kind: data.kind,
    orgUnit,
    channel,
    intervalMinutes: data.intervalMinutes,
    maxAttempts: data.maxAttempts,
    // A day's frozen read is the natural time to fetch the day's events; interval reads stay light.
    readEvents: data.readEvents ?? data.kind === ScheduleKind.DAILY_FROZEN,
    enabled: data.enabled,
    ...window,
  });
  await ctx.em.flush();
  return schedule;
}

export async function updateSchedule(ctx: Context, input: UpdateCollectionScheduleInput) {
  const data = validate(
    z.object({
      id: z.string(),
      name: formats.name.nullish(),
      intervalMinutes: intervalMinutes.nullish(),
      windowStart: formats.localTime.nullish(),
      windowEnd: formats.localTime.nullish(),
      clearWindow: z.boolean().nullish(),
      maxAttempts: maxAttempts.nullish(),
      readEvents: z.boolean().nullish(),
      enabled: z.boolean().nullish(),
    }),
    input,
  );
  const schedule = await loadPermitted(
    ctx,
    CollectionSchedule,
    'Channel',
    'update',
    data.id,
    undefined,
    'CollectionSchedule',
  );
  const window = windowOf(data, ['input']);
  if (window && data.clearWindow) throw badField(['input', 'clearWindow'], 'either set a window or clear it');
  if (data.name) schedule.name = data.name;
  if (data.intervalMinutes) schedule.intervalMinutes = data.intervalMinutes;
  if (data.maxAttempts) schedule.maxAttempts = data.maxAttempts;
  if (data.enabled !== undefined && data.enabled !== null) schedule.enabled = data.enabled;
  if (data.readEvents !== undefined && data.readEvents !== null) schedule.readEvents = data.readEvents;
  if (window) Object.assign(schedule, window);
  if (data.clearWindow) Object.assign(schedule, { windowStart: null, windowEnd: null });
  await ctx.em.flush();
  return schedule;
}

/** Deletes a schedule with its tasks (readings stay). */
export async function deleteSchedule(ctx: Context, globalId: string): Promise<boolean> {
  const schedule = await loadPermitted(
    ctx,
    CollectionSchedule,
    'Channel',
    'update',
    globalId,
    undefined,
    'CollectionSchedule',
  );
  await ctx.em.removeAndFlush(schedule);
  return true;
}

/** Newest first; keyset on startedAt + id. */
export async function listTasks(ctx: Context, filter: CollectionTaskFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<CollectionTask>('read', 'Channel');
  const conditions: FilterQuery<CollectionTask>[] = [];
  if (filter?.scheduleId) {
    // A schedule the caller may not read matches nothing, like one that does not exist.
    const id = localId(filter.scheduleId, 'CollectionSchedule', ['filter', 'scheduleId']);
    const visible = ctx.access.where<CollectionSchedule>('read', 'Channel');
    conditions.push({ schedule: visible === null ? { id: 0 } : { $and: [visible, { id }] } });
  }
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.kinds?.length) conditions.push({ kind: { $in: filter.kinds } });
  if (filter?.from) conditions.push({ startedAt: { $gte: filter.from } });
  if (filter?.to) conditions.push({ startedAt: { $lt: filter.to } });
  if (filter?.orgUnitSubtree)
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  return paginate(
    ctx.em,
    CollectionTask,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'startedAt', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
    true,
  );
}

/** The meters a task could not read (the task itself was checked when it was loaded). */
export function listRetries(ctx: Context, task: CollectionTask, page: PageArgs) {
  return paginate(
    ctx.em,
    CollectionRetry,
    { task: task.id },
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}
