import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { localDateOf } from '../../billing/local-days.js';
import { Role, TrainingRecord, TrainingResult, User } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField, badInput, type FieldIssue } from '../../shared/errors.js';
import { decimal, formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  decodeCursor,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type {
  DeleteTrainingInput,
  RecordTrainingInput,
  TrainingRecordFilter,
  UpdateTrainingInput,
} from './training.type.js';

/** Roles that are staff of the company: customers and service accounts take no courses. */
const NOT_STAFF: readonly Role[] = [Role.CUSTOMER, Role.COLLECTOR_SERVICE];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Newest first (by the day completed, then by id). */
export async function listTrainingRecords(ctx: Context, filter: TrainingRecordFilter | undefined, page: PageArgs) {
  // The cursor's value is compared with a date column: anything but a date is refused before SQL.
  if (page.after) {
    const [value] = decodeCursor(page.after);
    if (typeof value !== 'string' || !ISO_DATE.test(value))
      throw badField(['after'], 'is not a cursor returned by this list');
  }
  const where = ctx.access.where<TrainingRecord>('read', 'TrainingRecord');
  const conditions: FilterQuery<TrainingRecord>[] = [];
  if (filter?.userId) conditions.push({ user: localId(filter.userId, 'User', ['filter', 'userId']) });
  if (filter?.orgUnitSubtree)
    conditions.push(
      await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['user', 'orgUnit']),
    );
  if (filter?.from) conditions.push({ completedOn: { $gte: filter.from } });
  if (filter?.to) conditions.push({ completedOn: { $lt: filter.to } });
  if (filter?.results?.length) conditions.push({ result: { $in: filter.results } });
  return paginate(
    ctx.em,
    TrainingRecord,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'completedOn', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
  );
}

/** numeric(5,2), from 0 to 100. */
const score = decimal(3, 2, { min: 'nonNegative' }).refine((v) => new Dec(v).lte(100), 'must be at most 100');
/** numeric(5,1), greater than 0. */
const hours = decimal(4, 1, { min: 'positive' });
const course = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const recordSchema = z.object({
  userId: z.string(),
  course,
  completedOn: formats.localDate,
  result: z.enum(TrainingResult),
  score: score.nullable().optional(),
  hours: hours.nullable().optional(),
});

const updateSchema = z.object({
  id: z.string(),
  course: course.optional(),
  completedOn: formats.localDate.optional(),
  result: z.enum(TrainingResult).optional(),
  score: score.nullable().optional(),
  hours: hours.nullable().optional(),
});

/** A course is completed on a day that has begun where the trainee works. */
async function checkNotFuture(ctx: Context, user: User, completedOn: string): Promise<FieldIssue[]> {
  const zone = await ctx.loaders.effectiveTimeZone.load(user.orgUnit.path);
  return completedOn > localDateOf(new Date(), zone)
    ? [{ path: ['input', 'completedOn'], message: 'must not be in the future' }]
    : [];
}

/**
 * The person trained: a member of staff the caller may read and may keep training records for
 * (a manager, the people of their subtree).
 */
async function trainee(ctx: Context, globalId: string): Promise<User> {
  const path = ['input', 'userId'];
  const id = localId(globalId, 'User', path);
  const readable = ctx.access.where<User>('read', 'User');
  const recordable = ctx.access.whereOn<User>('create', 'TrainingRecord', 'User');
  const user =
    readable === null || recordable === null
      ? null
      : await ctx.em.findOne(User, { $and: [readable, recordable, { id }] }, { populate: ['orgUnit'] });
  if (!user) throw badField(path, 'User not found or not accessible');
  if (NOT_STAFF.includes(user.role)) throw badField(path, `${user.username} is a ${user.role}, not staff`);
  return user;
}

const decimalOrNull = (value: string | null | undefined) => (value == null ? undefined : new Dec(value).toFixed());

/** Records a course a member of staff took. */
export async function recordTraining(ctx: Context, input: RecordTrainingInput): Promise<TrainingRecord> {
  ctx.access.assert('create', 'TrainingRecord');
  const data = validate(recordSchema, input);
  const user = await trainee(ctx, data.userId);
  const future = await checkNotFuture(ctx, user, data.completedOn);
  if (future.length) throw badInput(future);
  const record = ctx.em.create(TrainingRecord, {
    user,
    course: data.course,
    completedOn: data.completedOn,
    result: data.result,
    score: decimalOrNull(data.score),
    hours: decimalOrNull(data.hours),
    recordedBy: ctx.access.requireUser(),
  });
  await ctx.em.flush();
  return record;
}

/** Corrects a record: the fields given change, score and hours given as null are cleared. */
export async function updateTraining(ctx: Context, input: UpdateTrainingInput): Promise<TrainingRecord> {
  ctx.access.assert('update', 'TrainingRecord');
  const data = validate(updateSchema, input);
  const record = await loadPermitted(ctx, TrainingRecord, 'TrainingRecord', 'update', data.id, ['input', 'id']);
  await ctx.em.populate(record, ['user.orgUnit']);
  if (data.completedOn !== undefined) {
    const future = await checkNotFuture(ctx, record.user, data.completedOn);
    if (future.length) throw badInput(future);
    record.completedOn = data.completedOn;
  }
  if (data.course !== undefined) record.course = data.course;
  if (data.result !== undefined) record.result = data.result;
  // A cleared value is set to null, so that the update writes NULL.
  if (data.score !== undefined)
    Object.assign(record, { score: data.score === null ? null : decimalOrNull(data.score) });
  if (data.hours !== undefined)
    Object.assign(record, { hours: data.hours === null ? null : decimalOrNull(data.hours) });
  await ctx.em.flush();
  return record;
}

/** Deletes a record entered by mistake; answers its ID. */
export async function deleteTraining(ctx: Context, input: DeleteTrainingInput): Promise<number> {
  ctx.access.assert('delete', 'TrainingRecord');
  const data = validate(z.object({ id: z.string() }), input);
  const record = await loadPermitted(ctx, TrainingRecord, 'TrainingRecord', 'delete', data.id, ['input', 'id']);
  const id = record.id;
  await ctx.em.remove(record).flush();
  return id;
}
